"""Records indexed in both languages: a renderer's words are embedded for Finnish passages and
searched by BM25 for every passage, stored with the passage and renewed when it changes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from retrieval.index import PassageIndex, Rendering
from retrieval.passages import Passage
from retrieval.ranking import ALIGN, VARIANTS, match_owners
from standins.search import FakeEmbedder

# A tiny two-word "glossary": enough to tell the index's part from the glossary's.
WORDS = {"lumityöt": "snow removal", "työtilaukset": "work orders"}


def render(texts: Sequence[str]) -> list[Rendering]:
    out = []
    for text in texts:
        lowered = text.lower()
        found = [english for finnish, english in WORDS.items() if finnish in lowered]
        finnish = any(w in lowered for w in ("ja", "tekee", "lumityöt", "työtilaukset"))
        out.append(Rendering("fi" if finnish else "en", ", ".join(found)))
    return out


@pytest.fixture
def bilingual(chroma_client: Any, fake_embedder: FakeEmbedder) -> Iterator[PassageIndex]:
    index = PassageIndex(
        chroma_client, fake_embedder, name=f"t-{uuid.uuid4().hex[:10]}", renderer=render
    )
    yield index
    for name in (index.name, f"{index.name}-revision"):
        chroma_client.delete_collection(name)


def passage(owner: str, text: str) -> Passage:
    return Passage(id=f"{owner}:c#0", owner=owner, kind="capability", title="", text=text)


def test_an_english_need_finds_a_finnish_profile_by_its_rendering(
    bilingual: PassageIndex, fake_embedder: FakeEmbedder
) -> None:
    bilingual.upsert(
        [
            passage("huolto", "Huolto tekee lumityöt ja työtilaukset"),
            passage("parkly", "Parking guidance sensors for city garages"),
        ]
    )
    entries = bilingual.entries()
    row = entries.ids.index("huolto:c#0")
    assert entries.metadatas[row]["text_language"] == "fi"
    assert entries.metadatas[row]["rendering"] == "snow removal, work orders"
    # Embedded by its English rendering, shown in its own words.
    assert entries.documents[row] == "Huolto tekee lumityöt ja työtilaukset"
    assert entries.embeddings is not None
    expected = fake_embedder.embed(["snow removal, work orders"])[0]
    assert np.allclose(entries.embeddings[row], expected, atol=1e-6)
    found = match_owners(bilingual, "who can plan snow removal", top_k=2)
    assert found[0].owner == "huolto"
    assert "snow" in found[0].evidence[0].matched_terms


def test_the_rendering_is_renewed_when_the_record_changes(bilingual: PassageIndex) -> None:
    bilingual.upsert([passage("huolto", "Huolto tekee lumityöt")])
    bilingual.upsert([passage("huolto", "Huolto tekee työtilaukset")])
    meta = bilingual.entries().metadatas[0]
    assert meta["rendering"] == "work orders"
    assert match_owners(bilingual, "work orders", top_k=1)[0].owner == "huolto"
    assert not match_owners(bilingual, "snow removal", top_k=1, config=_lexical_only())


def _lexical_only() -> Any:
    from retrieval.ranking import VARIANTS

    return VARIANTS["lexical"]


def test_without_a_renderer_nothing_is_rendered(fake_index: PassageIndex) -> None:
    fake_index.upsert([passage("huolto", "Huolto tekee lumityöt")])
    meta = fake_index.entries().metadatas[0]
    assert "rendering" not in meta and "text_language" not in meta


def test_an_english_need_meets_a_rendered_profile_as_its_terms_do(bilingual: PassageIndex) -> None:
    # A Finnish passage is embedded by its terms; the English sentence around the same terms
    # meets that list less well than an English passage that shares its other words.
    bilingual.upsert(
        [
            passage("huolto", "Huolto tekee lumityöt ja työtilaukset"),
            passage("katu", "Winter streets of the city, kept open and lit"),
        ]
    )
    need = "Our city streets need snow removal every winter day"
    dense = VARIANTS["dense"]
    plain = {m.owner: m for m in match_owners(bilingual, need, top_k=2, config=dense)}
    rendered = {
        m.owner: m
        for m in match_owners(bilingual, need, top_k=2, config=dense, rendered_query="snow removal")
    }
    assert plain["katu"].score > plain["huolto"].score
    # Compared with the need's terms, the Finnish profile comes first; the English one is
    # scored as before (only passages embedded by a rendering meet the terms).
    assert rendered["huolto"].score > rendered["katu"].score
    assert rendered["katu"].score == pytest.approx(plain["katu"].score)
    # Raised halfway, not to the terms' own similarity: generic terms meet many lists.
    assert rendered["huolto"].dense < 0.9 * np.sqrt(0.5)


def test_a_need_without_terms_is_scored_as_before(bilingual: PassageIndex) -> None:
    bilingual.upsert([passage("huolto", "Huolto tekee lumityöt ja työtilaukset")])
    need = "snow removal for the streets"
    plain = match_owners(bilingual, need, top_k=1)
    assert match_owners(bilingual, need, top_k=1, rendered_query="") == plain


def test_a_finnish_need_meets_rendered_profiles_without_their_lean_to_term_lists(
    bilingual: PassageIndex, fake_embedder: FakeEmbedder
) -> None:
    # A Finnish need is searched by its glossary English, a list of terms, which meets every
    # profile embedded by its terms better than the English sentences: the average lean is
    # taken off the rendered profiles, and only theirs.
    bilingual.upsert(
        [
            passage("huolto", "Huolto tekee lumityöt ja työtilaukset"),
            passage("katu", "Winter streets of the city, kept open and lit"),
            passage("parkly", "Parking guidance sensors for city garages"),
        ]
    )
    entries = bilingual.entries()
    assert entries.embeddings is not None
    rendered = np.array([m.get("text_language") == "fi" for m in entries.metadatas])
    vectors = entries.embeddings.astype(np.float64)
    shift = bilingual.rendering_shift()
    assert shift is not None
    assert np.allclose(shift, vectors[rendered].mean(axis=0) - vectors[~rendered].mean(axis=0))

    need = "snow removal, streets, winter"
    dense = VARIANTS["passage-mean3"]
    plain = {m.owner: m.score for m in match_owners(bilingual, need, top_k=3, config=dense)}
    found = match_owners(bilingual, need, top_k=3, config=dense, language="fi")
    asked = {m.owner: m.score for m in found}
    lean = float(fake_embedder.embed([need])[0] @ shift)
    assert lean > 0
    assert asked["huolto"] == pytest.approx(plain["huolto"] - ALIGN * lean * dense.scale)
    assert asked["katu"] == pytest.approx(plain["katu"])
    # What was taken off is told, for the relevance floor set before it.
    assert {m.owner: m.unaligned for m in found} == pytest.approx(plain)
    english = match_owners(bilingual, need, top_k=3, config=dense, language="en")
    assert {m.owner: m.score for m in english} == pytest.approx(plain)


def test_the_lean_is_measured_again_in_the_background_after_some_writes(
    bilingual: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("retrieval.index.SHIFT_WRITES", 2)
    bilingual.upsert([passage("katu", "Winter streets of the city, kept open and lit")])
    assert bilingual.rendering_shift() is None  # no rendered profile yet
    bilingual.upsert([passage("huolto", "Huolto tekee lumityöt")])
    assert bilingual.rendering_shift() is None  # one write: the estimate stands
    bilingual.upsert([passage("tilaus", "Tilaus tekee työtilaukset")])
    # Two writes: measured again off the question, which uses the estimate it had.
    assert bilingual.rendering_shift() is None
    first = _measured(bilingual)
    bilingual.upsert([passage("lumi", "Lumi tekee lumityöt ja työtilaukset")])
    shift = bilingual.rendering_shift()
    assert shift is not None and np.array_equal(shift, first)
    bilingual.upsert([passage("talvi", "Winter maintenance of city streets")])
    bilingual.rendering_shift()
    assert not np.allclose(_measured(bilingual, other_than=first), first)


def _measured(
    index: PassageIndex, other_than: np.ndarray | None = None, wait: float = 10.0
) -> np.ndarray:
    """The estimate once the background measure has replaced ``other_than`` (None: none)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        shift = index.rendering_shift()
        if shift is not None and (other_than is None or not np.array_equal(shift, other_than)):
            return shift
        time.sleep(0.02)
    raise AssertionError("not measured again")


def test_a_serving_process_measures_the_lean_while_it_reads_ahead(
    bilingual: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    bilingual.upsert(
        [
            passage("huolto", "Huolto tekee lumityöt ja työtilaukset"),
            passage("katu", "Winter streets of the city, kept open and lit"),
        ]
    )
    bilingual.warm()
    reads: list[object] = []
    get = bilingual.collection.get

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(kwargs.get("where"))
        return get(*args, **kwargs)

    monkeypatch.setattr(bilingual.collection, "get", counted)
    assert bilingual.rendering_shift() is not None
    assert reads == []  # the first Finnish question reads nothing for it


def test_a_failed_measure_of_the_lean_ranks_without_it(
    bilingual: PassageIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lean refines a Finnish need's ranking; a store that cannot be asked for it (a
    # filter the server does not take, say) must not fail the question.
    bilingual.upsert([passage("huolto", "Huolto tekee lumityöt ja työtilaukset")])

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("filter not supported")

    monkeypatch.setattr(bilingual.collection, "get", refused)
    assert bilingual.rendering_shift() is None
    monkeypatch.undo()
    found = match_owners(bilingual, "snow removal", top_k=1, language="fi")
    assert found and found[0].owner == "huolto" and found[0].lean == 0.0

"""split_text fits the model without dropping text; passages carry stable hashes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.embedding import Embedder, estimate_tokens
from retrieval.passages import Passage, passages_from_text, split_sentences, split_text

LONG = " ".join(
    f"Member {i} has delivered district heating pilots in Espoo and Tampere." for i in range(60)
)


def _words(text: str) -> list[str]:
    return text.split()


def test_short_text_is_one_chunk() -> None:
    assert split_text("Smart parking sensors.", 256) == ["Smart parking sensors."]


def test_long_text_is_split_on_sentences_within_limit() -> None:
    chunks = split_text(LONG, 64)
    assert len(chunks) > 1
    assert all(estimate_tokens(c) <= 64 for c in chunks)
    assert all(c.endswith(".") for c in chunks)  # cut between sentences, not inside
    assert _words(" ".join(chunks)) == _words(LONG)


def test_sentence_without_punctuation_is_cut_between_words() -> None:
    text = " ".join(["kaukolämpö"] * 500)
    chunks = split_text(text, 50)
    assert all(estimate_tokens(c) <= 50 for c in chunks)
    assert _words(" ".join(chunks)) == _words(text)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=80), min_size=0, max_size=30), st.integers(8, 80))
def test_split_text_never_drops_words(parts: list[str], limit: int) -> None:
    text = ". ".join(parts)
    assert _words(" ".join(split_text(text, limit))) == _words(text)


def test_split_with_the_real_tokenizer(minilm: Embedder) -> None:
    chunks = split_text(LONG, 100, minilm.count_tokens)
    assert all(minilm.count_tokens(c) <= 100 for c in chunks)
    assert _words(" ".join(chunks)) == _words(LONG)


def test_sentences_split_on_capitals_not_abbreviations() -> None:
    assert split_sentences("We build e.g. sensors. Then we test them!") == [
        "We build e.g. sensors.",
        "Then we test them!",
    ]


def test_passages_from_text_ids_and_titles() -> None:
    passages = passages_from_text(
        owner="m1",
        kind="reference",
        key="m1/ref/7",
        title="Kirkenes port",
        text=LONG,
        max_tokens=80,
    )
    assert [p.id for p in passages] == [f"m1/ref/7#{n}" for n in range(len(passages))]
    assert all(p.document().startswith("Kirkenes port. ") for p in passages)


def test_content_hash_changes_with_content_only() -> None:
    a = Passage("p", "m", "capability", "Heat", "District heating")
    assert (
        a.content_hash()
        == Passage("p", "m", "capability", "Heat", "District heating").content_hash()
    )
    assert (
        a.content_hash()
        != Passage("p", "m", "capability", "Heat", "District cooling").content_hash()
    )

"""The matcher on a small smart-city cluster: evidence, filters, paraphrases."""

from __future__ import annotations

import pytest

from retrieval.index import PassageIndex
from retrieval.passages import Passage
from retrieval.ranking import VARIANTS, match_owners, owner_signals, score_owners

from .fixtures import MEMBERS, member_passages


@pytest.fixture
def cluster(fake_index: PassageIndex) -> PassageIndex:
    fake_index.upsert(member_passages())
    return fake_index


def test_need_covered_only_by_a_reference(cluster: PassageIndex) -> None:
    matches = match_owners(cluster, "Who has done snow clearing robots in Kirkenes?", top_k=3)
    assert matches[0].owner == "arcticmove"
    best = matches[0].evidence[0]
    assert best.kind == "reference" and best.passage_id == "arcticmove/2"
    assert "kirkenes" in best.matched_terms


def test_where_filter_restricts_evidence(cluster: PassageIndex) -> None:
    matches = match_owners(
        cluster, "snow clearing in Kirkenes", top_k=5, where={"kind": "capability"}
    )
    assert all(e.kind == "capability" for m in matches for e in m.evidence)
    assert all(m.owner != "arcticmove" or m.score < 0.5 for m in matches)


def test_score_all_owners_covers_everyone(cluster: PassageIndex) -> None:
    scores = score_owners(cluster, {"q1": "parking", "q2": "street lighting"})
    assert set(scores) == set(MEMBERS)
    assert max(scores, key=lambda o: scores[o]["q1"]) == "parkly"
    assert max(scores, key=lambda o: scores[o]["q2"]) == "brightstreet"


def test_lexical_search_reads_the_words_given_for_it(lexical_index: PassageIndex) -> None:
    # The benchmark's cross-validation scores every owner for needs whose full-text words
    # differ from the embedded text (an English need with its Finnish glossary terms).
    lexical_index.upsert(member_passages())
    signals, _ = owner_signals(
        lexical_index, {"q": "parking"}, lexical_queries={"q": "street lighting"}
    )
    assert max(signals, key=lambda o: signals[o]["q"].score) == "brightstreet"


def test_top_k_agrees_with_full_ranking(cluster: PassageIndex) -> None:
    query = "LED lights that save electricity"
    top = [m.owner for m in match_owners(cluster, query, top_k=2)]
    full = [m.owner for m in match_owners(cluster, query, top_k=None)]
    assert top == full[:2]


def test_long_query_is_not_truncated(cluster: PassageIndex) -> None:
    # The decisive words come after 300 words of filler; truncation would lose them.
    query = "We are a city. " * 150 + "We need acoustic leak detection in water mains."
    assert match_owners(cluster, query, top_k=1)[0].owner == "aquasense"


def test_empty_query_gives_no_matches(cluster: PassageIndex) -> None:
    assert match_owners(cluster, "   ", top_k=3) == []


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_ranks_the_obvious_case(cluster: PassageIndex, variant: str) -> None:
    matches = match_owners(cluster, "parking guidance sensors", config=VARIANTS[variant])
    assert matches[0].owner == "parkly"


PARAPHRASES = [
    ("Who can help us cut losses in our district heating system?", "heatwise"),
    ("We want to reuse the heat that servers give off", "heatwise"),
    ("Our pipes lose drinking water underground and we cannot find where", "aquasense"),
    ("Driverless public transport for a small town", "arcticmove"),
    ("Keeping sidewalks free of snow in the far north", "arcticmove"),
    ("Reduce the energy bill of the city's night-time illumination", "brightstreet"),
]


@pytest.mark.parametrize(("query", "owner"), PARAPHRASES)
def test_paraphrases_with_the_real_model(
    minilm_index: PassageIndex, query: str, owner: str
) -> None:
    minilm_index.upsert(member_passages())
    matches = match_owners(minilm_index, query, top_k=3)
    assert matches[0].owner == owner, [(m.owner, round(m.score, 3)) for m in matches]


def test_the_evidence_shown_is_a_sentence_of_the_text_not_its_title(
    fake_index: PassageIndex,
) -> None:
    # The title (here the member's name, as on a profile) is the sentence nearest to a query
    # that repeats it, but shown as the evidence it would tell the reader nothing.
    fake_index.upsert(
        [
            Passage(
                "loop/d",
                "loop",
                "description",
                "Loop Water Oy",
                "Compact greywater treatment for buildings. Units for remote camps.",
            )
        ]
    )
    found = match_owners(fake_index, "Loop Water Oy greywater", top_k=1)[0]
    assert found.owner == "loop"
    assert found.evidence[0].snippet != "Loop Water Oy"
    assert "greywater" in found.evidence[0].snippet or "camps" in found.evidence[0].snippet

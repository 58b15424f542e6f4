"""BM25 scores and matched terms, in English and Finnish."""

from __future__ import annotations

import numpy as np

from retrieval.lexical import LexicalIndex, stem, words

DOCS = [
    "Kaukolämpöverkon optimointi Espoossa",
    "District heating network optimisation and waste heat recovery",
    "Autonomous buses for Arctic winter",
    "Parking sensors and parking guidance",
]


def test_words_drop_punctuation_and_stopwords() -> None:
    assert words("The buses, in Kirkenes (Norway)!") == ["buses", "kirkenes", "norway"]


def test_prefix_stem_conflates_inflections() -> None:
    assert stem("kaukolämpöverkko") == stem("kaukolämpöverkon")
    assert stem("optimisation") == stem("optimising")
    assert stem("sensors") == stem("sensor")


def test_best_document_and_matched_terms() -> None:
    index = LexicalIndex(DOCS)
    result = index.search("Who can optimise a district heating network?")
    assert int(np.argmax(result.scores)) == 1
    assert set(result.matched_terms(1)) == {"optimise", "district", "heating", "network"}
    assert result.matched_terms(2) == []
    assert result.scores[2] == 0


def test_finnish_inflected_query_matches() -> None:
    index = LexicalIndex(DOCS)
    result = index.search("kaukolämpöverkko")
    assert int(np.argmax(result.scores)) == 0
    assert result.matched_terms(0) == ["kaukolämpöverkko"]


def test_repeated_query_term_weighs_more_but_sublinearly() -> None:
    index = LexicalIndex(DOCS)
    once = index.search("parking").scores[3]
    thrice = index.search("parking parking parking").scores[3]
    assert once < thrice < 3 * once


def test_empty_index_and_query() -> None:
    assert len(LexicalIndex([]).search("anything").scores) == 0
    assert not LexicalIndex(DOCS).search("").scores.any()

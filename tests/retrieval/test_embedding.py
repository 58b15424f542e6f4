"""The MiniLM embedder matches Chroma's stock function and degrades to lexical-only."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedding import Embedder, chroma_stock_embedder, load_embedder

TEXTS = [
    "hello world",
    "District heating network optimisation for the City of Espoo",
    "Kaukolämpöverkon optimointi ja hukkalämmön talteenotto",
    "Autonomous shuttle buses in Arctic winter conditions. " * 30,  # > 256 tokens: truncated
    "",
]


def test_vectors_equal_chromas_stock_function(minilm: Embedder, model_dir: Path) -> None:
    ours = minilm.embed(TEXTS)
    stock = np.array(chroma_stock_embedder(model_dir)(TEXTS))
    assert ours.shape == stock.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(ours, stock, atol=1e-4)


def test_reference_values_and_unit_norm(minilm: Embedder) -> None:
    vector = minilm.embed(["hello world"])[0]
    np.testing.assert_allclose(vector[:3], [-0.0345, 0.0310, 0.0067], atol=1e-3)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_order_of_texts_is_kept_despite_length_sorting(minilm: Embedder) -> None:
    texts = ["a much longer text about smart street lighting and sensors", "parking"]
    both = minilm.embed(texts)
    np.testing.assert_allclose(both[1], minilm.embed(["parking"])[0], atol=1e-5)


def test_is_a_chroma_embedding_function(minilm: Embedder) -> None:
    result = minilm(["hello world"])
    assert len(result) == 1 and len(result[0]) == 384


def test_missing_files_give_none_and_one_loud_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="retrieval.embedding"):
        assert load_embedder(tmp_path) is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "LEXICAL-ONLY" in warnings[0].getMessage()

"""Fixtures for retrieval tests: a deterministic fake embedder and fresh Chroma indexes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest

from retrieval.embedding import Embedder, Vectors
from retrieval.index import PassageIndex
from retrieval.lexical import terms


class FakeEmbedder(Embedder):
    """Bag-of-terms hashed into 64 dimensions: texts sharing words are similar, instantly.

    Deterministic and offline, so index and ranking tests run in milliseconds.
    """

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.key = f"fake-{dim}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                bucket = int(hashlib.md5(term.encode()).hexdigest()[:8], 16) % self.dim
                out[row, bucket] += 1.0
            out[row, 0] += 0.01  # never a zero vector
        return np.asarray(out / np.linalg.norm(out, axis=1, keepdims=True), dtype=np.float32)

    @staticmethod
    def name() -> str:
        return "scic_fake_test"

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> FakeEmbedder:
        return FakeEmbedder(int(config.get("dim", 64)))

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def chroma_client() -> Any:
    return chromadb.EphemeralClient()


def _fresh(client: Any, embedder: Embedder | None) -> Iterator[PassageIndex]:
    # EphemeralClients share storage within a process, so every test gets its own name.
    index = PassageIndex(client, embedder, name=f"t-{uuid.uuid4().hex[:10]}")
    yield index
    for name in (index.name, f"{index.name}-revision"):
        client.delete_collection(name)


@pytest.fixture
def fake_index(chroma_client: Any, fake_embedder: FakeEmbedder) -> Iterator[PassageIndex]:
    yield from _fresh(chroma_client, fake_embedder)


@pytest.fixture
def lexical_index(chroma_client: Any) -> Iterator[PassageIndex]:
    yield from _fresh(chroma_client, None)


@pytest.fixture(scope="session")
def minilm(model_dir: Path) -> Embedder:
    from retrieval.embedding import MiniLMEmbedder

    return MiniLMEmbedder(model_dir)


@pytest.fixture
def minilm_index(chroma_client: Any, minilm: Embedder) -> Iterator[PassageIndex]:
    yield from _fresh(chroma_client, minilm)

"""Fixtures for retrieval tests: the stand-in embedder and fresh Chroma indexes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import pytest

from retrieval.embedding import Embedder
from retrieval.index import PassageIndex
from standins.search import FakeEmbedder


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

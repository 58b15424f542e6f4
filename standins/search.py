"""A search index that needs no model files: hashed bag-of-words vectors in fresh collections.

Deterministic and offline, so tests of matching and the bot behind a port run in milliseconds.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Engine

from bot.services.matching import SolverSearch
from bot.services.renderings import glossary_renderings
from retrieval.embedding import Embedder, Vectors
from retrieval.fulltext import FullTextSearch
from retrieval.index import PassageIndex
from retrieval.lexical import terms
from retrieval.sync import Indexes
from storage.lexical import CHALLENGES, MEMBERS


class FakeEmbedder(Embedder):
    """Bag-of-terms hashed into 64 dimensions: texts sharing words are similar, instantly."""

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


def fresh_search(
    client: Any, embedder: Embedder | None, engine: Engine, *, lexical_renderings: bool = False
) -> SolverSearch:
    """A SolverSearch over new collections of ``client``, reading records from ``engine``
    (``lexical_renderings``: the renderings written to the store's full-text table too)."""
    # EphemeralClients share storage within a process: every search gets its own names.
    tag = uuid.uuid4().hex[:8]
    indexes = Indexes(
        members=PassageIndex(
            client,
            embedder,
            name=f"members-{tag}",
            fulltext=FullTextSearch(engine, MEMBERS, renderings=lexical_renderings),
            renderer=glossary_renderings,
        ),
        challenges=PassageIndex(
            client,
            embedder,
            name=f"challenges-{tag}",
            fulltext=FullTextSearch(engine, CHALLENGES, renderings=lexical_renderings),
            renderer=glossary_renderings,
        ),
    )
    return SolverSearch(indexes, engine)

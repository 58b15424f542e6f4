"""Lexical search in the store's full-text engine, as the matcher reads it.

The texts live in the store (`storage.lexical`, written in the same transaction as their
records), so every process and machine searches the same, never stale, index and none
rebuilds one in memory. Scores are standardised over the whole collection as the in-memory
BM25's were (z-scores, texts the query misses included), from sums the store returns.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Engine

from retrieval.lexical import stem, terms, words
from storage.db import session_scope
from storage.lexical import LexicalHit, count_texts, search_texts


@dataclass(frozen=True)
class FullTextResult:
    """One query's scores: standardised per text (by its key), and which words matched."""

    #: text key -> score (higher is better) of every text the query matched
    hits: dict[str, LexicalHit]
    mean: float
    spread: float
    #: query term -> the query's own words that produced it (for display)
    query_terms: dict[str, list[str]]

    def z(self, key: str) -> float:
        """The standardised score of the text ``key`` (0 when every text scores alike)."""
        if self.spread == 0:
            return 0.0
        hit = self.hits.get(key)
        return ((hit.score if hit else 0.0) - self.mean) / self.spread

    def best(self, n: int) -> list[LexicalHit]:
        return sorted(self.hits.values(), key=lambda h: (-h.score, h.key))[:n]

    def matched_terms(self, document: str) -> list[str]:
        """The query words found in ``document`` (as the user wrote them)."""
        present = set(terms(document))
        return [surface[0] for term, surface in self.query_terms.items() if term in present]


class FullTextSearch:
    """Full-text search over one collection ("members", "challenges") of the store."""

    def __init__(self, engine: Engine, collection: str) -> None:
        self.engine = engine
        self.collection = collection

    def search(self, query: str, owners: Collection[str] | None = None) -> FullTextResult:
        """Every text of the collection the query matches (only ``owners``' when given), with
        the statistics to standardise them over the whole collection."""
        query_words = words(query)
        query_terms: dict[str, list[str]] = defaultdict(list)
        for word in query_words:
            query_terms[stem(word)].append(word)
        with session_scope(self.engine) as session:
            found = search_texts(
                session=session,
                collection=self.collection,
                words=query_words,
                stems=list(query_terms),
            )
            records = count_texts(session=session, collection=self.collection)
        mean = sum(h.score for h in found) / records if records else 0.0
        variance = sum(h.score * h.score for h in found) / records - mean * mean if records else 0
        wanted = set(owners) if owners is not None else None
        return FullTextResult(
            hits={h.key: h for h in found if wanted is None or h.owner in wanted},
            mean=mean,
            spread=math.sqrt(max(variance, 0.0)),
            query_terms=dict(query_terms),
        )

"""Lexical search in the store's full-text engine, as the matcher reads it.

The texts live in the store (`storage.lexical`, written in the same transaction as their
records), so every process and machine searches the same, never stale, index and none
rebuilds one in memory. Scores are standardised over the whole collection as the in-memory
BM25's were (z-scores, texts the query misses included), from sums the store returns.

A passage's rendering in the other language (written by the index when it writes the
passage, `write_renderings`) is read as part of the text it renders: its score adds to the
text's, as the in-memory BM25 reads a passage and its rendering as one document.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Engine

from retrieval.lexical import stem, terms, words
from storage.db import session_scope
from storage.lexical import (
    LexicalHit,
    PassageRendering,
    count_texts,
    delete_renderings,
    is_rendering,
    rendered_key,
    rendering_language,
    search_texts,
    write_renderings,
)


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

    def only(self, owners: Collection[str]) -> FullTextResult:
        """The same result kept to ``owners``' texts: their scores standardised over the
        whole collection as before, so equal to searching again with ``owners``."""
        wanted = set(owners)
        return replace(self, hits={k: h for k, h in self.hits.items() if h.owner in wanted})

    def best(self, n: int) -> list[LexicalHit]:
        return sorted(self.hits.values(), key=lambda h: (-h.score, h.key))[:n]

    def matched_terms(self, document: str) -> list[str]:
        """The query words found in ``document`` (as the user wrote them)."""
        present = set(terms(document))
        return [surface[0] for term, surface in self.query_terms.items() if term in present]


class FullTextSearch:
    """Full-text search over one collection ("members", "challenges") of the store."""

    def __init__(self, engine: Engine, collection: str, *, renderings: bool = False) -> None:
        self.engine = engine
        self.collection = collection
        #: whether the index writes its renderings into the store's full-text table. Off by
        #: default, so not the bot's: it helped across languages but the rendering rows share
        #: the engine's corpus statistics with the records' own texts, and the expertise set's
        #: held-out loss rose (0.180 -> 0.184-0.189; README, Lexical search in the store)
        self.renderings = renderings

    def search(
        self,
        query: str,
        owners: Collection[str] | None = None,
        *,
        renderings: Collection[str] | None = None,
    ) -> FullTextResult:
        """Every text of the collection the query matches (only ``owners``' when given), with
        the statistics to standardise them over the whole collection. ``renderings``: the
        languages whose renderings of the records are read with them (None: both; () the
        records' own words only)."""
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
        found = _with_renderings(found, renderings)
        mean = sum(h.score for h in found) / records if records else 0.0
        variance = sum(h.score * h.score for h in found) / records - mean * mean if records else 0
        wanted = set(owners) if owners is not None else None
        return FullTextResult(
            hits={h.key: h for h in found if wanted is None or h.owner in wanted},
            mean=mean,
            spread=math.sqrt(max(variance, 0.0)),
            query_terms=dict(query_terms),
        )

    def write_renderings(self, renderings: Sequence[PassageRendering]) -> None:
        """Replace these passages' renderings in the store (the index calls it as it writes
        them)."""
        if not renderings or not self.renderings:
            return
        with session_scope(self.engine) as session:
            write_renderings(session=session, collection=self.collection, renderings=renderings)

    def delete_renderings(
        self, passage_ids: Collection[str] = (), owners: Collection[str] = ()
    ) -> None:
        """Remove the renderings of these passages and of all passages of these owners."""
        if not passage_ids and not owners:
            return
        with session_scope(self.engine) as session:
            delete_renderings(session=session, passage_ids=passage_ids, owners=owners)


def _record_key(key: str) -> str:
    # "member:1:reference:0#1~rendering" renders a chunk of the text "member:1:reference:0".
    head, sep, _ = rendered_key(key).rpartition("#")
    return head if sep else rendered_key(key)


def _with_renderings(
    found: Sequence[LexicalHit], languages: Collection[str] | None
) -> list[LexicalHit]:
    """The hits by text, each rendering's score (in one of ``languages``; None: any) added
    to the text it renders."""
    scores: dict[str, LexicalHit] = {}
    for hit in found:
        if is_rendering(hit.key) and not (
            languages is None or rendering_language(hit.key) in languages
        ):
            continue
        key = _record_key(hit.key) if is_rendering(hit.key) else hit.key
        known = scores.get(key)
        scores[key] = LexicalHit(key, hit.owner, hit.score + (known.score if known else 0.0))
    return sorted(scores.values(), key=lambda h: (-h.score, h.key))

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
from dataclasses import dataclass, field, replace
from functools import cached_property

from sqlalchemy import Engine

from retrieval.lexical import stem, terms, words
from storage.db import session_scope
from storage.lexical import (
    LexicalHit,
    PassageRendering,
    TextQuery,
    count_texts,
    delete_renderings,
    is_rendering,
    prepare_search,
    rendered_key,
    rendering_language,
    search_best,
    search_best_and_owned,
    search_owners,
    search_texts,
    write_renderings,
)

#: How many best texts a search reads at first: the matcher asks for ``4 * candidates``
#: (`retrieval.ranking`, 200 by default); more are read from the store when asked for.
BEST = 200


@dataclass(frozen=True)
class FullTextResult:
    """One query's scores: standardised per text (by its key), and which words matched.

    A search holds its best texts (`best`) and the statistics over every text it matched;
    the rest stay in the store until asked for (`hits`, `only`), so a question does not
    carry thousands of matches into Python to use two hundred of them."""

    mean: float
    spread: float
    #: query term -> the query's own words that produced it (for display)
    query_terms: dict[str, list[str]]
    #: the best texts the query matched, best first: every one when ``rest`` is None
    ranked: tuple[LexicalHit, ...]
    #: reads the query's other texts from the store (None: ``ranked`` holds them all)
    rest: _Rest | None = field(default=None, compare=False, repr=False)
    #: every text the query matched of the owners in ``covered``, best first, read with the
    #: best (`FullTextSearch.search`'s ``keep``), so `only` asks the store nothing for them
    owned: tuple[LexicalHit, ...] = field(default=(), compare=False, repr=False)
    covered: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @cached_property
    def hits(self) -> dict[str, LexicalHit]:
        """Text key -> score (higher is better) of every text the query matched."""
        found = self.ranked if self.rest is None else self.rest.best(None)
        return {h.key: h for h in found}

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
        if self.rest is None:
            kept = [h for h in self.ranked if h.owner in wanted]
        elif wanted <= self.covered:
            kept = [h for h in self.owned if h.owner in wanted]
        else:
            kept = self.rest.owners(wanted)
        return replace(self, ranked=tuple(kept), rest=None, owned=(), covered=frozenset())

    def best(self, n: int) -> list[LexicalHit]:
        if self.rest is None or n <= len(self.ranked):
            return list(self.ranked[:n])
        return self.rest.best(n)

    def matched_terms(self, document: str) -> list[str]:
        """The query words found in ``document`` (as the user wrote them)."""
        present = set(terms(document))
        return [surface[0] for term, surface in self.query_terms.items() if term in present]


@dataclass(frozen=True)
class _Rest:
    """A search's query, to read more of its texts from the store than it first did."""

    engine: Engine
    query: TextQuery
    #: how many texts the query matched (``best(None)`` reads them all)
    matched: int

    def best(self, n: int | None) -> list[LexicalHit]:
        with session_scope(self.engine) as session:
            found, _ = search_best(session=session, query=self.query, limit=n or self.matched)
        return found

    def owners(self, owners: Collection[str]) -> list[LexicalHit]:
        with session_scope(self.engine) as session:
            return search_owners(session=session, query=self.query, owners=owners)


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
        keep: Collection[str] = (),
    ) -> FullTextResult:
        """The texts of the collection the query matches (only ``owners``' when given), with
        the statistics to standardise them over the whole collection. ``renderings``: the
        languages whose renderings of the records are read with them (None: both; () the
        records' own words only). ``keep``: owners whose every match the result reads in the
        same statement as the best texts (with those of the best texts' owners), so that
        `FullTextResult.only` for them asks the store nothing more (the question's vector
        candidates, known before it searches the text).

        When the query matches no rendering (the bot's default writes none) the store
        scores, sums and ranks the matches and hands back the best (`BEST`); otherwise every
        match is read back and each rendering's score added to its text's in Python before
        the sums (a text's score is the sum of its rows', which the sums of squares need
        first)."""
        query_words = words(query)
        query_terms: dict[str, list[str]] = defaultdict(list)
        for word in query_words:
            query_terms[stem(word)].append(word)
        if not self.renderings:
            result = self._search_in_store(query_words, dict(query_terms), owners, keep)
            if result is not None:
                return result
        with session_scope(self.engine) as session:
            found = search_texts(
                session=session,
                collection=self.collection,
                words=query_words,
                stems=[stem(w) for w in query_words],
            )
            records = count_texts(session=session, collection=self.collection)
        found = _with_renderings(found, renderings)
        mean = sum(h.score for h in found) / records if records else 0.0
        variance = sum(h.score * h.score for h in found) / records - mean * mean if records else 0
        wanted = set(owners) if owners is not None else None
        return FullTextResult(
            mean=mean,
            spread=math.sqrt(max(variance, 0.0)),
            query_terms=dict(query_terms),
            ranked=tuple(h for h in found if wanted is None or h.owner in wanted),
        )

    def _search_in_store(
        self,
        query_words: Sequence[str],
        query_terms: dict[str, list[str]],
        owners: Collection[str] | None,
        keep: Collection[str],
    ) -> FullTextResult | None:
        """The result ranked and summed by the store; None when the query matched
        renderings, which are summed with their texts (left by a process that wrote them,
        or written by hand)."""
        with session_scope(self.engine) as session:
            query = prepare_search(
                session=session,
                collection=self.collection,
                words=query_words,
                stems=[stem(w) for w in query_words],
            )
            if query is None:
                return FullTextResult(mean=0.0, spread=0.0, query_terms=query_terms, ranked=())
            # One statement: the best texts, the sums over every match, and every match of
            # the owners the question will score (``owners``, or ``keep`` and the best
            # texts' owners).
            read = search_best_and_owned(
                session=session,
                query=query,
                limit=BEST,
                owners=set(owners) if owners is not None else keep,
            )
            if read.stats.renderings:
                return None
        stats, found = read.stats, read.best
        if owners is not None:
            wanted = set(owners)
            found = [h for h in read.owned if h.owner in wanted]
        records = stats.records
        mean = stats.total / records if records else 0.0
        variance = stats.squares / records - mean * mean if records else 0
        rest = None
        if owners is None and stats.matched > len(found):
            rest = _Rest(self.engine, query, stats.matched)
        return FullTextResult(
            mean=mean,
            spread=math.sqrt(max(variance, 0.0)),
            query_terms=query_terms,
            ranked=tuple(found),
            rest=rest,
            owned=tuple(read.owned) if rest is not None else (),
            covered=read.covered if rest is not None else frozenset(),
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

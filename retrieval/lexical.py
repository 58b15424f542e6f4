"""BM25 over passages, with tokenisation that copes with Finnish and English.

Lexical matching catches what the embedding model misses: names, acronyms, product and
place names, Finnish words (all-MiniLM-L6-v2 is English-only). It also says *which* words
matched, which the bot shows as evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)

# Only the commonest function words: BM25's idf already discounts the rest, and a long list
# would drop words that matter in a query ("no", "over" in "no-dig", "overpass").
_STOPWORDS_TEXT = """
    a an and are as at be been but by can could did do does for from had has have how i
    if in into is it its it's may might more most of on or our so such than that the
    their them then there these they this those to too was we were what when where which
    while who whom why will with would you your also been being both each other only
    same some very via
    ja on ei se tai kuin että mutta myös sekä ovat oli ole olla joka jotka mikä mitä kun
    jos niin nyt vain voi sen sitä siinä tämä nämä ne he me te hän minä sinä ja/tai eli
    kanssa
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

# Prefix stemming: keep the first PREFIX letters of a word. Crude, but it conflates the
# inflected and derived forms of both languages without a dictionary ("kaukolämpöverkon" /
# "kaukolämpöverkko", "optimisation" / "optimising" / "optimised") at the cost of merging a
# few unrelated long words. Words shorter than this are kept whole.
PREFIX = 7


def words(text: str) -> list[str]:
    """Lower-cased words of ``text`` without punctuation and stop words."""
    return [w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


def stem(word: str, prefix: int = PREFIX) -> str:
    """The index term for ``word``: a light English plural strip, then the prefix cut."""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word[:prefix] if prefix > 0 else word


def terms(text: str, prefix: int = PREFIX) -> list[str]:
    """Index terms of ``text`` in order (with repeats)."""
    return [stem(w, prefix) for w in words(text)]


@dataclass(frozen=True)
class LexicalResult:
    """BM25 scores of one query against every passage, and which query words matched."""

    scores: npt.NDArray[np.float32]
    #: query term -> the query's own words that produced it (for display)
    query_terms: dict[str, list[str]]
    #: query term -> sorted passage indices that contain it
    _postings: dict[str, npt.NDArray[np.int64]]

    def matched_terms(self, doc: int) -> list[str]:
        """The query words found in passage ``doc`` (as the user wrote them)."""
        found: list[str] = []
        for term, postings in self._postings.items():
            i = int(np.searchsorted(postings, doc))
            if i < len(postings) and postings[i] == doc:
                found.extend(self.query_terms[term][:1])
        return found


class LexicalIndex:
    """An in-memory BM25 (Okapi, k1/b) index of a fixed list of documents.

    Postings hold precomputed per-document term weights, so a query costs one
    vector add per query term; rebuilding for 100k passages takes a few seconds.
    """

    def __init__(
        self,
        documents: Sequence[str],
        k1: float = 1.2,
        b: float = 0.75,
        prefix: int = PREFIX,
    ) -> None:
        self.size = len(documents)
        self.prefix = prefix
        doc_lens = np.zeros(self.size, dtype=np.float32)
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc, text in enumerate(documents):
            counts = Counter(terms(text, prefix))
            doc_lens[doc] = sum(counts.values())
            for term, count in counts.items():
                postings[term].append((doc, count))
        avg_len = float(doc_lens.mean()) if self.size and doc_lens.mean() > 0 else 1.0
        self._docs: dict[str, npt.NDArray[np.int64]] = {}
        self._weights: dict[str, npt.NDArray[np.float32]] = {}
        for term, rows in postings.items():
            docs = np.fromiter((d for d, _ in rows), dtype=np.int64, count=len(rows))
            freq = np.fromiter((t for _, t in rows), dtype=np.float32, count=len(rows))
            # Lucene's non-negative idf: a term in most passages still counts a little.
            idf = math.log(1.0 + (self.size - len(rows) + 0.5) / (len(rows) + 0.5))
            norm = k1 * (1.0 - b + b * doc_lens[docs] / avg_len)
            self._docs[term] = docs
            weights = idf * freq * (k1 + 1.0) / (freq + norm)
            self._weights[term] = weights.astype(np.float32)

    def __len__(self) -> int:
        return self.size

    def search(self, query: str) -> LexicalResult:
        """Score every document for ``query``.

        A query word repeated (a long challenge text naming its topic often) weighs
        1 + ln(count): more than once, far less than linearly.
        """
        scores = np.zeros(self.size, dtype=np.float32)
        query_terms: dict[str, list[str]] = defaultdict(list)
        for word in words(query):
            query_terms[stem(word, self.prefix)].append(word)
        postings: dict[str, npt.NDArray[np.int64]] = {}
        for term, surface in query_terms.items():
            docs = self._docs.get(term)
            if docs is None:
                continue
            scores[docs] += self._weights[term] * (1.0 + math.log(len(surface)))
            postings[term] = docs
        return LexicalResult(scores, dict(query_terms), postings)

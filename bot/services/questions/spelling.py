"""Misspelt words put right against the records' own words and the words people ask with:
"who can hepl with leak detection" reads "who can help with leak detection".

A word is corrected only when neither the records nor everyday English or Finnish use it
(wordfreq's frequencies), or when it is a rare word next to a word the records use ("leek"
by "leak"); never when it is a Finnish inflection or compound of a known word (Finnish piles
endings onto stems, so an unknown long word is usually a form of a known one). The nearest
known word within one edit (two for long words) wins, the records' words before everyday
English ones ("flodding" is "flooding", though the records only say "flood"), the commonest on a
tie. Capitalised words are names and left alone. A real word of either language (an English
one in simplemma's lemma lists or symspellpy's spelling dictionary, which list words, not the
misspellings the web is full of; a Finnish one that wordfreq counts in Finnish more than in
English) is put right only where the records use the correction beside the word it stands next
to ("leek detection" is "leak detection", as the records say it; "a funder for the pilot" and
"tourism in the fells" stay, though the records say "under" and "wells"); a common misspelling
("mesure", "recieve") needs no such company.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files
from itertools import pairwise

import numpy as np
import simplemma
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.services.language import ASKING_WORDS
from bot.services.word_frequencies import top_n_list, zipf_frequency

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Words people ask with that the records rarely contain.
ASKING_VOCABULARY = frozenset(
    [
        "help",
        "challenge",
        "challenges",
        "deadline",
        "deadlines",
        "team",
        "teams",
        "consortium",
        "partner",
        "partners",
        "member",
        "members",
        "company",
        "companies",
        "organisation",
        "organization",
        "organisations",
        "fit",
        "fits",
        "suitable",
        "open",
        "closed",
        "closing",
        "close",
        "won",
        "lost",
        "submitted",
        "status",
        "budget",
        "month",
        "week",
        "today",
        "tomorrow",
        "please",
        "thanks",
        "thank",
        "hello",
        "morning",
        "evening",
        "contact",
        "person",
        "people",
        "expert",
        "experts",
        "recommend",
        "suggest",
        "about",
        "what",
        "which",
        "where",
        "when",
        "who",
        "whom",
        "whose",
        "could",
        "would",
        "should",
        # contractions typed without the apostrophe
        "whos",
        "whats",
        "wheres",
        "whens",
        "hows",
        "thats",
        "theres",
        "dont",
        "doesnt",
        "cant",
        "wont",
        "isnt",
        "arent",
        "question",
        "answer",
        "weather",
        "printer",
        "laptop",
        "lunch",
        "haaste",
        "haasteet",
        "haasteita",
        "haasteesta",
        "tiimi",
        "konsortio",
        "kumppani",
        "kumppanit",
        "jäsen",
        "jäsenet",
        "yritys",
        "yritykset",
        "sopii",
        "sopisi",
        "auki",
        "kiitos",
        "kiitti",
        "huomenta",
        "apua",
        "määräaika",
        "takaraja",
    ]
)
# The words a question is framed with: on a tie they beat the records' words, or "who coud
# help" would read "who cloud help" in a cluster whose records talk about the cloud.
FRAME_WORDS = frozenset(["could", "would", "should", "help"])
PREFIX = 6
# wordfreq's Zipf scale: 3.5 is a word most people know; below 2 it is hardly a word at all.
EVERYDAY = 3.5
RARE = 1.5
# From this length a misspelling wordfreq counts may be two edits from its word.
LONG_MISSPELLING = 10
# Above 6 only the words that glue sentences together ("for" 7.1, "with" 6.9, "että" 6.3).
FUNCTION_WORD = 6.0
# Everyday English words a misspelling may be meant as, though the records never use them.
EVERYDAY_WORDS = 30_000


@cache
def english_dictionary() -> frozenset[str]:
    """The words of symspellpy's English frequency dictionary (82,765 words from SCOWL and
    Google Books): a word in it is a word however rare, one outside it that wordfreq still
    counts is most likely a common misspelling."""
    text = (files("symspellpy") / "frequency_dictionary_en_82_765.txt").read_text("utf-8")
    return frozenset(line.partition(" ")[0] for line in text.splitlines())


@cache
def real_word(word: str) -> bool:
    """Whether ``word`` (lower case) is a word of English or Finnish in its own right, however
    rare, rather than a misspelling of one: "funder" and "leek" are, "recieve" is not.

    simplemma knows inflected English forms ("funders", "upskilling") that the spelling
    dictionary lacks. Its Finnish lists would take half a gigabyte of memory, so a Finnish word
    is one that wordfreq counts in Finnish at least as often as in English ("tiimiä", "vuodon";
    not "goverment", which Finnish pages borrow from English ones)."""
    if word in english_dictionary() or simplemma.is_known(word, lang="en"):
        return True
    finnish = zipf_frequency(word, "fi")
    return finnish >= RARE and finnish >= zipf_frequency(word, "en")


@cache
def _everyday_english() -> tuple[str, ...]:
    return tuple(w for w in top_n_list("en", EVERYDAY_WORDS) if w.isalpha() and len(w) >= 4)


def _content_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning, lower-cased: not the short ones, nor the
    commonest ("for", "the", "with", "että"), which stand beside anything."""
    return [w for w in _WORD.findall(text.lower()) if len(w) >= 3 and not _function_word(w)]


@cache
def _function_word(word: str) -> bool:
    return max(zipf_frequency(word, "en"), zipf_frequency(word, "fi")) >= FUNCTION_WORD


_PAIRS_AT_ONCE = 200_000


def _pair_key(first: str, second: str) -> int:
    return hash((first, second)) & 0xFFFF_FFFF_FFFF_FFFF


class WordPairs:
    """Which words the records use side by side (words under three letters skipped), in
    either order. Kept as sorted 64-bit hashes, 8 bytes a pair, so a large cluster's records
    fit; a rare hash collision only lets one correction through."""

    def __init__(self, texts: Iterable[str]) -> None:
        self._keys = np.zeros(0, dtype=np.uint64)
        keys: list[int] = []
        for text in texts:
            for a, b in pairwise(_content_words(text)):
                keys += (_pair_key(a, b), _pair_key(b, a))
            if len(keys) > _PAIRS_AT_ONCE:  # a few MB of Python ints at a time, not GBs
                self._add(keys)
                keys = []
        self._add(keys)

    def _add(self, keys: list[int]) -> None:
        self._keys = np.unique(np.concatenate([self._keys, np.array(keys, dtype=np.uint64)]))

    def __contains__(self, pair: tuple[str, str]) -> bool:
        key = np.uint64(_pair_key(*pair))
        at = int(np.searchsorted(self._keys, key))
        return at < len(self._keys) and self._keys[at] == key

    def __len__(self) -> int:
        return len(self._keys)


class Speller:
    """Corrects misspelt words towards ``words`` (each with how often the records use it);
    ``pairs``, the words the records use side by side, decide whether a real but rare word
    is a misspelling (without them, any record word near it will do)."""

    def __init__(self, words: Mapping[str, int], pairs: WordPairs | None = None) -> None:
        self.words = words
        self.pairs = pairs
        self._pool = (*words, *ASKING_VOCABULARY)
        self._prefixes = frozenset(w[:PREFIX] for w in words if len(w) >= PREFIX)

    def _known(self, word: str) -> bool:
        return word in self.words or word in ASKING_VOCABULARY or word in ASKING_WORDS

    def _used_beside(self, word: str, neighbours: list[str] | None) -> bool:
        """Whether the records use ``word`` beside one of ``neighbours`` (None: any will do)."""
        if neighbours is None or self.pairs is None:
            return True
        return any((word, n) in self.pairs for n in neighbours)

    @staticmethod
    def _everyday(word: str, at_least: float) -> bool:
        return max(zipf_frequency(word, "en"), zipf_frequency(word, "fi")) >= at_least

    def _misspelt_in_english(self, word: str, real: bool, english: bool) -> bool:
        """Whether ``word``, which begins as a known word does, is a misspelling rather than an
        inflection or compound of it: no word of either language, not a known word with an
        ending ("microgrids"), and either one English pages misspell ("maintainance") or, in
        an English question, a typo nobody writes ("infrastucture")."""
        if real or zipf_frequency(word, "fi") >= RARE:
            return False
        if any(word[:end] in self.words for end in range(PREFIX, len(word))):
            return False
        return english or zipf_frequency(word, "en") >= RARE

    def correct(self, text: str, language: str = "en") -> str:
        """``text`` with its unknown words spelt as the nearest known word, where one is near.

        Everyday words are candidates only in English: an unknown Finnish word is far more
        often an inflection than a typo."""
        if not self.words:
            return text
        english = language == "en"
        return _WORD.sub(lambda match: self._fix(match, english=english), text)

    def _fix(self, match: re.Match[str], *, english: bool) -> str:
        token = match.group(0)
        word = token.lower()
        if len(word) < 4 or token[:1].isupper() or self._known(word):
            return token
        real = real_word(word)
        if (
            len(word) > PREFIX
            and word[:PREFIX] in self._prefixes
            and not self._misspelt_in_english(word, real, english)
        ):
            return token  # an inflected or compound form of a known word
        if self._everyday(word, EVERYDAY):
            return token
        rare = real or self._everyday(word, RARE)
        # A long misspelling English pages carry ("maintainance") may be two edits from its
        # word, as a long typo may; a real word, one.
        limit = 1 if len(word) <= 6 or (rare and len(word) < LONG_MISSPELLING) or real else 2
        found = process.extract(
            word, self._pool, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=8
        )
        if real:
            # A real word ("leek", "funder") gives way only to a word the records use often and
            # beside the same neighbour ("leak detection"): never to a commoner word that merely
            # looks like it ("under"), nor to a word people ask with ("hemp" is not "help").
            near = _neighbours(match)
            found = [
                f for f in found if self.words.get(f[0], 0) >= 2 and self._used_beside(f[0], near)
            ]
        elif rare:
            # A misspelling common enough for wordfreq to count ("recieve") gives way to a word
            # the records use often, or to a word people ask with.
            found = [f for f in found if f[0] in ASKING_VOCABULARY or self.words.get(f[0], 0) >= 2]
        elif english:
            found += process.extract(
                word,
                _everyday_english(),
                scorer=DamerauLevenshtein.distance,
                score_cutoff=limit,
                limit=4,
            )
        if not found:
            return token
        best = min(
            found,
            key=lambda f: (
                f[1],
                f[0] not in FRAME_WORDS,
                f[0] not in self.words and f[0] not in ASKING_VOCABULARY,
                -self.words.get(f[0], 0),
                -zipf_frequency(f[0], "en"),
            ),
        )
        return str(best[0])


def _neighbours(match: re.Match[str]) -> list[str]:
    """The words of three letters or more just before and after ``match`` in its text."""
    before = _content_words(match.string[: match.start()])[-1:]
    after = _content_words(match.string[match.end() :])[:1]
    return before + after

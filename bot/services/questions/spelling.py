"""Misspelt words put right against the records' own words and the words people ask with:
"who can hepl with leek detection" reads "who can help with leak detection".

A word is corrected only when neither the records nor everyday English or Finnish use it
(wordfreq's frequencies), or when it is a rare word next to a word the records use ("leek"
by "leak"); never when it is a Finnish inflection or compound of a known word (Finnish piles
endings onto stems, so an unknown long word is usually a form of a known one). The nearest
known word within one edit (two for long words) wins, the records' words before everyday
English ones ("flodding" is "flooding", though the records only say "flood"), the commonest on a
tie. Capitalised words are names and left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from wordfreq import top_n_list, zipf_frequency

from bot.services.language import ASKING_WORDS

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
# Everyday English words a misspelling may be meant as, though the records never use them.
EVERYDAY_WORDS = 30_000


@cache
def _everyday_english() -> tuple[str, ...]:
    return tuple(w for w in top_n_list("en", EVERYDAY_WORDS) if w.isalpha() and len(w) >= 4)


class Speller:
    """Corrects misspelt words towards ``words`` (each with how often the records use it)."""

    def __init__(self, words: Mapping[str, int]) -> None:
        self.words = words
        self._pool = (*words, *ASKING_VOCABULARY)
        self._prefixes = frozenset(w[:PREFIX] for w in words if len(w) >= PREFIX)

    def _known(self, word: str) -> bool:
        return word in self.words or word in ASKING_VOCABULARY or word in ASKING_WORDS

    @staticmethod
    def _everyday(word: str, at_least: float) -> bool:
        return max(zipf_frequency(word, "en"), zipf_frequency(word, "fi")) >= at_least

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
        if len(word) > PREFIX and word[:PREFIX] in self._prefixes:
            return token  # an inflected or compound form of a known word
        if self._everyday(word, EVERYDAY):
            return token
        rare = self._everyday(word, RARE)
        limit = 1 if len(word) <= 6 or rare else 2
        found = process.extract(
            word, self._pool, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=8
        )
        if rare:
            # A real but rare word ("leek") only gives way to one the records use often.
            found = [f for f in found if self.words.get(f[0], 0) >= 2 or f[0] in ASKING_VOCABULARY]
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

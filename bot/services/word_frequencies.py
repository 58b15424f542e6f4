"""How common a word is in English or Finnish: the same numbers as wordfreq's
``zipf_frequency`` and ``top_n_list`` (its 'best' lists), in ~8 MB a process instead of the
~120 MB of Python dicts and lists wordfreq keeps.

Each language's list is a MARISA trie (a word's id) beside two arrays (each id's frequency
bucket; the ids in wordfreq's order), written once per machine from wordfreq's own data into
a cache folder and mapped from there, so processes share the pages and start in milliseconds.
Words are still normalised by wordfreq's tokenizer and digit handling, so a word gets exactly
wordfreq's answer.
"""

from __future__ import annotations

import gc
import logging
import math
import mmap
import os
import subprocess
import sys
import tempfile
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import marisa_trie

from retrieval.memory import release_freed_heap

log = logging.getLogger(__name__)

#: The languages the product asks about; wordfreq's 'best' list of each is its 'large' one.
LANGUAGES = ("en", "fi")
# Raised when the files' layout changes, so an old cache is not read as the new one.
_LAYOUT = 1


def cache_folder() -> Path:
    """Where the lists are kept: per user, per wordfreq release (its data changes with it)."""
    try:
        home = Path.home() / ".cache"
    except RuntimeError:  # no home directory (a bare container user)
        home = Path(tempfile.gettempdir())
    return home / "scic-bot" / f"word-frequencies-{_LAYOUT}-{version('wordfreq')}"


@dataclass(frozen=True)
class FrequencyList:
    """One language's words and their frequency buckets: wordfreq's list without its dict."""

    words: marisa_trie.Trie
    # Per trie id, the word's bucket: how many centibels its frequency is below 1 (cBpack's).
    buckets: Sequence[int]
    # Trie ids in wordfreq's order: commonest first, alphabetical within a bucket.
    commonest_first: Sequence[int]

    def bucket(self, word: str) -> int | None:
        """The frequency bucket of ``word`` as it stands in the list; None when not in it."""
        try:
            word_id: int = self.words[word]
        except KeyError:
            return None
        return self.buckets[word_id]


def build_list(language: str) -> FrequencyList:
    """``language``'s list read from wordfreq's data file. Building the trie leaves tens of MB
    of freed heap that the process does not give back, so a serving process leaves this to a
    child (`write_lists`) and maps the result."""
    import wordfreq

    # wordfreq's own reader, not its lru-cached get_frequency_list, which would keep the lists.
    pack = wordfreq.read_cBpack(wordfreq.available_languages("best")[language])
    words = marisa_trie.Trie(word for bucket in pack for word in bucket)
    buckets = array("H", bytes(2 * len(words)))
    commonest_first = array("I")
    for index, bucket in enumerate(pack):
        for word in bucket:
            word_id = words[word]
            buckets[word_id] = index
            commonest_first.append(word_id)
    return FrequencyList(words, buckets, commonest_first)


def _paths(folder: Path, language: str) -> tuple[Path, Path, Path]:
    return (
        folder / f"{language}.marisa",
        folder / f"{language}.buckets",
        folder / f"{language}.order",
    )


def _write_whole(path: Path, data: bytes) -> None:
    # Another process may be reading or writing the same file: it sees the old file or the
    # new one, never half of one.
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
        file.write(data)
    os.replace(file.name, path)


def write_lists(folder: Path) -> None:
    """Build every language's list into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        built = build_list(language)
        trie, buckets, order = _paths(folder, language)
        _write_whole(trie, built.words.tobytes())
        _write_whole(buckets, array("H", built.buckets).tobytes())
        _write_whole(order, array("I", built.commonest_first).tobytes())


def _mapped(path: Path, kind: Literal["H", "I"]) -> memoryview[int]:
    with path.open("rb") as file:
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(mapped).cast(kind)


def open_list(folder: Path, language: str) -> FrequencyList | None:
    """``language``'s list as written into ``folder``; None when missing or incomplete."""
    trie, buckets, order = _paths(folder, language)
    try:
        words = marisa_trie.Trie()
        words.mmap(str(trie))
        found = FrequencyList(words, _mapped(buckets, "H"), _mapped(order, "I"))
    except (OSError, ValueError, TypeError, RuntimeError):
        return None
    if not len(words) == len(found.buckets) == len(found.commonest_first) > 0:
        return None
    return found


_lists: dict[str, FrequencyList] = {}
_reading = threading.Lock()


def _load(language: str) -> FrequencyList:
    folder = cache_folder()
    found = open_list(folder, language)
    if found is not None:
        return found
    try:
        subprocess.run(
            [sys.executable, "-m", "bot.services.word_frequencies", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as error:
        log.warning("writing the word frequency lists into %s failed: %s", folder, error.stderr)
    except OSError:
        log.exception("writing the word frequency lists into %s failed", folder)
    found = open_list(folder, language)
    if found is not None:
        return found
    # No cache to be had (a read-only home): the same answers, built here, and the ~70 MB of
    # heap the build freed handed back to the system rather than kept for the process's life.
    built = build_list(language)
    gc.collect()  # the build's leftovers include cycles that hold most of it
    release_freed_heap()
    return built


def frequency_list(language: str) -> FrequencyList:
    """``language``'s list, opened at first use; the warm-up thread and a question may both
    ask at once."""
    found = _lists.get(language)
    if found is not None:
        return found
    if language not in LANGUAGES:
        raise LookupError(f"no word frequencies kept for {language!r}")
    with _reading:
        if language not in _lists:
            _lists[language] = _load(language)
        return _lists[language]


# The frequency wordfreq gives a word it does not count: Zipf 0 (once per billion words),
# wordfreq.zipf_to_freq(0.0). wordfreq itself is imported on the first word asked about: most
# commands never ask, and it costs a process a quarter of a second.
_MINIMUM = 1e-9


@lru_cache(maxsize=8192)
def zipf_frequency(word: str, language: str) -> float:
    """``wordfreq.zipf_frequency(word, language)``: how often ``word`` is used, as log10 of
    its uses per billion words (3.5 a word most people know; 0 for one wordfreq lacks).

    The last few thousand answers are kept: the speller asks about the same candidates again
    and again."""
    import wordfreq
    from wordfreq.numbers import digit_freq, smash_numbers
    from wordfreq.tokens import lossy_tokenize

    table = frequency_list(language)
    # wordfreq's _word_frequency step by step with the trie for its dict, so the rounding and
    # the combining of several tokens ("e-mail", "covid-19") come out the same.
    tokens = lossy_tokenize(word, language)
    if not tokens:
        return round(wordfreq.freq_to_zipf(_MINIMUM), 2)
    one_over_result = 0.0
    for token in tokens:
        smashed = smash_numbers(token)
        bucket = table.bucket(smashed)
        if bucket is None:
            return round(wordfreq.freq_to_zipf(_MINIMUM), 2)
        freq = wordfreq.cB_to_freq(-bucket)
        if smashed != token:
            freq *= digit_freq(token)
        one_over_result += 1.0 / freq
    unrounded = max(1.0 / one_over_result, _MINIMUM)
    # wordfreq keeps three significant digits of a frequency before turning it into Zipf.
    leading_zeroes = math.floor(-math.log(unrounded, 10))
    return round(wordfreq.freq_to_zipf(round(unrounded, leading_zeroes + 3)), 2)


def top_n_list(language: str, n: int) -> list[str]:
    """``wordfreq.top_n_list(language, n)``: the ``n`` commonest words, commonest first,
    without the numbers wordfreq estimates rather than lists."""
    from wordfreq.numbers import has_digit_sequence

    table = frequency_list(language)
    found: list[str] = []
    for word_id in table.commonest_first:
        word = table.words.restore_key(word_id)
        if not has_digit_sequence(word):
            found.append(word)
            if len(found) >= n:
                break
    return found


if __name__ == "__main__":  # the child `_load` starts when the cache lacks the lists
    write_lists(Path(sys.argv[1]))

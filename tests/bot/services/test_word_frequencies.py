"""The compact word frequency lists answer exactly as wordfreq does, are written once into
their cache folder and written again when a file is missing or damaged, and leave none of
wordfreq's lists in the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import wordfreq

from bot.services import word_frequencies
from bot.services.word_frequencies import (
    LANGUAGES,
    open_list,
    top_n_list,
    zipf_frequency,
)

# Shapes of words people type that wordfreq normalises before looking them up: case, curly
# apostrophes, hyphens and several tokens, digits (smashed to zeros and given Benford's
# frequencies), ligatures and combining accents, Finnish letters, markup, nothing at all.
ODD_WORDS = [
    "Hello", "HELLO", "e-mail", "E-Mail", "state-of-the-art", "don't", "don’t", "rock'n'roll",
    "2019", "1985", "3.14", "abc123", "covid-19", "x", "", "  ", "!!!", "Äiti", "ÄITI", "äiti",
    "Öljy", "tiimiä", "Kaukolämpöverkon", "hukkalämmön", "jäsen-yritys", "ﬁnd", "straße",
    "naïve", "cafe\u0301", "İstanbul", "can't stop", "hello world", "zzqxj", "recieve",
    "goverment", "123456", "0.5", "A4", "a" * 60, "\u00a0", "😀", "l'eau", "<b>", "www.x.fi",
]  # fmt: skip


def test_zipf_frequency_is_wordfreqs_for_the_common_words_and_odd_ones() -> None:
    asked: list[tuple[str, str]] = []
    for language in LANGUAGES:
        other = "fi" if language == "en" else "en"
        common = wordfreq.top_n_list(language, 70_000)
        asked += [(word, language) for word in common]
        asked += [(word, other) for word in common[::10]]
        asked += [(word.upper(), language) for word in common[::10]]
        asked += [(word.capitalize(), language) for word in common[5::10]]
        asked += [(word + "ssa", language) for word in common[3::10]]
        asked += [(word, language) for word in ODD_WORDS]
    differing = [
        (word, language, zipf_frequency(word, language), wordfreq.zipf_frequency(word, language))
        for word, language in asked
        if zipf_frequency(word, language) != wordfreq.zipf_frequency(word, language)
    ]
    assert differing == []
    # The sample holds words of every kind: common, rare, unknown and of several tokens.
    answers = {zipf_frequency(word, language) for word, language in asked}
    assert 0.0 in answers and max(answers) > 7 and len(answers) > 500


@pytest.mark.parametrize("language", LANGUAGES)
def test_top_n_list_is_wordfreqs(language: str) -> None:
    for n in (0, 1, 500, 30_000, 70_000):
        assert top_n_list(language, n) == wordfreq.top_n_list(language, n)


def test_only_the_kept_languages_are_answered() -> None:
    with pytest.raises(LookupError):
        zipf_frequency("hund", "sv")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder, and a process that has opened no list yet."""
    folder = tmp_path / "cache"
    monkeypatch.setattr(word_frequencies, "cache_folder", lambda: folder)
    monkeypatch.setattr(word_frequencies, "_lists", {})
    return folder


def _right(language: str) -> None:
    # Past the cache of answers, which holds what the other tests asked.
    for word in ("the", "kaupunki", "lämpö", "heating", "e-mail", "zzqxj"):
        expected = wordfreq.zipf_frequency(word, language)
        assert zipf_frequency.__wrapped__(word, language) == expected


def test_lists_are_written_once_and_again_when_a_file_is_missing_or_damaged(
    cache: Path,
) -> None:
    _right("fi")
    files = sorted(cache.iterdir())
    assert [f.name for f in files] == [
        f"{language}.{kind}" for language in LANGUAGES for kind in ("buckets", "marisa", "order")
    ]
    written = {f.name: f.stat().st_mtime_ns for f in files}

    # Another process opens what the first wrote.
    word_frequencies._lists.clear()
    _right("en")
    _right("fi")
    assert {f.name: f.stat().st_mtime_ns for f in cache.iterdir()} == written

    (cache / "fi.order").unlink()
    (cache / "en.buckets").write_bytes(b"\0" * 7)
    assert open_list(cache, "fi") is None and open_list(cache, "en") is None
    word_frequencies._lists.clear()
    _right("fi")
    _right("en")
    assert (cache / "fi.order").exists()
    assert open_list(cache, "en") is not None


def test_an_unwritable_cache_still_gives_wordfreqs_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(word_frequencies, "cache_folder", lambda: blocked / "cache")
    monkeypatch.setattr(word_frequencies, "_lists", {})
    _right("en")
    assert top_n_list("en", 100) == wordfreq.top_n_list("en", 100)


UNWRITABLE = """
import json
from pathlib import Path
from bot.services.word_frequencies import cache_folder, zipf_frequency

def rss_mb():
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024

assert not cache_folder().exists()
before = rss_mb()
answers = [zipf_frequency("heating", "en"), zipf_frequency("kaupunki", "fi")]
print(json.dumps({"answers": answers, "grown_mb": rss_mb() - before}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's heap, /proc")
def test_lists_built_in_the_process_give_back_what_building_freed(tmp_path: Path) -> None:
    # A home that cannot hold the cache (a file where the folder would be): the process
    # builds the lists itself. Building the tries frees ~70 MB of heap that glibc would keep.
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True)
    (home / ".cache" / "scic-bot").write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-c", UNWRITABLE],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
    )
    probe = json.loads(done.stdout)
    assert probe["answers"] == [
        wordfreq.zipf_frequency("heating", "en"),
        wordfreq.zipf_frequency("kaupunki", "fi"),
    ]
    assert probe["grown_mb"] < 30


PROBE = """
import json, tracemalloc
tracemalloc.start()
import wordfreq
from bot.services.word_frequencies import top_n_list, zipf_frequency
answers = [zipf_frequency("heating", "en"), zipf_frequency("kaupunki", "fi")]
top = top_n_list("en", 30_000)
print(json.dumps({
    "answers": answers,
    "top": len(top),
    "python_mb": tracemalloc.get_traced_memory()[0] / 2**20,
    "wordfreq_lists": wordfreq.get_frequency_dict.cache_info().currsize
    + wordfreq.get_frequency_list.cache_info().currsize,
}))
"""


def test_a_process_keeps_none_of_wordfreqs_lists() -> None:
    # A fresh process: this one holds wordfreq's lists for the comparisons above. wordfreq's
    # own lists would be ~120 MB of Python objects; what is kept now is in the mapped files.
    done = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True)
    probe = json.loads(done.stdout)
    assert probe["answers"] == [
        wordfreq.zipf_frequency("heating", "en"),
        wordfreq.zipf_frequency("kaupunki", "fi"),
    ]
    assert probe["top"] == 30_000
    assert probe["wordfreq_lists"] == 0
    assert probe["python_mb"] < 40

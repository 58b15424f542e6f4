"""Word frequency lists: memory and time of wordfreq's own lists against the compact ones
(`bot.services.word_frequencies`) that the product uses, each in a fresh process.

Each way is run in turns in child processes that import the question path, then ask what
the product asks first: the first English and Finnish lookups and the speller's everyday
English words (the lists alone: ``lists_mb``, ``lists_s``), then the rest of the warm-up
(`SolverSearch._load_understanding`'s two needs through `search_text`, a first `real_word`,
which also load the glossary, simplemma's and symspellpy's English lists: ``warm_up_mb``,
``warm_up_s``, lists included). Then it builds a speller over 2,000 synthetic members' texts
(as `load_vocabulary` does) and corrects 60 questions with typos twice (``first_ms``,
``again_ms`` a question), and looks up words not asked before in both languages
(``lookup_us`` a lookup). The wordfreq way is the product with wordfreq's functions put back
in place of the compact ones. Memory is RSS growth. It prints the median of the runs per way,
the compact way's ratios to wordfreq's, whether both ways corrected every question alike, and
the time to write the compact lists the first time on a machine (`write_lists` in a child).

    python -m bench.vocabulary_memory [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

WAYS = ("wordfreq", "compact")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _with_typo(question: str, rng: random.Random) -> str:
    """``question`` with two letters of its longest word swapped ("heating" -> "haeting")."""
    word = max(question.split(), key=len)
    if len(word) < 5:
        return question
    at = rng.randrange(1, len(word) - 2)
    typo = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return question.replace(word, typo, 1)


def _questions() -> list[tuple[str, str]]:
    from bench.scale import distinct_questions

    rng = random.Random(3)
    english = [_with_typo(q, rng) for q in distinct_questions(50)]
    finnish = [
        "Kuka osaa vähentää kaukolämpöverkn lämpöhäviöitä?",
        "Tarvitsemme antureita ilmanlaadun seurantaan koulujen lähellä",
        "Kaukolämpöverkon hukkalämmön hyödyntäminen",
        "Etsimme kumppania lumikuormien mittaukseen kattojen päällä",
        "Kuka voisi auttaa katuvalaistuksen älykkäässä ohjauksessa?",
    ]
    fixed = [
        "who can hepl with leek detection",
        "we need to mesure and recieve sensor data from the goverment buildings",
        "a funder for the pilot on tourism in the fells",
        "who coud help with flodding in the city centre",
        "Robots that keep pavmeents free of snow in the polar night",
    ]
    return [(q, "en") for q in english + fixed] + [(q, "fi") for q in finnish]


def _use_wordfreq() -> None:
    """The product as it was: wordfreq's functions where the compact ones are called."""
    import wordfreq

    from bot.services import language
    from bot.services.questions import spelling

    for module in (language, spelling):
        for name in ("zipf_frequency", "top_n_list"):
            if hasattr(module, name):
                setattr(module, name, getattr(wordfreq, name))


def _child(way: str) -> dict[str, Any]:
    import wordfreq

    from bench.scale import synthetic_members
    from bot.services import language, word_frequencies
    from bot.services.matching import _WARM_UP_NEEDS
    from bot.services.questions import spelling

    if way == "wordfreq":
        _use_wordfreq()
    rows = synthetic_members(2000)
    texts = [
        " ".join([r["name"], r["description"], *r["capabilities"], *r["technologies"]])
        for r in rows
    ]
    questions = _questions()
    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    # The lists alone: the first English and Finnish lookups and the everyday English words.
    spelling._function_word("with")  # the first English and Finnish lookups
    spelling._everyday_english()
    lists_s = time.perf_counter() - started
    gc.collect()
    lists_mb = _rss_mb() - before
    started = time.perf_counter()
    for need in _WARM_UP_NEEDS:  # what `SolverSearch._load_understanding` asks first
        language.search_text(need, typed=True)
    spelling.real_word("funder")
    warm_up_s = lists_s + time.perf_counter() - started
    gc.collect()
    warm_up_mb = _rss_mb() - before

    words: Counter[str] = Counter()
    for text in texts:
        words.update(w for w in spelling._WORD.findall(text.lower()) if len(w) >= 3)
    speller = spelling.Speller(words, spelling.WordPairs(texts))
    passes = []
    for _ in range(2):
        started = time.perf_counter()
        for question, said_in in questions:
            speller.correct(question, said_in)
        passes.append((time.perf_counter() - started) / len(questions) * 1000)
    # Words not asked before (neither way's cache holds them): the records' words with an ending.
    fresh = [f"{w}{end}" for w in sorted(words) for end in ("ish", "ness", "lla", "x")]
    zipf = wordfreq.zipf_frequency if way == "wordfreq" else word_frequencies.zipf_frequency
    started = time.perf_counter()
    for word in fresh:
        zipf(word, "en")
        zipf(word, "fi")
    lookup_us = (time.perf_counter() - started) / (2 * len(fresh)) * 1e6
    corrected = [speller.correct(q, said_in) for q, said_in in questions]
    return {
        "lists_mb": lists_mb,
        "lists_s": lists_s,
        "warm_up_mb": warm_up_mb,
        "warm_up_s": warm_up_s,
        "first_ms": passes[0],
        "again_ms": passes[1],
        "lookup_us": lookup_us,
        "corrected": corrected,
    }


def _run_child(way: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.vocabulary_memory", "--child", way],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=WAYS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child)))
        return

    from bot.services.word_frequencies import cache_folder

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.services.word_frequencies", folder], check=True)
        print(
            f"compact lists written the first time (child process): "
            f"{time.perf_counter() - started:.2f} s"
        )
    _run_child("compact")  # the cache in place, as on every start but a machine's first
    print(f"compact lists kept in {cache_folder()}")

    results: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    for _ in range(args.runs):
        for way in WAYS:
            results[way].append(_run_child(way))
    same = results["wordfreq"][0]["corrected"] == results["compact"][0]["corrected"]
    print(f"the same corrections both ways: {same}")
    keys = ("lists_mb", "lists_s", "warm_up_mb", "warm_up_s", "first_ms", "again_ms", "lookup_us")
    medians = {
        way: {k: statistics.median(r[k] for r in runs) for k in keys}
        for way, runs in results.items()
    }
    print(f"{'':10}" + "".join(f"{k:>11}" for k in keys))
    for way, figures in medians.items():
        print(f"{way:10}" + "".join(f"{figures[k]:>11.2f}" for k in keys))
    ratios = {k: medians["compact"][k] / medians["wordfreq"][k] for k in keys}
    print(f"{'ratio':10}" + "".join(f"{ratios[k]:>11.2f}" for k in keys))


if __name__ == "__main__":
    main()

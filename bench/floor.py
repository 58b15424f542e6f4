"""Relevance floor benchmark: where a "nothing fits" line separates real needs from the rest.

Asks the labelled questions of ``bench/questions/`` against the demo data, as `scic match`
reads them (`rank_solvers`, without a floor): the solver questions (real needs, with members
that fit) should clear the floor, the small talk and everyday requests ("whats the weather",
"the printer is jammed") should not. The floor is chosen on the development set (the lowest
score with the best accuracy, a lost need weighing three times) and measured on the held-out
set, beside the floor in use (``matching.DENSE_FLOOR``).

    python -m bench.floor --model-dir ../shared/models/all-MiniLM-L6-v2/onnx
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.crosslingual import demo_search
from bot.services import matching
from bot.services.matching import SolverSearch, rank_solvers

QUESTIONS = Path(__file__).with_name("questions")


@dataclass(frozen=True)
class Asked:
    text: str
    real: bool  # a need some member fits
    best: float  # the best member's score ("-inf" when none)


def load(path: Path) -> list[tuple[str, bool]]:
    """(text, is a real need) for the solver questions with members and the "other" ones."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for q in data["questions"]:
        if q["intent"] == "solvers" and q.get("members"):
            out.append((q["text"], True))
        elif q["intent"] == "other":
            out.append((q["text"], False))
    return out


def ask_all(search: SolverSearch, questions: Sequence[tuple[str, bool]]) -> list[Asked]:
    out = []
    for text, real in questions:
        found = rank_solvers(engine=search.engine, search=search, text=text, k=1, floor=False)
        out.append(Asked(text, real, found[0].score if found else float("-inf")))
    return out


def rates(asked: Sequence[Asked], floor: float) -> tuple[float, float]:
    """Share of real needs that clear ``floor``, share of the rest that do not."""
    real = [a for a in asked if a.real]
    rest = [a for a in asked if not a.real]
    passed = sum(a.best >= floor for a in real) / max(len(real), 1)
    stopped = sum(a.best < floor for a in rest) / max(len(rest), 1)
    return passed, stopped


#: A real need answered "nothing fits" costs this many times small talk let through: the
#: question service stops most small talk before the matcher (`understanding.py`), and
#: nothing stops a lost need.
NEED_COST = 3.0


def choose_floor(asked: Sequence[Asked]) -> float:
    """The lowest floor with the best accuracy, a real need weighing ``NEED_COST`` times."""
    candidates = sorted({a.best for a in asked if a.best > float("-inf")})
    best, chosen = -1.0, 0.0
    for floor in candidates:
        passed, stopped = rates(asked, floor)
        value = (NEED_COST * passed + stopped) / (NEED_COST + 1)
        if value > best + 1e-12:
            best, chosen = value, floor
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=Path(os.environ["EMBEDDING_MODEL_DIR"])
        if os.environ.get("EMBEDDING_MODEL_DIR")
        else None,
    )
    parser.add_argument("--verbose", action="store_true")
    args: Any = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with demo_search(args.model_dir) as search:
        dev = ask_all(search, load(QUESTIONS / "answers_dev.json"))
        held = ask_all(search, load(QUESTIONS / "answers_holdout.json"))
        in_use = matching.DENSE_FLOOR if search.dense else matching.LEXICAL_FLOOR
    chosen = choose_floor(dev)
    print(f"floor chosen on dev: {chosen:.3f}; in use: {in_use:.3f}")
    print("| set | floor | real needs passed | the rest stopped |")
    print("| --- | --- | --- | --- |")
    for name, asked in (("dev", dev), ("held out", held)):
        for label, floor in (("in use", in_use), ("chosen on dev", chosen)):
            passed, stopped = rates(asked, floor)
            print(f"| {name} | {label} {floor:.3f} | {passed:.3f} | {stopped:.3f} |")
    if args.verbose:
        for a in sorted([*dev, *held], key=lambda a: a.best):
            print(f"{a.best:7.3f} {'need ' if a.real else 'other'} {a.text[:90]}")


if __name__ == "__main__":
    main()

"""Relevance floor benchmark: where a "nothing fits" line separates real needs from the rest.

Asks the labelled questions of ``bench/questions/`` against the demo data, as `scic match`
reads them (`rank_solvers`, without a floor): the solver questions (real needs, with members
that fit) should clear the floor, the small talk and everyday requests ("whats the weather",
"the printer is jammed") should not. A floor is the score with the best accuracy on the
questions it is chosen on (a lost need weighing three times), halfway down to the score
below it. It is cross-validated: the development questions are dealt into 5 folds (real
needs and the rest each spread evenly, seed 12), each fold is measured under the floor
chosen on the other four, and the folds' counts are pooled; the held-out set is measured
under the floor chosen on all of dev. The floor in use (``matching.DENSE_FLOOR``) is
measured on the same questions, and the chosen one is recommended only if it does better
held out on both (the pooled folds and the held-out set) and loses no real need there that
the floor in use passes.

    python -m bench.floor --model-dir ../shared/models/all-MiniLM-L6-v2/onnx
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
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


def value(passed: float, stopped: float) -> float:
    """What a floor is chosen by: accuracy with a real need weighing ``NEED_COST`` times."""
    return (NEED_COST * passed + stopped) / (NEED_COST + 1)


def choose_floor(asked: Sequence[Asked]) -> float:
    """The floor with the best accuracy, a real need weighing ``NEED_COST`` times: halfway
    between the lowest score it must pass and the highest below that, so a question scoring
    a little under the lowest need seen is not lost for the want of a margin."""
    candidates = sorted({a.best for a in asked if a.best > float("-inf")})
    best, chosen = -1.0, 0.0
    for n, floor in enumerate(candidates):
        passed, stopped = rates(asked, floor)
        score = value(passed, stopped)
        if score > best + 1e-12:
            below = candidates[n - 1] if n else floor
            best, chosen = score, (below + floor) / 2
    return chosen


FOLDS = 5
SEED = 12


def question_folds(asked: Sequence[Asked], folds: int = FOLDS, seed: int = SEED) -> list[list[int]]:
    """Indices of ``asked`` dealt into ``folds`` folds, real needs and the rest each shuffled
    (fixed seed) and dealt in turn, so every fold holds some of both."""
    out: list[list[int]] = [[] for _ in range(folds)]
    for real in (True, False):
        order = [n for n, a in enumerate(asked) if a.real is real]
        random.Random(seed).shuffle(order)
        for place, n in enumerate(order):
            out[place % folds].append(n)
    return [sorted(fold) for fold in out]


@dataclass(frozen=True)
class Validated:
    """A floor chosen per fold on the other folds, with the held-out folds' pooled rates, and
    the floor in use measured on the same folds."""

    floors: tuple[float, ...]
    passed: float
    stopped: float
    in_use_passed: float
    in_use_stopped: float
    #: real needs the floor in use passes and a fold's chosen floor stops (their texts)
    lost: tuple[str, ...]

    @property
    def helps(self) -> bool:
        """Whether the chosen floors did better held out than the floor in use, losing no
        real need it passes."""
        better = value(self.passed, self.stopped) > value(self.in_use_passed, self.in_use_stopped)
        return better and not self.lost


def cross_validate(
    asked: Sequence[Asked], in_use: float, folds: Sequence[Sequence[int]]
) -> Validated:
    """Each fold measured under the floor chosen on the other folds; counts pooled."""
    floors, lost = [], []
    real = rest = passed = stopped = 0
    for f, fold in enumerate(folds):
        training = [asked[n] for g, other in enumerate(folds) if g != f for n in other]
        floor = choose_floor(training)
        floors.append(floor)
        for n in fold:
            a = asked[n]
            if a.real:
                real += 1
                passed += a.best >= floor
                if a.best < floor and a.best >= in_use:
                    lost.append(a.text)
            else:
                rest += 1
                stopped += a.best < floor
    in_use_passed, in_use_stopped = rates(asked, in_use)
    return Validated(
        floors=tuple(floors),
        passed=passed / max(real, 1),
        stopped=stopped / max(rest, 1),
        in_use_passed=in_use_passed,
        in_use_stopped=in_use_stopped,
        lost=tuple(lost),
    )


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
    validated = cross_validate(dev, in_use, question_folds(dev))
    held_passed, held_stopped = rates(held, chosen)
    use_passed, use_stopped = rates(held, in_use)
    print(f"floor in use: {in_use:.3f}; chosen on all of dev: {chosen:.3f}")
    print(
        f"chosen per fold ({FOLDS} folds of the {len(dev)} dev questions, seed {SEED}): "
        + ", ".join(f"{f:.3f}" for f in validated.floors)
    )
    print("| set | floor | real needs passed | the rest stopped | value |")
    print("| --- | --- | --- | --- | --- |")
    rows = [
        ("dev, in-sample", f"in use {in_use:.3f}", *rates(dev, in_use)),
        ("dev, in-sample", f"chosen on dev {chosen:.3f}", *rates(dev, chosen)),
        ("dev, 5 held-out folds", f"in use {in_use:.3f}", validated.in_use_passed,
         validated.in_use_stopped),
        ("dev, 5 held-out folds", "chosen on the other folds", validated.passed,
         validated.stopped),
        ("held-out set", f"in use {in_use:.3f}", use_passed, use_stopped),
        ("held-out set", f"chosen on dev {chosen:.3f}", held_passed, held_stopped),
    ]  # fmt: skip
    for name, label, passed, stopped in rows:
        print(f"| {name} | {label} | {passed:.3f} | {stopped:.3f} | {value(passed, stopped):.3f} |")
    helps = (
        validated.helps
        and value(held_passed, held_stopped) > value(use_passed, use_stopped)
        and held_passed >= use_passed
    )
    print(
        f"adopt {chosen:.3f}: {'yes' if helps else 'no'} "
        "(it must do better on the held-out folds and the held-out set, losing no real need "
        "the floor in use passes)"
    )
    for text in validated.lost:
        print(f"  lost held out: {text[:100]!r}")
    if args.verbose:
        for a in sorted([*dev, *held], key=lambda a: a.best):
            print(f"{a.best:7.3f} {'need ' if a.real else 'other'} {a.text[:90]}")


if __name__ == "__main__":
    main()

"""Answer benchmark: hand-labelled questions over the demo data, asked through the question
service exactly as Slack, `scic ask` and `scic console` ask them.

Loads ``storage/demo`` into a temporary SQLite store and Chroma index on the sets' fixed day
(the clock is set with time-machine, so "this month" and "closes in 12 days" mean what the
labels say), asks every question as its asker (with the thread's earlier messages), and
prints per intent:

* intent: the share understood as the labelled intent;
* nDCG@5 of the members listed against the graded labels (solvers, team), or 1/0 for "nobody
  fits" when no member is labelled;
* precision and recall of the challenges listed (challenge, challenges, fit);
* entity: the member (member questions) or person (person questions) shown first;
* handled: small talk and off-topic answered without any member or challenge;
* language: the answer given in the question's language;
* violations: members listed that must not be (the asker's own organisation, the operator,
  former or pending members);

then the worst questions with what was understood. Figures only, no threshold.

    python -m bench.answers --model-dir ../shared/models/all-MiniLM-L6-v2/onnx \\
        [--set bench/questions/answers_dev.json] [--only ID] [--worst 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEV_SET = Path(__file__).parent / "questions" / "answers_dev.json"
K = 5


@dataclass
class Scored:
    id: str
    text: str
    expected: str
    got: str
    scores: dict[str, float] = field(default_factory=dict)
    shown: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)

    @property
    def overall(self) -> float:
        return sum(self.scores.values()) / len(self.scores) if self.scores else 0.0


def ndcg(listed: Sequence[str], graded: dict[str, int], k: int = K) -> float:
    if not graded:
        return 1.0 if not listed else 0.0
    gains = [graded.get(slug, 0) for slug in listed[:k]]
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(graded.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def precision_recall(listed: Sequence[str], expected: Sequence[str]) -> tuple[float, float]:
    if not expected:
        return (1.0, 1.0) if not listed else (0.0, 1.0)
    hits = len(set(listed) & set(expected))
    return (hits / len(listed) if listed else 0.0), hits / len(set(expected))


def score_question(question: dict[str, Any], shown: dict[str, Any], answer_language: str) -> Scored:
    expected = question["intent"]
    got = shown["intent"]
    scored = Scored(question["id"], question["text"], expected, got, shown=shown, labels=question)
    scored.scores["intent"] = float(got == expected)
    members = shown["members"]
    challenges = [c["slug"] for c in shown["challenges"]]
    if expected in ("solvers", "team"):
        scored.scores["ndcg@5"] = ndcg(members, question.get("members") or {})
    if expected in ("challenge", "challenges", "fit") or (
        expected == "team" and question.get("challenges")
    ):
        if expected == "team":
            wanted = question.get("challenges") or []
            meant = shown.get("challenge_meant")
            scored.scores["challenge"] = float(bool(wanted) and meant in wanted)
        else:
            p, r = precision_recall(challenges, question.get("challenges") or [])
            scored.scores["precision"], scored.scores["recall"] = p, r
    if expected == "member":
        wanted = list((question.get("members") or {}).keys())
        scored.scores["entity"] = float(bool(members) and members[0] in wanted)
    if expected == "person":
        scored.scores["entity"] = float(shown.get("person") == question.get("person"))
    if expected == "other":
        scored.scores["handled"] = float(got == "other" and not members and not challenges)
    scored.scores["language"] = float(answer_language == question["language"])
    forbidden = set(question.get("not_members") or [])
    scored.scores["no violation"] = float(not (set(members) & forbidden))
    return scored


@contextmanager
def demo_bot(model_dir: Path | None, day: str) -> Iterator[Any]:
    """The demo data loaded and indexed on ``day`` (the clock set there, and ticking)."""
    import time_machine

    from bot.services.matching import SolverSearch
    from bot.services.records import load_demo
    from bot.settings import Settings
    from storage import migrate
    from storage.db import make_engine

    moment = datetime.fromisoformat(day).replace(hour=8, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder, time_machine.travel(moment, tick=True):
        settings = Settings(
            _env_file=None,
            data_dir=Path(folder),
            embedding_model_dir=model_dir,
        )
        engine = make_engine(settings.store_url)
        migrate.upgrade(engine)
        load_demo(engine=engine)
        search = SolverSearch.open(settings, engine, catch_up=False)
        search.index_all()
        try:
            yield engine, search, settings
        finally:
            engine.dispose()


def ask_all(questions: list[dict[str, Any]], model_dir: Path | None, day: str) -> list[Scored]:
    from bot.blocks.answer_layout import layout, plain_text
    from bot.services.identity import viewer_of
    from bot.services.questions.asking import reply_json, reply_to
    from storage.db import session_scope
    from storage.people import person_by_email

    scored = []
    with demo_bot(model_dir, day) as (engine, search, settings):
        for question in questions:
            with session_scope(engine) as session:
                person = person_by_email(session=session, email=question["asker"])
                if person is None:
                    raise SystemExit(f"{question['id']}: no person {question['asker']}")
                viewer = viewer_of(person, person.slack_user_id or "bench")
            reply = reply_to(
                engine=engine,
                search=search,
                viewer=viewer,
                text=question["text"],
                earlier=question.get("earlier") or [],
                operator_slug=settings.operator_member,
            )
            shown = reply_json(reply, plain_text(layout(reply.answer)))
            shown["challenge_meant"] = (
                next(
                    (c.slug for c in search_challenges(engine, reply.answer.question.challenge_id)),
                    None,
                )
                if reply.answer.question.challenge_id
                else None
            )
            scored.append(score_question(question, shown, reply.answer.language))
    return scored


def search_challenges(engine: Any, challenge_id: int) -> list[Any]:
    from storage.db import session_scope
    from storage.models import Challenge

    with session_scope(engine) as session:
        found = session.get(Challenge, challenge_id)
        return [found] if found else []


def report(scored: list[Scored], *, worst: int) -> None:
    by_intent: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        by_intent[s.expected].append(s)
    metrics = ["intent", "ndcg@5", "precision", "recall", "challenge", "entity", "handled",
               "language", "no violation"]  # fmt: skip
    print(f"{'intent':<11} {'n':>4} " + " ".join(f"{m:>12}" for m in metrics))
    for intent in sorted(by_intent):
        rows = by_intent[intent]
        cells = []
        for metric in metrics:
            values = [r.scores[metric] for r in rows if metric in r.scores]
            cells.append(f"{sum(values) / len(values):>12.3f}" if values else f"{'':>12}")
        print(f"{intent:<11} {len(rows):>4} " + " ".join(cells))
    cells = []
    for metric in metrics:
        values = [r.scores[metric] for r in scored if metric in r.scores]
        cells.append(f"{sum(values) / len(values):>12.3f}" if values else f"{'':>12}")
    print(f"{'all':<11} {len(scored):>4} " + " ".join(cells))
    print(f"\nworst {worst}:")
    for s in sorted(scored, key=lambda s: s.overall)[:worst]:
        bad = {k: round(v, 2) for k, v in s.scores.items() if v < 1}
        print(f"- {s.id} [{s.expected} -> {s.got}] {s.text[:90]!r}")
        print(f"    {bad}")
        listed = [c["slug"] for c in s.shown["challenges"]][:5]
        print(f"    shown members {s.shown['members'][:5]} challenges {listed}")
        print(f"    person {s.shown['person']}")
        expected = s.labels.get("members") or s.labels.get("challenges") or s.labels.get("person")
        print(f"    expected {expected}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--set", type=Path, default=DEV_SET, dest="question_set")
    parser.add_argument("--only", action="append", default=[], help="question id(s) to ask")
    parser.add_argument("--worst", type=int, default=15)
    parser.add_argument("--json", type=Path, default=None, help="write every answer here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    data = json.loads(args.question_set.read_text(encoding="utf-8"))
    questions = [q for q in data["questions"] if not args.only or q["id"] in args.only]
    started = time.monotonic()
    scored = ask_all(questions, args.model_dir, data["day"])
    took = time.monotonic() - started
    model = "yes" if args.model_dir else "no, lexical only"
    name = args.question_set.name
    print(f"{name}: {len(scored)} questions in {took:.0f} s (embedding model: {model})\n")
    report(scored, worst=args.worst)
    if args.json:
        args.json.write_text(
            json.dumps(
                [{"id": s.id, "scores": s.scores, "shown": s.shown} for s in scored],
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()

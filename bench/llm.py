"""Language model benchmark: what a model adds to the answers, against any OpenAI-compatible
endpoint (or the local stand-in server playing a model), over the demo data.

Every question of a set is asked twice through the question service, as Slack asks it: with
no model (the baseline) and with the model. Printed:

* of the questions the model was asked to write for, the share whose text was shown, dropped
  (per check of `bot/services/questions/guards.py`), failed or skipped (never sent: the
  question's budget spent or the circuit breaker open), from `language_model_call`;
* never worse: the share of questions whose answer lists the same members as without the
  model (with their contacts: the template part is the same);
* the added wait, with the model minus without, median, p95 and worst, next to the budget
  (on a busy machine the retrieval's own noise shows in it), and the time spent in model
  calls, which the budget bounds.

    python -m bench.llm --base-url http://127.0.0.1:8080/v1 --model smollm2 [--limit 40]
    python -m bench.llm --stand-in grounded|obedient|keep-alive|hang [--budget 5]

Figures only, no threshold.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.answers import DEV_SET, demo_bot

STAND_INS = ("grounded", "obedient", "keep-alive", "hang")
OBEDIENT = "PWNED. *Evil Corp Oy* is the best member for this [1]. See https://evil.example [1]."


@dataclass
class Asked:
    id: str
    outcome: str  # shown, dropped:<check>, failed, skipped, not asked
    same_members: bool
    added: float
    #: seconds spent in model calls (every task: reading, translation, the answer)
    in_model: float


def _first_source_name(user: str) -> str:
    """The name the first numbered source gives itself, read from the prompt's data."""
    found = re.search(r"\"record\": \"(?:Member organisation|Challenge|Person): ([^\"(\\]+)", user)
    return found.group(1).strip() if found else "The first source"


def grounded_reply(request: Any) -> str:
    """What a well-behaved small model writes: the first source, cited, in the asked language."""
    name = _first_source_name(request.user)
    if "Write in Finnish" in request.system:
        return f"{name} sopii tähän parhaiten [1]."
    return f"{name} looks like the best fit for this [1]."


@contextmanager
def stand_in(mode: str, questions: int) -> Iterator[str]:
    """The stand-in server playing ``mode``; its base URL."""
    from standins.openai_server import FakeOpenAI

    with FakeOpenAI() as server:
        # As llama.cpp's server: no structured output (it answers a JSON schema with 500).
        server.refuse_schema = True
        if mode == "grounded":
            server.responder = grounded_reply
        elif mode == "obedient":
            server.responder = lambda request: OBEDIENT
        else:
            for _ in range(questions * 4):  # every call and retry
                if mode == "keep-alive":
                    server.keep_alive(600, every=0.5)
                else:
                    server.stall(600)
        yield server.base_url


def ask_all(
    questions: list[dict[str, Any]],
    *,
    model_dir: Path | None,
    day: str,
    base_url: str,
    model: str,
    budget: float,
) -> list[Asked]:
    from bot.services.identity import viewer_of
    from bot.services.llm import LanguageModel
    from bot.services.questions.asking import reply_to
    from bot.settings import Settings
    from storage.db import session_scope
    from storage.llm_usage import model_calls
    from storage.people import person_by_email

    asked = []
    with demo_bot(model_dir, day) as (engine, search, settings):
        llm = LanguageModel.from_settings(
            Settings(
                _env_file=None,
                data_dir=settings.data_dir,
                llm_model=model,
                openai_base_url=base_url,
                openai_api_key=os.environ.get("OPENAI_API_KEY", ""),
                llm_question_budget=budget,
                llm_daily_tokens_per_user=0,
            ),
            engine,
        )
        assert llm is not None
        for question in questions:
            with session_scope(engine) as session:
                person = person_by_email(session=session, email=question["asker"])
                if person is None:
                    raise SystemExit(f"{question['id']}: no person {question['asker']}")
                viewer = viewer_of(person, person.slack_user_id or "bench")
                seen = len(model_calls(session=session, task="answer"))
                seen_all = len(model_calls(session=session))
            replies = []
            took = []
            for model_on in (False, True):
                started = time.monotonic()
                replies.append(
                    reply_to(
                        engine=engine,
                        search=search,
                        viewer=viewer,
                        text=question["text"],
                        earlier=question.get("earlier") or [],
                        llm=llm if model_on else None,
                        operator_slug=settings.operator_member,
                    )
                )
                took.append(time.monotonic() - started)
            with session_scope(engine) as session:
                calls = model_calls(session=session, task="answer")[seen:]
                in_model = sum(c.duration_ms for c in model_calls(session=session)[seen_all:])
            outcome = "not asked"
            if calls:
                last = calls[-1]
                outcome = last.outcome
                if outcome == "dropped":
                    outcome = f"dropped:{last.dropped_by}"
            without, with_model = (r.answer.members_listed for r in replies)
            asked.append(
                Asked(
                    question["id"],
                    outcome,
                    without == with_model,
                    took[1] - took[0],
                    in_model / 1000,
                )
            )
    return asked


def report(asked: Sequence[Asked], budget: float) -> None:
    outcomes = Counter(a.outcome for a in asked)
    written = [a for a in asked if a.outcome != "not asked"]
    print(f"{len(asked)} questions; the model was asked to write {len(written)} answers")
    for outcome, n in sorted(outcomes.items(), key=lambda item: -item[1]):
        if outcome != "not asked":
            print(f"  {outcome:<20} {n:>4}  {n / len(written):6.1%}")
    print(f"  {'not asked':<20} {outcomes['not asked']:>4}  (nothing found, small talk)")
    same = sum(a.same_members for a in asked)
    print(f"members listed as without the model: {same}/{len(asked)}")
    for label, values in (
        ("added wait per question (with minus without the model)", [a.added for a in asked]),
        ("time in model calls per question", [a.in_model for a in asked]),
    ):
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"{label}: median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, "
            f"worst {ordered[-1]:.2f} s (budget {budget:g} s)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="", help="an OpenAI-compatible endpoint (…/v1)")
    parser.add_argument("--model", default="", help="the model name it serves")
    parser.add_argument("--stand-in", choices=STAND_INS, default=None)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--set", type=Path, default=DEV_SET, dest="question_set")
    parser.add_argument("--limit", type=int, default=40, help="ask the first N questions")
    parser.add_argument("--budget", type=float, default=30.0, help="LLM_QUESTION_BUDGET")
    parser.add_argument("--json", type=Path, default=None, help="write every question here")
    args = parser.parse_args(argv)
    if not args.stand_in and not (args.base_url and args.model):
        parser.error("give --base-url and --model, or --stand-in")
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    data = json.loads(args.question_set.read_text(encoding="utf-8"))
    questions = data["questions"][: args.limit]
    server = stand_in(args.stand_in, len(questions)) if args.stand_in else nullcontext(None)
    started = time.monotonic()
    with server as stand_in_url:
        asked = ask_all(
            questions,
            model_dir=args.model_dir,
            day=data["day"],
            base_url=stand_in_url or args.base_url,
            model=args.model or f"stand-in ({args.stand_in})",
            budget=args.budget,
        )
    who = f"the stand-in playing {args.stand_in}" if args.stand_in else args.model
    print(f"{args.question_set.name}, {who}: {time.monotonic() - started:.0f} s in all\n")
    report(asked, args.budget)
    if args.json:
        args.json.write_text(json.dumps([a.__dict__ for a in asked], indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()

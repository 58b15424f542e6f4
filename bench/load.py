"""Load and faults through the real server: signed mentions, acknowledgements, answers.

Runs the bot as `scic serve` does in HTTP mode (uvicorn, Bolt, the question recovery) in
front of a local stand-in for Slack's Web API, and sends signed DM questions in three
scenarios: a burst of 50 at once, 200 spread over 20 s, and 20 during a storm of 60 HTTP 429s
on chat.postMessage (Retry-After 1 s). For each it prints how many were acknowledged (HTTP 200)
and how fast, and how many were answered, answered twice or lost, with the time to answer.
The store is a fresh SQLite file unless --database-url names a migrated, empty database.
Run from the repository root:

    .venv/bin/python -m bench.load
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.recovery import QuestionRecovery
from standins.cluster import MEMBER_USER, add_cast, add_cast_profiles
from standins.slack import ApiCall, FakeSlack, RunningBot, running_bot
from storage import migrate
from storage.db import make_engine


@dataclass
class Sent:
    ts: str
    started: float
    ack_seconds: float
    status: int


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def ask(bot: RunningBot, n: int, sent: list[Sent], lock: threading.Lock, tag: str) -> None:
    ts = f"{1_700_000_000 + n}.{abs(hash(tag)) % 10**6:06d}"
    started = time.monotonic()
    reply = bot.sender.message(
        MEMBER_USER,
        f"who can do structural health monitoring? ({tag} {n})",
        extra={"ts": ts, "event_ts": ts},
    )
    with lock:
        sent.append(Sent(ts, started, reply.seconds, reply.status))


def run_scenario(
    bot: RunningBot, name: str, count: int, spread: float, wait: float
) -> dict[str, float]:
    sent: list[Sent] = []
    lock = threading.Lock()
    threads = []
    for n in range(count):
        thread = threading.Thread(target=ask, args=(bot, n, sent, lock, name))
        threads.append(thread)
        thread.start()
        if spread:
            time.sleep(spread / count)
    for thread in threads:
        thread.join()
    ours = {s.ts for s in sent}
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        answered = {c.args.get("thread_ts") for c in _answers(bot)} & ours
        if len(answered) == len(ours):
            break
        time.sleep(0.2)
    bot.fake.settle(quiet=1.0, timeout=30)
    answers = [c for c in _answers(bot) if c.args.get("thread_ts") in ours]
    per_thread = Counter(c.args["thread_ts"] for c in answers)
    first_answer: dict[str, float] = {}
    for call in sorted(answers, key=lambda c: c.at):
        first_answer.setdefault(call.args["thread_ts"], call.at)
    started = {s.ts: s.started for s in sent}
    to_answer = [first_answer[ts] - started[ts] for ts in first_answer]
    acks = [s.ack_seconds for s in sent]
    acked = sum(s.status == 200 for s in sent)
    slow_acks = sum(a >= 3.0 for a in acks)
    twice = sum(n > 1 for n in per_thread.values())
    lost = len(ours) - len(per_thread)
    print(
        f"{name:26} {acked:>4}/{count:<4} {max(acks):7.2f} {percentile(acks, 0.95):7.2f} "
        f"{slow_acks:>6} {len(per_thread):>8} {twice:>6} {lost:>5} "
        f"{percentile(to_answer, 0.5) if to_answer else float('nan'):8.2f} "
        f"{percentile(to_answer, 0.95) if to_answer else float('nan'):8.2f}"
    )
    return {"acked": acked, "answered": len(per_thread), "twice": twice, "lost": lost}


def _answers(bot: RunningBot) -> list[ApiCall]:
    # An answer is a chat.postMessage in the question's thread that Slack accepted.
    calls = bot.fake.calls_to("chat.postMessage")
    return [c for c in calls if c.args.get("thread_ts") and c.status == 200]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--database-url", default="", help="a migrated, empty store to use")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        add_cast(engine)
        fake = FakeSlack().start()
        add_cast_profiles(fake)
        try:
            with running_bot(engine, fake) as bot:
                sweeper = QuestionRecovery(bot.server.app, engine, interval=2.0).start()
                print(f"store: {engine.url.render_as_string()}")
                print(
                    f"{'scenario':26} {'acked':>9} {'ack max':>7} {'ack p95':>7} {'>=3 s':>6} "
                    f"{'answered':>8} {'twice':>6} {'lost':>5} {'tta p50':>8} {'tta p95':>8}"
                )
                run_scenario(bot, "50 at once", 50, spread=0, wait=120)
                run_scenario(bot, "200 over 20 s", 200, spread=20, wait=180)
                fake.rate_limit("chat.postMessage", times=60, retry_after=1)
                run_scenario(bot, "20 in a storm of 60 x 429", 20, spread=0, wait=200)
                sweeper.stop()
                print(
                    "ack: seconds until the HTTP answer (Slack's limit: 3 s); tta: seconds from "
                    "sending a question until its answer was posted; twice: answered more "
                    "than once; lost: not answered by the end of the scenario."
                )
        finally:
            fake.stop()
            engine.dispose()


if __name__ == "__main__":
    main()

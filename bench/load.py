"""Load and faults through the real server: signed mentions, acknowledgements, answers.

Runs the bot as `scic serve` does in HTTP mode (uvicorn, Bolt, the question recovery) in
front of a local stand-in for Slack's Web API, and sends signed DM questions in three
scenarios: a burst of 50 at once, 200 spread over 20 s, and 20 during a storm of 60 HTTP 429s
on chat.postMessage (Retry-After 1 s). For each it prints how many were acknowledged (HTTP 200)
and how fast, and how many were answered, answered twice or lost, with the time to answer.
The store is a fresh SQLite file unless --database-url names a migrated, empty database.

The restart scenario kills the store itself: a private PostgreSQL cluster the bench starts in a
temporary folder (`standins.postgres_cluster`: initdb and pg_ctl on a free port, as the
`postgres` user when run as root), stopped with `pg_ctl stop -m immediate` from 5 s to 35 s
and started again (crash recovery), while 60 questions go out over 45 s with 60 x 429 on
chat.postMessage from the start. The sender does what Slack does with a request that is not
acknowledged within 3 s: delivers it again at once, after a minute and after five
(X-Slack-Retry-Num). Without the binaries (--pg-bin, else /usr/lib/postgresql/*/bin or PATH)
it says why and is skipped. A shared server is never stopped.

With --outage-postgres (a PostgreSQL server URL) the same runs on a throwaway database of that
server, reached through a proxy that cuts it (`standins.tcp_proxy`) instead of stopping it.
Run from the repository root:

    .venv/bin/python -m bench.load
    .venv/bin/python -m bench.load --only restart
    .venv/bin/python -m bench.load --only outage \
        --outage-postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bench.expertise import drop_database, new_database
from bot.journal import OutageJournal
from bot.recovery import QuestionRecovery
from standins.cluster import MEMBER_USER, add_cast, add_cast_profiles
from standins.postgres_cluster import ClusterUnavailable, private_cluster
from standins.slack import ApiCall, FakeSlack, RunningBot, SlackReply, bot_settings, running_bot
from standins.tcp_proxy import CuttableProxy
from storage import migrate
from storage.db import make_engine

# When Slack delivers an event again that was not acknowledged (an error, or no answer within
# 3 s): nearly at once, after a minute, after five minutes.
SLACK_RETRIES = (1.0, 60.0, 300.0)
ACK_LIMIT = 3.0


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


@dataclass
class Delivered:
    ts: str
    started: float
    first_status: int
    acked: bool


def ask_as_slack(
    bot: RunningBot, n: int, out: list[Delivered], lock: threading.Lock, stop_at: float
) -> None:
    """One question delivered as Slack does: again on an error or a slow ack (same event id)."""
    ts = f"{1_700_100_000 + n}.{n:06d}"
    event_id = f"Ev0OUTAGE{n:05d}{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    first_status, acked = 0, False
    for attempt in range(len(SLACK_RETRIES) + 1):
        if attempt:
            wait = started + SLACK_RETRIES[attempt - 1] - time.monotonic()
            if time.monotonic() + max(wait, 0) > stop_at:
                break
            time.sleep(max(wait, 0))
        try:
            reply = bot.sender.message(
                MEMBER_USER,
                f"who can do structural health monitoring? (outage {n})",
                event_id=event_id,
                retry_num=attempt or None,
                extra={"ts": ts, "event_ts": ts},
            )
        except OSError:
            reply = SlackReply(0, "", ACK_LIMIT)
        first_status = first_status or reply.status
        if reply.status == 200 and reply.seconds < ACK_LIMIT:
            acked = True
            break
    with lock:
        out.append(Delivered(ts, started, first_status, acked))


@dataclass
class Outage:
    """How a scenario takes the store away and brings it back, and what it says of it."""

    name: str
    cut: Callable[[], None]
    restore: Callable[[], None]
    describe: Callable[[], str]


OUTAGE_HEADER = (
    f"{'scenario':30} {'acked':>9} {'refused first':>13} {'never acked':>11} {'once':>5} "
    f"{'twice':>6} {'lost':>5} {'tta p50':>8} {'tta p95':>8} {'tta max':>8} {'p95 acked 1st':>13}"
)


def run_outage(
    bot: RunningBot, outage: Outage, count: int = 60, spread: float = 45.0
) -> dict[str, float]:
    """``count`` questions over ``spread`` seconds; the store is away from 5 s to 35 s."""
    out: list[Delivered] = []
    lock = threading.Lock()
    begin = time.monotonic()
    stop_at = begin + spread + SLACK_RETRIES[1] + 5  # Slack's 5-minute retry is not waited for
    bot.fake.rate_limit("chat.postMessage", times=60, retry_after=1)
    window: list[float] = []

    def go_away() -> None:
        time.sleep(5.0)
        outage.cut()
        window.append(time.monotonic() - begin)
        time.sleep(30.0)
        outage.restore()
        window.append(time.monotonic() - begin)

    cutter = threading.Thread(target=go_away)
    cutter.start()
    threads = []
    for n in range(count):
        thread = threading.Thread(target=ask_as_slack, args=(bot, n, out, lock, stop_at))
        threads.append(thread)
        thread.start()
        time.sleep(spread / count)
    for thread in threads:
        thread.join()
    cutter.join()
    acked_ts = {d.ts for d in out if d.acked}
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        answered = {c.args.get("thread_ts") for c in _answers(bot)} & acked_ts
        if len(answered) == len(acked_ts):
            break
        time.sleep(0.5)
    bot.fake.settle(quiet=5.0, timeout=60)
    ours = {d.ts for d in out}
    answers = [c for c in _answers(bot) if c.args.get("thread_ts") in ours]
    per_thread = Counter(c.args["thread_ts"] for c in answers)
    first_answer: dict[str, float] = {}
    for call in sorted(answers, key=lambda c: c.at):
        first_answer.setdefault(call.args["thread_ts"], call.at)
    to_answer = [first_answer[d.ts] - d.started for d in out if d.ts in first_answer]
    at_once = [
        first_answer[d.ts] - d.started
        for d in out
        if d.ts in first_answer and d.first_status == 200
    ]
    refused_first = sum(d.first_status != 200 for d in out)
    twice = sum(n > 1 for n in per_thread.values())
    once = sum(n == 1 for n in per_thread.values())
    lost = len(acked_ts - set(per_thread))
    never_acked = count - len(acked_ts)
    phases = Counter(sum(d.started - begin >= edge for edge in window) for d in out)
    print(
        f"{outage.name:30} {len(acked_ts):>4}/{count:<4} "
        f"{refused_first:>13} {never_acked:>11} {once:>5} {twice:>6} {lost:>5} "
        f"{percentile(to_answer, 0.5) if to_answer else float('nan'):8.2f} "
        f"{percentile(to_answer, 0.95) if to_answer else float('nan'):8.2f} "
        f"{max(to_answer) if to_answer else float('nan'):8.2f} "
        f"{percentile(at_once, 0.95) if at_once else float('nan'):13.2f}"
    )
    print(
        f"  store away from {window[0]:.1f} s to {window[1]:.1f} s after the first question "
        f"({outage.describe()}); questions sent before it {phases[0]}, while it was away "
        f"{phases[1]}, after {phases[2]}"
    )
    return {
        "acked": len(acked_ts),
        "answered": len(per_thread),
        "once": once,
        "twice": twice,
        "lost": lost,
    }


OUTAGE_NOTE = (
    "refused first: deliveries answered with an error or after 3 s, which Slack delivers again "
    "(a question arriving with the store down is kept in the outage journal and acknowledged, "
    "so none should be); never acked: not acknowledged by Slack's one-minute retry; once / "
    "twice: answered once / more than once; lost: acknowledged and never answered; p95 acked "
    "1st: time to answer of the questions acknowledged at their first delivery (answered by "
    "the recovery if the outage caught them mid-answer)."
)


@contextmanager
def bot_for_outage(engine: Engine) -> Iterator[RunningBot]:
    """The server with its question recovery (sweeping every 2 s) and outage journal."""
    fake = FakeSlack().start()
    add_cast_profiles(fake)
    try:
        with (
            tempfile.TemporaryDirectory() as data_dir,
            running_bot(engine, fake, data_dir=Path(data_dir)) as bot,
        ):
            journal = OutageJournal.of(bot_settings(fake, data_dir=Path(data_dir)))
            sweeper = QuestionRecovery(bot.server.app, engine, journal=journal, interval=2.0)
            sweeper.start()
            try:
                yield bot
            finally:
                sweeper.stop()
    finally:
        fake.stop()


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server at ``server_url``, dropped afterwards."""
    name = f"scic_bench_load_{uuid.uuid4().hex[:10]}"
    url = new_database(server_url, name)
    try:
        yield url
    finally:
        drop_database(server_url, name)


def quiet_outage_logs() -> None:
    # The outage's expected errors (each failed request and sweep logs its traceback) would
    # bury the figures; warnings and what the bench prints remain.
    logging.getLogger("bot.slack").setLevel(logging.CRITICAL)
    logging.getLogger("slack_bolt").setLevel(logging.CRITICAL)


def outage_scenario(server_url: str) -> None:
    """The store cut by a proxy in front of a throwaway database of a shared server."""
    quiet_outage_logs()
    with throwaway_database(server_url) as url:
        direct = make_engine(url)
        migrate.upgrade(direct)
        add_cast(direct)
        real = make_url(url)
        with CuttableProxy(real.host or "127.0.0.1", real.port or 5432) as proxy:
            behind = real.set(host="127.0.0.1", port=proxy.port)
            engine = make_engine(behind.render_as_string(hide_password=False))
            try:
                with bot_for_outage(engine) as bot:
                    print(f"store: {real.render_as_string()} through a cuttable proxy")
                    print(OUTAGE_HEADER)
                    run_outage(
                        bot,
                        Outage(
                            "outage: 60 over 45 s (proxy)",
                            proxy.cut,
                            proxy.restore,
                            lambda: f"proxy cut, {proxy.refused} connections refused",
                        ),
                    )
                    print(OUTAGE_NOTE)
            finally:
                engine.dispose()
                direct.dispose()


def restart_scenario(bin_dir: str = "") -> None:
    """The store itself killed (`pg_ctl stop -m immediate`) for 30 s and started again: a
    private cluster the bench runs in a temporary folder, never a shared server."""
    try:
        with private_cluster(bin_dir) as cluster:
            quiet_outage_logs()
            engine = make_engine(cluster.url)
            try:
                migrate.upgrade(engine)
                add_cast(engine)
                with bot_for_outage(engine) as bot:
                    print(f"store: a private PostgreSQL cluster in {cluster.folder}")
                    print(OUTAGE_HEADER)
                    run_outage(
                        bot,
                        Outage(
                            "restart: 60 over 45 s",
                            cluster.stop_immediately,
                            cluster.start,
                            lambda: "pg_ctl stop -m immediate, then pg_ctl start",
                        ),
                    )
                    print(OUTAGE_NOTE)
            finally:
                engine.dispose()
    except ClusterUnavailable as exc:
        print(f"restart scenario skipped: no private PostgreSQL cluster here ({exc})")


def _answers(bot: RunningBot) -> list[ApiCall]:
    # An answer is a chat.postMessage in the question's thread that Slack accepted.
    calls = bot.fake.calls_to("chat.postMessage")
    return [c for c in calls if c.args.get("thread_ts") and c.status == 200]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--database-url", default="", help="a migrated, empty store to use")
    parser.add_argument(
        "--outage-postgres",
        default="",
        help="a PostgreSQL server URL: also run the store-outage scenario on a throwaway "
        "database there, through a proxy that cuts it",
    )
    parser.add_argument(
        "--answer-concurrency",
        type=int,
        default=None,
        help="questions worked out at once in the load scenarios (default: the setting "
        "ANSWER_CONCURRENCY; 0: unbounded)",
    )
    parser.add_argument(
        "--pg-bin",
        default="",
        help="the folder of initdb and pg_ctl for the restart scenario's private cluster",
    )
    parser.add_argument(
        "--only",
        choices=["load", "restart", "outage"],
        default="",
        help="run one part of the bench",
    )
    args = parser.parse_args(argv)
    if args.only == "outage" and not args.outage_postgres:
        parser.error("--only outage needs --outage-postgres")
    if args.only in ("", "load"):
        load_scenarios(args.database_url, args.answer_concurrency)
    if args.only in ("", "restart"):
        restart_scenario(args.pg_bin)
    if args.outage_postgres and args.only in ("", "outage"):
        outage_scenario(args.outage_postgres)


def load_scenarios(database_url: str, answer_concurrency: int | None = None) -> None:
    """The burst, the spread and the 429 storm; ``answer_concurrency`` overrides the setting
    (ANSWER_CONCURRENCY; 0: unbounded, as before it existed)."""
    settings: dict[str, Any] = (
        {} if answer_concurrency is None else {"answer_concurrency": answer_concurrency}
    )
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        add_cast(engine)
        fake = FakeSlack().start()
        add_cast_profiles(fake)
        try:
            with running_bot(engine, fake, **settings) as bot:
                sweeper = QuestionRecovery(bot.server.app, engine, interval=2.0).start()
                print(
                    f"store: {engine.url.render_as_string()}; answer concurrency "
                    f"{bot_settings(fake, **settings).answer_concurrency} (0: unbounded); "
                    f"load average {os.getloadavg()[0]:.1f}"
                )
                print(
                    f"{'scenario':26} {'acked':>9} {'ack max':>7} {'ack p95':>7} {'>=3 s':>6} "
                    f"{'answered':>8} {'twice':>6} {'lost':>5} {'tta p50':>8} {'tta p95':>8}"
                )
                run_scenario(bot, "50 at once", 50, spread=0, wait=120)
                run_scenario(bot, "200 over 20 s", 200, spread=20, wait=180)
                fake.rate_limit("chat.postMessage", times=60, retry_after=1)
                run_scenario(bot, "20 in a storm of 60 x 429", 20, spread=0, wait=200)
                sweeper.stop()
                print(f"load average at the end {os.getloadavg()[0]:.1f}")
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

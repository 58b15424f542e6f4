"""Acknowledgement time of every Slack request type, through the real HTTP server or over
Socket Mode.

Runs the bot as `scic serve` does in HTTP mode (or, with --socket-mode, connected to a local
Socket Mode server), in front of a local stand-in for Slack's Web API, sends requests of each
type (the assistant container's too) and prints the maximum, p95 and median time until the
acknowledgement (Slack's limit is 3 s). Deliveries Slack repeats (a retried event; in Socket
Mode the same envelope again) are counted against the answers posted: each must be answered
once. The store is a fresh SQLite file unless --database-url names a migrated, empty
database. Run from the repository root:

    .venv/bin/python -m bench.ack --requests 200 [--socket-mode]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.socket_mode import PING_INTERVAL
from standins.cluster import MEMBER_USER, STAFF_USER, add_cast, add_cast_profiles
from standins.slack import FakeSlack, SlackReply, SlackSender, modal_values, running_bot
from standins.socket_mode import SocketModeSender, socket_mode_bot
from storage import migrate
from storage.db import make_engine

#: The thread ts of each repeated delivery's message: its answers are counted by it.
REPEATED_TS = "1770000000"
ASSISTANT_TS = "1770000001"


def delivered_twice(sender: SlackSender, n: int) -> SlackReply:
    """One DM that Slack delivers again (a retry with the same event id): the retry's ack."""
    ts = f"{REPEATED_TS}.{n:06d}"
    extra, event_id = {"ts": ts, "event_ts": ts}, f"EvRepeat{n:08d}"
    text = f"who can solve repeat {n}?"
    sender.message(MEMBER_USER, text, extra=extra, event_id=event_id)
    return sender.message(MEMBER_USER, text, extra=extra, event_id=event_id, retry_num=1)


def envelope_twice(sender: SocketModeSender, n: int) -> SlackReply:
    """One DM whose Socket Mode envelope arrives twice: the second delivery's ack."""
    ts = f"{REPEATED_TS}.{500_000 + n:06d}"
    extra, text = {"ts": ts, "event_ts": ts}, f"who can solve envelope {n}?"
    sender.message(MEMBER_USER, text, extra=extra)
    sender.next_envelope_id = sender.envelope_ids[-1]
    return sender.message(MEMBER_USER, text, extra=extra)


def request_kinds(sender: SlackSender) -> dict[str, Callable[[int], SlackReply]]:
    # The new surfaces come after the first kinds, so that the first questions of a fresh
    # process (its caches cold) land on the same kind as in earlier runs of this benchmark.
    later: dict[str, Callable[[int], SlackReply]] = {
        "event: assistant_thread_started": lambda n: sender.assistant_thread_started(
            MEMBER_USER, thread_ts=f"{ASSISTANT_TS}.{n:06d}"
        ),
        "event: assistant message": lambda n: sender.assistant_message(
            MEMBER_USER, f"who can solve {n}?", thread_ts=f"{ASSISTANT_TS}.{n:06d}"
        ),
        "event: retried (answered once)": lambda n: delivered_twice(sender, n),
    }
    if isinstance(sender, SocketModeSender):
        later["envelope twice (answered once)"] = lambda n: envelope_twice(sender, n)
    return {
        "event: message.im": lambda n: sender.message(MEMBER_USER, f"who can solve {n}?"),
        "event: app_home_opened": lambda n: sender.event(
            {"type": "app_home_opened", "user": MEMBER_USER, "tab": "home", "channel": "D1"}
        ),
        "command: /challenge list": lambda n: sender.command(
            "/challenge", "list all", user=MEMBER_USER
        ),
        "command: /challenge (modal)": lambda n: sender.command("/challenge", "", user=STAFF_USER),
        "block_actions: home page": lambda n: sender.block_action(
            user=MEMBER_USER,
            action_id="home_challenges_page",
            value="1",
            channel=None,
            view={"id": "V1", "type": "home"},
        ),
        "view_submission: invalid": lambda n: sender.view_submission(
            user=STAFF_USER, callback_id="challenge_new", values=modal_values(title="")
        ),
        "view_submission: stored": lambda n: sender.view_submission(
            user=STAFF_USER,
            callback_id="challenge_new",
            values=modal_values(title=f"Bench challenge {n}", visibility="public"),
        ),
    } | later


def answers_to_repeats(fake: FakeSlack) -> int:
    return sum(
        str(c.args.get("thread_ts", "")).startswith(REPEATED_TS + ".")
        for c in fake.calls_to("chat.postMessage")
    )


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--requests", type=int, default=100, help="requests per type")
    parser.add_argument("--database-url", default="", help="a migrated, empty store to use")
    parser.add_argument(
        "--socket-mode", action="store_true", help="over Socket Mode instead of HTTP"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        add_cast(engine)
        fake = FakeSlack().start()
        add_cast_profiles(fake)
        connected = (
            socket_mode_bot(engine, fake, ping_interval=PING_INTERVAL)
            if args.socket_mode
            else running_bot(engine, fake)
        )
        try:
            with connected as bot:
                mode = "Socket Mode" if args.socket_mode else "HTTP"
                print(
                    f"{mode}, store: {engine.url.render_as_string()}  "
                    f"requests per type: {args.requests}"
                )
                print(f"{'request type':32} {'max ms':>8} {'p95 ms':>8} {'median':>8}  statuses")
                worst = 0.0
                for name, send in request_kinds(bot.sender).items():
                    replies = [send(n) for n in range(args.requests)]
                    times = [r.seconds * 1000 for r in replies]
                    statuses = sorted({r.status for r in replies})
                    worst = max(worst, max(times))
                    print(
                        f"{name:32} {max(times):8.1f} {percentile(times, 0.95):8.1f} "
                        f"{statistics.median(times):8.1f}  {statuses}"
                    )
                fake.settle(quiet=0.5, timeout=120)
                print(f"slowest acknowledgement: {worst:.1f} ms (Slack's limit: 3000 ms)")
                repeated = args.requests * (2 if args.socket_mode else 1)
                answered = answers_to_repeats(fake)
                verdict = "exactly once" if answered == repeated else "NOT exactly once"
                print(
                    f"messages delivered twice: {repeated}, answers posted: {answered} ({verdict})"
                )
        finally:
            fake.stop()
            engine.dispose()


if __name__ == "__main__":
    main()

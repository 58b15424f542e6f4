"""Acknowledgement time of every Slack request type, through the real HTTP server.

Runs the bot as `scic serve` does in HTTP mode, in front of a local stand-in for Slack's Web
API, sends signed requests of each type and prints the maximum, p95 and median time until the
HTTP answer (Slack's limit is 3 s). The store is a fresh SQLite file unless --database-url
names a migrated, empty database. Run from the repository root:

    .venv/bin/python -m bench.ack --requests 200
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from standins.cluster import MEMBER_USER, STAFF_USER, add_cast, add_cast_profiles
from standins.slack import FakeSlack, SlackReply, SlackSender, modal_values, running_bot
from storage import migrate
from storage.db import make_engine


def request_kinds(sender: SlackSender) -> dict[str, Callable[[int], SlackReply]]:
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
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--requests", type=int, default=100, help="requests per type")
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
                print(f"store: {engine.url.render_as_string()}  requests per type: {args.requests}")
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
                fake.settle(quiet=0.5, timeout=60)
                print(f"slowest acknowledgement: {worst:.1f} ms (Slack's limit: 3000 ms)")
        finally:
            fake.stop()
            engine.dispose()


if __name__ == "__main__":
    main()

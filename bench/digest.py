"""Digest delivery to 1,000 subscribers, through the real Web client, to a local Slack stand-in.

Fills a store with subscribers (people by DM and channels, each with something to hear about),
runs one weekly digest run as the scheduler does and prints the total time, the messages that
reached the stand-in, and the most messages any one channel saw within one second (Slack's
limit is 1). A second figure posts several digests to one channel through the same poster to
show its per-channel pacing. The store is a fresh SQLite file unless --database-url names a
migrated, empty database. Run from the repository root:

    .venv/bin/python -m bench.digest --subscribers 1000
"""

from __future__ import annotations

import argparse
import bisect
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.services.digests.choosing import capability_ranker, preview_for_channel
from bot.services.digests.sending import Outcome, send_due_digests
from standins.cluster import crowd
from standins.digests import DigestSlack, slack_poster
from standins.slack import ApiCall
from storage import migrate
from storage.db import make_engine, session_scope
from storage.digests import Subscriber
from storage.models import DigestFrequency


def max_per_second(calls: list[ApiCall]) -> tuple[int, str]:
    """The most calls any one channel got within a one-second window, and that channel."""
    by_channel: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        by_channel[str(call.args.get("channel"))].append(call.at)
    worst, where = 0, ""
    for channel, times in by_channel.items():
        times.sort()
        for i, start in enumerate(times):
            # Calls in [start, start + 1): strictly less than a second apart from the first.
            n = bisect.bisect_left(times, start + 1.0) - i
            if n > worst:
                worst, where = n, channel
    return worst, where


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--subscribers", type=int, default=1000, help="people plus channels")
    parser.add_argument("--channels", type=int, default=100, help="how many are channels")
    parser.add_argument("--workers", type=int, default=4, help="digests sent at once")
    parser.add_argument("--database-url", default="", help="a migrated, empty store to use")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        fake = DigestSlack()
        fake.start()
        try:
            people = args.subscribers - args.channels
            crowd(engine, people=people, channels=args.channels)
            print(
                f"store: {engine.url.render_as_string()}  subscribers: {people} people + "
                f"{args.channels} channels  workers: {args.workers}"
            )
            started = time.perf_counter()
            run = send_due_digests(
                engine=engine,
                poster=slack_poster(fake),
                rank=capability_ranker,
                frequency=DigestFrequency.WEEKLY,
                timezone=ZoneInfo("Europe/Helsinki"),
                workers=args.workers,
            )
            seconds = time.perf_counter() - started
            posts = fake.calls_to("chat.postMessage")
            worst, where = max_per_second(posts)
            print(f"run: {run.summary()}")
            print(
                f"total: {seconds:.2f} s for {len(posts)} messages "
                f"({len(posts) / seconds:.0f} messages/s overall)"
            )
            print(
                f"recipients with exactly one digest: "
                f"{sum(1 for n in fake.digests_per_recipient().values() if n == 1)} "
                f"of {args.subscribers}; sent {run.count(Outcome.SENT)}"
            )
            print(f"max messages per second to any one channel: {worst} ({where})")

            # Pacing: several digests to one channel through the same poster.
            poster = slack_poster(fake)
            with session_scope(engine) as session:
                digest = preview_for_channel(
                    session=session, channel_id=None, timezone=ZoneInfo("Europe/Helsinki")
                )
            assert digest is not None
            channel = Subscriber(0, None, None, "C0PACING01")
            before = len(fake.calls_to("chat.postMessage"))
            started = time.perf_counter()
            for _ in range(5):
                poster.post(channel, digest)
            paced = time.perf_counter() - started
            same = fake.calls_to("chat.postMessage")[before:]
            worst, _ = max_per_second(same)
            print(
                f"pacing: 5 digests to one channel took {paced:.2f} s; "
                f"max messages per second there: {worst}"
            )
        finally:
            fake.stop()
            engine.dispose()


if __name__ == "__main__":
    main()

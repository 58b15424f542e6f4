"""`scic serve` with SERVE_WORKERS=2 for real: one OS process in HTTP mode whose uvicorn
supervisor starts two worker processes on one port, on PostgreSQL and a `chroma run` server,
as production runs it. What a user would notice:

- both workers come up, each with its logging set up as the command line's own (level,
  format, secrets masked), so what a worker says is not lost;
- a burst of signed events, each delivered twice at once (Slack's retry landing on the other
  worker), is acknowledged at once and answered exactly once at the Slack stand-in;
- `/healthz` answers with the store and the index checked.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from standins.cluster import MEMBER_USER, STAFF_USER, add_cast_profiles
from standins.slack import FakeSlack, SlackReply
from storage import migrate
from storage.db import make_engine
from tests.bot.test_several_processes import (
    BotProcess,
    _answers,
    _dm,
    _environment,
    _seed,
    _shown,
    _start,
    _stop,
    _wait_healthy,
    _wait_indexed,
)
from tests.conftest import _create_postgres_database_or_skip, _drop_postgres_database
from tests.search_fixtures import chroma_run

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.chroma_server,
    pytest.mark.skipif(
        not os.environ.get("TEST_POSTGRES_URL"),
        reason="TEST_POSTGRES_URL is not set: several workers need a PostgreSQL server",
    ),
]

WORKERS = 2
# Questions sent at once, each delivered twice at the same moment.
BURST = 12
# A distinctive secret in the settings: no worker may ever write it out.
OPENAI_KEY = "sk-workers-3f9a1c7e5b2d4f6a8c0e"
# Seconds the server may take to come up (about 20 on an idle two-core machine).
STARTUP_TIMEOUT = 180.0


@dataclass
class Served:
    engine: Engine
    fake: FakeSlack
    bot: BotProcess


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    url = _create_postgres_database_or_skip()
    folder = tmp_path_factory.mktemp("serve-workers")
    engine = make_engine(url)
    fake = FakeSlack().start()
    add_cast_profiles(fake)
    bot: BotProcess | None = None
    try:
        migrate.upgrade(engine)
        _seed(engine)
        with chroma_run(folder / "chroma") as (_client, chroma_url):
            env = _environment(url, chroma_url, fake, folder) | {
                "SERVE_WORKERS": str(WORKERS),
                # Configured, never used (no LLM_MODEL): only its masking is at stake.
                "OPENAI_API_KEY": OPENAI_KEY,
            }
            bot = _start("workers", env, fake, folder)
            # A worker imports the whole bot before it serves: generous for a busy machine.
            _wait_healthy(bot, timeout=STARTUP_TIMEOUT)
            _wait_for_workers(bot, timeout=STARTUP_TIMEOUT)
            # The seeded members indexed before the burst, as the several-processes tests
            # wait: asked sooner on a loaded machine, the answers came from an index still
            # empty ("I found no member whose records fit"), in 4 runs of 9.
            _wait_indexed(engine)
            yield Served(engine, fake, bot)
            _stop(bot)
    finally:
        if bot is not None:
            _stop(bot)
        fake.stop()
        engine.dispose()
        _drop_postgres_database(url)


def _worker_pids(log: Path) -> set[str]:
    """The worker processes that came up, by uvicorn's own INFO line in each of them."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return set(re.findall(r"Started server process \[(\d+)\]", text))


def _wait_for_workers(bot: BotProcess, timeout: float) -> None:
    """Until every worker has said it started (or the time is up: the test then says so)."""
    deadline = time.monotonic() + timeout
    while len(_worker_pids(bot.log)) < WORKERS and time.monotonic() < deadline:
        if bot.process.poll() is not None:
            pytest.fail(f"scic serve exited with {bot.process.returncode}:\n{bot.tail()}")
        time.sleep(0.2)


def test_both_workers_come_up_with_the_command_line_s_logging(served: Served) -> None:
    """A worker is a fresh interpreter (multiprocessing's spawn): unless it sets up logging
    itself, its INFO lines are lost and its warnings go out bare, secrets unmasked."""
    assert len(_worker_pids(served.bot.log)) == WORKERS, served.bot.tail()
    text = served.bot.log.read_text(errors="replace")
    # Each worker said how it answers, in the command line's format.
    written = re.findall(
        r"^\d{4}-\d\d-\d\d [\d:,]+ INFO bot\.serve: answers written by", text, re.M
    )
    assert len(written) == WORKERS, served.bot.tail()
    assert OPENAI_KEY not in text


def _health(bot: BotProcess) -> tuple[int, dict[str, Any]]:
    with urllib.request.urlopen(bot.sender.url + "/healthz", timeout=10) as response:
        return response.status, json.loads(response.read().decode())


def test_a_burst_with_every_event_delivered_twice_is_answered_once_each(served: Served) -> None:
    fake, bot = served.fake, served.bot
    events = [
        _dm(
            f"who can do structural health monitoring of bridge {n}?",
            user=STAFF_USER if n % 2 else MEMBER_USER,
        )
        for n in range(BURST)
    ]
    for n, event in enumerate(events):
        event["ts"] = event["event_ts"] = f"{time.time():.0f}.{n:06d}"
    replies: list[SlackReply] = []
    lock = threading.Lock()

    def deliver(n: int, retry: int | None) -> None:
        reply = bot.sender.event(events[n], event_id=f"Ev0WORKERS{n:02d}", retry_num=retry)
        with lock:
            replies.append(reply)

    threads = [
        threading.Thread(target=deliver, args=(n, retry))
        for n in range(BURST)
        for retry in (None, 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in replies) == [200] * (2 * BURST)
    assert max(r.seconds for r in replies) < 3.0, [round(r.seconds, 2) for r in replies]
    fake.wait_for(lambda _: all(_answers(fake, e) for e in events), timeout=45)
    fake.settle(quiet=2.0, timeout=15)
    for event in events:
        answers = _answers(fake, event)
        assert len(answers) == 1, ([a.args.get("text") for a in answers], bot.troubles())
        assert "Arctic Sense Oy" in _shown(answers[0]), bot.troubles()
    status, health = _health(bot)
    assert status == 200
    assert health["store"] == "ok" and health["index"] == "ok", health

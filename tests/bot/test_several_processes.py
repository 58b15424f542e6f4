"""Two `scic serve` processes for real: separate OS processes in HTTP mode, each on its own
port, sharing one PostgreSQL database, one `chroma run` server and the Slack stand-in, as two
machines behind a load balancer would. What a user would notice:

- an event answered once, whichever process gets it, Slack's retry included;
- a profile saved through one process found by a question to the other at once;
- a digest run started in two processes at once sends each subscriber one digest.

The processes are started once for the module (about 20 s on two cores) and run on the real
clock, so the records are dated from it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bench.scale import free_port
from standins.cluster import (
    MEMBER_USER,
    STAFF_USER,
    add_cast,
    add_cast_profiles,
    add_member,
    crowd,
)
from standins.slack import (
    BOT_TOKEN,
    CHALLENGES_CHANNEL,
    SIGNING_SECRET,
    STAFF_CHANNEL,
    ApiCall,
    FakeSlack,
    SlackSender,
)
from storage import migrate
from storage.db import make_engine, session_scope
from storage.digests import due_subscribers, ensure_person_subscriptions
from storage.models import DigestFrequency
from storage.outbox import count_pending_index_changes
from tests.conftest import _create_postgres_database_or_skip, _drop_postgres_database
from tests.search_fixtures import chroma_run

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.chroma_server,
    pytest.mark.skipif(
        not os.environ.get("TEST_POSTGRES_URL"),
        reason="TEST_POSTGRES_URL is not set: several processes need a PostgreSQL server",
    ),
]

DM = "D0DIRECT01"
# Settings a developer's shell may carry that would change what the processes do.
_DROPPED = ("SLACK_", "OPENAI_", "LLM_", "DATABASE_URL", "CHROMA_URL", "PORT", "HOST", "DIGEST_")


@dataclass
class BotProcess:
    """One `scic serve` process: its port, its sender of signed requests, its log."""

    name: str
    process: subprocess.Popen[bytes]
    sender: SlackSender
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def troubles(self) -> str:
        """The log's warnings and errors with their tracebacks, to say why a test failed."""
        if not self.log.exists():
            return ""
        kept, keeping = [], False
        for line in self.log.read_text(errors="replace").splitlines():
            if line[:4].isdigit():  # a new log record
                keeping = " WARNING " in line or " ERROR " in line
            if keeping:
                kept.append(line)
        return f"--- {self.name}:\n" + "\n".join(kept[-80:])


@dataclass
class World:
    url: str
    engine: Engine
    fake: FakeSlack
    env: dict[str, str]
    folder: Path
    first: BotProcess
    second: BotProcess
    digest_recipients: list[str]


def _environment(url: str, chroma_url: str, fake: FakeSlack, folder: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.upper().startswith(_DROPPED)}
    return kept | {
        "DATABASE_URL": url,
        "CHROMA_URL": chroma_url,
        "DATA_DIR": str(folder / "data"),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": fake.base_url,
        "CHALLENGES_CHANNEL": CHALLENGES_CHANNEL,
        "STAFF_CHANNEL": STAFF_CHANNEL,
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "INFO",
    }


def _start(name: str, env: dict[str, str], fake: FakeSlack, folder: Path) -> BotProcess:
    port = free_port()
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            env=env | {"PORT": str(port)},
            cwd=folder,  # no .env of the clone is read
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return BotProcess(name, process, SlackSender(f"http://127.0.0.1:{port}", fake), log)


def _wait_healthy(bot: BotProcess, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bot.process.poll() is not None:
            pytest.fail(f"{bot.name} exited with {bot.process.returncode}:\n{bot.tail()}")
        try:
            with urllib.request.urlopen(bot.sender.url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{bot.name} was not healthy within {timeout:.0f} s:\n{bot.tail()}")


def _wait_indexed(engine: Engine, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine) as session:
            if count_pending_index_changes(session=session) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"the seeded records were not indexed within {timeout:.0f} s")


def _stop(bot: BotProcess) -> None:
    if bot.process.poll() is None:
        bot.process.send_signal(signal.SIGTERM)
        try:
            bot.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            bot.process.kill()
            bot.process.wait(timeout=10)


def _seed(engine: Engine) -> list[str]:
    """The cast, two more solvers (so an answer is a ranking, not the only company), and
    digest subscribers with news; returns the subscribers' Slack addresses."""
    add_cast(engine)
    with session_scope(engine) as session:
        add_member(
            session,
            "lampoverkko",
            name="Lämpöverkko Oy",
            description="District heating network design and thermal modelling.",
            capabilities=["district heating network design", "heat load forecasting"],
        )
        add_member(
            session,
            "katuvalo",
            name="Katuvalo Oy",
            description="Smart street lighting for cities.",
            capabilities=["adaptive street lighting", "lighting control software"],
        )
    return crowd(engine, people=4, channels=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = _create_postgres_database_or_skip()
    folder = tmp_path_factory.mktemp("several-processes")
    engine = make_engine(url)
    fake = FakeSlack().start()
    add_cast_profiles(fake)
    bots: list[BotProcess] = []
    try:
        migrate.upgrade(engine)
        recipients = _seed(engine)
        with chroma_run(folder / "chroma") as (_client, chroma_url):
            env = _environment(url, chroma_url, fake, folder)
            bots = [_start(name, env, fake, folder) for name in ("first", "second")]
            for bot in bots:
                _wait_healthy(bot)
            # The seeded records are indexed by the processes' background indexers; a question
            # asked before they finish is answered from part of them, saying so (tested in
            # tests/bot/services/test_index_backlog.py), which is not what these tests are about.
            _wait_indexed(engine)
            yield World(url, engine, fake, env, folder, bots[0], bots[1], recipients)
            for bot in bots:
                _stop(bot)
    finally:
        for bot in bots:
            _stop(bot)
        fake.stop()
        engine.dispose()
        _drop_postgres_database(url)


def _dm(text: str, user: str = STAFF_USER) -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return {
        "type": "message",
        "channel": DM,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
    }


def _answers(fake: FakeSlack, event: dict[str, Any]) -> list[ApiCall]:
    """The answers posted in the question's thread (the :eyes: reaction is not one)."""
    return [
        call
        for call in fake.calls_to("chat.postMessage")
        if call.args.get("channel") == DM and call.args.get("thread_ts") == event["ts"]
    ]


def _shown(call: ApiCall) -> str:
    """What a message shows: its text and its blocks."""
    return str(call.args.get("text", "")) + json.dumps(call.args.get("blocks", []))


def _ask(world: World, bot: BotProcess, text: str, event_id: str) -> str:
    """Ask ``bot`` in a DM; the answer's text once it is posted."""
    event = _dm(text)
    assert bot.sender.event(event, event_id=event_id).status == 200
    world.fake.wait_for(lambda _: bool(_answers(world.fake, event)), timeout=30)
    return _shown(_answers(world.fake, event)[-1])


def test_an_event_and_its_retry_at_the_other_process_are_answered_once(world: World) -> None:
    first, second, fake = world.first, world.second, world.fake
    # Slack delivers to the first process, times out on it and retries at the second.
    retried = _dm("who can do structural health monitoring?")
    assert first.sender.event(retried, event_id="Ev0SEVERAL1").status == 200
    assert second.sender.event(retried, event_id="Ev0SEVERAL1", retry_num=1).status == 200
    # The load balancer hands one event to both processes at the same moment.
    together = _dm("who could monitor the structural health of a bridge?")
    statuses: list[int] = []

    def deliver(bot: BotProcess) -> None:
        statuses.append(bot.sender.event(together, event_id="Ev0SEVERAL2").status)

    threads = [threading.Thread(target=deliver, args=(bot,)) for bot in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    fake.wait_for(lambda _: bool(_answers(fake, retried) and _answers(fake, together)), 30)
    fake.settle(quiet=2.0, timeout=15)
    for event in (retried, together):
        answers = _answers(fake, event)
        troubles = first.troubles() + "\n" + second.troubles()
        assert len(answers) == 1, ([a.args.get("text") for a in answers], troubles)
        assert "Arctic Sense Oy" in _shown(answers[0]), troubles


def _open_profile_form(world: World, bot: BotProcess) -> dict[str, Any]:
    before = len(world.fake.calls_to("views.open"))
    assert bot.sender.command("/profile", "", user=MEMBER_USER).status == 200
    opened = world.fake.wait_for_method("views.open", count=before + 1, timeout=30)
    view: dict[str, Any] = opened[-1].args["view"]
    return view


def _filled(view: dict[str, Any], **typed: str) -> dict[str, dict[str, dict[str, Any]]]:
    """What Slack sends for the form as shown, with ``typed`` fields replaced."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            name = block["block_id"].partition("@")[0]
            text = typed.get(name, block["element"].get("initial_value"))
            values[block["block_id"]] = {"value": {"type": "plain_text_input", "value": text}}
    return values


def test_a_profile_saved_through_one_process_is_found_by_the_other_at_once(
    world: World,
) -> None:
    first, second, fake = world.first, world.second, world.fake
    question = "Who can test pipelines for hydrogen embrittlement?"
    before = _ask(world, second, question, "Ev0SEVERAL3")
    assert "Arctic Sense Oy" not in before
    view = _open_profile_form(world, first)
    capabilities = "structural health monitoring\nembedded sensors\nhydrogen embrittlement testing"
    saved = first.sender.view_submission(
        user=MEMBER_USER,
        callback_id="profile_edit",
        values=_filled(view, capabilities=capabilities),
        private_metadata=view["private_metadata"],
    )
    assert saved.status == 200 and saved.body == ""
    # Aino is told it is saved (the first process has indexed it by then) ...
    fake.wait_for(
        lambda calls: any(
            c.method == "chat.postMessage"
            and c.args.get("channel") == MEMBER_USER
            and "Saved Arctic Sense Oy's profile" in str(c.args.get("text"))
            for c in calls
        ),
        timeout=30,
    )
    # ... and the second process, never restarted, finds it for the next person who asks.
    after = _ask(world, second, question, "Ev0SEVERAL4")
    assert "Arctic Sense Oy" in after
    assert "still taking in" not in after  # nothing was left for the question to index


def _digest_send(world: World) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "digest", "send"],
        env=world.env | {"LOG_LEVEL": "WARNING"},
        cwd=world.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _digests(fake: FakeSlack, recipients: list[str]) -> list[ApiCall]:
    return [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") in recipients]


def test_a_digest_run_started_in_two_processes_at_once_sends_each_digest_once(
    world: World,
) -> None:
    fake, recipients = world.fake, world.digest_recipients
    assert _digests(fake, recipients) == []
    # Every weekly subscriber: the crowd with news, and those of the cast whom the tests before
    # linked to Slack (they have nothing new; which are linked depends on the tests run).
    with session_scope(world.engine) as session:
        ensure_person_subscriptions(session=session)  # as each run does first
        due = due_subscribers(session=session, frequency=DigestFrequency.WEEKLY, period="-")
    # Slack holds the digests' messages until every subscriber's has been asked for, so the
    # two runs are under way at the same time, whichever process starts first.
    released = fake.hold("chat.postMessage")
    runs: list[subprocess.Popen[str]] = []
    try:
        runs = [_digest_send(world), _digest_send(world)]
        fake.wait_for(lambda _: len(_digests(fake, recipients)) >= len(recipients), timeout=60)
        time.sleep(1.0)  # room for a second copy to be asked for, if one were coming
    finally:
        released.set()
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    fake.settle(quiet=1.0, timeout=15)
    sent_to = sorted(str(c.args["channel"]) for c in _digests(fake, recipients))
    assert sent_to == sorted(recipients)
    # Both runs went through every subscriber due: what one sent, the other found taken.
    weekly = [line for out in outputs for line in out.splitlines() if "weekly digest" in line]
    assert len(weekly) == 2, outputs
    counts = [json.loads("{" + _counts(line) + "}") for line in weekly]
    assert sum(c.get("sent", 0) for c in counts) == len(recipients), outputs
    assert [sum(c.values()) for c in counts] == [len(due)] * 2, outputs


def _counts(summary: str) -> str:
    """'weekly digest 2026-W49: sent: 3, taken: 2' -> '"sent": 3, "taken": 2'."""
    _, _, parts = summary.partition(": ")
    pairs = [part.split(": ") for part in parts.split(", ") if ": " in part]
    return ", ".join(f'"{name}": {int(value)}' for name, value in pairs)

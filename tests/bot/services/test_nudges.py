"""Profile nudges: due after PROFILE_NUDGE_DAYS untouched, one per organisation and period however
many processes run the job, never to those who turned them off (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from sqlalchemy import Engine, select, update

from bot.blocks.nudge import build_nudge
from bot.services import nudges, profiles
from bot.services.digests.sending import DeliveryFailed
from bot.services.identity import viewer_of
from standins.cluster import MEMBER_USER, add_cast, add_member, add_person
from standins.slack import BOT_TOKEN, FakeSlack
from storage import clock as store_clock
from storage import profiles as profile_store
from storage.db import make_engine, session_scope
from storage.models import DeliveryStatus, Member, MembershipStatus, Person
from storage.profile_models import ProfileNudge
from tests.bot.block_kit import assert_valid_message
from tests.conftest import NOW

DAYS = 180
ROOT = Path(__file__).resolve().parents[3]


class Recorder:
    """A poster that keeps what it was given (and refuses ``refuse``), thread-safe."""

    def __init__(self, refuse: str = "") -> None:
        self.sent: list[tuple[str, nudges.Nudge]] = []
        self.refuse = refuse
        self.lock = threading.Lock()

    def post(self, recipient: str, nudge: nudges.Nudge) -> str:
        if recipient == self.refuse:
            raise DeliveryFailed("user_not_found")
        with self.lock:
            self.sent.append((recipient, nudge))
            return f"ts{len(self.sent)}"


def untouched_for(engine: Engine, slug: str, days: int, now: datetime) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(Member).where(Member.slug == slug).values(updated_at=now - timedelta(days=days))
        )


def cluster(engine: Engine, now: datetime) -> None:
    """Arctic Sense (Aino, and Pekka who turned nudges off) untouched for 200 days; Espoo fresh;
    a former member and the cluster's own organisation as old."""
    cast = add_cast(engine)
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        session.get_one(Person, cast.member_person_id).slack_user_id = MEMBER_USER
        pekka = add_person(session, "pekka@arcticsense.example", arctic, "U0PEKKA0001")
        old = add_member(session, "gone-oy", membership_status=MembershipStatus.FORMER)
        add_person(session, "old@gone.example", old, "U0GONE00001")
        session.flush()
        pekka_id = pekka.id
    with session_scope(engine) as session:
        profile_store.set_nudges(session=session, person_id=pekka_id, on=False)
    for slug in ("arctic-sense", "gone-oy", "scic"):
        untouched_for(engine, slug, 200, now)


def test_periods_count_whole_spans_since_the_profile_was_looked_at() -> None:
    looked = datetime(2026, 1, 10, tzinfo=UTC)
    assert nudges.period_of(looked, looked + timedelta(days=179), DAYS) is None
    assert nudges.period_of(looked, looked + timedelta(days=180), DAYS) == "2026-01-10/1"
    assert nudges.period_of(looked, looked + timedelta(days=400), DAYS) == "2026-01-10/2"


def test_one_nudge_per_organisation_and_period(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cluster(engine, NOW)
    poster = Recorder()
    run = nudges.send_due_nudges(engine=engine, poster=poster, days=DAYS, operator_member="scic")
    assert [recipient for recipient, _ in poster.sent] == [MEMBER_USER]  # not Pekka, not Gone
    nudge = poster.sent[0][1]
    assert nudge.member_name == "Arctic Sense Oy" and nudge.language == "en"
    assert nudge.summary == (
        "Sensors that survive Arctic winters.",
        "Capabilities: structural health monitoring, embedded sensors",
        "References: —",
    )
    assert_valid_message(build_nudge(nudge))
    assert len(run.sent) == 1
    again = nudges.send_due_nudges(engine=engine, poster=poster, days=DAYS, operator_member="scic")
    assert len(poster.sent) == 1 and len(again.taken) == 1
    # A span later, the next period's nudge comes.
    clock.move_to(NOW + timedelta(days=DAYS))
    nudges.send_due_nudges(engine=engine, poster=poster, days=DAYS, operator_member="scic")
    assert len(poster.sent) == 2 and poster.sent[1][1].period.endswith("/2")


def test_still_true_starts_a_new_span_and_a_refusal_is_kept(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cluster(engine, NOW)
    nudges.send_due_nudges(
        engine=engine, poster=Recorder(refuse=MEMBER_USER), days=DAYS, operator_member="scic"
    )
    with session_scope(engine) as session:
        row = session.scalars(select(ProfileNudge)).one()
        assert (row.status, row.error) == (DeliveryStatus.FAILED, f"{MEMBER_USER}: user_not_found")
        aino = viewer_of(
            session.scalars(select(Person).where(Person.slack_user_id == MEMBER_USER)).one(),
            MEMBER_USER,
        )
    profiles.confirm_profile(engine=engine, viewer=aino, member_id=aino.member_id or 0)
    assert nudges.due_nudges(engine=engine, days=DAYS, operator_member="scic") == []
    clock.move_to(NOW + timedelta(days=DAYS + 1))
    due = nudges.due_nudges(engine=engine, days=DAYS, operator_member="scic")
    [arctic] = [n for n in due if n.member_name == "Arctic Sense Oy"]
    assert arctic.period == f"{store_clock.today() - timedelta(days=DAYS + 1)}/1"


def test_two_runs_at_once_send_each_nudge_once(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cluster(engine, NOW)
    poster = Recorder()
    # A second engine is what a second process has: its own connections to the same store.
    other = make_engine(engine.url.render_as_string(hide_password=False))
    start = threading.Barrier(2)

    def run(on: Engine) -> None:
        start.wait()
        nudges.send_due_nudges(engine=on, poster=poster, days=DAYS, operator_member="scic")

    try:
        threads = [threading.Thread(target=run, args=(e,)) for e in (engine, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        other.dispose()
    assert [recipient for recipient, _ in poster.sent] == [MEMBER_USER]


def test_the_nudge_job_in_two_processes_sends_once(engine: Engine, fake_slack: FakeSlack) -> None:
    # Real processes on the real clock: the records are dated from it.
    cluster(engine, datetime.now(UTC))
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake_slack.base_url,
        "LOG_LEVEL": "WARNING",
    }
    script = (
        "from bot import jobs; from bot.settings import Settings; "
        "from storage.db import make_engine; s = Settings(_env_file=None); "
        "run = jobs.run_nudges(jobs.build_nudge_runtime(s, make_engine(s.store_url))); "
        "print(len(run.sent), len(run.taken))"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = sorted(p.communicate(timeout=120)[0].strip() for p in processes)
    assert all(p.returncode == 0 for p in processes)
    # Both found the nudge due; one sent it, the other found it taken.
    assert outputs == ["0 1", "1 0"]
    posted = fake_slack.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in posted] == [MEMBER_USER]
    assert "Is it still true?" in str(posted[0].args["blocks"])

"""The digest scheduler: stable jobs in the store, crontab read as crontab, missed runs sent once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select

from bot import jobs
from bot.services.digests.choosing import capability_ranker
from bot.settings import Settings
from standins.cluster import add_challenge, crowd
from standins.digests import DigestSlack, slack_poster
from standins.openai_server import FakeOpenAI
from standins.slack import bot_settings
from storage.db import session_scope
from storage.digest_models import SCHEDULER_JOBS_TABLE
from storage.models import Challenge, ChallengeStatus, DigestFrequency
from tests.conftest import NOW

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
def slack() -> Iterator[DigestSlack]:
    fake = DigestSlack()
    fake.start()
    yield fake
    fake.stop()


def settings_for(slack: DigestSlack, **overrides: object) -> Settings:
    return bot_settings(slack, **overrides)


def runtime(engine: Engine, slack: DigestSlack) -> jobs.DigestRuntime:
    return jobs.DigestRuntime(
        engine=engine, poster=slack_poster(slack), rank=capability_ranker, timezone=HELSINKI
    )


def store_missed_run(
    engine: Engine, settings: Settings, missed_at: datetime, job_id: str = jobs.WEEKLY_JOB
) -> None:
    """What a bot that was down at the fire time leaves in the store: a next run in the past.

    Written through the job store alone: a started scheduler would process the job on its way
    down (APScheduler 3 runs one more round when a paused scheduler shuts down).
    """
    scheduler = BackgroundScheduler(timezone=HELSINKI)
    store = SQLAlchemyJobStore(engine=engine, tablename=SCHEDULER_JOBS_TABLE)
    store.start(scheduler, "default")
    function, trigger, args = jobs.scheduled_jobs(settings)[job_id]
    job = Job(
        scheduler,
        id=job_id,
        func=function,
        trigger=trigger,
        args=args,
        kwargs={},
        name=job_id,
        executor="default",
        misfire_grace_time=3600,
        coalesce=True,
        max_instances=1,
        next_run_time=missed_at,
    )
    store.add_job(job)


def test_crontab_weekdays_count_from_sunday_and_the_daily_job_keeps_the_time() -> None:
    monday = jobs.crontab_trigger("0 9 * * 1", HELSINKI)
    by_name = jobs.crontab_trigger("0 9 * * mon", HELSINKI)
    after = datetime(2026, 11, 25, 12, tzinfo=HELSINKI)  # a Wednesday
    expected = datetime(2026, 11, 30, 9, tzinfo=HELSINKI)
    assert monday.get_next_fire_time(None, after) == expected
    assert by_name.get_next_fire_time(None, after) == expected
    assert jobs.every_day("30 7 * * mon-fri") == "30 7 * * *"


def test_jobs_have_stable_ids_and_restarting_replaces_them(
    engine: Engine, slack: DigestSlack
) -> None:
    settings = settings_for(slack, digest_cron="15 8 * * tue")
    for _ in range(2):
        scheduler = jobs.start_scheduler(settings, runtime(engine, slack))
        found = {job.id: job for job in scheduler.get_jobs()}
        scheduler.shutdown(wait=False)
    assert sorted(found) == sorted(
        [jobs.DAILY_JOB, jobs.RETRY_JOB, jobs.WEEKLY_JOB, jobs.LIFECYCLE_JOB, jobs.NUDGE_JOB]
    )
    weekly = found[jobs.WEEKLY_JOB]
    assert weekly.coalesce is True and weekly.misfire_grace_time == 12 * 3600
    assert (weekly.next_run_time.weekday(), weekly.next_run_time.hour) == (1, 8)
    assert str(weekly.next_run_time.tzinfo) == "Europe/Helsinki"


def test_a_run_missed_while_down_goes_out_late_once(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    addresses = crowd(engine, people=3, channels=1)
    settings = settings_for(slack)
    store_missed_run(engine, settings, NOW - timedelta(hours=2))
    scheduler = jobs.start_scheduler(settings, runtime(engine, slack))
    try:
        slack.wait_for(lambda _: len(slack.digests()) >= len(addresses), timeout=10)
        next_run = scheduler.get_job(jobs.WEEKLY_JOB).next_run_time
    finally:
        scheduler.shutdown(wait=True)
    assert next_run > datetime.now(HELSINKI)
    # Starting again (another restart, or a second process) sends nothing more this week.
    scheduler = jobs.start_scheduler(settings, runtime(engine, slack))
    slack.settle(quiet=0.5)
    scheduler.shutdown(wait=True)
    assert slack.digests_per_recipient() == {a: 1 for a in addresses}


def test_a_run_missed_beyond_the_grace_is_skipped(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    crowd(engine, people=2)
    settings = settings_for(slack, digest_grace_hours=1)
    store_missed_run(engine, settings, NOW - timedelta(hours=2))
    scheduler = jobs.start_scheduler(settings, runtime(engine, slack))
    try:
        # The scheduler has dealt with the missed run once its next run is in the future.
        deadline = time.monotonic() + 5
        while scheduler.get_job(jobs.WEEKLY_JOB).next_run_time < datetime.now(HELSINKI):
            assert time.monotonic() < deadline, "the missed run was never dealt with"
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert slack.digests() == []


def test_the_scheduled_run_opens_each_digest_with_the_models_lines(
    engine: Engine,
    slack: DigestSlack,
    monkeypatch: pytest.MonkeyPatch,
    clock: time_machine.Traveller,
) -> None:
    crowd(engine, people=1, channels=1)
    intro = "Snow ploughing is this week's new challenge and fits your snow work."
    with FakeOpenAI(responder=lambda request: intro) as server:
        settings = settings_for(slack, llm_model="test-model", openai_base_url=server.base_url)
        built = jobs.build_runtime(settings, engine)
        assert built.llm is not None
        # The matching service's ranking needs the search index; the opening does not.
        monkeypatch.setattr(jobs, "_runtime", replace(built, rank=capability_ranker))
        jobs.run_digest_job(DigestFrequency.WEEKLY.value)
        assert len(server.requests) == 2
    assert [intro in str(d["blocks"]) for d in slack.digests()] == [True, True]
    assert jobs.build_runtime(settings_for(slack), engine).llm is None


def test_the_lifecycle_job_runs_daily_and_a_missed_run_closes_and_tells_once(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    with session_scope(engine) as session:
        add_challenge(
            session,
            "kera-heat",
            deadline=NOW.date() - timedelta(days=1),
            slack_channel_id="C0CHALLENGE",
            slack_thread_ts="1760000100.000100",
        )
    settings = settings_for(slack, staff_channel="C0STAFF0001", lifecycle_cron="30 6 * * *")
    function, trigger, _ = jobs.scheduled_jobs(settings)[jobs.LIFECYCLE_JOB]
    assert function == jobs.LIFECYCLE_FUNCTION
    # Every day at 06:30 in the digests' time zone.
    assert trigger.get_next_fire_time(None, NOW) == datetime(2026, 11, 26, 6, 30, tzinfo=HELSINKI)
    store_missed_run(engine, settings, NOW - timedelta(hours=1), job_id=jobs.LIFECYCLE_JOB)
    lifecycle = jobs.build_lifecycle_runtime(settings, engine)
    # Two processes starting on the same store: the missed run is run by both, told once.
    first = jobs.start_scheduler(settings, runtime(engine, slack), lifecycle)
    second = jobs.start_scheduler(settings, runtime(engine, slack), lifecycle)
    try:
        slack.wait_for(lambda _: len(slack.digests()) >= 2, timeout=10)
        slack.settle(quiet=0.5)
    finally:
        first.shutdown(wait=True)
        second.shutdown(wait=True)
    posted = [
        (c.args["channel"], c.args.get("thread_ts")) for c in slack.calls_to("chat.postMessage")
    ]
    assert sorted(posted, key=str) == [
        ("C0CHALLENGE", "1760000100.000100"),
        ("C0STAFF0001", None),
    ]
    with session_scope(engine) as session:
        (row,) = session.scalars(select(Challenge))
        assert (row.status, row.deadline_closed_on) == (ChallengeStatus.CLOSED, NOW.date())

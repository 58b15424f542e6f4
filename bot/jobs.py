"""Scheduled jobs: the opportunity digests and the challenges' lifecycle, run by APScheduler
with its jobs kept in the store.

Five jobs, each with a stable id and ``replace_existing=True`` so every start (and every bot
process) rewrites the same rows instead of adding copies:

- ``digest-weekly`` on DIGEST_CRON (default Mondays 09:00) in DIGEST_TIMEZONE;
- ``digest-daily`` at the same time of day, every day, for daily subscribers;
- ``digest-retry`` every half hour: retries the current periods' failed deliveries and takes
  over those a crashed run left pending, without starting a period that was never started;
- ``challenge-lifecycle`` on LIFECYCLE_CRON (default every day at 07:00, before the digests):
  closes the challenges whose deadline has passed, tells their threads and the staff channel,
  and reminds the interested a week and a day before a deadline (bot.services.lifecycle).
- ``profile-nudges`` on PROFILE_NUDGE_CRON (default every day at 10:00): one DM to the people
  of each member whose profile nobody has looked at for PROFILE_NUDGE_DAYS, once per
  organisation and period (bot.services.nudges).

A run missed while no bot was up goes out late, once, when one starts within
DIGEST_GRACE_HOURS (``coalesce`` folds several missed runs into one). APScheduler itself forgets
a missed run when a job is re-added with ``replace_existing`` (it recomputes the next run from
now), so `start_scheduler` reads the stored next run time first and keeps it when it is past.

APScheduler does not coordinate schedulers sharing a job store: with several bot processes each
may run the same job. That is safe by design: whether a subscriber gets a digest is decided by
the delivery log (bot.services.digests), and whether a notice goes out by the notice log
(bot.services.lifecycle), not by the scheduler.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.app import build_web_client
from bot.deps import BotDeps
from bot.digest_delivery import SlackDigestPoster
from bot.lifecycle_delivery import SlackNoticePoster
from bot.nudge_delivery import SlackNudgePoster
from bot.services.digests.choosing import ChallengeRanker, default_ranker
from bot.services.digests.sending import DigestPoster, send_due_digests
from bot.services.lifecycle import NoticePoster, run_lifecycle
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.nudges import NudgePoster, NudgeRun, send_due_nudges
from bot.settings import Settings
from storage import clock
from storage.digest_models import SCHEDULER_JOBS_TABLE
from storage.models import DigestFrequency

log = logging.getLogger(__name__)

WEEKLY_JOB = "digest-weekly"
DAILY_JOB = "digest-daily"
RETRY_JOB = "digest-retry"
LIFECYCLE_JOB = "challenge-lifecycle"
NUDGE_JOB = "profile-nudges"
RETRY_EVERY = timedelta(minutes=30)
# Referenced by name: the stored job must not pickle settings (and so the bot token).
JOB_FUNCTION = "bot.jobs:run_digest_job"
LIFECYCLE_FUNCTION = "bot.jobs:run_lifecycle_job"
NUDGE_FUNCTION = "bot.jobs:run_nudge_job"
ALL = "all"
# Several recipients at once; each channel still gets at most one message a second.
SEND_WORKERS = 4

# crontab counts weekdays from Sunday = 0 (7 too); APScheduler 3 from Monday = 0. Names agree.
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True)
class DigestRuntime:
    """What a digest run needs in this process; set by `start_scheduler`, never stored."""

    engine: Engine
    poster: DigestPoster
    rank: ChallengeRanker
    timezone: ZoneInfo
    workers: int = SEND_WORKERS
    #: Writes each digest's opening lines; None: digests without one.
    llm: LanguageModel | None = None


_runtime: DigestRuntime | None = None


@dataclass(frozen=True)
class LifecycleRuntime:
    """What the lifecycle run needs in this process; set by `start_scheduler`, never stored."""

    engine: Engine
    poster: NoticePoster
    staff_channel: str


_lifecycle: LifecycleRuntime | None = None


def build_lifecycle_runtime(
    settings: Settings, engine: Engine, *, client: WebClient | None = None
) -> LifecycleRuntime:
    return LifecycleRuntime(
        engine=engine,
        poster=SlackNoticePoster(client or build_web_client(settings)),
        staff_channel=settings.staff_channel,
    )


def run_lifecycle_job() -> None:
    """The scheduled job: close what the deadline closed, remind, send the notices."""
    runtime = _lifecycle
    if runtime is None:
        log.error("lifecycle job ran before start_scheduler set up this process; skipped")
        return
    run_lifecycle(engine=runtime.engine, poster=runtime.poster, staff_channel=runtime.staff_channel)


@dataclass(frozen=True)
class NudgeRuntime:
    """What the profile nudge run needs in this process; set by `start_scheduler`."""

    engine: Engine
    poster: NudgePoster
    days: int
    operator_member: str


_nudges: NudgeRuntime | None = None


def build_nudge_runtime(
    settings: Settings, engine: Engine, *, client: WebClient | None = None
) -> NudgeRuntime:
    return NudgeRuntime(
        engine=engine,
        poster=SlackNudgePoster(client or build_web_client(settings)),
        days=settings.profile_nudge_days,
        operator_member=settings.operator_member,
    )


def run_nudges(runtime: NudgeRuntime) -> NudgeRun:
    return send_due_nudges(
        engine=runtime.engine,
        poster=runtime.poster,
        days=runtime.days,
        operator_member=runtime.operator_member,
    )


def run_nudge_job() -> None:
    """The scheduled job: nudge the people of every profile left untouched too long."""
    runtime = _nudges
    if runtime is None:
        log.error("nudge job ran before start_scheduler set up this process; skipped")
        return
    run = run_nudges(runtime)
    if run.sent or run.failed:
        log.info("profile nudges: %d sent, %d failed", len(run.sent), len(run.failed))


def build_runtime(
    settings: Settings,
    engine: Engine,
    *,
    client: WebClient | None = None,
    search: SolverSearch | None = None,
    llm: LanguageModel | None = None,
) -> DigestRuntime:
    """The digest run's parts; the language model is built from the settings unless given."""
    return DigestRuntime(
        engine=engine,
        poster=SlackDigestPoster(client or build_web_client(settings)),
        rank=default_ranker(BotDeps(settings=settings, engine=engine, search=search).solver_search),
        timezone=ZoneInfo(settings.digest_timezone),
        llm=llm if llm is not None else LanguageModel.from_settings(settings, engine),
    )


def run_digest_job(frequency: str = ALL, retry_only: bool = False) -> None:
    """The scheduled job: send (or only retry) the current period's digests."""
    runtime = _runtime
    if runtime is None:
        log.error("digest job ran before start_scheduler set up this process; skipped")
        return
    frequencies = (
        [DigestFrequency.WEEKLY, DigestFrequency.DAILY]
        if frequency == ALL
        else [DigestFrequency(frequency)]
    )
    for chosen in frequencies:
        send_due_digests(
            engine=runtime.engine,
            poster=runtime.poster,
            rank=runtime.rank,
            frequency=chosen,
            timezone=runtime.timezone,
            include_new=not retry_only,
            workers=runtime.workers,
            llm=runtime.llm,
        )


def crontab_trigger(expr: str, timezone: ZoneInfo) -> CronTrigger:
    """A CronTrigger read the way crontab reads ``expr`` (weekday numbers from Sunday = 0)."""
    fields = expr.split()
    if len(fields) == 5 and "/" not in fields[4]:
        fields[4] = re.sub(r"\d+", lambda m: _WEEKDAYS[int(m.group()) % 7], fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)


def every_day(expr: str) -> str:
    """The daily digest's crontab: the weekly one's time of day, on every day."""
    minute, hour, *_ = expr.split()
    return f"{minute} {hour} * * *"


def digest_jobs(settings: Settings) -> dict[str, tuple[Any, list[Any]]]:
    """Job id -> (trigger, arguments of run_digest_job)."""
    timezone = ZoneInfo(settings.digest_timezone)
    return {
        WEEKLY_JOB: (
            crontab_trigger(settings.digest_cron, timezone),
            [DigestFrequency.WEEKLY.value],
        ),
        DAILY_JOB: (
            crontab_trigger(every_day(settings.digest_cron), timezone),
            [DigestFrequency.DAILY.value],
        ),
        RETRY_JOB: (IntervalTrigger(seconds=int(RETRY_EVERY.total_seconds())), [ALL, True]),
    }


def scheduled_jobs(settings: Settings) -> dict[str, tuple[str, Any, list[Any]]]:
    """Every job: id -> (the function's name, trigger, arguments)."""
    jobs: dict[str, tuple[str, Any, list[Any]]] = {
        job_id: (JOB_FUNCTION, trigger, args)
        for job_id, (trigger, args) in digest_jobs(settings).items()
    }
    timezone = ZoneInfo(settings.digest_timezone)
    jobs[LIFECYCLE_JOB] = (
        LIFECYCLE_FUNCTION,
        crontab_trigger(settings.lifecycle_cron, timezone),
        [],
    )
    jobs[NUDGE_JOB] = (NUDGE_FUNCTION, crontab_trigger(settings.profile_nudge_cron, timezone), [])
    return jobs


def _missed_run(scheduler: BackgroundScheduler, job_id: str, now: datetime) -> datetime | None:
    """The stored job's next run time when it has passed: a run missed while the bot was down."""
    try:
        job = scheduler.get_job(job_id)
    except Exception:  # a stored job this code can no longer load is simply replaced
        log.warning("cannot read the stored job %s; replacing it", job_id, exc_info=True)
        return None
    next_run: datetime | None = getattr(job, "next_run_time", None)
    return next_run if next_run is not None and next_run <= now else None


def start_scheduler(
    settings: Settings,
    runtime: DigestRuntime,
    lifecycle: LifecycleRuntime | None = None,
    nudges: NudgeRuntime | None = None,
) -> BackgroundScheduler:
    """Start the jobs in this process; the caller shuts the scheduler down.

    ``lifecycle``: the lifecycle job's parts (by default, posting with the digests' engine
    through a Web client built from the settings).
    """
    global _runtime, _lifecycle, _nudges
    _runtime = runtime
    _lifecycle = lifecycle or build_lifecycle_runtime(settings, runtime.engine)
    _nudges = nudges or build_nudge_runtime(settings, runtime.engine)
    timezone = ZoneInfo(settings.digest_timezone)
    # APScheduler takes whole seconds, at least one.
    grace = max(1, int(settings.digest_grace_hours * 3600))
    scheduler = BackgroundScheduler(
        jobstores={
            "default": SQLAlchemyJobStore(engine=runtime.engine, tablename=SCHEDULER_JOBS_TABLE)
        },
        timezone=timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
    )
    # Paused: the stored jobs are read before they are replaced, and nothing runs in between.
    scheduler.start(paused=True)
    now = clock.now().astimezone(timezone)
    for job_id, (function, trigger, args) in scheduled_jobs(settings).items():
        missed = _missed_run(scheduler, job_id, now)
        kept: dict[str, Any] = {"next_run_time": missed} if missed else {}
        if missed:
            log.info("job %s missed its run at %s; it runs now if within the grace", job_id, missed)
        scheduler.add_job(
            function,
            trigger=trigger,
            args=args,
            id=job_id,
            name=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=grace,
            **kept,
        )
    scheduler.resume()
    log.info(
        "scheduler started: weekly digest at %r, daily at %r, lifecycle at %r (%s)",
        settings.digest_cron,
        every_day(settings.digest_cron),
        settings.lifecycle_cron,
        settings.digest_timezone,
    )
    return scheduler

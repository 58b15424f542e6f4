"""A challenge's life along its dates: the daily job closes the challenges whose deadline has
passed (or moves them to the status staff chose for that case), tells their thread and the
staff channel, and reminds the interested a week and a day before the deadline.

Slack-free: `bot.jobs` runs `run_lifecycle` every day; the messages are drawn by
`bot.blocks.lifecycle` and posted through a `NoticePoster` (the Slack adapter is
`bot.lifecycle_delivery`).

Exactly once, in any number of processes: each notice is a row of the notice log, written in
the same transaction as the change it tells of (a status moved, a reminder due) and unique per
challenge, kind, deadline and place; a run claims a row in the store before posting it, as the
digests do. The one window left is the digests' too: a process that dies after Slack took the
message and before the row is marked sent leaves a claim that another run takes over after
CLAIM_LEASE, and that message is posted twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.challenges import AFTER_DEADLINE, ChallengeSummary, summary_of
from bot.services.digests.choosing import reading_language
from bot.services.digests.sending import DeliveryFailed
from bot.services.teams.rosters import roster_of_team
from storage import clock
from storage import lifecycle as store
from storage import teams as team_store
from storage.db import session_scope
from storage.lifecycle_models import ChallengeNotice

# Re-exported: the kinds of notice are the service's vocabulary for the message builders too.
from storage.lifecycle_models import NoticeKind as NoticeKind
from storage.models import OPEN_STATUSES, Challenge, ChallengeStatus, DeliveryStatus

log = logging.getLogger(__name__)

#: How many days before the deadline each reminder goes out (at the latest).
REMINDER_DAYS = {NoticeKind.WEEK: 7, NoticeKind.DAY: 1}
#: A claim older than this was left by a run that died; another run may take it over.
CLAIM_LEASE = timedelta(minutes=10)
#: Slack refusing a notice this many times (a deleted thread, an archived channel) ends it.
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class TeamState:
    """One of the challenge's teams as staff need it when the deadline has passed."""

    label: str
    status: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class Notice:
    """One message about a challenge's dates, for one place (a thread, a channel, a DM)."""

    kind: NoticeKind
    challenge: ChallengeSummary
    #: The deadline it is about (the challenge's, when it was queued).
    deadline: date
    today: date
    address: str
    thread_ts: str
    language: str
    #: The staff channel's notice (with the teams), rather than the team's.
    for_staff: bool = False
    #: Who is reminded (Slack user ids), in a thread.
    mentions: tuple[str, ...] = ()
    teams: tuple[TeamState, ...] = ()


class NoticePoster(Protocol):
    """Posts a notice; returns the message's ts, raises DeliveryFailed when Slack refuses."""

    def post(self, notice: Notice) -> str: ...


@dataclass(frozen=True)
class LifecycleReport:
    """What one run did: challenges closed (slugs), notices queued, sent and failed."""

    closed: tuple[str, ...]
    queued: int
    sent: int
    failed: int


def run_lifecycle(*, engine: Engine, poster: NoticePoster, staff_channel: str) -> LifecycleReport:
    """The daily job: close what the deadline has closed, queue the reminders due, send every
    notice no other run is sending."""
    today = clock.today()
    closed, queued = close_past_deadlines(engine=engine, staff_channel=staff_channel, today=today)
    queued += queue_reminders(engine=engine, today=today)
    sent, failed = send_notices(engine=engine, poster=poster)
    if closed or sent or failed:
        log.info(
            "lifecycle: closed %d challenges, %d notices sent, %d failed",
            len(closed),
            sent,
            failed,
        )
    return LifecycleReport(tuple(closed), queued, sent, failed)


def close_past_deadlines(
    *, engine: Engine, staff_channel: str, today: date
) -> tuple[list[str], int]:
    """Move every challenge whose deadline day is over out of the open statuses, each in its
    own transaction with its notices; returns the slugs moved and the notices queued."""
    with session_scope(engine) as session:
        due = store.past_deadline_ids(session=session, today=today)
    closed: list[str] = []
    queued = 0
    for challenge_id in due:
        with session_scope(engine) as session:
            challenge = store.challenge_for_update(session=session, challenge_id=challenge_id)
            # Another process may have got here first, or staff moved the deadline meanwhile.
            if challenge is None or challenge.status not in OPEN_STATUSES:
                continue
            if challenge.deadline is None or challenge.deadline >= today:
                continue
            after = challenge.status_after_deadline
            challenge.status = after if after in AFTER_DEADLINE else ChallengeStatus.CLOSED
            challenge.deadline_closed_on = today
            session.flush()  # the search index hears of it too (storage.outbox)
            queued += _queue(session, challenge, NoticeKind.CLOSED, staff_channel=staff_channel)
            closed.append(challenge.slug)
    return closed, queued


def queue_reminders(*, engine: Engine, today: date) -> int:
    """Reminders due today for challenges someone still wants in on; returns how many new."""
    queued = 0
    window = max(REMINDER_DAYS.values())
    with session_scope(engine) as session:
        for challenge in store.closing_between(
            session=session, first=today, last=today + timedelta(days=window)
        ):
            assert challenge.deadline is not None  # closing_between has a deadline by then
            days = (challenge.deadline - today).days
            kind = NoticeKind.DAY if days <= REMINDER_DAYS[NoticeKind.DAY] else NoticeKind.WEEK
            queued += _queue(session, challenge, kind, staff_channel="")
    return queued


def _queue(session: Session, challenge: Challenge, kind: NoticeKind, *, staff_channel: str) -> int:
    """The rows of one notice: the card's thread (else, for a reminder, each interested
    person's DM) and, when the deadline closed the challenge, the staff channel."""
    assert challenge.deadline is not None
    places: list[tuple[str, str, str]] = []  # (address, thread, language)
    if kind is not NoticeKind.CLOSED:
        members = store.interested_member_ids(session=session, challenge_id=challenge.id)
        if not members:
            return 0
        if not (challenge.slack_channel_id and challenge.slack_thread_ts):
            people = store.interested_people(
                session=session, challenge_id=challenge.id, member_ids=members
            )
            places += [(p.slack_user_id, "", reading_language(p.languages)) for p in people]
    if challenge.slack_channel_id and challenge.slack_thread_ts:
        places.append((challenge.slack_channel_id, challenge.slack_thread_ts, challenge.language))
    if kind is NoticeKind.CLOSED and staff_channel:
        places.append((staff_channel, "", "en"))
    now = clock.now()
    return sum(
        store.add_notice(
            session=session,
            challenge_id=challenge.id,
            kind=kind,
            deadline=challenge.deadline,
            address=address,
            thread_ts=thread,
            language=language,
            now=now,
        )
        for address, thread, language in dict.fromkeys(places)
    )


def send_notices(*, engine: Engine, poster: NoticePoster) -> tuple[int, int]:
    """Post every notice no other run holds; returns (sent, failed)."""
    now = clock.now()
    stale = now - CLAIM_LEASE
    with session_scope(engine) as session:
        candidates = store.claimable_notice_ids(
            session=session, stale_before=stale, max_attempts=MAX_ATTEMPTS
        )
    sent = failed = 0
    for notice_id in candidates:
        token = uuid.uuid4().hex
        with session_scope(engine) as session:
            claimed = store.claim_notice(
                session=session,
                notice_id=notice_id,
                token=token,
                now=clock.now(),
                stale_before=clock.now() - CLAIM_LEASE,
                max_attempts=MAX_ATTEMPTS,
            )
        if not claimed:
            continue
        with session_scope(engine) as session:
            notice = _notice(session, notice_id)
        if notice is None:
            # Overtaken (a new deadline, the challenge reopened or closed): nothing to say.
            _finish(engine, notice_id, token, DeliveryStatus.SENT)
            continue
        try:
            ts = poster.post(notice)
        except DeliveryFailed as exc:
            log.warning("notice %d about %s failed: %s", notice_id, notice.challenge.slug, exc)
            _finish(engine, notice_id, token, DeliveryStatus.FAILED, error=str(exc))
            failed += 1
            continue
        _finish(engine, notice_id, token, DeliveryStatus.SENT, slack_ts=ts)
        sent += 1
    return sent, failed


def _finish(
    engine: Engine,
    notice_id: int,
    token: str,
    status: DeliveryStatus,
    *,
    slack_ts: str | None = None,
    error: str = "",
) -> None:
    with session_scope(engine) as session:
        store.finish_notice(
            session=session,
            notice_id=notice_id,
            token=token,
            status=status,
            now=clock.now(),
            slack_ts=slack_ts,
            error=error,
        )


def _notice(session: Session, notice_id: int) -> Notice | None:
    """The message a queued notice makes now, from the records as they are; None when what
    it was about no longer holds."""
    row = store.notice_by_id(session=session, notice_id=notice_id)
    challenge = session.get(Challenge, row.challenge_id) if row is not None else None
    if row is None or challenge is None:
        return None
    today = clock.today()
    if row.kind is NoticeKind.CLOSED:
        if challenge.deadline_closed_on is None or challenge.deadline != row.deadline:
            return None
    elif challenge.deadline != row.deadline or not challenge.is_open_on(today):
        return None
    mentions: tuple[str, ...] = ()
    if row.kind is not NoticeKind.CLOSED and row.thread_ts:
        members = store.interested_member_ids(session=session, challenge_id=challenge.id)
        if not members:
            return None
        people = store.interested_people(
            session=session, challenge_id=challenge.id, member_ids=members
        )
        mentions = tuple(dict.fromkeys(p.slack_user_id for p in people))
    for_staff = row.kind is NoticeKind.CLOSED and not row.thread_ts
    return Notice(
        kind=row.kind,
        challenge=summary_of(challenge),
        deadline=row.deadline,
        today=today,
        address=row.address,
        thread_ts=row.thread_ts,
        language=row.language,
        for_staff=for_staff,
        mentions=mentions,
        teams=_teams(session, challenge) if for_staff else (),
    )


def _teams(session: Session, challenge: Challenge) -> tuple[TeamState, ...]:
    shown = [
        roster_of_team(session, team)
        for team in team_store.teams_of_challenge(session=session, challenge_id=challenge.id)
    ]
    return tuple(
        TeamState(r.label, r.status.value, tuple(e.member_name for e in r.entries)) for r in shown
    )


def notices_about(*, engine: Engine, challenge_id: int) -> Sequence[ChallengeNotice]:
    """Every notice queued about a challenge, oldest first (for `scic` and tests)."""
    with session_scope(engine) as session:
        return store.notices_of(session=session, challenge_id=challenge_id)

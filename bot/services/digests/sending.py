"""Sending each subscriber its digest exactly once per period, however many runs race.

Slack-free: the scheduler and `scic digest send` call `send_due_digests` with a
`DigestPoster` (bot.digest_delivery posts to Slack).

Exactly one digest per subscriber and period
--------------------------------------------
A *period* is the ISO week (``2026-W48``) of a weekly subscriber or the day (``2026-11-23``) of
a daily one, in DIGEST_TIMEZONE. The `digest_delivery` table has a unique key on
(subscription, period), and a run sends a subscriber's digest only after it has *claimed* that
row, in its own committed transaction, before anything goes to Slack:

1. Claim: ``INSERT ... ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL alike). However many
   runs race (two bot processes, a `scic digest send` beside the scheduler), the database lets
   exactly one insert the row; the others see "not mine" and move on. The claim carries a
   random token and the time (its lease).
2. Send, then mark the row 'sent' with Slack's message ts. The UPDATE names the claim token,
   so a run that lost its claim can never overwrite another's outcome.
3. Slack said no (user gone, channel archived, not in channel, rate limit retries used up):
   the row is marked 'failed' with the error, and the run goes on with the next subscriber.
   A later run of the same period takes a failed row over with a compare-and-set UPDATE
   (``WHERE status = 'failed' AND attempts < MAX_ATTEMPTS``) and tries again; only one run
   can win that UPDATE.
4. A run that dies between claim and mark leaves a 'pending' row. Once its lease (LEASE) has
   run out, one later run takes it over with the same kind of compare-and-set
   (``WHERE status = 'pending' AND claimed_at < now - LEASE``). The lease is far longer than
   one send (a claim covers one subscriber, not the whole run), so a live run never loses it.

So at most one run at a time holds a subscriber's period, and a period is closed ('sent') at
most once. The honest limit: a run that dies *after* Slack accepted the message but *before*
marking it sent leaves no trace in the store that the message went out. To keep the retry from
posting a second copy, every digest carries Slack message metadata naming its subscription and
period, and a run that takes over an earlier attempt first asks the poster whether that
message is already in the conversation (`DigestPoster.find_posted`: conversations.history
since the first claim); if so it only marks the row sent. When the history cannot be read
(missing scope, Slack down), the retry sends, and that one crash window can yield a duplicate:
at-least-once there, never zero.

"Nothing to say" closes the period too (sent, with no message ts): no empty messages, and no
surprise digest later in the same period.

With a language model, a digest opens with one or two sentences it writes (`introduce`). The
digest is built, and that opening written, *before* the claim, so the model's time never
widens the window between claiming and posting; the claim, the send and the marks are exactly
as above. Only a first attempt at a period gets an opening: a retry (or a subscriber Slack
keeps refusing) is not worth a model call each run. Racing runs may each pay for one, and
only one digest goes out.

No transaction is open while the model writes (a minute at worst, with retries): the digest
is read in one, which ends, and only then is the opening asked for; the same goes for the
previews. On PostgreSQL a transaction left waiting would hold a pooled connection "idle in
transaction" for all that time.
"""

from __future__ import annotations

import enum
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.services.digests.choosing import (
    ChallengeRanker,
    Digest,
    build_digest,
    introduce,
    period_key,
)
from bot.services.llm import LanguageModel
from storage import clock
from storage import digests as store
from storage.db import session_factory, session_scope
from storage.digests import Claim, Subscriber
from storage.models import DigestFrequency

log = logging.getLogger(__name__)

# A claim older than this belongs to a run that died; one send takes seconds, not minutes.
LEASE = timedelta(minutes=10)


# A recipient Slack keeps refusing (user deactivated...) is not tried forever.
MAX_ATTEMPTS = 5


class DeliveryFailed(Exception):
    """The messaging side refused one digest; ``error`` is its reason (e.g. user_not_found)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class DigestPoster(Protocol):
    def post(self, subscriber: Subscriber, digest: Digest) -> str:
        """Deliver the digest; returns the message's id (Slack ts); raises DeliveryFailed."""
        ...

    def find_posted(self, subscriber: Subscriber, period: str, since: datetime) -> str | None:
        """The id of this period's digest if it already reached the subscriber, when knowable."""
        ...


class Outcome(enum.StrEnum):
    SENT = "sent"
    ALREADY_THERE = "already_there"  # an earlier, interrupted attempt had got it through
    NOTHING_TO_SAY = "nothing_to_say"
    FAILED = "failed"
    TAKEN = "taken"  # another run holds or closed it


@dataclass
class DigestRun:
    """What one run did, per outcome: subscription ids."""

    frequency: DigestFrequency
    period: str
    outcomes: dict[Outcome, list[int]] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> int:
        return len(self.outcomes.get(outcome, []))

    def summary(self) -> str:
        parts = [f"{o.value.replace('_', ' ')}: {len(ids)}" for o, ids in self.outcomes.items()]
        return f"{self.frequency.value} digest {self.period}: " + (", ".join(parts) or "no one due")


def send_due_digests(
    *,
    engine: Engine,
    poster: DigestPoster,
    rank: ChallengeRanker,
    frequency: DigestFrequency,
    timezone: ZoneInfo,
    include_new: bool = True,
    workers: int = 1,
    llm: LanguageModel | None = None,
) -> DigestRun:
    """Send this period's digest to every subscriber on ``frequency`` that has not had it.

    ``include_new`` False only retries failed or abandoned deliveries (the retry job), so a
    period missed beyond the grace time is not started late. Safe to run in several processes
    at once: see the module's docstring.
    """
    now = clock.now()
    period = period_key(frequency, now, timezone)
    with session_scope(engine) as session:
        store.ensure_person_subscriptions(session=session)
        due = store.due_subscribers(session=session, frequency=frequency, period=period)
        if not include_new:
            started = store.started_subscription_ids(session=session, period=period)
            due = [s for s in due if s.subscription_id in started]
    run = DigestRun(frequency, period)

    def one(subscriber: Subscriber) -> None:
        outcome = deliver_digest(
            engine=engine,
            poster=poster,
            rank=rank,
            subscriber=subscriber,
            frequency=frequency,
            timezone=timezone,
            now=now,
            llm=llm,
        )
        run.outcomes.setdefault(outcome, []).append(subscriber.subscription_id)

    if workers <= 1:
        for subscriber in due:
            one(subscriber)
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="digest") as pool:
            for done in [pool.submit(one, s) for s in due]:
                done.result()
    log.info("%s", run.summary())
    return run


def deliver_digest(
    *,
    engine: Engine,
    poster: DigestPoster,
    rank: ChallengeRanker,
    subscriber: Subscriber,
    frequency: DigestFrequency,
    timezone: ZoneInfo,
    now: datetime,
    llm: LanguageModel | None = None,
) -> Outcome:
    """Build, claim, send and close one subscriber's digest; each step its own transaction."""
    period = period_key(frequency, now, timezone)
    token = uuid.uuid4().hex
    sid = subscriber.subscription_id
    # Built (and opened by the model) before the claim: see the module's docstring. Trouble
    # building is held until the claim is ours, then recorded as before.
    digest: Digest | None = None
    trouble: Exception | None = None
    try:
        with session_scope(engine) as session:
            digest = build_digest(
                session=session,
                subscriber=subscriber,
                frequency=frequency,
                rank=rank,
                now=now,
                timezone=timezone,
            )
            first_attempt = (
                store.delivery_started_at(session=session, subscription_id=sid, period=period)
                is None
            )
        if first_attempt:
            digest = introduce(llm, digest)
    except Exception as exc:
        trouble = exc
    with session_scope(engine) as session:
        claim = store.claim_delivery(
            session=session,
            token=token,
            now=now,
            stale_before=now - LEASE,
            max_attempts=MAX_ATTEMPTS,
            subscription_id=sid,
            period=period,
        )
    if claim is None:
        return Outcome.TAKEN
    try:
        if trouble is not None:
            raise trouble
        with session_scope(engine) as session:
            started = (
                store.delivery_started_at(session=session, subscription_id=sid, period=period)
                or now
            )
        outcome = Outcome.SENT
        ts: str | None = None
        if digest is None:
            outcome = Outcome.NOTHING_TO_SAY
        else:
            if claim is Claim.RETRY:
                ts = poster.find_posted(subscriber, period, started)
                outcome = Outcome.ALREADY_THERE if ts else Outcome.SENT
            if ts is None:
                ts = poster.post(subscriber, digest)
    except Exception as exc:
        # One recipient's trouble (Slack's refusal, a bug in one digest) is logged and retried
        # by a later run; the others still get theirs.
        error = exc.error if isinstance(exc, DeliveryFailed) else f"{type(exc).__name__}: {exc}"
        log.warning(
            "digest %s for subscription %d failed: %s", period, subscriber.subscription_id, error
        )
        with session_scope(engine) as session:
            store.mark_delivery_failed(
                session=session, subscription_id=sid, period=period, token=token, error=error
            )
        return Outcome.FAILED
    with session_scope(engine) as session:
        kept = store.mark_delivery_sent(
            session=session,
            subscription_id=sid,
            period=period,
            token=token,
            slack_ts=ts,
            # The run's start, not the clock: the next digest's "new since" then overlaps this
            # run rather than leaving a gap in which a new challenge could go unmentioned.
            now=now,
        )
    if not kept:
        log.warning(
            "digest %s for subscription %d: the claim was taken over before it was marked sent",
            period,
            subscriber.subscription_id,
        )
    return outcome


def due_digest_previews(
    *,
    engine: Engine,
    rank: ChallengeRanker,
    frequency: DigestFrequency,
    timezone: ZoneInfo,
) -> list[tuple[Subscriber, Digest | None]]:
    """What a run would send now, without sending (``scic digest send --dry-run``)."""
    now = clock.now()
    period = period_key(frequency, now, timezone)
    # One transaction, rolled back: a dry run leaves the store exactly as it found it.
    with session_factory(engine)() as session:
        store.ensure_person_subscriptions(session=session)
        due = store.due_subscribers(session=session, frequency=frequency, period=period)
        previews = [
            (
                s,
                build_digest(
                    session=session,
                    subscriber=s,
                    frequency=frequency,
                    rank=rank,
                    now=now,
                    timezone=timezone,
                ),
            )
            for s in due
        ]
        session.rollback()
        return previews

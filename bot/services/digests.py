"""The opportunity digest: what each subscriber hears about, and sending it exactly once.

Slack-free: the scheduler, `scic digest` and the `/digest` command call these functions; the
message itself is drawn by bot.blocks.digest and posted by whatever `DigestPoster` the caller
hands in (bot.digest_delivery posts to Slack).

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
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.deps import BotDeps
from bot.services.challenges import (
    ChallengeNotFound,
    ChallengeSummary,
    find_challenge,
    summary_of,
)
from bot.services.identity import Viewer, viewer_of
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import ChallengeFit
from bot.services.writing import write_digest_intro
from storage import clock
from storage import digests as store
from storage.db import session_factory, session_scope
from storage.digests import Claim, Subscriber, TeamEvent
from storage.models import Challenge, DigestFrequency, Member, Person

log = logging.getLogger(__name__)

# A claim older than this belongs to a run that died; one send takes seconds, not minutes.
LEASE = timedelta(minutes=10)
# A recipient Slack keeps refusing (user deactivated...) is not tried forever.
MAX_ATTEMPTS = 5
FITS_SHOWN = 8
DEADLINES_SHOWN = 5
NEWS_SHOWN = 10
DEADLINE_WINDOW = timedelta(days=14)
# Ask the ranker for more than we show: new ones and "not relevant" ones are filtered after.
RANKED = 50


def period_key(frequency: DigestFrequency, moment: datetime, timezone: ZoneInfo) -> str:
    """The period ``moment`` falls in: an ISO week (2026-W48) or a day (2026-11-23)."""
    local = moment.astimezone(timezone)
    if frequency is DigestFrequency.DAILY:
        return local.date().isoformat()
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def period_length(frequency: DigestFrequency) -> timedelta:
    return timedelta(days=1) if frequency is DigestFrequency.DAILY else timedelta(days=7)


# --- ranking: where matching plugs in --------------------------------------------------------


class ChallengeRanker(Protocol):
    """Open challenges the viewer may see, best fit to the organisation first, with reasons."""

    def __call__(
        self, session: Session, member_id: int, viewer: Viewer, limit: int
    ) -> list[ChallengeFit]: ...


def default_ranker(deps: BotDeps) -> ChallengeRanker:
    """The matching service's ranking of open challenges for an organisation."""
    from bot.services import matching

    def rank(session: Session, member_id: int, viewer: Viewer, limit: int) -> list[ChallengeFit]:
        return matching.challenges_for_member(
            session=session,
            search=deps.solver_search(),
            member_id=member_id,
            viewer=viewer,
            limit=limit,
        )

    return rank


def _words(texts: Iterable[str]) -> set[str]:
    return {w for t in texts for w in t.casefold().replace("/", " ").split() if len(w) > 3}


def capability_ranker(
    session: Session, member_id: int, viewer: Viewer, limit: int
) -> list[ChallengeFit]:
    """A stand-in ranking: challenges whose needs and words meet the organisation's profile."""
    member = session.get(Member, member_id)
    if member is None:
        return []
    offers = [*member.capabilities, *member.technologies]
    fits: list[ChallengeFit] = []
    for challenge in store.open_challenges_visible(
        session=session,
        member_id=member_id,
        is_staff=viewer.is_staff,
        open_on=clock.today(),
        limit=500,
    ):
        text = _words([challenge.title, challenge.description, *challenge.needs, *challenge.tags])
        matched = [o for o in offers if _words([o]) and _words([o]) <= text]
        if matched:
            fits.append(
                ChallengeFit(
                    challenge_id=challenge.id,
                    slug=challenge.slug,
                    title=challenge.title,
                    score=float(len(matched)),
                    reason="matches your " + ", ".join(matched[:3]),
                )
            )
    fits.sort(key=lambda f: -f.score)
    return fits[:limit]


# --- what a digest says ----------------------------------------------------------------------


class Audience(enum.StrEnum):
    PERSON = "person"
    CHANNEL = "channel"


@dataclass(frozen=True)
class DigestItem:
    challenge: ChallengeSummary
    reason: str = ""


@dataclass(frozen=True)
class Digest:
    audience: Audience
    frequency: DigestFrequency
    period: str
    today: date
    organisation: str = ""
    fits: tuple[DigestItem, ...] = ()
    deadlines: tuple[DigestItem, ...] = ()
    team_news: tuple[TeamEvent, ...] = ()
    #: The language the subscriber reads ("fi" or "en"), for what the model writes.
    language: str = "en"
    #: The model's opening lines; "" without a model (the digest is the same otherwise).
    intro: str = ""

    @property
    def challenge_ids(self) -> tuple[int, ...]:
        return tuple(i.challenge.id for i in (*self.fits, *self.deadlines))


def build_person_digest(
    *,
    session: Session,
    viewer: Viewer,
    rank: ChallengeRanker,
    frequency: DigestFrequency,
    period: str,
    since: datetime,
    today: date,
) -> Digest | None:
    """A person's digest: new fitting challenges, deadlines near, their teams' news; or None."""
    if viewer.member_id is None:
        # No organisation to fit: what the cluster's channels hear, as far as they may see.
        channel = build_channel_digest(
            session=session, frequency=frequency, period=period, since=since, today=today
        )
        return None if channel is None else _as_person(channel)
    member_id = viewer.member_id
    unwanted = store.not_relevant_ids(session=session, member_id=member_id)
    ranked = [f for f in rank(session, member_id, viewer, RANKED) if f.challenge_id not in unwanted]
    # The ranker promises visible, open challenges; checking again costs one query and keeps a
    # restricted challenge from ever leaking through a ranker's bug.
    found = store.visible_challenges_by_id(
        session=session,
        ids=[f.challenge_id for f in ranked],
        member_id=member_id,
        is_staff=viewer.is_staff,
        open_on=today,
    )
    fits = [
        DigestItem(summary_of(found[f.challenge_id]), f.reason)
        for f in ranked
        if f.challenge_id in found and found[f.challenge_id].created_at > since
    ][:FITS_SHOWN]
    shown = {i.challenge.id for i in fits}
    followed = set(found) | store.engaged_challenge_ids(session=session, member_id=member_id)
    reasons = {f.challenge_id: f.reason for f in ranked}
    deadlines = [
        DigestItem(summary_of(c), reasons.get(c.id, "your organisation is on it"))
        for c in _deadlines(session, viewer, today, public_only=False)
        if c.id in followed and c.id not in shown and c.id not in unwanted
    ][:DEADLINES_SHOWN]
    news = store.team_events_since(
        session=session, member_id=member_id, since=since, limit=NEWS_SHOWN
    )
    if not (fits or deadlines or news):
        return None
    member = session.get(Member, member_id)
    return Digest(
        audience=Audience.PERSON,
        frequency=frequency,
        period=period,
        today=today,
        organisation=viewer.member_name,
        fits=tuple(fits),
        deadlines=tuple(deadlines),
        team_news=tuple(news),
        language=reading_language(member.languages if member else []),
    )


def reading_language(languages: Iterable[str]) -> str:
    """English, the cluster's common language, unless the organisation works in Finnish only."""
    spoken = {language.strip().casefold() for language in languages if language.strip()}
    return "fi" if spoken and spoken <= {"fi", "fin", "finnish", "suomi"} else "en"


def introduce(
    llm: LanguageModel | None, digest: Digest | None, *, person_id: int | None = None
) -> Digest | None:
    """The digest opened by the model's one or two sentences; unchanged without a model or
    when it fails (the digest never waits on, or breaks for, its opening).

    Call it outside any transaction: the model may take a minute. ``person_id``: the person
    who asked for this digest (their preview counts against their daily limit); None for the
    scheduled sends, asked for by no one.
    """
    if llm is None or digest is None:
        return digest
    try:
        intro = write_digest_intro(llm, digest, language=digest.language, person_id=person_id)
    except LanguageModelError as exc:
        log.warning("digest %s goes out without an opening: %s", digest.period, exc)
        return digest
    except Exception:
        log.exception("writing the opening of digest %s failed", digest.period)
        return digest
    return replace(digest, intro=intro)


def build_channel_digest(
    *,
    session: Session,
    frequency: DigestFrequency,
    period: str,
    since: datetime,
    today: date,
) -> Digest | None:
    """A channel's digest: public challenges new since the last one, and deadlines near."""
    new = store.new_public_challenges(session=session, since=since, open_on=today, limit=FITS_SHOWN)
    shown = {c.id for c in new}
    deadlines = [c for c in _deadlines(session, None, today, public_only=True) if c.id not in shown]
    if not (new or deadlines):
        return None
    return Digest(
        audience=Audience.CHANNEL,
        frequency=frequency,
        period=period,
        today=today,
        fits=tuple(DigestItem(summary_of(c)) for c in new),
        deadlines=tuple(DigestItem(summary_of(c)) for c in deadlines[:DEADLINES_SHOWN]),
    )


def _as_person(digest: Digest) -> Digest:
    return Digest(
        audience=Audience.PERSON,
        frequency=digest.frequency,
        period=digest.period,
        today=digest.today,
        fits=digest.fits,
        deadlines=digest.deadlines,
    )


def _deadlines(
    session: Session, viewer: Viewer | None, today: date, *, public_only: bool
) -> list[Challenge]:
    return store.deadlines_between(
        session=session,
        member_id=viewer.member_id if viewer else None,
        is_staff=viewer.is_staff if viewer else False,
        public_only=public_only,
        first=today,
        last=today + DEADLINE_WINDOW,
        limit=RANKED,
    )


def build_digest(
    *,
    session: Session,
    subscriber: Subscriber,
    frequency: DigestFrequency,
    rank: ChallengeRanker,
    now: datetime,
    timezone: ZoneInfo,
) -> Digest | None:
    """The digest ``subscriber`` gets for the period ``now`` falls in; None: nothing to say."""
    period = period_key(frequency, now, timezone)
    previous = store.last_digest_at(
        session=session, subscription_id=subscriber.subscription_id, period=period
    )
    since = previous or now - period_length(frequency)
    today = now.astimezone(timezone).date()
    if subscriber.person_id is None:
        return build_channel_digest(
            session=session, frequency=frequency, period=period, since=since, today=today
        )
    person = session.get(Person, subscriber.person_id)
    if person is None:
        return None
    return build_person_digest(
        session=session,
        viewer=viewer_of(person, subscriber.slack_user_id or ""),
        rank=rank,
        frequency=frequency,
        period=period,
        since=since,
        today=today,
    )


# --- sending ---------------------------------------------------------------------------------


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


@contextmanager
def _reading(engine: Engine | None, session: Session | None) -> Iterator[Session]:
    """A session to build a preview in, its transaction over when the block ends (rolled
    back: a preview writes nothing), so no connection waits while the model writes the
    opening. The caller's ``session``, or one of its own on ``engine``, then closed."""
    if session is not None:
        try:
            yield session
        finally:
            session.rollback()
        return
    if engine is None:
        raise TypeError("a preview reads from an engine or a session")
    with session_factory(engine)() as own:
        try:
            yield own
        finally:
            own.rollback()


def preview_for_person(
    *,
    viewer: Viewer,
    rank: ChallengeRanker,
    timezone: ZoneInfo,
    asked_by: int | None,
    engine: Engine | None = None,
    session: Session | None = None,
    llm: LanguageModel | None = None,
) -> Digest | None:
    """The digest the person would get now (weekly if theirs is off), sending nothing.

    Read from ``engine`` (or the caller's ``session``) and opened by the model once that
    transaction is over. ``asked_by``: whose request it is, counted against their daily limit
    (the person themself on `/digest preview`; None for staff at the terminal).
    """
    frequency = viewer.digest_frequency
    if frequency is DigestFrequency.OFF:
        frequency = DigestFrequency.WEEKLY
    with _reading(engine, session) as reading:
        subscription = store.person_subscription_id(session=reading, person_id=viewer.person_id)
        # Without a subscription yet there is no earlier digest: id 0 has no delivery log.
        subscriber = Subscriber(subscription or 0, viewer.person_id, viewer.slack_user_id, None)
        digest = build_digest(
            session=reading,
            subscriber=subscriber,
            frequency=frequency,
            rank=rank,
            now=clock.now(),
            timezone=timezone,
        )
    return introduce(llm, digest, person_id=asked_by)


def preview_for_channel(
    *,
    channel_id: str | None,
    timezone: ZoneInfo,
    engine: Engine | None = None,
    session: Session | None = None,
    llm: LanguageModel | None = None,
) -> Digest | None:
    """The digest a channel would get now; ``channel_id`` None: one that never had one.

    Read from ``engine`` (or the caller's ``session``) and opened by the model once that
    transaction is over; counted for nobody.
    """
    with _reading(engine, session) as reading:
        found = (
            store.channel_subscriber(session=reading, channel_id=channel_id) if channel_id else None
        )
        subscriber = found or Subscriber(0, None, None, channel_id or "")
        frequency = store.channel_frequency(session=reading, channel_id=channel_id or "")
        if frequency in (None, DigestFrequency.OFF):
            frequency = DigestFrequency.WEEKLY
        digest = build_digest(
            session=reading,
            subscriber=subscriber,
            frequency=frequency,
            rank=capability_ranker,  # unused: channel digests are not ranked for anyone
            now=clock.now(),
            timezone=timezone,
        )
    return introduce(llm, digest)


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


class FeedbackOutcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NO_ORGANISATION = "no_organisation"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class FeedbackResult:
    outcome: FeedbackOutcome
    challenge: ChallengeSummary | None


def mark_not_relevant(*, session: Session, viewer: Viewer, challenge_id: int) -> FeedbackResult:
    """The viewer's organisation does not want this challenge: it leaves their digests.

    Kept per organisation (digest_feedback), like interest; matching can read the same rows
    (storage.digests.not_relevant_ids) to rank such challenges down for the organisation.
    """
    try:
        challenge = find_challenge(session=session, viewer=viewer, key=str(challenge_id))
    except ChallengeNotFound:
        return FeedbackResult(FeedbackOutcome.NOT_FOUND, None)
    if viewer.member_id is None:
        return FeedbackResult(FeedbackOutcome.NO_ORGANISATION, challenge)
    added = store.add_not_relevant(
        session=session,
        member_id=viewer.member_id,
        challenge_id=challenge.id,
        person_id=viewer.person_id,
    )
    return FeedbackResult(FeedbackOutcome.RECORDED if added else FeedbackOutcome.ALREADY, challenge)

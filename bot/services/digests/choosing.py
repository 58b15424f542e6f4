"""What each subscriber's opportunity digest says: new challenges that fit the organisation,
deadlines near, its teams' news, and (with a language model) an opening written for it.

Slack-free: `send_due_digests` (bot.services.digests.sending), `scic digest preview` and
`/digest preview` call these; the message itself is drawn by bot.blocks.digest.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.challenges import (
    ChallengeSummary,
    summary_of,
)
from bot.services.identity import Viewer, viewer_of
from bot.services.language import language_name
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import ChallengeFit, Evidence, SolverSearch, challenges_for_member
from bot.services.text import clip, one_line
from prompts import as_data
from prompts.digest_intro import PROMPT as DIGEST_INTRO
from storage import clock
from storage import digests as store
from storage.db import session_factory
from storage.digests import Subscriber

# Re-exported: team news is part of what a digest says, for the message builders too.
from storage.digests import TeamEvent as TeamEvent
from storage.models import Challenge, DigestFrequency, Member, Person

log = logging.getLogger(__name__)

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


def default_ranker(search: Callable[[], SolverSearch]) -> ChallengeRanker:
    """The matching service's ranking of open challenges for an organisation, over the search
    index ``search`` gives (opened when the first digest needs it).

    A digest is not a question: before its first ranking it waits for everything queued for
    the index, so a member that joined or a challenge added a moment before the run is ranked
    in this period's digest rather than missing from it for good."""
    caught_up: list[SolverSearch] = []

    def rank(session: Session, member_id: int, viewer: Viewer, limit: int) -> list[ChallengeFit]:
        index = search()
        if index not in caught_up:
            index.index_all()
            caught_up.append(index)
        return challenges_for_member(
            session=session,
            search=index,
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
            kinds = {c: "capability" for c in member.capabilities}
            supporting = tuple(
                Evidence(kind=kinds.get(m, "technology"), title="", text=m) for m in matched
            )
            fits.append(
                ChallengeFit(
                    challenge_id=challenge.id,
                    slug=challenge.slug,
                    title=challenge.title,
                    score=float(len(matched)),
                    reason="matches your " + ", ".join(matched[:3]),
                    evidence=supporting[0],
                    supporting=supporting,
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
    #: Why it fits the reader's organisation: the passages of its own profile that matched,
    #: best first (the message says it in the reader's language). None for a channel.
    evidence: tuple[Evidence, ...] = ()
    #: The organisation is on it already (a deadline of a challenge it follows).
    followed: bool = False


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
    fits = by_closing_date(
        [
            DigestItem(summary_of(found[f.challenge_id]), _why(f))
            for f in ranked
            if f.challenge_id in found and found[f.challenge_id].created_at > since
        ][:FITS_SHOWN]
    )
    shown = {i.challenge.id for i in fits}
    engaged = store.engaged_challenge_ids(session=session, member_id=member_id)
    followed = set(found) | engaged
    why = {f.challenge_id: _why(f) for f in ranked}
    deadlines = [
        DigestItem(summary_of(c), why.get(c.id, ()), followed=c.id in engaged)
        for c in _deadlines(session, viewer, today, public_only=False)
        if c.id in followed and c.id not in shown and c.id not in unwanted
    ][:DEADLINES_SHOWN]
    news = latest_steps(
        store.team_events_since(
            session=session, member_id=member_id, since=since, limit=NEWS_SHOWN * 5
        )
    )[:NEWS_SHOWN]
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


# Why a challenge fits is said from this many of the organisation's matched passages.
REASONS_SHOWN = 2


def _why(fit: ChallengeFit) -> tuple[Evidence, ...]:
    """The organisation's own passages that matched, best first, one per passage."""
    found = fit.supporting or ((fit.evidence,) if fit.evidence else ())
    seen: dict[tuple[str, str], Evidence] = {}
    for evidence in found:
        seen.setdefault((evidence.kind, evidence.title or evidence.text), evidence)
    return tuple(seen.values())[:REASONS_SHOWN]


def by_closing_date(items: Iterable[DigestItem]) -> list[DigestItem]:
    """Soonest deadline first, those without one last; ties keep their order (best fit)."""
    return sorted(
        items, key=lambda i: (i.challenge.deadline is None, i.challenge.deadline or date.max)
    )


# An organisation's steps on a challenge, in the pipeline's order: it says it is interested,
# then joins a team (joining records the interest too). Leaving the team removes the join.
_STEP_ORDER = {"interest": 0, "joined": 1}


def latest_steps(events: Iterable[TeamEvent]) -> list[TeamEvent]:
    """Each organisation once per challenge with the furthest step it has taken ("joined"
    rather than also "is interested"), and each team's latest move; newest first."""
    latest: dict[tuple[str, str, str], TeamEvent] = {}
    for event in events:
        if event.kind == "status":
            key = ("status", event.challenge_title, event.team_name)
        else:
            key = ("member", event.challenge_title, event.member_name)
        rank = (_STEP_ORDER.get(event.kind, 0), event.at)
        kept = latest.get(key)
        if kept is None or rank > (_STEP_ORDER.get(kept.kind, 0), kept.at):
            latest[key] = event
    return sorted(latest.values(), key=lambda e: e.at, reverse=True)


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
        fits=tuple(by_closing_date(DigestItem(summary_of(c)) for c in new)),
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
    # The reader's day, or the store's (UTC) day when that is later: nothing listed as open may
    # be closed by the rule that a challenge is open through its deadline day, UTC.
    today = max(now.astimezone(timezone).date(), now.astimezone(UTC).date())
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


INTRO_MAX = 500


READERS = {
    True: "a member organisation of the cluster (named in the data) and its people",
    False: "a cluster-wide Slack channel read by people from every member organisation",
}


def _digest_item(item: DigestItem) -> dict[str, Any]:
    challenge = item.challenge
    return {
        "title": challenge.title,
        "place": ", ".join(p for p in (challenge.city, challenge.country) if p),
        "deadline": challenge.deadline.isoformat() if challenge.deadline else None,
        "needs": list(challenge.needs),
        "why_it_fits": [{"kind": e.kind, "title": e.title, "text": e.text} for e in item.evidence]
        or None,
        "description": clip(challenge.description, 400),
    }


def _digest_data(digest: Digest) -> dict[str, Any]:
    return {
        "for": digest.organisation or "the whole cluster",
        "period": digest.period,
        "new_challenges": [_digest_item(i) for i in digest.fits],
        "deadlines_in_the_next_two_weeks": [_digest_item(i) for i in digest.deadlines],
        "team_news": [
            {
                "what": event.kind,
                "challenge": event.challenge_title,
                "team": event.team_name,
                "member": event.member_name or None,
                "role": event.role or None,
                "from_status": event.from_status.value if event.from_status else None,
                "to_status": event.to_status.value if event.to_status else None,
            }
            for event in digest.team_news
        ],
    }


def write_digest_intro(
    llm: LanguageModel, digest: Digest, *, language: str, person_id: int | None = None
) -> str:
    """One or two sentences opening the digest; raises LanguageModelError when there are none.

    ``person_id``: who asked for it (a person's own preview counts against their daily limit);
    None for the scheduled digests, sent to no one in particular's request.
    """
    variables = {
        "reader": READERS[bool(digest.organisation)],
        "language": language_name(language),
        "today": digest.today.isoformat(),
        "digest": as_data(_digest_data(digest)),
    }
    intro = one_line(llm.write(DIGEST_INTRO, variables, person_id=person_id))
    if len(intro) > INTRO_MAX:
        raise LanguageModelError(f"the digest introduction is {len(intro)} characters long")
    return intro

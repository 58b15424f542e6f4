"""Challenge intake and follow-up: validate the form, store, list, show, change status, interest.

Slack-free: the slash command, the modal, the App Home and the CLI all call these functions.
"""

from __future__ import annotations

import enum
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.identity import Viewer
from bot.services.language import LANGUAGE_NAMES, detect_language, language_name
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import (
    SolverMatch,
    SolverSearch,
    TeamSuggestion,
    record_suggestions,
    suggest_team,
)
from bot.services.text import clip, one_line
from prompts import as_data
from prompts.match_reasons import PROMPT as MATCH_REASONS
from storage import challenges as store
from storage import clock
from storage import members as member_store
from storage.db import session_scope
from storage.models import OPEN_STATUSES, Challenge, Visibility

# Re-exported: a challenge's status is the service's vocabulary for its callers too.
from storage.models import ChallengeStatus as ChallengeStatus

log = logging.getLogger(__name__)

# Drafts are staff work in progress; members see everything else.
MEMBER_STATUSES = tuple(s for s in ChallengeStatus if s is not ChallengeStatus.DRAFT)
TITLE_MAX = 300
DESCRIPTION_MAX = 3000
SLUG_MAX = 60


def earliest_today() -> date:
    """Today's date somewhere on Earth (UTC-12): a deadline of 'today' is never refused as past.

    Slack's date picker gives the user's local day; the bot does not know their time zone.
    """
    return (clock.now() - timedelta(hours=12)).date()


class ChallengeError(Exception):
    """A request about challenges that cannot be done; the message is for the person asking."""


class NotStaff(ChallengeError):
    pass


class ChallengeNotFound(ChallengeError):
    pass


class UnknownStatus(ChallengeError):
    pass


@dataclass(frozen=True)
class ChallengeForm:
    """The intake form as typed: every field a string, None when left empty."""

    title: str | None = None
    description: str | None = None
    owner: str | None = None
    city: str | None = None
    country: str | None = None
    needs: str | None = None
    tags: str | None = None
    deadline: str | None = None
    budget_min: str | None = None
    budget_max: str | None = None
    visibility: str | None = None


@dataclass(frozen=True)
class ChallengeDraft:
    """A form that passed validation: ready to store."""

    title: str
    description: str = ""
    owner: str = ""
    city: str = ""
    country: str = ""
    needs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    deadline: date | None = None
    budget_min: int | None = None
    budget_max: int | None = None
    visibility: Visibility = Visibility.PUBLIC


@dataclass(frozen=True)
class FormCheck:
    """Either a draft or, per form field, what is wrong with it."""

    draft: ChallengeDraft | None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChallengeSummary:
    """A challenge as people see it in Slack, the CLI and digests."""

    id: int
    slug: str
    title: str
    description: str
    owner: str
    city: str
    country: str
    needs: tuple[str, ...]
    tags: tuple[str, ...]
    status: ChallengeStatus
    deadline: date | None
    budget_min: int | None
    budget_max: int | None
    currency: str
    visibility: Visibility
    channel_id: str | None
    thread_ts: str | None
    #: Its status says open but its deadline has passed: shown and treated as closed.
    expired: bool = False
    #: Where the daily job moves it once its deadline has passed (staff choose).
    after_deadline: ChallengeStatus = ChallengeStatus.CLOSED
    #: The day the daily job closed it because its deadline had passed; None otherwise.
    deadline_closed_on: date | None = None
    #: The language it is written in ("fi" or "en"): its thread is told things in it.
    language: str = "en"


@dataclass(frozen=True)
class ChallengePage:
    challenges: tuple[ChallengeSummary, ...]
    total: int
    which: str


class InterestOutcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NO_ORGANISATION = "no_organisation"
    FORMER_MEMBER = "former_member"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class InterestResult:
    outcome: InterestOutcome
    challenge: ChallengeSummary | None


def summary_of(challenge: Challenge) -> ChallengeSummary:
    owner = challenge.owner_member.name if challenge.owner_member else challenge.owner_name
    return ChallengeSummary(
        id=challenge.id,
        slug=challenge.slug,
        title=challenge.title,
        description=challenge.description,
        owner=owner,
        city=challenge.city,
        country=challenge.country,
        needs=tuple(challenge.needs),
        tags=tuple(challenge.tags),
        status=challenge.status,
        deadline=challenge.deadline,
        budget_min=challenge.budget_min,
        budget_max=challenge.budget_max,
        currency=challenge.currency,
        visibility=challenge.visibility,
        channel_id=challenge.slack_channel_id,
        thread_ts=challenge.slack_thread_ts,
        expired=challenge.status in OPEN_STATUSES and not challenge.is_open_on(clock.today()),
        after_deadline=challenge.status_after_deadline,
        deadline_closed_on=challenge.deadline_closed_on,
        language=challenge.language,
    )


# --- the intake form -------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    return (value or "").strip()


def split_list(value: str | None) -> tuple[str, ...]:
    """Needs and tags are typed one per line or separated by commas or semicolons."""
    items = (item.strip() for item in re.split(r"[,;\n]", value or ""))
    seen: dict[str, str] = {}
    for item in items:
        if item and item.casefold() not in seen:
            seen[item.casefold()] = item
    return tuple(seen.values())


def _parse_amount(value: str | None) -> int | None:
    """'50 000', '50,000', '€50000' and '50000 EUR' all mean 50000; raises ValueError."""
    text = re.sub(r"[\s,_€]|eur", "", _clean(value).lower())
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def validate_challenge_form(form: ChallengeForm, *, today: date | None = None) -> FormCheck:
    """Check the intake form; every problem is reported against the field it belongs to.

    A deadline before ``today`` (by default the earliest date anywhere on Earth) is refused.
    """
    today = today or earliest_today()
    errors: dict[str, str] = {}
    title = _clean(form.title)
    if not title:
        errors["title"] = "Give the challenge a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters."
    description = _clean(form.description)
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Keep the description under {DESCRIPTION_MAX} characters."

    deadline: date | None = None
    if _clean(form.deadline):
        try:
            deadline = date.fromisoformat(_clean(form.deadline))
        except ValueError:
            errors["deadline"] = "Pick the deadline from the calendar."
        else:
            if deadline < today:
                errors["deadline"] = "The deadline is in the past; pick a later day."

    amounts: dict[str, int | None] = {}
    for name in ("budget_min", "budget_max"):
        try:
            amounts[name] = _parse_amount(getattr(form, name))
        except ValueError:
            errors[name] = "Write the amount in whole euros, e.g. 50000."
            amounts[name] = None
    budget_min, budget_max = amounts["budget_min"], amounts["budget_max"]
    if budget_min is not None and budget_max is not None and budget_min > budget_max:
        errors["budget_max"] = "The maximum budget is below the minimum."

    try:
        visibility = Visibility(_clean(form.visibility) or Visibility.PUBLIC.value)
    except ValueError:
        errors["visibility"] = "Choose public or restricted."
        visibility = Visibility.PUBLIC

    if errors:
        return FormCheck(draft=None, errors=errors)
    draft = ChallengeDraft(
        title=title,
        description=description,
        owner=_clean(form.owner),
        city=_clean(form.city),
        country=_clean(form.country),
        needs=split_list(form.needs),
        tags=split_list(form.tags),
        deadline=deadline,
        budget_min=budget_min,
        budget_max=budget_max,
        visibility=visibility,
    )
    return FormCheck(draft=draft)


def make_slug(title: str, taken: set[str]) -> str:
    """A readable, unique key from the title: 'Lämpö & Kirkenes!' -> 'lampo-kirkenes'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:SLUG_MAX].rstrip("-")
    base = base or "challenge"
    slug, n = base, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        n += 1
    return slug


# --- storing and reading ---------------------------------------------------------------------


def create_challenge(*, engine: Engine, draft: ChallengeDraft, author: Viewer) -> ChallengeSummary:
    """Store a validated draft as an open challenge, queued for the search index."""
    with session_scope(engine) as session:
        if not author.is_staff:
            raise NotStaff("Only cluster staff can post challenges.")
        base = make_slug(draft.title, set())
        # Suffixed slugs keep at least the first 50 characters of the base (see make_slug).
        taken = store.slugs_starting_with(session=session, prefix=base[:50])
        slug = make_slug(draft.title, taken)
        owner = member_store.member_by_slug_or_name(session=session, text=draft.owner)
        challenge = store.create_challenge(
            session=session,
            data=store.NewChallenge(
                slug=slug,
                title=draft.title,
                description=draft.description,
                owner_member_id=owner.id if owner else None,
                owner_name=owner.name if owner else draft.owner,
                city=draft.city,
                country=draft.country,
                needs=list(draft.needs),
                tags=list(draft.tags),
                deadline=draft.deadline,
                budget_min=draft.budget_min,
                budget_max=draft.budget_max,
                visibility=draft.visibility,
                status=ChallengeStatus.OPEN,
                created_by_id=author.person_id,
                # Match reasons and summaries are written in the challenge's language.
                language=detect_language(f"{draft.title}\n{draft.description}"),
            ),
        )
        return summary_of(challenge)


def suggest_for_card(
    *,
    engine: Engine,
    search: SolverSearch,
    challenge: ChallengeSummary,
    llm: LanguageModel | None = None,
) -> TeamSuggestion:
    """The members suggested on a new challenge's card, remembered for the pipeline: the
    matching service's cover of the challenge's needs (`suggest_team`), the very computation
    "who is missing?" asks later, so a need gets the same best member in both places.

    With a language model each says in a sentence why it fits (staff work: counted for
    nobody); any member the model gives no usable sentence keeps its template reason. The
    model is asked between two transactions, never inside one: its wait (a minute at worst,
    with retries) holds no database connection.
    """
    with session_scope(engine) as session:
        record = session.get(Challenge, challenge.id)
        if record is None:
            return TeamSuggestion(needs=(), members=())
        found = suggest_team(session=session, search=search, challenge=record)
    # The record's columns stay loaded after the session closes (expire_on_commit is off).
    found = replace(found, members=tuple(write_match_reasons(llm, record, found.members)))
    # What is stored is what the card shows: the model's reason where it gave one.
    with session_scope(engine) as session:
        record = session.get(Challenge, challenge.id)
        if record is not None:
            record_suggestions(session=session, challenge=record, matches=found.members)
    return found


def card_channel(
    challenge: ChallengeSummary, *, challenges_channel: str, staff_channel: str
) -> str | None:
    """Where the card goes: restricted challenges stay with staff, never the open channel."""
    if challenge.visibility is Visibility.PUBLIC:
        return challenges_channel or None
    return staff_channel or None


def remember_card(*, engine: Engine, challenge_id: int, channel_id: str, thread_ts: str) -> None:
    with session_scope(engine) as session:
        store.remember_challenge_card(
            session=session, challenge_id=challenge_id, channel_id=channel_id, thread_ts=thread_ts
        )


def list_challenges(
    *, engine: Engine, viewer: Viewer, which: str = "open", limit: int = 20
) -> ChallengePage:
    """Open challenges (or all of them) the viewer may see, newest first."""
    with session_scope(engine) as session:
        statuses = _statuses_for(viewer)
        open_on = clock.today() if which == "open" else None
        found = store.visible_challenges(
            session=session,
            member_id=viewer.member_id,
            is_staff=viewer.is_staff,
            statuses=statuses,
            open_on=open_on,
            limit=limit,
        )
        total = store.count_visible_challenges(
            session=session,
            member_id=viewer.member_id,
            is_staff=viewer.is_staff,
            statuses=statuses,
            open_on=open_on,
        )
        return ChallengePage(tuple(summary_of(c) for c in found), total, which)


def _statuses_for(viewer: Viewer) -> tuple[ChallengeStatus, ...]:
    return tuple(ChallengeStatus) if viewer.is_staff else MEMBER_STATUSES


def find_challenge(*, engine: Engine, viewer: Viewer, key: str) -> ChallengeSummary:
    """A challenge by id or slug; ChallengeNotFound when missing or hidden from the viewer."""
    with session_scope(engine) as session:
        return challenge_seen_by(session=session, viewer=viewer, key=key)


def challenge_seen_by(*, session: Session, viewer: Viewer, key: str) -> ChallengeSummary:
    """`find_challenge` inside another use case's session."""
    return summary_of(_visible(session, viewer, key))


def _visible(session: Session, viewer: Viewer, key: str) -> Challenge:
    challenge = store.challenge_by_key(
        session=session, key=key, member_id=viewer.member_id, is_staff=viewer.is_staff
    )
    # A hidden challenge answers exactly like a missing one: its existence is not to be leaked.
    if challenge is None or challenge.status not in _statuses_for(viewer):
        raise ChallengeNotFound(
            f"No challenge {key!r}. `/challenge list all` shows the ids and slugs."
        )
    return challenge


def parse_status(text: str) -> ChallengeStatus:
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return ChallengeStatus(wanted)
    except ValueError:
        allowed = ", ".join(s.value for s in ChallengeStatus)
        raise UnknownStatus(f"Unknown status {text!r}. Use one of: {allowed}.") from None


def change_status(
    *, engine: Engine, viewer: Viewer, key: str, status: str
) -> tuple[ChallengeSummary, ChallengeStatus]:
    """Move a challenge to ``status`` (staff only); returns it and its previous status."""
    with session_scope(engine) as session:
        if not viewer.is_staff:
            raise NotStaff("Only cluster staff can change a challenge's status.")
        new_status = parse_status(status)
        challenge = _visible(session, viewer, key)
        previous = challenge.status
        store.set_challenge_status(session=session, challenge=challenge, status=new_status)
        # Staff's own word: a later deadline no longer reopens it as the job's doing.
        challenge.deadline_closed_on = None
        return summary_of(challenge), previous


@dataclass(frozen=True)
class DeadlineChange:
    challenge: ChallengeSummary
    previous: date | None
    #: The deadline had closed the challenge, and the new one opened it again.
    reopened: bool


def move_deadline(*, engine: Engine, viewer: Viewer, key: str, deadline: str) -> DeadlineChange:
    """Give a challenge a new deadline (staff only). A challenge the daily job closed because
    its deadline had passed opens again (teams forming when it has a team still in the
    running); one staff closed by hand stays as they left it."""
    with session_scope(engine) as session:
        if not viewer.is_staff:
            raise NotStaff("Only cluster staff can move a challenge's deadline.")
        try:
            day = date.fromisoformat(deadline.strip())
        except ValueError:
            raise ChallengeError(
                f"{deadline.strip()!r} is no date; write it as YYYY-MM-DD, e.g. 2027-01-31."
            ) from None
        if day < earliest_today():
            raise ChallengeError(f"{day.isoformat()} is in the past; pick a later day.")
        challenge = _visible(session, viewer, key)
        previous = challenge.deadline
        reopened = (
            challenge.deadline_closed_on is not None
            and challenge.status is challenge.status_after_deadline
        )
        challenge.deadline = day
        challenge.deadline_closed_on = None
        if reopened:
            running = store.has_team_in_the_running(session=session, challenge_id=challenge.id)
            challenge.status = ChallengeStatus.TEAMS_FORMING if running else ChallengeStatus.OPEN
        session.flush()  # the search index hears of it too (storage.outbox)
        return DeadlineChange(summary_of(challenge), previous, reopened)


#: Where staff may have the daily job move a challenge once its deadline has passed.
AFTER_DEADLINE = (
    ChallengeStatus.CLOSED,
    ChallengeStatus.PROPOSAL_SUBMITTED,
    ChallengeStatus.WON,
    ChallengeStatus.LOST,
)


def set_status_after_deadline(
    *, engine: Engine, viewer: Viewer, key: str, status: str
) -> ChallengeSummary:
    """Choose where the daily job moves the challenge once its deadline has passed (staff)."""
    with session_scope(engine) as session:
        if not viewer.is_staff:
            raise NotStaff("Only cluster staff can choose what a deadline does to a challenge.")
        wanted = parse_status(status)
        if wanted not in AFTER_DEADLINE:
            allowed = ", ".join(s.value for s in AFTER_DEADLINE)
            raise UnknownStatus(
                f"A passed deadline cannot make a challenge {wanted.value}. Use one of: {allowed}."
            )
        challenge = _visible(session, viewer, key)
        challenge.status_after_deadline = wanted
        session.flush()
        return summary_of(challenge)


def express_interest(*, engine: Engine, viewer: Viewer, challenge_id: int) -> InterestResult:
    """The viewer's organisation wants in on the challenge; saying it twice changes nothing."""
    with session_scope(engine) as session:
        try:
            challenge = _visible(session, viewer, str(challenge_id))
        except ChallengeNotFound:
            return InterestResult(InterestOutcome.NOT_FOUND, None)
        summary = summary_of(challenge)
        if viewer.member_id is None:
            return InterestResult(InterestOutcome.NO_ORGANISATION, summary)
        if viewer.former_member:
            return InterestResult(InterestOutcome.FORMER_MEMBER, summary)
        added = store.add_interest(
            session=session,
            challenge_id=challenge.id,
            member_id=viewer.member_id,
            person_id=viewer.person_id,
        )
        return InterestResult(
            InterestOutcome.RECORDED if added else InterestOutcome.ALREADY, summary
        )


# Staff read five of these on a card; the template reason is about as long.
REASON_MAX = 200


EVIDENCE_PER_MEMBER = 4


DESCRIPTION_SENT = 2000


class MemberReason(BaseModel):
    """Why one suggested member fits the challenge."""

    member: str
    reason: str


class MatchReasons(BaseModel):
    """One sentence per suggested member, by the member's slug."""

    reasons: list[MemberReason]


def _challenge_data(challenge: Challenge) -> dict[str, Any]:
    place = ", ".join(p for p in (challenge.city, challenge.region, challenge.country) if p)
    return {
        "title": challenge.title,
        "description": clip(challenge.description, DESCRIPTION_SENT),
        "needs": list(challenge.needs),
        "place": place,
    }


def _member_data(match: SolverMatch) -> dict[str, Any]:
    return {
        "slug": match.member_slug,
        "name": match.member_name,
        "kind": match.kind,
        "place": ", ".join(p for p in (match.city, match.country) if p),
        "evidence": [
            {"kind": e.kind, "title": e.title, "text": e.text}
            for e in match.evidence[:EVIDENCE_PER_MEMBER]
        ],
    }


def write_match_reasons(
    llm: LanguageModel | None, challenge: Challenge, matches: Sequence[SolverMatch]
) -> list[SolverMatch]:
    """``matches`` with the model's reason for each member; the template reason wherever the
    model gave none, a wrong one or failed. One call for the whole card, counted for nobody."""
    if llm is None or not matches:
        return list(matches)
    language = challenge.language if challenge.language in LANGUAGE_NAMES else "en"
    variables = {
        "language": language_name(language),
        "challenge": as_data(_challenge_data(challenge)),
        "members": as_data([_member_data(m) for m in matches]),
    }
    try:
        answer = llm.extract(MATCH_REASONS, MatchReasons, variables, person_id=None)
    except LanguageModelError as exc:
        log.warning("match reasons for %s from the templates: %s", challenge.slug, exc)
        return list(matches)
    suggested = {m.member_slug for m in matches}
    written: dict[str, str] = {}
    for item in answer.reasons:
        slug, reason = item.member.strip(), one_line(item.reason)
        # Members the matcher did not suggest are not the model's to add; an over-long reason
        # would not fit the card, and the template one still says something true.
        if slug in suggested and slug not in written and 0 < len(reason) <= REASON_MAX:
            written[slug] = reason
    return [replace(m, reason=written.get(m.member_slug, m.reason)) for m in matches]

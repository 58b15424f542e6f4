"""Nudges, not nagging: a profile nobody has looked at for PROFILE_NUDGE_DAYS gets one DM to its
organisation's people with what the bot says about it, and *Still true* / *Edit* / *Not now*.

Slack-free: the scheduler calls `send_due_nudges` with a `NudgePoster` (bot.nudge_delivery
posts to Slack).

Exactly one nudge per organisation and period
---------------------------------------------
A profile's *period* counts whole spans of PROFILE_NUDGE_DAYS since it was last looked at
(saved or confirmed by its people, else its record's last change): ``2026-05-01/1`` is the
first span after 1 May, ``2026-05-01/2`` the second. A period's nudge goes out once, like the
digests: `profile_nudge` has a unique key on (member, period), and a run sends only after it
has claimed that row in its own committed transaction (``INSERT ... ON CONFLICT DO NOTHING``),
so however many processes run the job, exactly one sends. *Still true* or a save starts a new
span; *Not now* only notes the answer, and the next nudge comes a span later. A run that dies
between its claim and Slack leaves the period without a nudge: for a reminder, at most once is
the right side to err on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine

from bot.services.digests.choosing import reading_language
from bot.services.digests.sending import DeliveryFailed
from bot.services.identity import Viewer
from bot.services.text import clip
from storage import clock
from storage import profiles as store
from storage.db import session_scope
from storage.models import Member

log = logging.getLogger(__name__)

LINE_MAX = 160
ITEMS_SHOWN = 4


@dataclass(frozen=True)
class Nudge:
    """One organisation's nudge: what the bot says about it, in its language."""

    member_id: int
    member_name: str
    period: str
    language: str
    summary: tuple[str, str, str]
    #: Slack user ids of its people who get it.
    recipients: tuple[str, ...]
    days: int


class NudgePoster(Protocol):
    def post(self, recipient: str, nudge: Nudge) -> str:
        """DM the nudge to one person (a Slack user id); returns the message id; raises
        DeliveryFailed."""
        ...


@dataclass
class NudgeRun:
    """What one run did: member ids per outcome."""

    sent: list[int] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)  # another run had claimed it
    failed: list[int] = field(default_factory=list)
    nobody: list[int] = field(default_factory=list)  # no one on Slack to tell


def period_of(looked_at: datetime, now: datetime, days: int) -> str | None:
    """The nudge period the profile is in, or None while it is fresh."""
    spans = (now - looked_at) // timedelta(days=days)
    return f"{looked_at.date().isoformat()}/{spans}" if spans >= 1 else None


def _items(label: str, items: list[str]) -> str:
    shown = ", ".join(items[:ITEMS_SHOWN])
    more = f" (+{len(items) - ITEMS_SHOWN})" if len(items) > ITEMS_SHOWN else ""
    return f"{label}: {shown}{more}" if items else f"{label}: —"


SUMMARY_LABELS = {
    "en": ("Capabilities", "References", "No description yet."),
    "fi": ("Osaaminen", "Referenssit", "Ei vielä kuvausta."),
}


def summary_of(member: Member, language: str) -> tuple[str, str, str]:
    """What the bot says about the member, in three lines: what it does, what it can, what it
    has done."""
    capabilities, references, empty = SUMMARY_LABELS.get(language, SUMMARY_LABELS["en"])
    description = " ".join((member.description or "").split())
    first = clip(description, LINE_MAX) if description else empty
    titles = [
        f"{r.title} ({r.year})" if r.year else r.title
        for r in sorted(member.references, key=lambda r: -(r.year or 0))
    ]
    return (
        first,
        clip(_items(capabilities, list(member.capabilities or [])), LINE_MAX),
        clip(_items(references, titles), LINE_MAX),
    )


def due_nudges(*, engine: Engine, days: int, operator_member: str = "") -> list[Nudge]:
    """The nudges due now: active members untouched for ``days``, with people to tell."""
    now = clock.now()
    due: list[Nudge] = []
    with session_scope(engine) as session:
        for member, looked_at in store.last_looked_at(session=session):
            period = period_of(looked_at, now, days)
            if period is None or member.slug == operator_member:
                continue
            people = store.nudge_recipients(session=session, member_id=member.id)
            language = reading_language(member.languages or [])
            due.append(
                Nudge(
                    member_id=member.id,
                    member_name=member.name,
                    period=period,
                    language=language,
                    summary=summary_of(member, language),
                    recipients=tuple(p.slack_user_id for p in people if p.slack_user_id),
                    days=days,
                )
            )
    return due


def send_due_nudges(
    *, engine: Engine, poster: NudgePoster, days: int, operator_member: str = ""
) -> NudgeRun:
    """Send every due nudge this run can claim; each organisation's period goes out once."""
    run = NudgeRun()
    for nudge in due_nudges(engine=engine, days=days, operator_member=operator_member):
        if not nudge.recipients:
            # Nobody to tell: not claimed, so someone who joins Slack later in the period
            # still gets it.
            run.nobody.append(nudge.member_id)
            continue
        with session_scope(engine) as session:
            claimed = store.claim_nudge(
                session=session, member_id=nudge.member_id, period=nudge.period
            )
        if claimed is None:
            run.taken.append(nudge.member_id)
            continue
        reached: list[str] = []
        errors: list[str] = []
        for recipient in nudge.recipients:
            try:
                poster.post(recipient, nudge)
                reached.append(recipient)
            except DeliveryFailed as exc:
                log.warning("nudge of member %s to %s failed: %s", nudge.member_id, recipient, exc)
                errors.append(f"{recipient}: {exc.error}")
        with session_scope(engine) as session:
            store.finish_nudge(
                session=session,
                nudge_id=claimed,
                recipients=reached,
                error="" if reached else "; ".join(errors),
            )
        (run.sent if reached else run.failed).append(nudge.member_id)
    return run


def nudges_on(*, engine: Engine, viewer: Viewer) -> bool:
    with session_scope(engine) as session:
        return not store.nudges_off(session=session, person_id=viewer.person_id)


def set_nudges(*, engine: Engine, viewer: Viewer, on: bool) -> None:
    """The Home tab's setting: profile nudges for this person on or off."""
    with session_scope(engine) as session:
        store.set_nudges(session=session, person_id=viewer.person_id, on=on)

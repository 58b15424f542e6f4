"""The opportunity digest as a Slack message, and as plain text for the terminal."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.blocks.common import (
    Block,
    button,
    context,
    divider,
    escape,
    format_place,
    header,
    message,
    section,
)
from bot.services.digests.choosing import Audience, Digest, DigestItem
from storage.digests import TeamEvent
from storage.models import DigestFrequency

INTERESTED_ACTION = "digest_interested"
NOT_RELEVANT_ACTION = "digest_not_relevant"


def _title(digest: Digest) -> str:
    how = "daily" if digest.frequency is DigestFrequency.DAILY else "weekly"
    if digest.audience is Audience.CHANNEL:
        return f"The cluster's {how} opportunity digest"
    return f"Your {how} opportunity digest"


def _when(digest: Digest) -> str:
    if digest.frequency is DigestFrequency.DAILY:
        return digest.period
    year, _, week = digest.period.partition("-W")
    return f"week {int(week)}, {year}" if week.isdigit() else digest.period


def deadline_phrase(deadline: date | None, today: date) -> str:
    if deadline is None:
        return "no deadline"
    days = (deadline - today).days
    if days < 0:
        return f"deadline passed ({deadline.isoformat()})"
    when = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
    return f"deadline {deadline.isoformat()} ({when})"


def _status(value: Any) -> str:
    return str(getattr(value, "value", value) or "").replace("_", " ")


def news_line(event: TeamEvent, *, markup: bool = True) -> str:
    """One line of team news; ``markup`` False gives plain text for the terminal."""
    bold = (lambda t: f"*{escape(t)}*") if markup else (lambda t: t)
    name = escape(event.member_name) if markup else event.member_name
    title = bold(event.challenge_title)
    if event.kind == "joined":
        role = f" as {escape(event.role) if markup else event.role}" if event.role else ""
        return f"{name} joined the team for {title}{role}"
    if event.kind == "status":
        moved = f"from {_status(event.from_status)} " if event.from_status else ""
        return f"{title}: the team moved {moved}to {_status(event.to_status)}"
    return f"{name} is interested in {title}"


def _item_text(item: DigestItem, today: date) -> str:
    challenge = item.challenge
    facts = [
        escape(format_place(challenge.city, challenge.country)),
        deadline_phrase(challenge.deadline, today),
    ]
    lines = [f"*{escape(challenge.title)}* · `{challenge.slug}`"]
    if item.reason:
        lines.append(f"_{escape(item.reason)}_")
    lines.append(" · ".join(facts))
    return "\n".join(lines)


def _item(item: DigestItem, today: date) -> list[Block]:
    value = str(item.challenge.id)
    return [
        section(_item_text(item, today)),
        {
            "type": "actions",
            "block_id": f"digest_{value}",
            "elements": [
                button("Interested", INTERESTED_ACTION, value, style="primary"),
                button("Not relevant", NOT_RELEVANT_ACTION, value),
            ],
        },
    ]


def _counts(digest: Digest) -> str:
    parts = []
    if digest.fits:
        parts.append(f"{len(digest.fits)} new challenge{'s' * (len(digest.fits) != 1)}")
    if digest.deadlines:
        parts.append(f"{len(digest.deadlines)} deadline{'s' * (len(digest.deadlines) != 1)} soon")
    if digest.team_news:
        parts.append(f"{len(digest.team_news)} team update{'s' * (len(digest.team_news) != 1)}")
    return ", ".join(parts)


def _fits_heading(digest: Digest) -> str:
    if digest.audience is Audience.PERSON and digest.organisation:
        return f"*New challenges that fit {escape(digest.organisation)}*"
    return "*New open challenges*"


def build_digest_message(digest: Digest) -> dict[str, Any]:
    """The digest: at most 8 + 5 challenges of 2 blocks each and ~8 more, within Slack's 50."""
    blocks: list[Block] = [header(_title(digest))]
    about = [_when(digest)]
    if digest.audience is Audience.PERSON and digest.organisation:
        about.append(f"for {escape(digest.organisation)}")
    blocks.append(context(" · ".join(about)))
    if digest.intro:
        blocks.append(section(escape(digest.intro)))
    if digest.fits:
        blocks.append(section(_fits_heading(digest)))
        for item in digest.fits:
            blocks.extend(_item(item, digest.today))
    if digest.deadlines:
        blocks.append(divider())
        blocks.append(section("*Deadlines in the next two weeks*"))
        for item in digest.deadlines:
            blocks.extend(_item(item, digest.today))
    if digest.team_news:
        blocks.append(divider())
        lines = "\n".join(f"• {news_line(e)}" for e in digest.team_news)
        blocks.append(section(f"*Your teams since the last digest*\n{lines}"))
    where = (
        "`/digest unsubscribe` in this channel"
        if digest.audience is Audience.CHANNEL
        else ("`/digest frequency weekly|daily|off` or my Home tab")
    )
    blocks.append(
        context(
            "*Not relevant* keeps a challenge out of your organisation's digests. "
            f"Change this digest with {where}."
        )
    )
    return message(f"{_title(digest)}: {_counts(digest)}", blocks)


def digest_text(digest: Digest) -> str:
    """The same digest as plain text, for `scic digest preview` and the dry run."""
    lines = [f"{_title(digest)} — {_when(digest)}"]
    if digest.audience is Audience.PERSON and digest.organisation:
        lines[0] += f" — for {digest.organisation}"
    if digest.intro:
        lines += ["", digest.intro]
    sections: list[tuple[str, tuple[DigestItem, ...]]] = [
        (
            f"New challenges that fit {digest.organisation}"
            if digest.audience is Audience.PERSON and digest.organisation
            else "New open challenges",
            digest.fits,
        ),
        ("Deadlines in the next two weeks", digest.deadlines),
    ]
    for heading, items in sections:
        if not items:
            continue
        lines += ["", heading]
        for item in items:
            c = item.challenge
            lines.append(f"  • {c.title} [{c.slug}]")
            if item.reason:
                lines.append(f"    why: {item.reason}")
            place = format_place(c.city, c.country)
            lines.append(f"    {place} · {deadline_phrase(c.deadline, digest.today)}")
    if digest.team_news:
        lines += ["", "Your teams since the last digest"]
        lines += [f"  • {news_line(e, markup=False)}" for e in digest.team_news]
    return "\n".join(lines)


def build_feedback_notice(text: str) -> dict[str, Any]:
    """A private answer to a digest button; ``text`` is mrkdwn already escaped."""
    return message(text, [section(text)])

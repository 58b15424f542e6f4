"""The opportunity digest as a Slack message, and as plain text for the terminal."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import ids
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
from bot.services.challenges import InterestOutcome, InterestResult
from bot.services.digests.choosing import Audience, Digest, DigestItem, TeamEvent
from bot.services.digests.feedback import FeedbackOutcome, FeedbackResult
from bot.services.digests.subscriptions import DigestFrequency


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
                button("Interested", ids.INTEREST_FROM_DIGEST, value, style="primary"),
                button("Not relevant", ids.NOT_RELEVANT, value),
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


def build_interest_noted(
    result: InterestResult, *, organisation: str, team_channel: str | None
) -> dict[str, Any]:
    """The answer to *Interested* on a digest item; ``team_channel``: where the card's thread
    was told, when the challenge has a card."""
    title = escape(result.challenge.title) if result.challenge else ""
    name = escape(organisation)
    where = (
        f" The team forms in the challenge's thread in <#{team_channel}>." if team_channel else ""
    )
    text = {
        InterestOutcome.RECORDED: f"Noted: *{name}* is on the list for *{title}*.{where}",
        InterestOutcome.ALREADY: f"*{name}* is already on the list for *{title}*.",
        InterestOutcome.NO_ORGANISATION: "Your person record is not linked to a member "
        "organisation, so I cannot put one on the list; ask the SCIC staff to link it.",
        InterestOutcome.NOT_FOUND: "This challenge is no longer open to you.",
    }[result.outcome]
    return build_feedback_notice(text)


def build_not_relevant_noted(result: FeedbackResult, *, organisation: str) -> dict[str, Any]:
    """The answer to *Not relevant* on a digest item."""
    title = escape(result.challenge.title) if result.challenge else ""
    name = escape(organisation)
    text = {
        FeedbackOutcome.RECORDED: f"Noted: *{title}* will not be in *{name}*'s digests again.",
        FeedbackOutcome.ALREADY: f"*{name}* had already said *{title}* is not relevant.",
        FeedbackOutcome.NO_ORGANISATION: "Your person record is not linked to a member "
        "organisation, so I cannot tell whose digests to change; ask the SCIC staff to link it.",
        FeedbackOutcome.NOT_FOUND: "This challenge is no longer open to you.",
    }[result.outcome]
    return build_feedback_notice(text)


def build_nothing_to_preview() -> dict[str, Any]:
    text = (
        "Nothing new for you right now, so no digest would be sent: no new challenges that fit "
        "your organisation, no deadlines near, no team news."
    )
    return build_feedback_notice(text)


def build_digest_setting(
    frequency: DigestFrequency, *, channel: DigestFrequency | None
) -> dict[str, Any]:
    """`/digest`: how often the person (and, typed in a channel, that channel) gets it."""
    text = f"You get the digest: *{frequency.value}*."
    if channel is not None and channel is not DigestFrequency.OFF:
        text += f" This channel gets it *{channel.value}*."
    return build_feedback_notice(text)


def build_frequency_changed(frequency: DigestFrequency) -> dict[str, Any]:
    return build_feedback_notice(f"Done: you now get the digest *{frequency.value}*.")


def build_channel_subscribed(frequency: DigestFrequency, *, new: bool) -> dict[str, Any]:
    lead = "Done: this channel now gets" if new else "This channel gets"
    return build_feedback_notice(f"{lead} the *{frequency.value}* digest of new public challenges.")


def build_person_subscribed(frequency: DigestFrequency) -> dict[str, Any]:
    return build_feedback_notice(f"Done: you get the digest *{frequency.value}*, in my DM.")


def build_unsubscribed(*, channel: bool, stopped: bool) -> dict[str, Any]:
    if channel:
        text = (
            "Done: this channel no longer gets the digest."
            if stopped
            else "This channel does not get the digest."
        )
    else:
        text = "Done: you no longer get the digest." if stopped else "You do not get the digest."
    return build_feedback_notice(text)

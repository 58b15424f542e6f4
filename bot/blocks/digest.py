"""The opportunity digest as a Slack message, and as plain text for the terminal."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import ids
from bot.blocks.common import (
    Block,
    button,
    clip,
    context,
    divider,
    escape,
    format_place,
    header,
    message,
    section,
)
from bot.blocks.phrases import counted, phrase, status_name
from bot.services.challenges import InterestOutcome, InterestResult
from bot.services.digests.choosing import Audience, Digest, DigestItem, TeamEvent
from bot.services.digests.feedback import FeedbackOutcome, FeedbackResult
from bot.services.digests.subscriptions import DigestFrequency
from bot.services.matching import Evidence
from bot.services.teams.rosters import role_label
from bot.services.text import one_line

# A quoted passage of the reader's profile is kept to this in the reason.
REASON_TEXT_MAX = 90


def _title(digest: Digest) -> str:
    how = "daily" if digest.frequency is DigestFrequency.DAILY else "weekly"
    key = f"digest_{how}_channel" if digest.audience is Audience.CHANNEL else f"digest_{how}"
    return phrase(digest.language, key)


def _when(digest: Digest) -> str:
    if digest.frequency is DigestFrequency.DAILY:
        return digest.period
    year, _, week = digest.period.partition("-W")
    if not week.isdigit():
        return digest.period
    return phrase(digest.language, "digest_week", week=int(week), year=year)


def deadline_phrase(deadline: date | None, today: date, language: str = "en") -> str:
    """When an open challenge closes, counted from ``today``: "deadline 2026-12-01 (in 6
    days)"; a digest lists only challenges open on its day, so none has passed."""
    if deadline is None:
        return phrase(language, "no_deadline")
    days = (deadline - today).days
    if days < 0:
        return phrase(language, "deadline_passed", day=deadline.isoformat())
    if days in (0, 1):
        when = phrase(language, "today" if days == 0 else "tomorrow")
    else:
        when = counted(language, "in_days", days)
    return phrase(language, "digest_deadline_in", day=deadline.isoformat(), when=when)


def news_line(event: TeamEvent, *, markup: bool = True, language: str = "en") -> str:
    """One line of team news; ``markup`` False gives plain text for the terminal."""
    bold = (lambda t: f"*{escape(t)}*") if markup else (lambda t: t)
    text = (lambda t: escape(t)) if markup else (lambda t: t)
    name, title = text(event.member_name), bold(event.challenge_title)
    if event.kind == "joined":
        if event.role:
            role = text(role_label(event.role))
            return phrase(language, "news_joined_as", name=name, title=title, role=role)
        return phrase(language, "news_joined", name=name, title=title)
    if event.kind == "status":
        new = status_name(language, _status(event.to_status))
        if event.from_status:
            old = status_name(language, _status(event.from_status))
            return phrase(language, "news_moved", title=title, old=old, new=new)
        return phrase(language, "news_moved_to", title=title, new=new)
    return phrase(language, "news_interest", name=name, title=title)


def _status(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def _quoted(text: str) -> str:
    return clip(one_line(text), REASON_TEXT_MAX)


def _reason(evidence: Evidence, language: str) -> str:
    """One matched passage of the reader's own profile, named for them: "your reference
    “Roof load alarms for Oulu schools”"; '' for a passage that says nothing but the name."""
    if evidence.kind == "reference" and evidence.title:
        return phrase(language, "why_reference", text=_quoted(evidence.title))
    if evidence.kind in ("capability", "technology"):
        return phrase(language, f"why_{evidence.kind}", text=_quoted(evidence.text))
    if evidence.kind == "person" and evidence.title:
        name = evidence.title.split(",")[0]
        own = evidence.text.removeprefix(evidence.title).lstrip(" .:")
        return phrase(language, "why_person", name=name, text=_quoted(own or evidence.text))
    text = evidence.text
    if evidence.title and text.startswith(evidence.title):
        text = text[len(evidence.title) :].lstrip(" .:–-,")
    return phrase(language, "why_description", text=_quoted(text)) if text.strip() else ""


def why_it_fits(item: DigestItem, language: str) -> str:
    """Why the challenge is in the reader's digest, from their own profile, in their
    language: "Why it fits: your reference “X” and your capability “Y”."; '' for a channel."""
    said = [r for r in (_reason(e, language) for e in item.evidence) if r]
    if said:
        reasons = phrase(language, "why_and").join(said)
        return phrase(language, "why_fits", reasons=reasons)
    return phrase(language, "why_followed") if item.followed else ""


def _item_text(item: DigestItem, digest: Digest) -> str:
    challenge = item.challenge
    facts = [
        escape(format_place(challenge.city, challenge.country)),
        deadline_phrase(challenge.deadline, digest.today, digest.language),
    ]
    lines = [f"*{escape(challenge.title)}* · `{challenge.slug}`"]
    why = why_it_fits(item, digest.language)
    if why:
        lines.append(f"_{escape(why)}_")
    lines.append(" · ".join(facts))
    return "\n".join(lines)


def _item(item: DigestItem, digest: Digest) -> list[Block]:
    value = str(item.challenge.id)
    language = digest.language
    return [
        section(_item_text(item, digest)),
        {
            "type": "actions",
            "block_id": f"digest_{value}",
            "elements": [
                button(
                    phrase(language, "interested"),
                    ids.INTEREST_FROM_DIGEST,
                    value,
                    style="primary",
                ),
                button(phrase(language, "not_relevant"), ids.NOT_RELEVANT, value),
            ],
        },
    ]


def _counts(digest: Digest) -> str:
    language = digest.language
    parts = []
    if digest.fits:
        parts.append(counted(language, "digest_new", len(digest.fits)))
    if digest.deadlines:
        parts.append(counted(language, "digest_soon", len(digest.deadlines)))
    if digest.team_news:
        parts.append(counted(language, "digest_updates", len(digest.team_news)))
    return ", ".join(parts)


def _fits_heading(digest: Digest, *, markup: bool = True) -> str:
    if digest.audience is Audience.PERSON and digest.organisation:
        name = escape(digest.organisation) if markup else digest.organisation
        return phrase(digest.language, "digest_fits_for", organisation=name)
    return phrase(digest.language, "digest_fits_open")


def build_digest_message(digest: Digest) -> dict[str, Any]:
    """The digest in the reader's language: at most 8 + 5 challenges of 2 blocks each and ~8
    more, within Slack's 50."""
    language = digest.language
    blocks: list[Block] = [header(_title(digest))]
    about = [_when(digest)]
    if digest.audience is Audience.PERSON and digest.organisation:
        about.append(phrase(language, "digest_for", organisation=escape(digest.organisation)))
    blocks.append(context(" · ".join(about)))
    if digest.intro:
        blocks.append(section(escape(digest.intro)))
    if digest.fits:
        blocks.append(section(f"*{_fits_heading(digest)}*"))
        for item in digest.fits:
            blocks.extend(_item(item, digest))
    if digest.deadlines:
        blocks.append(divider())
        blocks.append(section(f"*{phrase(language, 'digest_deadlines')}*"))
        for item in digest.deadlines:
            blocks.extend(_item(item, digest))
    if digest.team_news:
        blocks.append(divider())
        lines = "\n".join(f"• {news_line(e, language=language)}" for e in digest.team_news)
        blocks.append(section(f"*{phrase(language, 'digest_news')}*\n{lines}"))
    where = phrase(
        language,
        "digest_change_channel" if digest.audience is Audience.CHANNEL else "digest_change_person",
    )
    blocks.append(context(phrase(language, "digest_footer", where=where)))
    return message(f"{_title(digest)}: {_counts(digest)}", blocks)


def digest_text(digest: Digest) -> str:
    """The same digest as plain text, for `scic digest preview` and the dry run."""
    language = digest.language
    lines = [f"{_title(digest)} — {_when(digest)}"]
    if digest.audience is Audience.PERSON and digest.organisation:
        lines[0] += " — " + phrase(language, "digest_for", organisation=digest.organisation)
    if digest.intro:
        lines += ["", digest.intro]
    sections: list[tuple[str, tuple[DigestItem, ...]]] = [
        (_fits_heading(digest, markup=False), digest.fits),
        (phrase(language, "digest_deadlines"), digest.deadlines),
    ]
    for heading, items in sections:
        if not items:
            continue
        lines += ["", heading]
        for item in items:
            c = item.challenge
            lines.append(f"  • {c.title} [{c.slug}]")
            why = why_it_fits(item, language)
            if why:
                lines.append(f"    {why}")
            place = format_place(c.city, c.country)
            lines.append(f"    {place} · {deadline_phrase(c.deadline, digest.today, language)}")
    if digest.team_news:
        lines += ["", phrase(language, "digest_news")]
        lines += [f"  • {news_line(e, markup=False, language=language)}" for e in digest.team_news]
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
        InterestOutcome.FORMER_MEMBER: "Your organisation is no longer a member of the cluster, "
        "so I cannot put it on the list; ask the SCIC staff if that has changed.",
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

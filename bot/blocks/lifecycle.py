"""Messages about a challenge's dates: closed at its deadline (in its thread, and for staff),
reminders before the deadline, and a deadline staff moved."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, context, escape, message, section
from bot.blocks.phrases import closing, phrase, status_name
from bot.services.challenges import DeadlineChange
from bot.services.lifecycle import Notice, NoticeKind


def _closed(notice: Notice) -> dict[str, Any]:
    language = notice.language
    challenge = notice.challenge
    text = phrase(
        language,
        "notice_closed",
        title=escape(challenge.title),
        day=notice.deadline.isoformat(),
        status=status_name(language, challenge.status.value),
    )
    hint = phrase(language, "notice_closed_hint", slug=challenge.slug)
    return message(text, [section(text), context(hint)])


def _for_staff(notice: Notice) -> dict[str, Any]:
    """Staff hear of every challenge the deadline closed, with its teams to follow up."""
    challenge = notice.challenge
    status = status_name("en", challenge.status.value)
    text = (
        f"*{escape(challenge.title)}* (`{challenge.slug}`) is now *{status}*: its deadline "
        f"{notice.deadline.isoformat()} passed."
    )
    if notice.teams:
        lines = [
            f"• {escape(t.label)} ({status_name('en', t.status)}): "
            + (escape(", ".join(t.members)) or "no organisations")
            for t in notice.teams
        ]
        teams = "*Teams*\n" + "\n".join(lines)
    else:
        teams = "No team formed on it."
    hint = (
        f"`/challenge deadline {challenge.slug} YYYY-MM-DD` gives it a later deadline and "
        "opens it again."
    )
    return message(text, [section(text), section(teams), context(hint)])


def _reminder(notice: Notice) -> dict[str, Any]:
    language = notice.language
    challenge = notice.challenge
    days = (notice.deadline - notice.today).days
    text = phrase(
        language,
        "notice_reminder",
        title=escape(challenge.title),
        closes=closing(language, notice.deadline, days, challenge.status.value),
        day=notice.deadline.isoformat(),
    )
    who = " ".join(f"<@{user}>" for user in notice.mentions)
    shown = f"{who} {text}" if who else text
    return message(text, [section(shown), context(phrase(language, "notice_reminder_why"))])


def build_notice(notice: Notice) -> dict[str, Any]:
    """The message of one notice, in its reader's language (staff's in English)."""
    if notice.kind is NoticeKind.CLOSED:
        return _for_staff(notice) if notice.for_staff else _closed(notice)
    return _reminder(notice)


def build_deadline_moved(change: DeadlineChange, *, slack_user_id: str) -> dict[str, Any]:
    """In the challenge's thread (and for the staff member): the new deadline, and whether
    the challenge opened again."""
    challenge = change.challenge
    language = "fi" if challenge.language == "fi" else "en"
    was = (
        phrase(language, "deadline_was", day=change.previous.isoformat()) if change.previous else ""
    )
    text = phrase(
        language,
        "deadline_moved",
        who=f"<@{slack_user_id}>",
        title=escape(challenge.title),
        day=challenge.deadline.isoformat() if challenge.deadline else "",
        was=was,
    )
    if change.reopened:
        text += " " + phrase(language, "deadline_reopened")
    blocks: list[Block] = [section(text)]
    return message(text, blocks)

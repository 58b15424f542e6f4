"""The bot's answers in a challenge's thread: "who is missing?" and the discussion summary."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, clip, context, escape, message, section
from bot.services.teams.threads import MissingReport, SummaryItem, TeamAnswer, ThreadSummary

CANDIDATES_PER_NEED = 3
NEEDS_SHOWN = 15


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(escape(n) for n in names)


def build_missing_answer(report: MissingReport) -> dict[str, Any]:
    who = _names(report.team_members) or "nobody yet"
    blocks: list[Block] = [
        section(f"*{escape(report.team_label)}* for *{escape(report.challenge_title)}*: {who}.")
    ]
    if not report.needs:
        text = "The challenge lists no needs, so I cannot tell what is missing."
        blocks.append(section(text))
        return message(text, blocks)
    if not report.missing:
        text = "Every need of the challenge is covered by the team."
        blocks.append(section(text))
        return message(text, blocks)
    lines = []
    for gap in report.missing[:NEEDS_SHOWN]:
        if gap.candidates:
            picks = gap.candidates[:CANDIDATES_PER_NEED]
            could = "could be covered by " + ", ".join(
                f"*{escape(m.member_name)}* ({escape(clip(m.reason, 120))})"
                if m.reason
                else f"*{escape(m.member_name)}*"
                for m in picks
            )
        else:
            could = "nobody in the cluster's records covers it yet"
        lines.append(f"• *{escape(gap.need)}* — {could}")
    blocks.append(section(clip("*Not covered yet*\n" + "\n".join(lines), 3000)))
    if report.covered:
        covered = [f"{escape(need)} ({_names(by) or 'the team'})" for need, by in report.covered]
        blocks.append(context(clip("Covered: " + "; ".join(covered), 3000)))
    needs = ", ".join(g.need for g in report.missing)
    return message(f"Not covered yet: {needs}", blocks)


HEADINGS = {
    "en": {
        "title": "Summary of the thread so far",
        "count": "{count} messages from {people}",
        "decisions": "Decisions",
        "questions": "Open questions",
        "actions": "Who does what",
        "none": "none so far",
        "picked": "Picked from the messages as written; nothing is rephrased.",
        "written": "Written by the language model from the thread's messages; check the "
        "messages themselves before relying on it.",
    },
    "fi": {
        "title": "Yhteenveto ketjusta tähän asti",
        "count": "{count} viestiä, kirjoittajat {people}",
        "decisions": "Päätökset",
        "questions": "Avoimet kysymykset",
        "actions": "Kuka tekee mitä",
        "none": "ei vielä yhtään",
        "picked": "Poimittu viesteistä sellaisenaan; mitään ei ole muotoiltu uudelleen.",
        "written": "Kielimallin kirjoittama ketjun viestien pohjalta; tarkista viesteistä "
        "ennen kuin luotat siihen.",
    },
}


def _items(title: str, items: tuple[SummaryItem, ...], none: str) -> Block:
    lines = [f"• <@{i.user}>: {escape(clip(i.text, 280))}" for i in items]
    return section(clip(f"*{title}*\n" + ("\n".join(lines) or none), 3000))


def build_thread_summary(summary: ThreadSummary) -> dict[str, Any]:
    if not summary.messages:
        text = "Nobody has written in this thread yet, so there is nothing to summarise."
        return message(text, [section(text)])
    # Only a written summary is in the asker's language; the picked sentences are as written.
    words = HEADINGS.get(summary.language, HEADINGS["en"]) if summary.written else HEADINGS["en"]
    people = " ".join(f"<@{p}>" for p in summary.people[:20])
    count = words["count"].format(count=summary.messages, people=people)
    blocks: list[Block] = [section(f"*{words['title']}* ({count})")]
    if summary.overview:
        blocks.append(section(clip(escape(summary.overview), 3000)))
    blocks += [
        _items(words["decisions"], summary.decisions, words["none"]),
        _items(words["questions"], summary.questions, words["none"]),
        _items(words["actions"], summary.actions, words["none"]),
        context(words["written"] if summary.written else words["picked"]),
    ]
    text = (
        f"Summary: {len(summary.decisions)} decisions, {len(summary.questions)} open questions, "
        f"{len(summary.actions)} tasks"
    )
    if summary.overview:
        text = escape(summary.overview)
    return message(text, blocks)


def build_team_answer(answer: TeamAnswer) -> dict[str, Any]:
    if isinstance(answer, MissingReport):
        return build_missing_answer(answer)
    return build_thread_summary(answer)


def build_thread_restricted() -> dict[str, Any]:
    text = (
        "This challenge is restricted to the organisations invited to it, so I can only "
        "answer their people here. Ask the SCIC staff if yours should be one of them."
    )
    return message(text, [section(text)])


def build_thread_unreadable() -> dict[str, Any]:
    text = "I could not read this thread (is the bot allowed to read the channel's history?)."
    return message(text, [section(text)])

"""The bot's answers in a challenge's thread: "who is missing?" and the discussion summary."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import SECTION_TEXT_MAX, Block, clip, context, escape, message, section
from bot.blocks.phrases import counted, phrase
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


def _sections(heading: str, lines: list[str]) -> list[Block]:
    """``heading`` and its lines in as many sections as Slack's 3,000 characters need: a line
    is never cut (one longer than a section runs on into the next, split between words)."""
    texts: list[str] = []
    current = heading
    for line in lines:
        candidate = f"{current}\n{line}"
        if len(candidate) <= SECTION_TEXT_MAX:
            current = candidate
            continue
        if len(line) <= SECTION_TEXT_MAX:
            texts.append(current)
            current = line
            continue
        while len(candidate) > SECTION_TEXT_MAX:
            cut = candidate.rfind(" ", 0, SECTION_TEXT_MAX)
            cut = cut if cut > 0 else SECTION_TEXT_MAX
            texts.append(candidate[:cut])
            candidate = candidate[cut:].lstrip()
        current = candidate
    texts.append(current)
    return [section(text) for text in texts]


def _items(heading: str, items: tuple[SummaryItem, ...], none: str) -> list[Block]:
    if not items:
        return [section(f"*{heading}*\n{none}")]
    return _sections(f"*{heading}*", [f"• <@{i.user}>: {escape(i.text)}" for i in items])


def build_thread_summary(summary: ThreadSummary) -> dict[str, Any]:
    """The summary in the language it was asked in; picked sentences are shown whole and as
    written, whatever their language."""
    language = summary.language
    if not summary.messages:
        text = phrase(language, "summary_empty")
        return message(text, [section(text)])
    people = " ".join(f"<@{p}>" for p in summary.people[:20])
    count = counted(language, "summary_messages", summary.messages, people=people)
    blocks: list[Block] = [section(f"*{phrase(language, 'summary_title')}* ({count})")]
    if summary.overview:
        blocks.append(section(escape(summary.overview)))
    none = phrase(language, "summary_none")
    blocks += [
        *_items(phrase(language, "summary_decisions"), summary.decisions, none),
        *_items(phrase(language, "summary_questions"), summary.questions, none),
        *_items(phrase(language, "summary_actions"), summary.actions, none),
        context(phrase(language, "summary_written" if summary.written else "summary_picked")),
    ]
    counts = ", ".join(
        [
            counted(language, "decisions", len(summary.decisions)),
            counted(language, "open_questions", len(summary.questions)),
            counted(language, "tasks", len(summary.actions)),
        ]
    )
    text = phrase(language, "summary_counts", counts=counts)
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

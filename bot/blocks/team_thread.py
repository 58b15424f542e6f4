"""The bot's answers in a challenge's thread: "who is missing?" and the discussion summary."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, clip, context, escape, message, section
from bot.services.teams import MissingReport, SummaryItem, ThreadSummary

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


def _items(title: str, items: tuple[SummaryItem, ...]) -> Block:
    lines = [f"• <@{i.user}>: {escape(clip(i.text, 280))}" for i in items]
    return section(clip(f"*{title}*\n" + ("\n".join(lines) or "none so far"), 3000))


def build_thread_summary(summary: ThreadSummary) -> dict[str, Any]:
    if not summary.messages:
        text = "Nobody has written in this thread yet, so there is nothing to summarise."
        return message(text, [section(text)])
    people = " ".join(f"<@{p}>" for p in summary.people[:20])
    blocks: list[Block] = [
        section(f"*Summary of the thread so far* ({summary.messages} messages from {people})"),
        _items("Decisions", summary.decisions),
        _items("Open questions", summary.questions),
        _items("Who does what", summary.actions),
        context("Picked from the messages as written; nothing is rephrased."),
    ]
    text = (
        f"Summary: {len(summary.decisions)} decisions, {len(summary.questions)} open questions, "
        f"{len(summary.actions)} tasks"
    )
    return message(text, blocks)

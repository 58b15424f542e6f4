"""Challenges as answers to `/challenge list`, `/challenge show` and `/challenge status`."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import (
    Block,
    context,
    escape,
    format_budget,
    format_day,
    format_place,
    message,
    section,
)
from bot.services.challenges import ChallengePage, ChallengeStatus, ChallengeSummary

# A listing is a message, not a view: keep it far below the 50-block message limit.
LISTED_MAX = 20


def _line(challenge: ChallengeSummary) -> str:
    return (
        f"*{escape(challenge.title)}* · `{challenge.slug}` (#{challenge.id})\n"
        f"{escape(format_place(challenge.city, challenge.country))} · "
        f"deadline {format_day(challenge.deadline)} · {status_text(challenge)}"
    )


def status_text(challenge: ChallengeSummary) -> str:
    if challenge.expired:
        return f"deadline passed (still marked {challenge.status.value.replace('_', ' ')})"
    return challenge.status.value.replace("_", " ")


def build_challenge_list(page: ChallengePage) -> dict[str, Any]:
    kind = "open challenges" if page.which == "open" else "challenges"
    if not page.challenges:
        text = f"There are no {kind} yet." + (
            " `/challenge list all` shows closed ones too." if page.which == "open" else ""
        )
        return message(text, [section(text)])
    shown = page.challenges[:LISTED_MAX]
    blocks: list[Block] = [section(f"*{page.total} {kind}*, newest first:")]
    blocks.extend(section(_line(c)) for c in shown)
    if page.total > len(shown):
        blocks.append(context(f"Showing {len(shown)} of {page.total}."))
    blocks.append(context("`/challenge show <id or slug>` shows one in full."))
    return message(f"{page.total} {kind}", blocks)


def build_challenge_detail(challenge: ChallengeSummary) -> dict[str, Any]:
    budget = format_budget(challenge.budget_min, challenge.budget_max, challenge.currency)
    facts = [
        f"*Owner:* {escape(challenge.owner) or 'not given'}",
        f"*Where:* {escape(format_place(challenge.city, challenge.country))}",
        f"*Deadline:* {format_day(challenge.deadline)}",
        f"*Budget:* {budget}",
        f"*Status:* {status_text(challenge)} · *Visibility:* {challenge.visibility.value}",
    ]
    if challenge.needs:
        facts.append("*Needs:* " + escape(", ".join(challenge.needs)))
    if challenge.tags:
        facts.append("*Tags:* " + escape(", ".join(challenge.tags)))
    blocks: list[Block] = [section(f"*{escape(challenge.title)}* · `{challenge.slug}`")]
    if challenge.description:
        blocks.append(section(escape(challenge.description)))
    blocks.append(section("\n".join(facts)))
    if challenge.channel_id:
        blocks.append(context(f"Card and discussion in <#{challenge.channel_id}>."))
    return message(f"Challenge: {escape(challenge.title)}", blocks)


def build_status_changed(
    challenge: ChallengeSummary, *, previous: ChallengeStatus
) -> dict[str, Any]:
    text = (
        f"*{escape(challenge.title)}* (`{challenge.slug}`) moved from "
        f"{previous.value.replace('_', ' ')} to *{challenge.status.value.replace('_', ' ')}*."
    )
    return message(text, [section(text)])

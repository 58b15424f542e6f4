"""The challenge card posted to the challenges channel, and the notes in its thread."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.answer_layout import need_lines
from bot.blocks.common import (
    FIELD_TEXT_MAX,
    SECTION_TEXT_MAX,
    Block,
    button,
    clip,
    context,
    escape,
    format_budget,
    format_day,
    format_place,
    header,
    message,
    mrkdwn,
    section,
)
from bot.blocks.messages import build_notice
from bot.blocks.phrases import phrase
from bot.services.challenges import ChallengeSummary
from bot.services.matching import TeamSuggestion

SOLVERS_ON_CARD = 5


def _facts(challenge: ChallengeSummary) -> Block:
    budget = format_budget(challenge.budget_min, challenge.budget_max, challenge.currency)
    facts = [
        f"*Owner*\n{escape(challenge.owner) or 'not given'}",
        f"*Where*\n{escape(format_place(challenge.city, challenge.country))}",
        f"*Deadline*\n{format_day(challenge.deadline)}",
        f"*Budget*\n{budget}",
    ]
    return {"type": "section", "fields": [mrkdwn(f, FIELD_TEXT_MAX) for f in facts]}


def _by_need(suggestion: TeamSuggestion, language: str) -> list[Block]:
    """Each need with the members covering it, best first, in the challenge's language (the
    same lines a pasted brief's answer shows)."""
    if not any(suggestion.by_need.values()):
        return []
    lines = need_lines(suggestion, language)
    heading = f"*{phrase(language, 'who_covers')}*\n"
    return [section(clip(heading + "\n".join(lines), SECTION_TEXT_MAX))]


def _solvers(suggestion: TeamSuggestion, *, by_need: bool) -> list[Block]:
    """Who could take the challenge on, each with the needs it covers: the same cover "who is
    missing?" answers from in the thread."""
    if not suggestion.members:
        return []
    covers: dict[str, list[str]] = {}
    for need in suggestion.needs:
        for slug in suggestion.covered_by.get(need, ()):
            covers.setdefault(slug, []).append(need)
    lines = []
    for solver in suggestion.members[:SOLVERS_ON_CARD]:
        needs = covers.get(solver.member_slug, [])
        what = f" (covers {escape(', '.join(needs))})" if needs else ""
        lines.append(f"• *{escape(solver.member_name)}*{what} — {escape(solver.reason)}")
    blocks = [section(clip("*Suggested solvers*\n" + "\n".join(lines), SECTION_TEXT_MAX))]
    if suggestion.uncovered and not by_need:  # else each need says so itself
        nobody = "Nobody in the cluster's records covers yet: " + "; ".join(suggestion.uncovered)
        blocks.append(context(clip(escape(nobody), SECTION_TEXT_MAX)))
    return blocks


def build_challenge_card(challenge: ChallengeSummary, solvers: TeamSuggestion) -> dict[str, Any]:
    """The card: what the challenge is, who might solve it, and the *I'm interested* button."""
    blocks: list[Block] = [header(challenge.title)]
    if challenge.description:
        blocks.append(section(escape(challenge.description)))
    blocks.append(_facts(challenge))
    wants = []
    if challenge.needs:
        wants.append("*Needs:* " + escape(", ".join(challenge.needs)))
    if challenge.tags:
        wants.append("*Tags:* " + escape(", ".join(challenge.tags)))
    if wants:
        blocks.append(context(*(clip(w, 3000) for w in wants)))
    per_need = _by_need(solvers, challenge.language)
    blocks.extend(per_need)
    blocks.extend(_solvers(solvers, by_need=bool(per_need)))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"challenge_{challenge.id}",
            "elements": [
                button("I'm interested", ids.JOIN_FROM_CARD, str(challenge.id), style="primary")
            ],
        }
    )
    blocks.append(context(f"`{challenge.slug}` · discuss it and form a team in this thread"))
    return message(f"New challenge: {escape(challenge.title)}", blocks)


def build_thread_opener(challenge: ChallengeSummary) -> dict[str, Any]:
    text = (
        f"This thread is the place to discuss *{escape(challenge.title)}* and form a team. "
        "Press *I'm interested* on the card to put your organisation on the list."
    )
    return message(text, [section(text)])


def build_interest_note(*, slack_user_id: str, organisation: str) -> dict[str, Any]:
    text = f"<@{slack_user_id}> is interested on behalf of *{escape(organisation)}*."
    return message(text, [section(text)])


def build_challenge_posted(
    challenge: ChallengeSummary, *, channel_id: str | None
) -> dict[str, Any]:
    where = (
        f"posted in <#{channel_id}>" if channel_id else "stored (no channel is set for its card)"
    )
    text = f"Challenge *{escape(challenge.title)}* (`{challenge.slug}`) is {where}."
    return message(text, [section(text)])


# The intake modal's errors when a submission cannot be stored (shown under the title field).
ONLY_STAFF_POST = "Only SCIC staff can post challenges."
NOT_SAVED = "Could not save it; try again."


def build_card_not_posted(
    challenge: ChallengeSummary, *, channel_id: str, error: str
) -> dict[str, Any]:
    """For the author: the challenge is stored but Slack refused its card."""
    return build_notice(
        f"`{challenge.slug}` is stored, but its card could not be posted in <#{channel_id}> "
        f"(Slack said `{error}`; is the bot in the channel?)."
    )

"""Challenges as answers to `/challenge list`, `/challenge show` and `/challenge status`."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.common import (
    Block,
    context,
    escape,
    format_budget,
    format_day,
    format_place,
    message,
    plain,
    section,
)
from bot.blocks.team_roster import status_menu
from bot.services.challenges import (
    AFTER_DEADLINE,
    ChallengePage,
    ChallengeStatus,
    ChallengeSummary,
)
from bot.services.teams.rosters import TeamRoster

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
    if challenge.deadline_closed_on:
        return (
            f"{challenge.status.value.replace('_', ' ')} (its deadline passed; "
            f"moved on {challenge.deadline_closed_on.isoformat()})"
        )
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


def _after_deadline_menu(challenge: ChallengeSummary) -> dict[str, Any]:
    options = [
        {
            "text": plain(f"then {s.value.replace('_', ' ')}", 75),
            "value": f"{challenge.id}:{s.value}",
        }
        for s in AFTER_DEADLINE
    ]
    chosen = f"{challenge.id}:{challenge.after_deadline.value}"
    current = next(o for o in options if o["value"] == chosen)
    return {
        "type": "static_select",
        "action_id": ids.CHALLENGE_AFTER_DEADLINE,
        "placeholder": plain("When the deadline passes", 150),
        "options": options,
        "initial_option": current,
    }


def _staff_controls(challenge: ChallengeSummary, teams: list[TeamRoster]) -> list[Block]:
    """Only in the answer the staff member alone sees: the deadline (a later day extends it),
    what the deadline does, and each team's status."""
    picker: dict[str, Any] = {
        "type": "datepicker",
        "action_id": ids.CHALLENGE_DEADLINE,
        "placeholder": plain("Deadline", 150),
    }
    if challenge.deadline:
        picker["initial_date"] = challenge.deadline.isoformat()
    blocks: list[Block] = [
        section(
            "*Staff*: the deadline (a later day opens a challenge it closed), and where "
            "the challenge goes when it passes"
        ),
        {
            "type": "actions",
            "block_id": f"challenge_staff_{challenge.id}",
            "elements": [picker, _after_deadline_menu(challenge)],
        },
    ]
    for team in teams[:20]:
        names = ", ".join(e.member_name for e in team.entries) or "no organisations"
        blocks.append(
            {
                "type": "section",
                "block_id": f"team_staff_{team.team_id}",
                "text": {"type": "mrkdwn", "text": f"*{escape(team.label)}*: {escape(names)}"},
                "accessory": status_menu(team),
            }
        )
    return blocks


def build_challenge_detail(
    challenge: ChallengeSummary, *, staff_teams: list[TeamRoster] | None = None
) -> dict[str, Any]:
    """One challenge in full; ``staff_teams`` (given only when staff ask) adds the staff's
    controls, in this answer that nobody else sees."""
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
    if staff_teams is not None:
        blocks.extend(_staff_controls(challenge, staff_teams))
    return message(f"Challenge: {escape(challenge.title)}", blocks)


def build_status_changed(
    challenge: ChallengeSummary, *, previous: ChallengeStatus
) -> dict[str, Any]:
    text = (
        f"*{escape(challenge.title)}* (`{challenge.slug}`) moved from "
        f"{previous.value.replace('_', ' ')} to *{challenge.status.value.replace('_', ' ')}*."
    )
    return message(text, [section(text)])


def build_after_deadline_set(challenge: ChallengeSummary) -> dict[str, Any]:
    after = challenge.after_deadline.value.replace("_", " ")
    when = challenge.deadline.isoformat() if challenge.deadline else "its deadline (none yet)"
    text = (
        f"When *{escape(challenge.title)}* (`{challenge.slug}`) passes {when}, it will be "
        f"moved to *{after}*."
    )
    return message(text, [section(text)])

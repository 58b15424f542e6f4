"""A team's roster in its challenge's thread, the notes around it, and the team-choice modal.

The roster carries only the controls of the organisations on it (a role menu and *Leave*);
everyone in the channel sees it, so the staff's team status menu is not on it but in the staff
view of `/challenge show`, which only the staff member asking sees.
"""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.blocks.common import Block, button, context, escape, message, plain, section
from bot.blocks.messages import build_notice
from bot.services.teams.rosters import (
    ROLE_LABELS,
    JoinOutcome,
    JoinResult,
    StatusChange,
    TeamChoice,
    TeamRoster,
    TeamStatus,
    role_label,
    status_label,
)

NO_ROLE = "none"
ROSTER_LINES_MAX = 40


def option_value(team_id: int, value: str) -> str:
    """Menu options carry their team: one thread can hold several competing teams' rosters."""
    return f"{team_id}:{value}"


def parse_option_value(value: str) -> tuple[int, str] | None:
    team, _, rest = value.partition(":")
    return (int(team), rest) if team.isdigit() else None


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def _role_options(team_id: int) -> list[dict[str, Any]]:
    options = [_option(option_value(team_id, r.value), label) for r, label in ROLE_LABELS.items()]
    return [*options, _option(option_value(team_id, NO_ROLE), "No particular role")]


def role_menu(team_id: int) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": ids.TEAM_ROLE,
        "placeholder": plain("Your organisation's role", 150),
        "options": _role_options(team_id),
    }


def status_menu(shown: TeamRoster) -> dict[str, Any]:
    """The team's status, for staff only: drawn in the staff view, never on the roster."""
    options = [_option(option_value(shown.team_id, s.value), status_label(s)) for s in TeamStatus]
    current = next(o for o in options if o["value"].endswith(":" + shown.status.value))
    return {
        "type": "static_select",
        "action_id": ids.TEAM_STATUS,
        "placeholder": plain("Team status", 150),
        "options": options,
        "initial_option": current,
    }


def _line(name: str, role: str) -> str:
    return f"• *{escape(name)}*" + (f" — {escape(role_label(role))}" if role else "")


def build_team_roster(shown: TeamRoster) -> dict[str, Any]:
    """The roster message; posted once in the thread, then updated in place."""
    title = f"*{escape(shown.label)}* for *{escape(shown.challenge_title)}*"
    lines = [_line(e.member_name, e.role) for e in shown.entries[:ROSTER_LINES_MAX]]
    if len(shown.entries) > ROSTER_LINES_MAX:
        lines.append(f"…and {len(shown.entries) - ROSTER_LINES_MAX} more")
    body = "\n".join(lines) or "No organisations yet."
    count = len(shown.entries)
    blocks: list[Block] = [
        section(f"{title} · {status_label(shown.status)}\n{body}"),
        {
            "type": "actions",
            "block_id": f"team_{shown.team_id}",
            "elements": [
                role_menu(shown.team_id),
                button("Leave", ids.TEAM_LEAVE, str(shown.team_id)),
            ],
        },
        context(
            f"{count} organisation{'s' if count != 1 else ''} · `{shown.challenge_slug}` · "
            "press *I'm interested* on the card to join"
        ),
    ]
    names = ", ".join(e.member_name for e in shown.entries) or "nobody yet"
    return message(f"{shown.label} for {shown.challenge_title}: {names}", blocks)


def build_joined_note(shown: TeamRoster, *, organisation: str, already: bool) -> dict[str, Any]:
    """Told only to the person who clicked: where they are, and a role menu to pick from."""
    verb = "is already on" if already else "is now on"
    text = (
        f"*{escape(organisation)}* {verb} *{escape(shown.label)}* for "
        f"*{escape(shown.challenge_title)}*. Pick your organisation's role (optional):"
    )
    blocks: list[Block] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "block_id": f"team_role_{shown.team_id}",
            "elements": [role_menu(shown.team_id)],
        },
    ]
    return message(text, blocks)


def build_status_posted(change: StatusChange, *, slack_user_id: str) -> dict[str, Any]:
    shown = change.roster
    text = (
        f"<@{slack_user_id}> moved *{escape(shown.label)}* for *{escape(shown.challenge_title)}* "
        f"from {status_label(change.previous)} to *{status_label(shown.status)}*."
    )
    return message(text, [section(text)])


def build_team_created(shown: TeamRoster) -> dict[str, Any]:
    text = (
        f"*{escape(shown.label)}* is open on *{escape(shown.challenge_title)}* "
        f"(`{shown.challenge_slug}`): the challenge now has {shown.team_count} teams, and people "
        "choose one when they press *I'm interested*."
    )
    return message(text, [section(text)])


def build_join_modal(
    *, challenge_title: str, choices: tuple[TeamChoice, ...], private_metadata: dict[str, Any]
) -> dict[str, Any]:
    """Several competing teams: which one, and in what role."""
    team_options = [
        _option(
            str(c.team_id), f"{c.label} ({c.members} organisation{'s' if c.members != 1 else ''})"
        )
        for c in choices
    ][:100]
    roles = [_option(r.value, label) for r, label in ROLE_LABELS.items()]
    blocks: list[Block] = [
        section(f"*{escape(challenge_title)}* has several teams. Which one does yours join?"),
        {
            "type": "input",
            "block_id": ids.JOIN_TEAM_FIELD,
            "label": plain("Team", 2000),
            "element": {
                "type": "static_select",
                "action_id": ids.JOIN_VALUE,
                "options": team_options,
            },
        },
        {
            "type": "input",
            "block_id": ids.JOIN_ROLE_FIELD,
            "optional": True,
            "label": plain("Your organisation's role", 2000),
            "element": {"type": "static_select", "action_id": ids.JOIN_VALUE, "options": roles},
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.TEAM_JOIN_MODAL,
        "title": plain("Join a team", 24),
        "submit": plain("Join", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(private_metadata)[:3000],
        "blocks": blocks,
    }


# A person whose organisation has left the cluster: its teams are for current members.
FORMER_MEMBER_REFUSAL = (
    "Your organisation is no longer a member of the cluster, so I cannot put it on a team. "
    "Ask the SCIC staff if that has changed."
)
JOIN_REFUSALS = {
    JoinOutcome.NO_ORGANISATION: "Your person record is not linked to a member organisation, so "
    "I cannot put one on the team; ask the SCIC staff to link it.",
    JoinOutcome.NOT_FOUND: "This challenge is not open to your organisation, so I cannot put it "
    "on the team. Ask the SCIC staff if you think it should be.",
    JoinOutcome.FORMER_MEMBER: FORMER_MEMBER_REFUSAL,
}


def build_join_refused(result: JoinResult) -> dict[str, Any]:
    """Why the organisation was not put on a team (no organisation, not visible, closed)."""
    title = escape(result.challenge.title) if result.challenge else "this challenge"
    default = f"*{title}* is no longer taking organisations into its teams."
    return build_notice(JOIN_REFUSALS.get(result.outcome, default))


# The join modal's error for someone not in the records (only a forged form gets this far).
JOIN_UNKNOWN_PERSON = (
    "I don't know you yet: the email on your Slack profile is not in the cluster's records. "
    "Ask the SCIC staff to add you, then try again."
)


def join_problem(outcome: JoinOutcome) -> str:
    """The join modal's error under the team menu when the chosen team could not be joined."""
    return {
        JoinOutcome.CHOOSE_TEAM: "That team no longer takes organisations; choose another.",
        JoinOutcome.NO_ORGANISATION: "Your person record is not linked to an organisation.",
        JoinOutcome.FORMER_MEMBER: FORMER_MEMBER_REFUSAL,
    }.get(outcome, "This challenge is no longer open to your organisation.")


def build_team_left(*, organisation: str, team_label: str) -> dict[str, Any]:
    return build_notice(f"*{escape(organisation)}* has left *{escape(team_label)}*.")

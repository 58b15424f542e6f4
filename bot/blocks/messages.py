"""Short messages: usage, polite refusals, notices."""

from __future__ import annotations

from typing import Any

from bot.blocks.common import escape, message, section

CHALLENGE_USAGE = "\n".join(
    [
        "*`/challenge`* — challenges the cluster is working on:",
        "• `/challenge` or `/challenge new` — post a new challenge (staff)",
        "• `/challenge <pasted call for proposals or e-mail>` — the same form, filled in from "
        "the text for you to check (staff)",
        "• `/challenge list [open|all]` — list open challenges, or all of them",
        "• `/challenge show <id or slug>` — one challenge in full (for staff, with its deadline, "
        "what the deadline does and its teams' statuses to change)",
        "• `/challenge status <id or slug> <status>` — change its status (staff)",
        "• `/challenge deadline <id or slug> YYYY-MM-DD` — move its deadline; a challenge its "
        "deadline closed opens again (staff)",
        "• `/challenge after-deadline <id or slug> closed|proposal_submitted|won|lost` — where "
        "the challenge goes when its deadline passes (staff; closed unless chosen)",
        "• `/challenge team-status <id or slug> <status> [team]` — move a team to forming, "
        "proposal_in_preparation, submitted, won, lost or dissolved (staff)",
        "• `/challenge team new <id or slug> [name]` — open a competing team (staff)",
        "• `/challenge help` — this text",
    ]
)

DIGEST_USAGE = "\n".join(
    [
        "*`/digest`* — the opportunity digest: new challenges that fit your organisation, "
        "deadlines and your teams' news:",
        "• `/digest` — show how often you get it",
        "• `/digest frequency weekly|daily|off` — change it (or just `/digest weekly`)",
        "• `/digest subscribe [weekly|daily]` — in a channel: the channel gets a digest of new "
        "public challenges; in my DM: you get yours",
        "• `/digest unsubscribe` — stop it (for the channel, when typed in one)",
        "• `/digest preview` — show your digest as it would look now (only to you)",
        "• `/digest help` — this text",
    ]
)


def _staff_pointer(staff_channel: str) -> str:
    return f"in <#{staff_channel}>" if staff_channel else "by message to the cluster's staff"


def build_unknown_person(*, staff_channel: str) -> dict[str, Any]:
    """For a Slack user the cluster has no person record for: how to get added, not an error."""
    text = (
        "Hello! I'm SCIC Bot, the Smart City Innovation Cluster's assistant. I don't know you "
        "yet: I recognise people by the email on their Slack profile, and yours is not in the "
        "cluster's records. If your organisation is a member, ask the SCIC staff to add you "
        f"({_staff_pointer(staff_channel)}) with the email on your Slack profile, and try again."
    )
    return message(text, [section(text)])


def build_identity_unavailable() -> dict[str, Any]:
    """Slack would not say who someone is just now: they are not a stranger, only unchecked."""
    text = (
        "Sorry, I could not check who you are with Slack just now, so I did nothing. "
        "Please try again in a minute."
    )
    return message(text, [section(text)])


def build_identity_pending() -> dict[str, Any]:
    """A question kept for later: Slack would not say who asked it, and the bot answers it
    here once Slack does (the question is not dropped, so nothing to ask again)."""
    text = (
        "Sorry, I could not check who you are with Slack just now. I will answer here as "
        "soon as I can; no need to ask again."
    )
    return message(text, [section(text)])


def build_answer_failed() -> dict[str, Any]:
    """Answering broke in a way retrying will not mend: said as an error, never as "the
    records have no answer"."""
    text = (
        "Sorry, something went wrong on my side while answering, so I have no answer for you "
        "this time. Please ask again in a while, or ask the staff."
    )
    return message(text, [section(text)])


def build_missed_question() -> dict[str, Any]:
    """For a question that waited too long (the bot was down): an apology, not a late answer."""
    text = (
        "Sorry, I was unavailable when you asked this and could not answer in time. "
        "Please ask again if you still need it."
    )
    return message(text, [section(text)])


def build_not_staff(*, what: str) -> dict[str, Any]:
    text = (
        f"Only SCIC staff can {what}. If you have a challenge for the cluster, tell the staff "
        "and they will post it; `/challenge list` shows the open ones."
    )
    return message(text, [section(text)])


def build_notice(text: str) -> dict[str, Any]:
    """A one-paragraph answer; ``text`` is mrkdwn the caller has already escaped."""
    return message(text, [section(text)])


def build_usage(usage: str, *, problem: str = "") -> dict[str, Any]:
    text = f"{escape(problem)}\n\n{usage}" if problem else usage
    return message(text, [section(text)])

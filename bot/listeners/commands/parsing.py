"""The grammar of the slash commands' text, turned into typed requests before any work is done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChallengeAction = Literal[
    "new",
    "intake",
    "list",
    "show",
    "status",
    "deadline",
    "after_deadline",
    "team_status",
    "team_new",
    "help",
    "usage",
]
# Text this long (or of several lines) that is no command is a pasted call or e-mail.
INTAKE_MIN_WORDS = 6


@dataclass(frozen=True)
class ChallengeRequest:
    action: ChallengeAction
    key: str = ""
    which: str = "open"
    status: str = ""  # status, after-deadline: the status; deadline: the new day
    team: str = ""  # team-status: which team (number or name); team new: the new team's name
    problem: str = ""  # for "usage": what was wrong with the text
    text: str = ""  # for "intake": the pasted call for proposals or e-mail


def parse_challenge_text(text: str) -> ChallengeRequest:
    """`/challenge [new|list [open|all]|show <id>|status <id> <status>|deadline <id> <day>|
    after-deadline <id> <status>|help]`, for teams
    `team-status <id> <status> [team]` and `team new <id> [name]`, and `/challenge [new]
    <pasted text>` to pre-fill the new-challenge form from a call for proposals or e-mail."""
    words = text.split()
    if not words:
        return ChallengeRequest("new")
    if len([line for line in text.splitlines() if line.strip()]) > 1:
        # Commands fit on one line; several lines are always a pasted text.
        return ChallengeRequest("intake", text=_without_new(text))
    request = _parse_command(text, words)
    if request.action == "usage" and len(words) >= INTAKE_MIN_WORDS:
        # Not a mistyped command but a pasted sentence or more.
        return ChallengeRequest("intake", text=_without_new(text))
    return request


def _without_new(text: str) -> str:
    """`/challenge new <text>` pre-fills from the text after `new`; a text that itself
    starts with "New York ..." keeps its capital and its first word."""
    stripped = text.strip()
    first, _, rest = stripped.partition("\n")
    if first.strip().lower() == "new" and rest.strip():
        return rest.strip()
    word, _, rest = stripped.partition(" ")
    if word == "new" and rest.strip():
        return rest.strip()
    return stripped


def _parse_command(text: str, words: list[str]) -> ChallengeRequest:
    verb, args = words[0].lower(), words[1:]
    if verb == "new" and not args:
        return ChallengeRequest("new")
    if verb in ("help", "?", "-h", "--help") and not args:
        return ChallengeRequest("help")
    if verb == "list":
        if not args:
            return ChallengeRequest("list")
        if len(args) == 1 and args[0].lower() in ("open", "all"):
            return ChallengeRequest("list", which=args[0].lower())
        return ChallengeRequest("usage", problem="`/challenge list` takes `open` or `all`.")
    if verb == "show":
        if len(args) == 1:
            return ChallengeRequest("show", key=args[0])
        return ChallengeRequest("usage", problem="Say which one: `/challenge show <id or slug>`.")
    if verb == "status":
        if len(args) >= 2:
            return ChallengeRequest("status", key=args[0], status=" ".join(args[1:]))
        return ChallengeRequest(
            "usage", problem="Say which and to what: `/challenge status <id or slug> <status>`."
        )
    if verb == "deadline":
        if len(args) == 2:
            return ChallengeRequest("deadline", key=args[0], status=args[1])
        return ChallengeRequest(
            "usage", problem="Say which and when: `/challenge deadline <id or slug> YYYY-MM-DD`."
        )
    if verb in ("after-deadline", "after_deadline"):
        if len(args) == 2:
            return ChallengeRequest("after_deadline", key=args[0], status=args[1])
        return ChallengeRequest(
            "usage",
            problem="Say which and to what: `/challenge after-deadline <id or slug> <status>`.",
        )
    if verb in ("team-status", "team_status", "teamstatus"):
        if len(args) >= 2:
            return ChallengeRequest(
                "team_status", key=args[0], status=args[1], team=" ".join(args[2:])
            )
        return ChallengeRequest(
            "usage",
            problem="Say which and to what: `/challenge team-status <id or slug> <status> [team]`.",
        )
    if verb == "team":
        if len(args) >= 2 and args[0].lower() == "new":
            return ChallengeRequest("team_new", key=args[1], team=" ".join(args[2:]))
        return ChallengeRequest(
            "usage", problem="To open another team: `/challenge team new <id or slug> [name]`."
        )
    return ChallengeRequest("usage", problem=f"I don't know `/challenge {text.strip()[:100]}`.")


DigestAction = Literal["show", "help", "frequency", "subscribe", "unsubscribe", "preview", "usage"]
DIGEST_FREQUENCIES = ("weekly", "daily", "off")


@dataclass(frozen=True)
class DigestRequest:
    action: DigestAction
    frequency: str = ""
    problem: str = ""


def parse_digest_text(text: str) -> DigestRequest:
    """`/digest [subscribe [weekly|daily]|unsubscribe|preview|frequency weekly|daily|off|help]`.

    A bare `weekly`, `daily` or `off` is kept as a short form of `frequency ...`.
    """
    words = text.lower().split()
    if not words:
        return DigestRequest("show")
    verb, args = words[0], words[1:]
    if verb in ("help", "?", "-h", "--help") and not args:
        return DigestRequest("help")
    if verb in DIGEST_FREQUENCIES and not args:
        return DigestRequest("frequency", frequency=verb)
    if verb == "frequency":
        if len(args) == 1 and args[0] in DIGEST_FREQUENCIES:
            return DigestRequest("frequency", frequency=args[0])
        return DigestRequest(
            "usage", problem="Say how often: `/digest frequency weekly|daily|off`."
        )
    if verb == "subscribe":
        if not args:
            return DigestRequest("subscribe")
        if len(args) == 1 and args[0] in ("weekly", "daily"):
            return DigestRequest("subscribe", frequency=args[0])
        return DigestRequest("usage", problem="`/digest subscribe` takes `weekly` or `daily`.")
    if verb == "unsubscribe" and not args:
        return DigestRequest("unsubscribe")
    if verb == "preview" and not args:
        return DigestRequest("preview")
    if not args:
        # Most likely a mistyped setting, as in `/digest weekyl`.
        allowed = ", ".join(DIGEST_FREQUENCIES)
        problem = f"Unknown digest setting {text.strip()[:50]!r}. Use one of: {allowed}."
        return DigestRequest("usage", problem=problem)
    return DigestRequest("usage", problem=f"I don't know `/digest {text.strip()[:100]}`.")

"""The grammar of the slash commands' text, turned into typed requests before any work is done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChallengeAction = Literal["new", "list", "show", "status", "help", "usage"]


@dataclass(frozen=True)
class ChallengeRequest:
    action: ChallengeAction
    key: str = ""
    which: str = "open"
    status: str = ""
    problem: str = ""  # for "usage": what was wrong with the text


def parse_challenge_text(text: str) -> ChallengeRequest:
    """`/challenge [new|list [open|all]|show <id>|status <id> <status>|help]`."""
    words = text.split()
    if not words:
        return ChallengeRequest("new")
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
    return ChallengeRequest("usage", problem=f"I don't know `/challenge {text.strip()[:100]}`.")

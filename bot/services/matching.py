"""Who can solve this: ranked member organisations with evidence and contacts, and teams.

The Slack listeners, the CLI, the App Home and the digests all call these functions; they know
nothing of Slack. The ranking itself lives in `retrieval/`; this module adds what only the
store knows: names, contact people, visibility and earlier feedback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Evidence:
    """One passage of a member's profile that matched: a capability, a reference..."""

    kind: str
    title: str
    text: str
    matched_terms: tuple[str, ...] = ()
    score: float = 0.0


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    role: str
    slack_user_id: str | None


@dataclass(frozen=True)
class SolverMatch:
    member_slug: str
    member_name: str
    kind: str
    city: str
    country: str
    score: float
    reason: str
    evidence: tuple[Evidence, ...] = ()
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class TeamSuggestion:
    """Members that together cover a challenge's needs, and the needs nobody covers."""

    needs: tuple[str, ...]
    members: tuple[SolverMatch, ...]
    covered_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uncovered: tuple[str, ...] = ()

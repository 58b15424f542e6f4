"""What of the store is searchable: members and challenges turned into passages.

A member's profile is several kinds of evidence (description, each capability, its
technologies, each reference, each person's expertise), kept apart so an answer can say
which one matched. Long texts are split to fit the embedding model, never truncated.
"""

from __future__ import annotations

from collections.abc import Callable

from retrieval.passages import MetadataValue, Passage, passages_from_text
from storage.models import Challenge, Member

MEMBER_PREFIX = "member:"
CHALLENGE_PREFIX = "challenge:"


def member_owner(member_id: int) -> str:
    return f"{MEMBER_PREFIX}{member_id}"


def challenge_owner(challenge_id: int) -> str:
    return f"{CHALLENGE_PREFIX}{challenge_id}"


def owner_id(owner: str) -> int:
    """The record id in an owner key such as ``member:12``."""
    return int(owner.rsplit(":", 1)[1])


def record_owner(record_id: str) -> str:
    """The owner of an index record, read from its id: ``member:12`` for
    ``member:12:capability:0#0::s1`` (passages are keyed by their owner, see `member_passages`)."""
    prefix, number, _rest = record_id.split(":", 2)
    return f"{prefix}:{number}"


def member_passages(
    member: Member, *, max_tokens: int, count_tokens: Callable[[str], int] | None = None
) -> list[Passage]:
    owner = member_owner(member.id)
    metadata: dict[str, MetadataValue] = {
        "type": "member",
        "member_id": member.id,
        "slug": member.slug,
        "org_kind": member.kind.value,
        "country": member.country,
        "city": member.city,
        "membership": member.membership_status.value,
    }

    def text(kind: str, key: str, title: str, body: str) -> list[Passage]:
        return passages_from_text(
            owner=owner,
            kind=kind,
            key=f"{owner}:{key}",
            title=title,
            text=body,
            max_tokens=max_tokens,
            count_tokens=count_tokens,
            metadata=metadata,
        )

    passages = text("description", "description", member.name, member.description)
    for n, capability in enumerate(member.capabilities):
        passages += text("capability", f"capability:{n}", "", capability)
    if member.technologies:
        passages += text("technology", "technologies", "", "; ".join(member.technologies))
    for reference in member.references:
        where = ", ".join(str(x) for x in (reference.client, reference.year) if x)
        body = f"{reference.description} ({where})" if where else reference.description
        passages += text("reference", f"reference:{reference.position}", reference.title, body)
    for person in sorted(member.people, key=lambda p: p.email):
        if person.expertise:
            passages += text(
                "person",
                f"person:{person.id}",
                f"{person.name}, {person.role}" if person.role else person.name,
                "; ".join(person.expertise),
            )
    return passages


def challenge_passages(
    challenge: Challenge, *, max_tokens: int, count_tokens: Callable[[str], int] | None = None
) -> list[Passage]:
    owner = challenge_owner(challenge.id)
    metadata: dict[str, MetadataValue] = {
        "type": "challenge",
        "challenge_id": challenge.id,
        "slug": challenge.slug,
        "status": challenge.status.value,
        "visibility": challenge.visibility.value,
        "country": challenge.country,
        "city": challenge.city,
        "tags": ",".join(challenge.tags),
        "language": challenge.language,
    }
    passages = passages_from_text(
        owner=owner,
        kind="challenge",
        key=f"{owner}:description",
        title=challenge.title,
        text=challenge.description,
        max_tokens=max_tokens,
        count_tokens=count_tokens,
        metadata=metadata,
    )
    if challenge.needs:
        passages += passages_from_text(
            owner=owner,
            kind="need",
            key=f"{owner}:needs",
            title=challenge.title,
            text="; ".join(challenge.needs),
            max_tokens=max_tokens,
            count_tokens=count_tokens,
            metadata=metadata,
        )
    return passages

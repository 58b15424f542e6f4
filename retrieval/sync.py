"""Keep the search indexes in step with the store, which is always right.

`sync_index` applies the changes queued in the store's outbox (see `storage.outbox`) and only
then forgets them, so a crash at any point leaves them queued for the next run;
`rebuild_index` starts from scratch; `check_drift` compares passage by passage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from retrieval.embedding import MINILM_MAX_TOKENS, estimate_tokens
from retrieval.index import PassageIndex
from retrieval.passages import Passage
from retrieval.profiles import (
    challenge_owner,
    challenge_passages,
    member_owner,
    member_passages,
)
from storage.challenges import challenges_by_id
from storage.db import session_scope
from storage.members import members_with_profiles
from storage.outbox import (
    CHALLENGE,
    MEMBER,
    forget_index_changes,
    last_index_change_id,
    pending_index_changes,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Indexes:
    """The two collections the bot searches: member profiles and challenges."""

    members: PassageIndex
    challenges: PassageIndex

    def sizes(self) -> tuple[int, Callable[[str], int]]:
        embedder = self.members.embedder
        if embedder is None:
            return MINILM_MAX_TOKENS, estimate_tokens
        return embedder.max_tokens(), embedder.count_tokens

    def replace_owners(self, owners: dict[str, list[Passage]]) -> None:
        """Swap each owner's passages for the given ones (none: the owner is removed)."""
        for index, prefix in ((self.members, "member:"), (self.challenges, "challenge:")):
            mine = {o: ps for o, ps in owners.items() if o.startswith(prefix)}
            for owner in mine:
                index.delete_owner(owner)
            # One upsert for all: the embedder batches across owners, which is much faster.
            index.upsert([p for passages in mine.values() for p in passages])


@dataclass
class DriftReport:
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    ghosts: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.ghosts)


def expected_passages(
    *,
    session: Session,
    indexes: Indexes,
    member_ids: set[int] | None = None,
    challenge_ids: set[int] | None = None,
) -> dict[str, list[Passage]]:
    """The passages the store says each owner should have (every owner when ids are None)."""
    max_tokens, count = indexes.sizes()
    owners: dict[str, list[Passage]] = {}
    if member_ids is None or member_ids:
        for member in members_with_profiles(session=session, ids=member_ids):
            owners[member_owner(member.id)] = member_passages(
                member, max_tokens=max_tokens, count_tokens=count
            )
    if challenge_ids is None or challenge_ids:
        for challenge in challenges_by_id(session=session, ids=challenge_ids):
            owners[challenge_owner(challenge.id)] = challenge_passages(
                challenge, max_tokens=max_tokens, count_tokens=count
            )
    return owners


def sync_index(*, engine: Engine, indexes: Indexes, batch: int = 500) -> int:
    """Apply every queued change to the indexes; returns how many records were refreshed."""
    refreshed = 0
    while True:
        with session_scope(engine) as session:
            changes = pending_index_changes(session=session, limit=batch)
            if not changes:
                return refreshed
            member_ids = {int(c.entity_key) for c in changes if c.entity == MEMBER}
            challenge_ids = {int(c.entity_key) for c in changes if c.entity == CHALLENGE}
            wanted = expected_passages(
                session=session,
                indexes=indexes,
                member_ids=member_ids,
                challenge_ids=challenge_ids,
            )
            last_id = changes[-1].id
        # A record gone from the store gets no passages: its owner is emptied, no ghosts.
        owners = [member_owner(i) for i in member_ids] + [challenge_owner(i) for i in challenge_ids]
        indexes.replace_owners({owner: wanted.get(owner, []) for owner in owners})
        with session_scope(engine) as session:
            forget_index_changes(session=session, up_to_id=last_id)
        refreshed += len(owners)
        log.debug("index caught up with %d changed records", len(owners))


def rebuild_index(
    *,
    engine: Engine,
    indexes: Indexes,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild both indexes from the store; returns the number of passages written."""
    with session_scope(engine) as session:
        # Changes queued after this point are applied by the next sync, not lost.
        last_id = last_index_change_id(session=session)
        owners = expected_passages(session=session, indexes=indexes)
    indexes.members.clear()
    indexes.challenges.clear()
    members = [p for o, group in owners.items() if o.startswith("member:") for p in group]
    challenges = [p for o, group in owners.items() if not o.startswith("member:") for p in group]
    total, done, step = len(members) + len(challenges), 0, 256
    for index, passages in ((indexes.members, members), (indexes.challenges, challenges)):
        for start in range(0, len(passages), step):
            chunk = passages[start : start + step]
            index.upsert(chunk)
            done += len(chunk)
            if on_progress:
                on_progress(done, total)
    if last_id:
        with session_scope(engine) as session:
            forget_index_changes(session=session, up_to_id=last_id)
    return total


def check_drift(*, engine: Engine, indexes: Indexes) -> DriftReport:
    """Passages the index lacks, holds in an old version, or holds for nothing in the store."""
    with session_scope(engine) as session:
        owners = expected_passages(session=session, indexes=indexes)
    expected = {p.id: p.content_hash() for group in owners.values() for p in group}
    stored = {**indexes.members.ids_and_hashes(), **indexes.challenges.ids_and_hashes()}
    return DriftReport(
        missing=sorted(set(expected) - set(stored)),
        stale=sorted(i for i in expected.keys() & stored.keys() if expected[i] != stored[i]),
        ghosts=sorted(set(stored) - set(expected)),
    )

"""Keep the search indexes in step with the store, which is always right.

`sync_index` applies the changes queued in the store's outbox (see `storage.outbox`) and only
then forgets them, so a crash at any point leaves them queued for the next run; given a
``budget`` it stops after about that many seconds (a question waits for no more), the rest
left to the writer, the background indexer or `scic reindex`. One writer at a time, across
processes, holds the store's index lease. `rebuild_index` starts from scratch; `check_drift`
compares passage by passage.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
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
from storage.lexical import rewrite_texts
from storage.members import members_with_profiles
from storage.outbox import (
    CHALLENGE,
    MEMBER,
    count_pending_index_changes,
    forget_index_changes,
    last_index_change_id,
    pending_index_changes,
    queue_every_record,
    release_index_lease,
    take_index_lease,
)

log = logging.getLogger(__name__)

#: This process's name on the index lease.
WRITER = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
#: A lease runs out this long after its last renewal (each batch renews it), so a writer that
#: died holding it keeps the others waiting at most this long.
LEASE_SECONDS = 120.0
#: Outbox rows applied per batch without a budget: big enough for the embedder to batch well,
#: small enough that a crash loses little work and other writers get their turn.
BATCH = 200


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
            index.delete_owners(list(mine))
            # One upsert for all: the embedder batches across owners, which is much faster.
            index.upsert([p for passages in mine.values() for p in passages])


@dataclass
class DriftReport:
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    ghosts: list[str] = field(default_factory=list)
    #: passages without their rendering in the other language (indexed before renderings)
    unrendered: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.ghosts or self.unrendered)


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


def pending_changes(*, engine: Engine) -> int:
    """How many changed records the index has not caught up with yet."""
    with session_scope(engine) as session:
        return count_pending_index_changes(session=session)


def queue_unwritten_index(*, engine: Engine, indexes: Indexes) -> int:
    """Queue every record when neither index was ever written: the store's records would
    otherwise stay out of it, the outbox having been emptied into other collections (the
    index built before the embedding model was set, then opened with it; a new Chroma
    server). The writer, the background indexer or `scic reindex` then builds it, and answers
    meanwhile say the index is behind instead of finding nothing. Returns how many were
    queued."""
    if indexes.members.written or indexes.challenges.written:
        return 0
    with session_scope(engine) as session:
        queued = queue_every_record(session=session)
    if queued:
        log.warning(
            "the search index (%s) has never been written: all %d records queued for it",
            indexes.members.name,
            queued,
        )
    return queued


def sync_index(
    *,
    engine: Engine,
    indexes: Indexes,
    batch: int = BATCH,
    budget: float | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Apply queued changes to the indexes; returns how many records were refreshed.

    Without ``budget``, everything queued (also what is queued meanwhile). With one, batches
    sized from the time the last one took, stopping once ``budget`` seconds have passed: the
    first batch is one record, so even a cold start overruns by at most one record's work.
    Returns 0 at once when another writer holds the lease (it is doing the work).
    ``on_progress`` hears the number of records refreshed so far.
    """
    started = time.monotonic()
    size = 1 if budget is not None else batch
    refreshed = 0
    with session_scope(engine) as session:
        if not take_index_lease(session=session, holder=WRITER, seconds=LEASE_SECONDS):
            return 0
    try:
        while True:
            batch_started = time.monotonic()
            with session_scope(engine) as session:
                if not take_index_lease(session=session, holder=WRITER, seconds=LEASE_SECONDS):
                    log.warning("lost the index lease; another writer carries on")
                    return refreshed
                # Read before the records: every row up to here is covered by what is read next.
                high = last_index_change_id(session=session)
                changes = pending_index_changes(session=session, limit=size)
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
            # A record gone from the store gets no passages: its owner is emptied, no ghosts.
            owners = [member_owner(i) for i in member_ids]
            owners += [challenge_owner(i) for i in challenge_ids]
            indexes.replace_owners({owner: wanted.get(owner, []) for owner in owners})
            with session_scope(engine) as session:
                # A record changed in several flushes has several rows: all go at once.
                forget_index_changes(
                    session=session,
                    up_to_id=high,
                    records=[(MEMBER, i) for i in member_ids]
                    + [(CHALLENGE, i) for i in challenge_ids],
                )
            refreshed += len(owners)
            if on_progress:
                on_progress(refreshed)
            log.debug("index caught up with %d changed records", len(owners))
            if budget is not None:
                now = time.monotonic()
                left = budget - (now - started)
                if left <= 0:
                    return refreshed
                per_row = (now - batch_started) / len(changes)
                size = max(1, min(batch, int(left / max(per_row, 1e-6))))
    finally:
        with session_scope(engine) as session:
            release_index_lease(session=session, holder=WRITER)


def hold_index_lease(*, engine: Engine, wait: float = 600.0) -> None:
    """Take the index lease for this process, waiting up to ``wait`` seconds for the holder."""
    deadline = time.monotonic() + wait
    while True:
        with session_scope(engine) as session:
            if take_index_lease(session=session, holder=WRITER, seconds=LEASE_SECONDS):
                return
        if time.monotonic() > deadline:
            raise TimeoutError("another process has been writing to the search index too long")
        time.sleep(0.5)


def rebuild_index(
    *,
    engine: Engine,
    indexes: Indexes,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Rebuild both indexes from the store; returns the number of passages written.

    Holds the index lease throughout (waiting for another writer to finish first), so no
    process applies the outbox into a half-built index.
    """
    hold_index_lease(engine=engine)
    try:
        return _rebuild(engine=engine, indexes=indexes, on_progress=on_progress)
    finally:
        with session_scope(engine) as session:
            release_index_lease(session=session, holder=WRITER)


def _rebuild(
    *,
    engine: Engine,
    indexes: Indexes,
    on_progress: Callable[[int, int], None] | None,
) -> int:
    with session_scope(engine) as session:
        # The store's full-text texts too: a store upgraded to them starts with none.
        rewrite_texts(session=session, everything=True)
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
            with session_scope(engine) as session:  # still ours: renew it
                take_index_lease(session=session, holder=WRITER, seconds=LEASE_SECONDS)
            if on_progress:
                on_progress(done, total)
    if last_id:
        with session_scope(engine) as session:
            forget_index_changes(session=session, up_to_id=last_id)
    return total


def check_drift(*, engine: Engine, indexes: Indexes) -> DriftReport:
    """Passages the index lacks, holds in an old version, holds for nothing in the store, or
    holds without their rendering in the other language."""
    with session_scope(engine) as session:
        owners = expected_passages(session=session, indexes=indexes)
    expected = {p.id: p.content_hash() for group in owners.values() for p in group}
    stored = {**indexes.members.ids_and_hashes(), **indexes.challenges.ids_and_hashes()}
    return DriftReport(
        missing=sorted(set(expected) - set(stored)),
        stale=sorted(i for i in expected.keys() & stored.keys() if expected[i] != stored[i]),
        ghosts=sorted(set(stored) - set(expected)),
        unrendered=sorted(
            i
            for index in (indexes.members, indexes.challenges)
            for i in index.unrendered_ids()
            if i in expected
        ),
    )

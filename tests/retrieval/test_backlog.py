"""A backlog in the outbox: applied in bounded steps, by one writer at a time, never lost.

Runs on SQLite and PostgreSQL with an embedded Chroma.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from unittest import mock

import chromadb
import pytest
import time_machine
from sqlalchemy import Engine, select

from retrieval.embedding import Vectors
from retrieval.sync import LEASE_SECONDS, Indexes, check_drift, pending_changes, sync_index
from standins.search import FakeEmbedder, fresh_search
from storage.db import session_scope
from storage.models import IndexOutbox
from storage.outbox import release_index_lease, take_index_lease
from tests.search_fixtures import load


class SlowEmbedder(FakeEmbedder):
    """At least 10 ms a text: a few dozen records cannot be indexed within 0.1 s."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        time.sleep(0.01 * len(texts))
        return super().embed(texts)


def members(n: int) -> list[dict[str, object]]:
    return [
        {
            "slug": f"member-{i}",
            "name": f"Member {i}",
            "kind": "company",
            "description": f"Company number {i} builds sensors.",
            "capabilities": [f"capability {i} of many", "snow load sensing"],
        }
        for i in range(n)
    ]


def indexes(engine: Engine, embedder: FakeEmbedder) -> Indexes:
    return fresh_search(chromadb.EphemeralClient(), embedder, engine).indexes


def _taken_within(engine: Engine, *, holder: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        with session_scope(engine) as session:
            if take_index_lease(session=session, holder=holder, seconds=LEASE_SECONDS):
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_a_budget_bounds_the_work_and_the_rest_stays_queued(engine: Engine) -> None:
    load(engine, "members", members(30))
    both = indexes(engine, SlowEmbedder())
    applied = sync_index(engine=engine, indexes=both, budget=0.1)
    # Each record takes >= 30 ms (three passages), so 0.1 s holds a few at most, never all.
    assert 1 <= applied < 30
    assert pending_changes(engine=engine) == 30 - applied
    assert sync_index(engine=engine, indexes=both) == 30 - applied  # no budget: the rest
    assert pending_changes(engine=engine) == 0
    assert check_drift(engine=engine, indexes=both).clean


def test_only_the_lease_holder_applies_the_outbox(engine: Engine) -> None:
    load(engine, "members", members(3))
    both = indexes(engine, FakeEmbedder())
    with session_scope(engine) as session:
        assert take_index_lease(session=session, holder="other-process", seconds=60)
    assert sync_index(engine=engine, indexes=both) == 0  # the other process is at it
    assert pending_changes(engine=engine) == 3
    with session_scope(engine) as session:
        release_index_lease(session=session, holder="other-process")
    assert sync_index(engine=engine, indexes=both) == 3
    assert pending_changes(engine=engine) == 0


def test_a_writer_killed_holding_the_lease_holds_it_up_only_until_it_runs_out(
    engine: Engine,
) -> None:
    load(engine, "members", members(3))
    both = indexes(engine, FakeEmbedder())
    with time_machine.travel(0, tick=False) as traveller:
        traveller.move_to("2026-11-25T08:00:00+00:00")
        # Taken, and never released: kill -9. (A worker of an earlier test on this store may
        # still be giving the lease back: wait for it, in real time, rather than fail.)
        assert _taken_within(engine, holder="killed", seconds=10.0)
        assert sync_index(engine=engine, indexes=both) == 0
        traveller.shift(timedelta(seconds=LEASE_SECONDS + 1))
        assert sync_index(engine=engine, indexes=both) == 3
    assert check_drift(engine=engine, indexes=both).clean


def test_a_crash_half_way_through_a_backlog_loses_nothing(engine: Engine) -> None:
    load(engine, "members", members(10))
    both = indexes(engine, FakeEmbedder())
    real = Indexes.replace_owners
    calls = 0

    def dies_on_the_second_batch(self: Indexes, owners: dict[str, list[object]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise SystemExit("killed")
        real(self, owners)  # type: ignore[arg-type]

    with (
        mock.patch.object(Indexes, "replace_owners", dies_on_the_second_batch),
        pytest.raises(SystemExit),
    ):
        sync_index(engine=engine, indexes=both, batch=4)
    assert pending_changes(engine=engine) == 6  # the first batch of 4 landed, 6 still queued
    assert sync_index(engine=engine, indexes=both) == 6  # the lease was given back on the way
    assert check_drift(engine=engine, indexes=both).clean


def test_a_record_queued_several_times_leaves_the_outbox_at_once(engine: Engine) -> None:
    with_references = [
        dict(m, references=[{"title": "Oulu roofs", "description": "Snow load sensors."}])
        for m in members(3)
    ]
    load(engine, "members", with_references)
    load(engine, "members", [dict(with_references[0], description="Changed again.")])
    with session_scope(engine) as session:
        rows = len(session.scalars(select(IndexOutbox)).all())
    assert rows > 3  # the first member is queued more than once
    both = indexes(engine, FakeEmbedder())
    assert sync_index(engine=engine, indexes=both, batch=1, budget=0.0) == 1
    assert pending_changes(engine=engine) == 2  # every row of the first record went with it

"""The store's full-text search as the matcher reads it: one search per question, its result
narrowed to the scored owners exactly as a second search would have been."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

import chromadb
from sqlalchemy import Engine, event

import retrieval.fulltext
from bot.services.matching import SolverSearch, suggest_solvers
from retrieval.fulltext import FullTextSearch
from retrieval.profiles import record_owner
from standins.search import FakeEmbedder, fresh_search
from storage.db import session_scope
from storage.lexical import MEMBERS
from tests.search_fixtures import load

MEMBERS_ROWS = [
    {
        "slug": f"member-{i}",
        "name": f"Member {i} Oy",
        "kind": "company",
        "description": f"Company {i} works on {topic}.",
        "capabilities": [topic, f"{topic} analytics"],
    }
    for i, topic in enumerate(
        [
            "snow load sensing on roofs",
            "district heating optimisation",
            "snow plough route planning",
            "parking sensors",
            "roof inspection drones",
        ]
    )
]


def test_a_result_kept_to_some_owners_equals_searching_for_them(engine: Engine) -> None:
    load(engine, "members", MEMBERS_ROWS)
    fulltext = FullTextSearch(engine, MEMBERS)
    everything = fulltext.search("snow on roofs")
    owners = {h.owner for h in everything.best(2)}
    assert len({h.owner for h in everything.hits.values()}) > len(owners)
    kept, searched = everything.only(owners), fulltext.search("snow on roofs", owners=owners)
    assert kept.hits == searched.hits and kept.hits
    assert (kept.mean, kept.spread) == (searched.mean, searched.spread)
    assert all(kept.z(key) == searched.z(key) for key in everything.hits)


def test_a_question_searches_the_full_text_once(engine: Engine) -> None:
    load(engine, "members", MEMBERS_ROWS)
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    search.catch_up()
    real = FullTextSearch.search
    with (
        mock.patch.object(FullTextSearch, "search", autospec=True, side_effect=real) as spied,
        session_scope(engine) as session,
    ):
        found = suggest_solvers(session=session, search=search, query="snow load on roofs")
    assert found and found[0].member_slug == "member-0"
    assert spied.call_count == 1


def test_a_question_reads_the_full_text_index_in_one_statement(engine: Engine) -> None:
    # The matches of the owners scored came from a second statement, which scored every match
    # again (~40 ms of a ~230 ms question at 10,000 members); they now come with the best.
    # More matches than the best texts a search reads first (`BEST`), as at scale.
    many = [
        dict(row, slug=f"{row['slug']}-{n}", name=f"{row['name']} {n}")
        for n in range(50)
        for row in MEMBERS_ROWS
    ]
    load(engine, "members", many)
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    search.catch_up()
    scoring: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if " AS score " in statement:
            scoring.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        with session_scope(engine) as session:
            found = suggest_solvers(session=session, search=search, query="snow load on roofs")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert found and found[0].member_slug.startswith("member-0")
    assert FullTextSearch(engine, MEMBERS).search("snow load on roofs").rest is not None
    assert len(scoring) == 1, scoring


def test_a_result_keeps_the_matches_of_the_owners_it_was_asked_to_keep(engine: Engine) -> None:
    load(engine, "members", MEMBERS_ROWS)
    fulltext = FullTextSearch(engine, MEMBERS)
    query = "snow roofs sensors planning heating"
    everything = fulltext.search(query)
    last = everything.ranked[-1].owner
    with mock.patch.object(retrieval.fulltext, "BEST", 2):
        held = fulltext.search(query, keep={last})
    owners = {last, *(h.owner for h in held.ranked)}
    assert held.rest is not None and owners <= held.covered
    asked = AssertionError("asked the store")
    with mock.patch.object(retrieval.fulltext, "search_owners", side_effect=asked):
        kept = held.only(owners)
    assert kept.hits == everything.only(owners).hits
    assert all(kept.z(key) == everything.z(key) for key in kept.hits)


def test_a_result_holding_only_the_best_texts_reads_the_rest_as_asked(engine: Engine) -> None:
    load(engine, "members", MEMBERS_ROWS)
    fulltext = FullTextSearch(engine, MEMBERS)
    everything = fulltext.search("snow roofs sensors planning heating")
    with mock.patch.object(retrieval.fulltext, "BEST", 2):
        held = fulltext.search("snow roofs sensors planning heating")
    assert len(held.ranked) == 2 < len(everything.ranked)
    assert held.best(2) == everything.best(2)
    assert held.best(5) == everything.best(5)
    assert held.hits == everything.hits
    assert (held.mean, held.spread) == (everything.mean, everything.spread)
    owners = {h.owner for h in everything.ranked[-2:]}
    assert held.only(owners).hits == everything.only(owners).hits


def _owner_listings(search: SolverSearch) -> list[int]:
    """Per call, how many owners a question asked Chroma to list the records of."""
    listed: list[int] = []
    collection = search.indexes.members.collection
    original = collection.get

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        where = kwargs.get("where") or {}
        if "owner" in where:
            listed.append(len(where["owner"]["$in"]))
        return original(*args, **kwargs)

    collection.get = counting_get
    return listed


def test_a_question_lists_only_the_owners_it_has_not_seen_since_the_last_write(
    engine: Engine,
) -> None:
    load(engine, "members", MEMBERS_ROWS)
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    search.catch_up()
    listed = _owner_listings(search)

    def ask(query: str) -> list[str]:
        with session_scope(engine) as session:
            return [
                m.member_slug for m in suggest_solvers(session=session, search=search, query=query)
            ]

    first = ask("snow load on roofs")
    assert listed and first[0] == "member-0"
    listed.clear()
    assert ask("snow load on roofs") == first
    assert listed == []
    # A write (here another member) makes every owner's records be listed again.
    extra = dict(MEMBERS_ROWS[0], slug="member-9", name="Member 9 Oy")
    load(engine, "members", [extra])
    search.catch_up()
    again = ask("snow load on roofs")
    assert listed and "member-9" in again


def _indexed(engine: Engine) -> SolverSearch:
    load(engine, "members", MEMBERS_ROWS)
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    search.catch_up()
    return search


def test_a_question_reads_its_vector_candidates_records_while_its_full_text_search_runs(
    engine: Engine,
) -> None:
    # At 100,000 members a cold question spent ~100 ms in the full-text statement and ~100 ms
    # reading its candidates' records from Chroma, one after the other.
    search = _indexed(engine)
    members = search.indexes.members
    members.records.clear()
    reading = threading.Event()
    real_search, real_read = FullTextSearch.search, members.read_owners

    def search_once_records_are_being_read(self: FullTextSearch, *args: Any, **kw: Any) -> Any:
        # Run one after the other, the read would only start after this gave up.
        assert reading.wait(timeout=10), "the records were not read during the search"
        return real_search(self, *args, **kw)

    def read(*args: Any, **kw: Any) -> None:
        reading.set()
        real_read(*args, **kw)

    with (
        mock.patch.object(FullTextSearch, "search", search_once_records_are_being_read),
        mock.patch.object(members, "read_owners", side_effect=read),
        session_scope(engine) as session,
    ):
        found = suggest_solvers(session=session, search=search, query="snow load on roofs")
    assert found and found[0].member_slug == "member-0"


def test_a_question_starts_its_full_text_search_before_reading_its_vector_hits(
    engine: Engine,
) -> None:
    # Where ids say their owner (as the bot's do), the vector hits' owners are known as soon as
    # Chroma answers: the full-text statement need not wait for their records to be read.
    search = _indexed(engine)
    members = search.indexes.members
    with session_scope(engine) as session:
        before = suggest_solvers(session=session, search=search, query="snow load on roofs")
    members.owner_of = record_owner
    members.records.clear()
    searching = threading.Event()
    real_search, real_hits = FullTextSearch.search, members._hits

    def search_and_say_so(self: FullTextSearch, *args: Any, **kw: Any) -> Any:
        searching.set()
        return real_search(self, *args, **kw)

    def hits_once_searching(*args: Any, **kw: Any) -> Any:
        assert searching.wait(timeout=10), "the full-text search waited for the hits"
        return real_hits(*args, **kw)

    with (
        mock.patch.object(FullTextSearch, "search", search_and_say_so),
        mock.patch.object(members, "_hits", side_effect=hits_once_searching),
        session_scope(engine) as session,
    ):
        found = suggest_solvers(session=session, search=search, query="snow load on roofs")
    assert [(m.member_slug, m.score) for m in found] == [(m.member_slug, m.score) for m in before]

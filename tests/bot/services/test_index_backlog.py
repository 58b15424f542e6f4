"""Questions while the search index is behind the store: answered at once from what is
indexed, saying so in one line; the background indexer of `scic serve` catches up."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
import pytest
from sqlalchemy import Engine

from bot.blocks.answer_layout import reply_text
from bot.services.digests.choosing import default_ranker
from bot.services.matching import SolverSearch
from bot.services.questions import vocabulary
from bot.services.questions.asking import reply_to
from bot.services.questions.vocabulary import VOCABULARIES
from retrieval.embedding import Embedder, Vectors
from retrieval.fulltext import FullTextSearch
from retrieval.index import PassageIndex
from retrieval.sync import Indexes, pending_changes
from standins.search import FakeEmbedder, fresh_search
from storage.db import session_scope
from storage.lexical import CHALLENGES as LEXICAL_CHALLENGES
from storage.lexical import MEMBERS as LEXICAL_MEMBERS
from tests.bot.services.test_matching import CHALLENGES, MEMBERS, populate, viewer_at
from tests.search_fixtures import load

NEW_MEMBER = {
    "slug": "glacier-labs",
    "name": "Glacier Labs",
    "kind": "company",
    "description": "Permafrost monitoring for Arctic ports.",
    "capabilities": ["permafrost thaw monitoring"],
}


PERMAFROST_CHALLENGE = {
    "slug": "kirkenes-port-permafrost",
    "title": "Thawing ground under Kirkenes port",
    "description": "Kirkenes needs permafrost thaw monitoring under its port's quays.",
    "owner_name": "Kirkenes Port",
    "city": "Kirkenes",
    "needs": ["permafrost thaw monitoring"],
    "status": "open",
}


def waiting_search(engine: Engine) -> SolverSearch:
    """A process whose questions never index (INDEX_WAIT_MS=0)."""
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    search.question_budget = 0.0
    return search


def indexed_search(engine: Engine) -> SolverSearch:
    """A process over the test cluster, every record indexed."""
    populate(engine)
    search = waiting_search(engine)
    search.index_all()
    return search


def ask(engine: Engine, search: SolverSearch, text: str) -> str:
    reply = reply_to(engine=engine, search=search, viewer=viewer_at(engine, None), text=text)
    return reply_text(reply)


def test_an_answer_says_in_one_line_that_the_index_is_behind(engine: Engine) -> None:
    populate(engine)
    search = waiting_search(engine)
    search.index_all()
    load(engine, "members", [NEW_MEMBER])  # another process wrote it, with --no-index
    behind = ask(engine, search, "who can do permafrost thaw monitoring?")
    assert "Glacier Labs" not in behind  # answered from what is indexed...
    assert behind.count("still taking in 1 recently changed records") == 1  # ...and says so
    assert pending_changes(engine=engine) == 1  # the question did not index it

    search.index_all()
    caught_up = ask(engine, search, "who can do permafrost thaw monitoring?")
    assert "Glacier Labs" in caught_up
    assert "still taking in" not in caught_up


def test_a_finnish_answer_says_it_in_finnish(engine: Engine) -> None:
    populate(engine)
    search = waiting_search(engine)
    search.index_all()
    load(engine, "members", [NEW_MEMBER])
    text = ask(engine, search, "kuka osaa lumikuorman mittauksen tasakatoilla?")
    assert "Hakuhakemisto ottaa vielä vastaan" in text


def test_a_question_within_its_budget_indexes_a_small_change_itself(engine: Engine) -> None:
    populate(engine)
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    search.index_all()
    search.question_budget = 5.0  # one record takes milliseconds: well within it
    load(engine, "members", [NEW_MEMBER])
    answer = ask(engine, search, "who can do permafrost thaw monitoring?")
    assert "Glacier Labs" in answer and "still taking in" not in answer


class SlowEmbedder(FakeEmbedder):
    """Embeds as FakeEmbedder does, a second a call once ``slow`` is set."""

    slow = False

    def embed(self, texts: Sequence[str]) -> Vectors:
        if self.slow:
            time.sleep(1.0)
        return super().embed(texts)


def test_a_question_waits_no_longer_than_its_budget_for_a_slow_batch(engine: Engine) -> None:
    populate(engine)
    embedder = SlowEmbedder()
    search = fresh_search(chromadb.EphemeralClient(), embedder, engine)
    search.index_all()
    search.question_budget = 0.2
    load(engine, "members", [NEW_MEMBER])
    embedder.slow = True  # one record's batch now takes over a second
    started = time.monotonic()
    applied = search.catch_up()
    waited = time.monotonic() - started
    assert applied == 0 and search.behind == 1
    assert waited < 0.9  # the budget and a little, not the batch's second
    # The batch finishes on its own; nothing is lost.
    deadline = time.monotonic() + 30
    while pending_changes(engine=engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pending_changes(engine=engine) == 0
    embedder.slow = False
    search._last_try = -1e9
    assert "Glacier Labs" in ask(engine, search, "who can do permafrost thaw monitoring?")


def test_the_background_indexer_applies_what_other_processes_queued(engine: Engine) -> None:
    populate(engine)
    search = waiting_search(engine)
    indexer = search.start_indexer(interval=0.05)
    try:
        load(engine, "members", [NEW_MEMBER])
        deadline = time.monotonic() + 30
        while pending_changes(engine=engine) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        indexer.stop()
    assert not indexer.is_alive()
    answer = ask(engine, search, "who can do permafrost thaw monitoring?")
    assert "Glacier Labs" in answer and "still taking in" not in answer


def test_the_warm_up_keeps_the_members_records_and_answers_stay_the_same(engine: Engine) -> None:
    populate(engine)
    search = waiting_search(engine)
    search.index_all()
    cold = ask(engine, search, "who can do snow load monitoring on flat roofs?")
    search.indexes.members.records.clear()
    search.start_warm_up().join(timeout=30)
    every = search.indexes.members.collection.get(include=[])["ids"]
    assert len(search.indexes.members.records) == len(every) > 0
    assert ask(engine, search, "who can do snow load monitoring on flat roofs?") == cold


def test_the_records_read_ahead_are_read_again_after_a_write_too_large_to_log(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An import of more than CHANGE_OWNERS members is not logged by owner: every process drops
    # all it read ahead, and `scic serve` read ahead only at start, so its questions went back
    # to listing their candidates in Chroma until it restarted.
    search = indexed_search(engine)
    members = search.indexes.members
    search.start_warm_up().join(timeout=30)
    assert len(members.records) > 0
    monkeypatch.setattr("retrieval.index.CHANGE_OWNERS", 0)  # no write is logged by owner
    search.read_ahead_quiet = 0.0
    indexer = search.start_indexer(interval=0.05)
    try:
        load(engine, "members", [NEW_MEMBER])
        deadline = time.monotonic() + 30
        every: list[str] = []
        while time.monotonic() < deadline:
            every = members.collection.get(include=[])["ids"]
            caught_up = not pending_changes(engine=engine) and not members.read_ahead_lost()
            if caught_up and len(members.records) == len(every):
                break
            time.sleep(0.05)
    finally:
        indexer.stop()
    assert len(members.records) == len(every) > 0
    assert not members.read_ahead_lost()
    # The new member's records are among those read again.
    kept = members.records.get_many(every)
    assert any("Permafrost" in record.document for record in kept.values())


def test_the_read_ahead_waits_for_the_index_to_go_quiet(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    search = indexed_search(engine)
    members = search.indexes.members
    assert search.read_ahead_again() is None  # never read ahead: not a serving process
    search.start_warm_up().join(timeout=30)
    monkeypatch.setattr("retrieval.index.CHANGE_OWNERS", 0)
    load(engine, "members", [NEW_MEMBER])
    search.index_all()
    assert members.read_ahead_lost()
    search.read_ahead_quiet = 3600.0
    assert search.read_ahead_again() is None  # just written: an import may write again
    assert len(members.records) == 0
    search.read_ahead_quiet = 0.0
    again = search.read_ahead_again()
    assert again is not None
    again.join(timeout=30)
    assert len(members.records) == len(members.collection.get(include=[])["ids"])


def test_the_warm_up_loads_the_vocabulary_so_the_first_question_does_not(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(engine)
    search = waiting_search(engine)
    search.index_all()
    monkeypatch.setattr(VOCABULARIES, "_cached", {})  # as a process that just started
    search.start_warm_up().join(timeout=30)
    loads: list[Engine] = []
    load = vocabulary.load_vocabulary

    def counted(engine: Engine) -> vocabulary.Vocabulary:
        loads.append(engine)
        return load(engine)

    monkeypatch.setattr(vocabulary, "load_vocabulary", counted)
    assert "Lämpöverkko Oy" in ask(engine, search, "who can cut heat losses in district heating?")
    assert loads == []


def test_a_digest_waits_for_what_is_queued_so_a_new_member_hears_of_its_fits(
    engine: Engine,
) -> None:
    populate(engine)
    search = waiting_search(engine)
    search.index_all()
    # Glacier Labs joined a moment before the digest run, through another process: its
    # profile is not indexed yet, and a question would answer without it.
    load(engine, "members", [NEW_MEMBER])
    load(engine, "challenges", [PERMAFROST_CHALLENGE])
    glacier = viewer_at(engine, "glacier-labs")
    rank = default_ranker(lambda: search)
    with session_scope(engine) as session:
        fits = rank(session, glacier.member_id or 0, glacier, 10)
    assert "kirkenes-port-permafrost" in [fit.slug for fit in fits]


def test_an_index_built_without_the_model_is_built_again_when_the_model_is_set(
    engine: Engine, tmp_path: Path
) -> None:
    # `scic init --demo` without EMBEDDING_MODEL_DIR, then the bot started with it: the
    # model's collections are named apart and were never written, while the outbox was
    # emptied into the lexical ones. Every answer found nothing ("that's outside what I can
    # help with" for a plain need) until someone thought of `scic reindex`.
    populate(engine)
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    searchable = len(MEMBERS) + len(CHALLENGES)
    without_model = named_search(client, None, engine)
    without_model.index_all()
    assert pending_changes(engine=engine) == 0

    with_model = named_search(client, FakeEmbedder(), engine)
    assert with_model.queue_if_unwritten() == searchable
    assert with_model.queue_if_unwritten() == 0  # checked once
    # Another process opened before it was built: nothing queued twice.
    assert named_search(client, FakeEmbedder(), engine).queue_if_unwritten() == 0
    # Meanwhile a plain need is answered, saying the index is behind, not refused.
    with_model.question_budget = 0.0
    waiting = ask(engine, with_model, "who can do snow load sensing on flat roofs?")
    assert f"still taking in {searchable} recently changed records" in waiting
    with_model.index_all()
    assert "Kantava" in ask(engine, with_model, "who can do snow load sensing on flat roofs?")
    # Written now: a later process queues nothing again.
    assert named_search(client, FakeEmbedder(), engine).queue_if_unwritten() == 0
    assert pending_changes(engine=engine) == 0


def named_search(client: Any, embedder: Embedder | None, engine: Engine) -> SolverSearch:
    """The bot's collections, named as `SolverSearch.open` names them."""
    return SolverSearch(
        Indexes(
            members=PassageIndex(
                client, embedder, name="members", fulltext=FullTextSearch(engine, LEXICAL_MEMBERS)
            ),
            challenges=PassageIndex(
                client,
                embedder,
                name="challenges",
                fulltext=FullTextSearch(engine, LEXICAL_CHALLENGES),
            ),
        ),
        engine,
    )

"""The store's full-text search in both languages: the index writes each passage's rendering
in the other language into the store's full-text table when it indexes the passage, replaces
it when the record changes and the store removes it with the record. So a Finnish need finds
an English-only member word for word, and an English need a Finnish-only one.

Every test runs on SQLite (FTS5) and PostgreSQL (its full-text search), with embedded Chroma.
"""

from __future__ import annotations

from collections.abc import Iterator

import chromadb
import pytest
from sqlalchemy import Engine, select

from bot.services.matching import SolverSearch, suggest_solvers
from retrieval.fulltext import FullTextSearch
from standins.search import fresh_search
from storage.db import session_scope
from storage.index_models import LexicalRecord
from storage.lexical import MEMBERS
from storage.models import Member
from tests.search_fixtures import load

HEATWISE = {
    "slug": "heatwise",
    "name": "Heatwise Oy",
    "kind": "company",
    "description": "Energy engineering consultancy.",
    "capabilities": ["District heating network optimisation"],
}
HUOLTO = {
    "slug": "huolto",
    "name": "Huoltovuoro Oy",
    "kind": "company",
    "description": "Kiinteistöhuollon palveluyritys.",
    "capabilities": ["Kiinteistöhuollon työtilausten hallinta"],
}
PARKLY = {
    "slug": "parkly",
    "name": "Parkly",
    "kind": "company",
    "description": "Smart parking for cities.",
    "capabilities": ["parking sensors", "parking guidance apps"],
}


@pytest.fixture
def search(engine: Engine) -> Iterator[SolverSearch]:
    # Lexical only (no embedder): whatever is found is found by the store's full-text search.
    yield fresh_search(chromadb.EphemeralClient(), None, engine, lexical_renderings=True)


def renderings(engine: Engine, slug: str) -> dict[str, str]:
    """The rendering rows of one member in the store's full-text table, by key."""
    with session_scope(engine) as session:
        member_id = session.scalar(select(Member.id).where(Member.slug == slug))
        rows = session.scalars(
            select(LexicalRecord).where(
                LexicalRecord.owner == f"member:{member_id}",
                LexicalRecord.key.like("%~rendering.%"),
            )
        )
        return {r.key: r.body for r in rows}


def owner_of(engine: Engine, slug: str) -> str:
    with session_scope(engine) as session:
        return f"member:{session.scalar(select(Member.id).where(Member.slug == slug))}"


def lexical_owners(engine: Engine, query: str) -> list[str]:
    found = FullTextSearch(engine, MEMBERS).search(query)
    return list(dict.fromkeys(h.owner for h in found.best(20)))


def top(search: SolverSearch, text: str) -> list[str]:
    with session_scope(search.engine) as session:
        return [m.member_slug for m in suggest_solvers(session=session, search=search, query=text)]


def test_a_rendering_row_is_written_at_indexing_replaced_and_removed_with_the_record(
    search: SolverSearch, engine: Engine
) -> None:
    load(engine, "members", [HEATWISE, PARKLY])
    search.catch_up()
    owner = owner_of(engine, "heatwise")
    rows = renderings(engine, "heatwise")
    key = f"{owner}:capability:0#0~rendering.fi"
    assert rows[key] == "kaukolämpö, verkko, optimointi"

    # The record changes: its own texts change with it, the rendering when it is indexed.
    load(engine, "members", [dict(HEATWISE, capabilities=["Leak detection in water pipes"])])
    assert renderings(engine, "heatwise")[key] == "kaukolämpö, verkko, optimointi"
    search.catch_up()
    rows = renderings(engine, "heatwise")
    assert rows[key] == "vuoto, tunnistus, havaitseminen, vesijohto"
    assert "kaukolämpö" not in " ".join(rows.values())
    assert owner not in lexical_owners(engine, "kaukolämpöverkon optimointi")
    assert owner in lexical_owners(engine, "vesijohtojen vuotojen tunnistus")

    # The record goes: its renderings go in the same transaction, before any indexing.
    with session_scope(engine) as session:
        session.delete(session.scalars(select(Member).where(Member.slug == "heatwise")).one())
    with session_scope(engine) as session:
        left = session.scalars(select(LexicalRecord.key).where(LexicalRecord.owner == owner))
        assert list(left) == []
    search.catch_up()
    assert lexical_owners(engine, "vesijohtojen vuotojen tunnistus") == []


def test_a_finnish_need_finds_an_english_only_member_lexically(
    search: SolverSearch, engine: Engine
) -> None:
    load(engine, "members", [HEATWISE, PARKLY])
    # Before the index has rendered the records, the Finnish words find nothing.
    assert lexical_owners(engine, "kaukolämpöverkon optimointi") == []
    search.catch_up()
    heatwise = owner_of(engine, "heatwise")
    found = FullTextSearch(engine, MEMBERS).search("kaukolämpöverkon optimointi")
    assert [h.owner for h in found.best(5)] == [heatwise]
    # The rendering's score counts for the text it renders, not as a text of its own.
    assert set(found.hits) == {f"{heatwise}:capability:0"}
    assert found.z(f"{heatwise}:capability:0") > 0
    # A need that carries both languages' words (the bot adds a Finnish need's English terms)
    # searches the records' own words only.
    own_only = FullTextSearch(engine, MEMBERS).search("kaukolämpöverkon optimointi", renderings=())
    assert own_only.hits == {}
    # A need asked in English reads the records' English renderings only, never an English
    # record's Finnish terms ("optimointi" is not an English word that record contains).
    search_ = FullTextSearch(engine, MEMBERS)
    assert search_.search("optimointi", renderings=("en",)).hits == {}
    assert set(search_.search("optimointi", renderings=("fi",)).hits) == {
        f"{heatwise}:capability:0"
    }


def test_an_english_need_finds_a_finnish_only_member_lexically(
    search: SolverSearch, engine: Engine
) -> None:
    load(engine, "members", [HUOLTO, PARKLY])
    search.catch_up()
    # An English question is searched as it is: only the Finnish profile's rendering matches.
    assert top(search, "who can help with work order management?")[:1] == ["huolto"]


def test_the_bot_writes_no_rendering_rows_unless_asked(engine: Engine) -> None:
    # Not adopted (the expertise set's held-out loss rose): the bot's default keeps them out.
    plain = fresh_search(chromadb.EphemeralClient(), None, engine)
    load(engine, "members", [HEATWISE])
    plain.catch_up()
    assert renderings(engine, "heatwise") == {}

"""Full-text search in the store: its texts change in the same transaction as the records, and
both engines (SQLite FTS5, PostgreSQL with the english and finnish configurations) find what
the matcher needs. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from retrieval.lexical import stem, words
from retrieval.profiles import member_passages
from retrieval.ranking import record_of
from storage import lexical
from storage.db import session_scope
from storage.index_models import LexicalRecord
from storage.lexical import (
    MEMBERS,
    PassageRendering,
    TextQuery,
    best_and_owned_statement,
    best_statement,
    count_rows,
    count_texts,
    delete_renderings,
    member_texts,
    prepare_search,
    rewrite_texts,
    search_best,
    search_best_and_owned,
    search_owners,
    search_stats,
    search_texts,
    write_renderings,
)
from storage.models import Member, Person
from tests.conftest import _empty_all_tables
from tests.search_fixtures import load

HEATWISE = {
    "slug": "heatwise",
    "name": "Heatwise Oy",
    "kind": "company",
    "description": "Energy engineering consultancy.",
    "capabilities": ["kaukolämpöverkko optimointi", "waste heat recovery"],
    "references": [{"title": "Espoo heat pumps", "description": "Sea water heat pumps."}],
}
PARKLY = {
    "slug": "parkly",
    "name": "Parkly",
    "kind": "company",
    "description": "Smart parking for cities.",
    "capabilities": ["parking sensors", "parking guidance apps", "energy data"],
}


def found(engine: Engine, query: str) -> list[str]:
    """The owners' slugs of the texts ``query`` matches, best first (each owner once)."""
    query_words = words(query)
    with session_scope(engine) as session:
        hits = search_texts(
            session=session,
            collection=MEMBERS,
            words=query_words,
            stems=[stem(w) for w in query_words],
        )
        slugs = {i: s for i, s in session.execute(select(Member.id, Member.slug))}
    owners = list(dict.fromkeys(h.owner for h in hits))
    return [slugs[int(o.split(":")[1])] for o in owners]


def texts(engine: Engine) -> dict[str, str]:
    with session_scope(engine) as session:
        return {r.key: r.body for r in session.scalars(select(LexicalRecord))}


def test_texts_are_the_records_the_index_cuts_passages_from(engine: Engine) -> None:
    load(engine, "members", [HEATWISE])
    load(
        engine,
        "people",
        [
            {
                "email": "a@h.fi",
                "name": "Aino",
                "organisation": "heatwise",
                "expertise": ["geothermal drilling"],
            }
        ],
    )
    with session_scope(engine) as session:
        member = session.scalars(select(Member)).one()
        passages = member_passages(member, max_tokens=256)
        assert {t.key for t in member_texts(member)} == {record_of(p.id) for p in passages}
        assert set(texts(engine)) == {record_of(p.id) for p in passages}


def test_texts_change_in_the_same_transaction_as_the_record(engine: Engine) -> None:
    load(engine, "members", [HEATWISE, PARKLY])
    assert found(engine, "parking sensors")[0] == "parkly"

    load(engine, "members", [dict(PARKLY, capabilities=["electric scooter fleets"])])
    assert "parkly" not in found(engine, "parking sensors guidance")[1:]  # only its description
    assert found(engine, "scooter")[0] == "parkly"

    with session_scope(engine) as session:
        session.delete(session.scalars(select(Member).where(Member.slug == "parkly")).one())
    assert found(engine, "scooter") == []
    assert not any(
        k.startswith("member:") and "parkly" in v.lower() for k, v in texts(engine).items()
    )


def test_renderings_are_replaced_kept_through_an_edit_and_go_with_the_record(
    engine: Engine,
) -> None:
    load(engine, "members", [HEATWISE, PARKLY])
    with session_scope(engine) as session:
        ids = {slug: i for slug, i in session.execute(select(Member.slug, Member.id))}
        own = count_texts(session=session, collection=MEMBERS)
    parkly = f"member:{ids['parkly']}"
    passage = f"{parkly}:capability:0#0"
    with session_scope(engine) as session:
        write_renderings(
            session=session,
            collection=MEMBERS,
            renderings=[PassageRendering(passage, parkly, "fi", "pysäköintianturit")],
        )
    with session_scope(engine) as session:
        write_renderings(
            session=session,
            collection=MEMBERS,
            renderings=[PassageRendering(passage, parkly, "fi", "pysäköinti, anturi")],
        )
        # A rendering is part of the text it renders, not a text of its own.
        assert count_texts(session=session, collection=MEMBERS) == own
    assert texts(engine)[f"{passage}~rendering.fi"] == "pysäköinti, anturi"
    assert found(engine, "anturi") == ["parkly"]

    # The record's own transaction rewrites its own texts; the renderings wait for the index.
    load(engine, "members", [dict(PARKLY, capabilities=["parking apps"])])
    assert texts(engine)[f"{passage}~rendering.fi"] == "pysäköinti, anturi"
    with session_scope(engine) as session:
        rewrite_texts(session=session, member_ids=[ids["parkly"]])
    assert f"{passage}~rendering.fi" in texts(engine)
    with session_scope(engine) as session:
        delete_renderings(session=session, passage_ids=[passage])
    assert found(engine, "anturi") == []

    with session_scope(engine) as session:
        write_renderings(
            session=session,
            collection=MEMBERS,
            renderings=[PassageRendering(passage, parkly, "fi", "pysäköinti")],
        )
    with session_scope(engine) as session:
        session.delete(session.scalars(select(Member).where(Member.slug == "parkly")).one())
    assert not [k for k in texts(engine) if k.startswith(parkly)]


def test_a_rolled_back_change_leaves_no_text(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Member(slug="ghost", name="Ghost Oy", kind="company", description="Spectres."))
        session.flush()
        raise RuntimeError("the import failed half way")
    assert texts(engine) == {}
    assert found(engine, "spectres") == []


def test_a_person_s_expertise_is_part_of_the_member_s_texts(engine: Engine) -> None:
    load(engine, "members", [HEATWISE, PARKLY])
    load(
        engine,
        "people",
        [
            {
                "email": "a@h.fi",
                "name": "Aino",
                "organisation": "heatwise",
                "expertise": ["hydrogen electrolysers"],
            }
        ],
    )
    assert found(engine, "hydrogen electrolysers") == ["heatwise"]
    with session_scope(engine) as session:
        session.delete(session.scalars(select(Person)).one())
    assert found(engine, "hydrogen electrolysers") == []


def test_inflected_finnish_and_plural_english_words_are_found(engine: Engine) -> None:
    load(engine, "members", [HEATWISE, PARKLY])
    assert found(engine, "kaukolämpöverkon optimointiin") == ["heatwise"]
    assert found(engine, "parking sensor")[0] == "parkly"
    assert found(engine, "heat pump")[0] == "heatwise"


def test_a_rare_word_counts_more_than_a_common_one(engine: Engine) -> None:
    others = [
        dict(PARKLY, slug=f"energy-{n}", name=f"Energy {n}", capabilities=["energy audits"])
        for n in range(6)
    ]
    load(engine, "members", [HEATWISE, PARKLY, *others])
    # "energy" is everywhere, "guidance" only at Parkly: Parkly first.
    assert found(engine, "energy guidance")[0] == "parkly"


def test_a_word_the_query_says_often_counts_more(engine: Engine) -> None:
    # A long brief names its topic often; said once, "parking" and "heat" tie as rare words.
    def member(slug: str, capability: str) -> dict[str, object]:
        return {
            "slug": slug,
            "name": slug.title(),
            "kind": "company",
            "description": "",
            "capabilities": [capability],
        }

    others = [member(f"other-{n}", f"audits {n}") for n in range(6)]
    load(
        engine,
        "members",
        [member("heaters", "heat pumps"), member("parkers", "parking apps"), *others],
    )
    assert found(engine, "heat parking heat heat")[0] == "heaters"
    assert found(engine, "heat parking parking parking")[0] == "parkers"


@pytest.mark.parametrize(
    "query", ['"parking', "parking AND", "NEAR(parking sensors)", "park* OR -x", "(x", "ääö'"]
)
def test_query_syntax_in_a_question_is_read_as_words(engine: Engine, query: str) -> None:
    load(engine, "members", [PARKLY])
    found(engine, query)  # no error: the engines' query languages never see raw text


def energy_members(engine: Engine) -> tuple[list[str], list[str]]:
    """Eight members, six of them auditing energy, and a query's words and stems that match
    more texts than the statements below are asked to read back."""
    others = [
        dict(PARKLY, slug=f"energy-{n}", name=f"Energy {n}", capabilities=[f"energy audits {n}"])
        for n in range(6)
    ]
    load(engine, "members", [HEATWISE, PARKLY, *others])
    query_words = words("energy parking heat pumps")
    return query_words, [stem(w) for w in query_words]


def test_the_store_sums_and_ranks_as_the_hits_read_back_do(engine: Engine) -> None:
    query_words, stems = energy_members(engine)
    with session_scope(engine) as session:
        every = search_texts(session=session, collection=MEMBERS, words=query_words, stems=stems)
        expected = search_stats(session=session, collection=MEMBERS, words=query_words, stems=stems)
        query = prepare_search(session=session, collection=MEMBERS, words=query_words, stems=stems)
        assert query is not None
        best, stats = search_best(session=session, query=query, limit=3)
        owners = {every[-1].owner, every[0].owner}
        kept = search_owners(session=session, query=query, owners=owners)
    assert len(every) > 3
    assert best == every[:3]
    assert (stats.records, stats.matched, stats.renderings) == (
        expected.records,
        len(every),
        0,
    )
    assert stats.total == pytest.approx(expected.total, rel=1e-12)
    assert stats.squares == pytest.approx(expected.squares, rel=1e-12)
    assert kept == [h for h in every if h.owner in owners]


def test_one_statement_reads_what_the_best_and_the_owners_statements_read(
    engine: Engine,
) -> None:
    query_words, stems = energy_members(engine)
    with session_scope(engine) as session:
        query = prepare_search(session=session, collection=MEMBERS, words=query_words, stems=stems)
        assert query is not None
        every = search_texts(session=session, collection=MEMBERS, words=query_words, stems=stems)
        best, stats = search_best(session=session, query=query, limit=3)
        asked = {every[-1].owner, "member:0"}
        read = search_best_and_owned(session=session, query=query, limit=3, owners=asked)
        covered = asked | {h.owner for h in best}
        kept = search_owners(session=session, query=query, owners=covered)
        nothing = search_best_and_owned(session=session, query=query, limit=3, owners=())
    assert len({h.owner for h in every}) > len(covered)
    assert (read.best, read.stats) == (best, stats)
    assert read.covered == covered
    assert read.owned == kept
    assert (nothing.best, nothing.stats) == (best, stats)
    assert nothing.owned == [h for h in every if h.owner in {h.owner for h in best}]


def test_the_store_counts_the_renderings_a_query_matched(engine: Engine) -> None:
    load(engine, "members", [HEATWISE, PARKLY])
    owner = _render(engine, "parkly", "capability:0#0", "pysäköinti, anturit")
    with session_scope(engine) as session:
        query = _members_query(session, "pysäköinti")
        best, stats = search_best(session=session, query=query, limit=10)
    assert [h.key for h in best] == [f"{owner}:capability:0#0~rendering.fi"]
    assert (stats.matched, stats.renderings) == (1, 1)


def _render(engine: Engine, slug: str, passage: str, rendering: str) -> str:
    """Write a Finnish rendering of the member ``slug``'s ``passage``; its owner key."""
    with session_scope(engine) as session:
        owner = f"member:{session.scalar(select(Member.id).where(Member.slug == slug))}"
        write_renderings(
            session=session,
            collection=MEMBERS,
            renderings=[PassageRendering(f"{owner}:{passage}", owner, "fi", rendering)],
        )
    return owner


def _members_query(session: Any, question: str) -> TextQuery:
    """The full-text query over the members' texts for ``question``'s words."""
    query_words = words(question)
    query = prepare_search(
        session=session, collection=MEMBERS, words=query_words, stems=[stem(w) for w in query_words]
    )
    assert query is not None
    return query


def _counted(engine: Engine) -> dict[str, tuple[int, int, int, int]]:
    """Per collection: the kept counts (texts, rows) and the rows counted one by one."""
    with session_scope(engine) as session:
        rows = list(session.scalars(select(LexicalRecord)))
        collections = {r.collection for r in rows} | {MEMBERS}
        return {
            c: (
                count_texts(session=session, collection=c),
                count_rows(session=session, collection=c),
                sum(1 for r in rows if r.collection == c and "~rendering." not in r.key),
                sum(1 for r in rows if r.collection == c),
            )
            for c in collections
        }


def _in_step(engine: Engine) -> dict[str, tuple[int, int]]:
    counted = _counted(engine)
    for collection, (texts_kept, rows_kept, texts_there, rows_there) in counted.items():
        assert (texts_kept, rows_kept) == (texts_there, rows_there), collection
    if engine.dialect.name == "postgresql":
        kept, there = _lexemes(engine)
        assert kept == there
    return {c: (t, r) for c, (t, r, _, _) in counted.items()}


def _lexemes(engine: Engine) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """PostgreSQL: each (collection, lexeme)'s rows as the store keeps them (no lexeme of no
    row left over), and counted from the rows one by one."""
    with engine.connect() as connection:
        kept = connection.execute(
            text(
                "SELECT collection, lexeme, sum(texts), count(*) FILTER (WHERE texts = 0) "
                "FROM lexical_lexeme GROUP BY collection, lexeme HAVING sum(texts) <> 0 "
                "OR count(*) FILTER (WHERE texts = 0) > 0"
            )
        ).all()
        there = connection.execute(
            text(
                "SELECT r.collection, u.lexeme, count(*) FROM lexical_record r, "
                "unnest(r.search_vector) u GROUP BY r.collection, u.lexeme"
            )
        ).all()
    assert not [row for row in kept if row[3]], "a shard's row left at 0"
    return {(c, x): int(n) for c, x, n, _ in kept}, {(c, x): int(n) for c, x, n in there}


def test_the_collection_s_counts_are_kept_with_every_write(engine: Engine) -> None:
    # A question reads the collection's size from the counts the store keeps; they must
    # follow every way rows come and go, or every z-score moves.
    assert _in_step(engine)[MEMBERS] == (0, 0)
    load(engine, "members", [HEATWISE, PARKLY])
    texts_at_first, _ = _in_step(engine)[MEMBERS]
    assert texts_at_first > 0
    owner = _render(engine, "parkly", "capability:0#0", "anturit")
    assert _in_step(engine)[MEMBERS] == (texts_at_first, texts_at_first + 1)
    load(engine, "members", [dict(PARKLY, capabilities=["parking apps"])])
    assert _in_step(engine)[MEMBERS][0] == texts_at_first - 2
    with session_scope(engine) as session:
        # A row moved to another collection by hand (no code path does; the count follows).
        moved = session.scalars(select(LexicalRecord).where(LexicalRecord.owner == owner)).first()
        assert moved is not None
        moved.collection = "challenges"
    assert _in_step(engine)["challenges"][1] == 1
    with session_scope(engine) as session:
        rewrite_texts(session=session, everything=True)
    _in_step(engine)
    with session_scope(engine) as session:
        session.delete(session.scalars(select(Member).where(Member.slug == "parkly")).one())
    assert _in_step(engine)[MEMBERS][1] < texts_at_first


def test_two_postgresql_writers_of_one_collection_do_not_wait_for_each_other(
    engine: Engine,
) -> None:
    # A profile edit in one process while another imports: each transaction adds to the
    # collection's count. One count row would make the edit wait for the import's commit.
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    load(engine, "members", [HEATWISE])
    with session_scope(engine) as session:
        rows_before = count_rows(session=session, collection=MEMBERS)
    shard = text("SELECT pg_backend_pid() % 16")
    insert_row = text(
        "INSERT INTO lexical_record (key, owner, collection, body) "
        "VALUES (:key, 'member:0', 'members', 'lumikuorma')"
    )
    with engine.connect() as importing, engine.connect() as spare, engine.connect() as editing:
        # Two backends whose writes land on different count rows (the third in case the
        # first two share one).
        if importing.scalar(shard) == editing.scalar(shard):
            editing = spare
        assert importing.scalar(shard) != editing.scalar(shard)
        importing.execute(insert_row, {"key": "member:0:import#0"})  # not committed yet
        editing.execute(text("SET lock_timeout = '3s'"))
        editing.execute(insert_row, {"key": "member:0:edit#0"})
        editing.execute(text("DELETE FROM lexical_record WHERE key = 'member:0:edit#0'"))
        editing.execute(insert_row, {"key": "member:0:edit#1"})
        editing.commit()
        importing.commit()
    with session_scope(engine) as session:
        assert count_rows(session=session, collection=MEMBERS) == rows_before + 2
    _in_step(engine)


def test_postgresql_reads_a_word_s_texts_from_its_lexemes_counts(engine: Engine) -> None:
    # The counts the store keeps give each word of a question the texts its query matches
    # (what PostgreSQL counted among a question's matches before): in English and Finnish,
    # inflected, hyphenated, and a word only a rendering holds.
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's FTS5 counts a word's texts in its own index")
    digging = {
        **PARKLY,
        "slug": "dig",
        "name": "Dig Oy",
        "description": "Dig energy heat. Kaukolämpöverkon saneeraus.",
        "capabilities": ["no-dig pipe renovation", "parking heat", "energies of the future"],
    }
    load(engine, "members", [HEATWISE, PARKLY, digging])
    _render(engine, "heatwise", "description", "pysäköinti")
    asked = ["energy", "parking", "heat", "no-dig", "kaukolämpöverkko", "pysäköinti", "the", "x"]
    matching = text(
        "SELECT count(*) FROM lexical_record WHERE collection = :c AND search_vector @@ "
        "(plainto_tsquery('english', :w) || plainto_tsquery('finnish', :w))"
    )
    with session_scope(engine) as session:
        kept = lexical.count_word_texts(session=session, collection=MEMBERS, words=asked)
        counted = [session.scalar(matching, {"c": MEMBERS, "w": w}) for w in asked]
    assert kept == counted
    # Dig's "no-dig" alone, both inflections of the Finnish word, the rendering alone, "the"
    # read in Finnish (a stop word in English only), "x" nowhere.
    assert kept[3:] == [1, 2, 1, 1, 0]
    _in_step(engine)


def test_postgresql_counts_a_write_s_texts_in_one_statement(engine: Engine) -> None:
    # Sent a statement a row (executemany), the triggers counting the rows and their lexemes
    # ran once a row: a 100,000-member import had done 10,000 members in 14 minutes.
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's FTS5 triggers run a row at a time")
    rows = [
        {"key": f"member:{n}:capability:0", "owner": f"member:{n}", "collection": MEMBERS}
        | {"body": f"snow load sensors {n}"}
        for n in range(50)
    ]
    with session_scope(engine) as session:
        session.execute(text("SET LOCAL track_functions = 'pl'"))
        lexical.insert_texts(session=session, rows=rows)
        calls = session.scalar(
            text("SELECT pg_stat_get_xact_function_calls('lexical_count_added'::regproc)")
        )
    assert calls == 1
    assert _in_step(engine)[MEMBERS] == (50, 50)


def _plan(engine: Engine, statement: str, params: dict[str, Any]) -> list[tuple[int, int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {statement}"), params)
        return [(int(node), int(parent), str(detail)) for node, parent, _, detail in rows]


def test_sqlite_reads_the_full_text_index_first_then_the_records(
    _sqlite_engine: Engine,
) -> None:
    # Left to the planner, the statement started from the collection's records and asked FTS5
    # once per record: 53 s to 138 s a question at 10,000 members. The CROSS JOIN and the
    # MATERIALIZED scores keep this plan; only a comment said so until this test.
    _empty_all_tables(_sqlite_engine)
    load(_sqlite_engine, "members", [HEATWISE, PARKLY])
    with session_scope(_sqlite_engine) as session:
        query = _members_query(session, "energy parking")
    owners = best_and_owned_statement(query, 200).text.replace(":owners", "(:o0, :o1)")
    for statement, params in (
        (best_statement(query, 200).text, query.params),
        (owners, {**query.params, "o0": "member:1", "o1": "member:2"}),
    ):
        plan = _plan(_sqlite_engine, statement, params)
        scored = [node for node, _, detail in plan if detail == "MATERIALIZE scored"]
        assert len(scored) == 1, plan
        steps = [detail for _, parent, detail in plan if parent == scored[0]]
        assert steps[0].startswith("SCAN lexical_record_fts VIRTUAL TABLE"), plan
        assert steps[1].startswith("SEARCH r USING INTEGER PRIMARY KEY"), plan


def test_a_word_no_text_holds_changes_no_score_and_postgresql_does_not_rank_it(
    engine: Engine,
) -> None:
    query_words, stems = energy_members(engine)
    asked = words("who could help us with energy parking heat pumps")
    assert {"help", "us"} <= set(asked) - set(query_words)
    with session_scope(engine) as session:
        plain = prepare_search(session=session, collection=MEMBERS, words=query_words, stems=stems)
        query = prepare_search(
            session=session, collection=MEMBERS, words=asked, stems=[stem(w) for w in asked]
        )
        assert plain is not None and query is not None
        expected = search_best_and_owned(session=session, query=plain, limit=3, owners=())
        read = search_best_and_owned(session=session, query=query, limit=3, owners=())
        alone = search_texts(
            session=session, collection=MEMBERS, words=["help", "us"], stems=["help", "us"]
        )
    assert (read.best, read.stats, read.owned) == (expected.best, expected.stats, expected.owned)
    assert alone == []
    if query.postgresql:
        # Counted before the query is made, the words no text holds are left out of it.
        assert not {"help", "us"} & set(query.params.values())


@pytest.mark.parametrize(
    "question",
    ["energy parking heat pumps", "no-dig heat", "pysäköinti energy", "energy energy parking"],
)
def test_later_reads_of_a_question_score_as_its_first_did(engine: Engine, question: str) -> None:
    """A question's first read (the best texts and the owners' in one statement) and its later
    ones (more of the best, an owner's texts) score alike, to the last bit, even for a
    hyphenated word (two lexemes) and a word only a rendering holds."""
    digging = {
        **PARKLY,
        "slug": "dig",
        "name": "Dig Oy",
        "description": "Dig energy heat.",
        "capabilities": ["no-dig pipe renovation", "parking heat"],
    }
    load(engine, "members", [HEATWISE, PARKLY, digging])
    _render(engine, "heatwise", "description", "pysäköinti")
    query_words = words(question)
    with session_scope(engine) as session:
        query = _members_query(session, question)
        read = search_best_and_owned(session=session, query=query, limit=2, owners=())
        every = search_texts(
            session=session,
            collection=MEMBERS,
            words=query_words,
            stems=[stem(w) for w in query_words],
        )
        best, stats = search_best(session=session, query=query, limit=len(every))
        owned = search_owners(session=session, query=query, owners=read.covered)
    assert len(every) > 2
    assert best == every
    assert owned == read.owned
    assert (stats.total, stats.squares, stats.matched) == (
        read.stats.total,
        read.stats.squares,
        read.stats.matched,
    )


def test_a_question_counts_the_texts_another_session_has_just_written(engine: Engine) -> None:
    query_words, stems = energy_members(engine)
    with session_scope(engine) as session:
        before = prepare_search(session=session, collection=MEMBERS, words=query_words, stems=stems)
        assert before is not None
        first = search_best_and_owned(session=session, query=before, limit=50, owners=())
    load(engine, "members", [{**PARKLY, "slug": "parkly-2", "name": "Parkly Two"}])
    with session_scope(engine) as session:
        query = prepare_search(session=session, collection=MEMBERS, words=query_words, stems=stems)
        assert query is not None
        read = search_best_and_owned(session=session, query=query, limit=50, owners=())
        every = search_texts(session=session, collection=MEMBERS, words=query_words, stems=stems)
        texts_now = count_texts(session=session, collection=MEMBERS)
        parkly = f"member:{session.scalar(select(Member.id).where(Member.slug == 'parkly'))}"
    # The new member's texts are counted: found, in the collection's size, and in its words'
    # rarity (Parkly's "parking sensors" scores less once another member says "parking").
    assert read.stats.matched > first.stats.matched
    assert read.stats.records == texts_now > first.stats.records
    assert read.best == every[:50]
    sensors = f"{parkly}:capability:0"
    assert {h.key: h.score for h in read.best}[sensors] < {h.key: h.score for h in first.best}[
        sensors
    ]


def test_postgresql_reads_its_statistics_of_the_texts_after_an_import(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's FTS5 plans without table statistics")
    monkeypatch.setattr(lexical, "ANALYZE_AFTER", 8)  # as an import of thousands of texts
    load(engine, "members", [HEATWISE, PARKLY])
    with session_scope(engine) as session:
        texts = count_texts(session=session, collection=MEMBERS)
        planned = session.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'lexical_record'::regclass")
        )
    assert texts >= 8
    assert planned == texts


def test_past_its_budget_a_question_leaves_out_its_commonest_words(engine: Engine) -> None:
    query_words, stems = energy_members(engine)
    with session_scope(engine) as session:
        slugs = {f"member:{i}": s for i, s in session.execute(select(Member.id, Member.slug))}
        rows = count_rows(session=session, collection=MEMBERS)
        exact = prepare_search(session=session, collection=MEMBERS, words=query_words, stems=stems)
        within = prepare_search(
            session=session, collection=MEMBERS, words=query_words, stems=stems, budget=rows
        )
        cut = prepare_search(
            session=session, collection=MEMBERS, words=query_words, stems=stems, budget=13
        )
        assert exact is not None and within is not None and cut is not None
        every, _ = search_best(session=session, query=exact, limit=100)
        few, stats = search_best(session=session, query=cut, limit=100)
    # A collection of no more texts than the budget is searched with every word.
    assert within.params == exact.params and within.matching == exact.matching
    assert "energy-0" in {slugs[h.owner] for h in every}
    # "energy", in most texts, is left out; the rarer words still find their texts, scored by
    # them alone.
    if engine.dialect.name == "sqlite":
        assert cut.params["q"] == '"parking"* OR "heat"* OR "pump"*'
    else:
        assert [v for k, v in cut.params.items() if k.startswith("w")] == [
            "parking",
            "heat",
            "pumps",
        ]
    bodies = texts(engine)
    kept_words = ("park", "heat", "pump")
    assert all(any(w in bodies[h.key].lower() for w in kept_words) for h in few)
    assert {slugs[h.owner] for h in few} >= {"parkly", "heatwise"}
    assert any(not any(w in bodies[h.key].lower() for w in kept_words) for h in every)
    assert stats.matched <= 13

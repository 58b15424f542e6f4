"""Full-text search in the store's own engine, over texts kept in the same transaction as the
records they come from.

Every searchable text of a member (its description, each capability, its technologies, each
reference, each person's expertise) and of a challenge (its description, its needs) is a row
of ``lexical_record``, keyed as the search index's passages are ("member:12:capability:0"). A
listener rewrites a changed record's rows just before its transaction commits, so the lexical
side is never behind the store, in any process. SQLite searches them with FTS5 (BM25), and
PostgreSQL with its full-text search over the ``english`` and ``finnish`` configurations at
once, each word weighted by its rarity (an idf) as BM25 does.

Beside a record's own texts the table holds their renderings in the other language (rows
keyed "<passage id>~rendering.<language>", `write_renderings`): the search index computes
them when it writes the record's passages (a glossary or a language model, which storage
does not call), so a Finnish need finds an English profile word for word and the other way
round. They are replaced when the record is indexed again and removed with the record.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, delete, event, func, insert, select, text
from sqlalchemy.orm import Session, UOWTransaction, selectinload
from sqlalchemy.sql.elements import TextClause

from storage.index_models import LexicalCount, LexicalRecord
from storage.models import Challenge, Member
from storage.outbox import CHALLENGE, MEMBER, changed_search_keys

MEMBERS = "members"
CHALLENGES = "challenges"
_PENDING = "scic_lexical_pending"
_CHUNK = 500
#: Texts written in one go after which PostgreSQL's statistics of the table are read again
#: (`rewrite_texts`).
ANALYZE_AFTER = 1000
#: A rendering row's key: the passage's, this, the rendering's language ("member:12:capability:0#0
#: ~rendering.fi", without the space).
RENDERING = "~rendering."
LANGUAGES = ("en", "fi")


@dataclass(frozen=True)
class SearchableText:
    key: str
    owner: str
    collection: str
    body: str


def _body(title: str, body: str) -> str:
    # As the index's passages read: the title gives a short text its context.
    if title and not body.startswith(title):
        return f"{title}. {body}" if body else title
    return body


def member_texts(member: Member) -> list[SearchableText]:
    """The searchable texts of a member (the same records `retrieval.profiles` cuts passages
    from; a test keeps the two in step)."""
    owner = f"member:{member.id}"
    texts = [(f"{owner}:description", member.name, member.description)]
    texts += [(f"{owner}:capability:{n}", "", c) for n, c in enumerate(member.capabilities)]
    if member.technologies:
        texts.append((f"{owner}:technologies", "", "; ".join(member.technologies)))
    for reference in member.references:
        where = ", ".join(str(x) for x in (reference.client, reference.year) if x)
        body = f"{reference.description} ({where})" if where else reference.description
        texts.append((f"{owner}:reference:{reference.position}", reference.title, body))
    for person in sorted(member.people, key=lambda p: p.email):
        if person.expertise:
            title = f"{person.name}, {person.role}" if person.role else person.name
            texts.append((f"{owner}:person:{person.id}", title, "; ".join(person.expertise)))
    return [
        SearchableText(key, owner, MEMBERS, _body(title, body))
        for key, title, body in texts
        if title or body
    ]


def challenge_texts(challenge: Challenge) -> list[SearchableText]:
    owner = f"challenge:{challenge.id}"
    texts = [(f"{owner}:description", challenge.title, challenge.description)]
    if challenge.needs:
        texts.append((f"{owner}:needs", challenge.title, "; ".join(challenge.needs)))
    return [
        SearchableText(key, owner, CHALLENGES, _body(title, body))
        for key, title, body in texts
        if title or body
    ]


def rewrite_texts(
    *,
    session: Session,
    member_ids: Collection[int] = (),
    challenge_ids: Collection[int] = (),
    everything: bool = False,
) -> int:
    """Replace the searchable texts of the given records (all records with ``everything``)
    with what the store holds now; returns the number of texts written."""
    written = 0
    connection = session.connection()
    own_texts = LexicalRecord.key.not_like(f"%{RENDERING}%")
    if everything:
        # A rebuild of the index follows, which writes the renderings again.
        connection.execute(delete(LexicalRecord))
        member_ids = list(session.scalars(select(Member.id)))
        challenge_ids = list(session.scalars(select(Challenge.id)))
    for ids, prefix, load in (
        (sorted(member_ids), "member:", _members),
        (sorted(challenge_ids), "challenge:", _challenges),
    ):
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            records = list(load(session, chunk))
            if not everything:
                # A record's renderings stay until the index renders its new version; those
                # of a record gone go with it.
                owners = [f"{prefix}{i}" for i in chunk]
                gone = set(owners) - {f"{prefix}{r.id}" for r in records}
                connection.execute(
                    delete(LexicalRecord).where(LexicalRecord.owner.in_(owners), own_texts)
                )
                if gone:
                    connection.execute(
                        delete(LexicalRecord).where(LexicalRecord.owner.in_(sorted(gone)))
                    )
            rows = [
                {"key": t.key, "owner": t.owner, "collection": t.collection, "body": t.body}
                for record in records
                for t in (member_texts(record) if prefix == "member:" else challenge_texts(record))
            ]
            insert_texts(session=session, rows=rows)
            written += len(rows)
    if written >= ANALYZE_AFTER and connection.dialect.name == "postgresql":
        # PostgreSQL plans a question's full-text statements from its statistics of the
        # table; after an import, until autovacuum comes round (or never, where it is off)
        # it had none, and counted each word by reading every text of the collection: 2-3x
        # the time at 10,000 members. Counted here, with the import (~0.1-0.3 s).
        connection.execute(text("ANALYZE lexical_record"))
    return written


#: PostgreSQL: rows inserted in one statement from arrays (`insert_texts`).
_PG_INSERT = text(
    "INSERT INTO lexical_record (key, owner, collection, body) SELECT * FROM unnest("
    "CAST(:keys AS text[]), CAST(:owners AS text[]), CAST(:collections AS text[]), "
    "CAST(:bodies AS text[]))"
)


def insert_texts(*, session: Session, rows: Sequence[dict[str, str]]) -> None:
    """Add rows of ``lexical_record`` (``key``, ``owner``, ``collection``, ``body``).

    On PostgreSQL in one statement, whatever their number: the triggers that count the rows
    and their lexemes run once a statement, and executemany sends a statement a row (2,000
    rows took 1.6 s so, against 0.14 s in one; a multi-row VALUES took 0.43 s, most of it
    binding its 8,000 parameters). SQLite's FTS5 triggers run a row at a time anyway."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(LexicalRecord), list(rows))
        return
    connection.execute(
        _PG_INSERT,
        {
            "keys": [r["key"] for r in rows],
            "owners": [r["owner"] for r in rows],
            "collections": [r["collection"] for r in rows],
            "bodies": [r["body"] for r in rows],
        },
    )


def rendering_key(passage_id: str, language: str) -> str:
    """The key of the row holding a passage's rendering in ``language``."""
    return f"{passage_id}{RENDERING}{language}"


def is_rendering(key: str) -> bool:
    return RENDERING in key


def rendered_key(key: str) -> str:
    """The passage a rendering row renders (a record's own text's key is its own)."""
    return key.split(RENDERING, 1)[0]


def rendering_language(key: str) -> str:
    """The language a rendering row is written in ("" for a record's own text)."""
    return key.split(RENDERING, 1)[1] if is_rendering(key) else ""


@dataclass(frozen=True)
class PassageRendering:
    """A passage's text in the other language, as the search index computed it."""

    passage_id: str
    owner: str
    #: the language of ``text`` (the other one than the passage's)
    language: str
    text: str


def write_renderings(
    *, session: Session, collection: str, renderings: Sequence[PassageRendering]
) -> int:
    """Replace the renderings of these passages with the given texts (a passage rendered as
    "" keeps none); returns the number of rows written."""
    connection = session.connection()
    keys = sorted({rendering_key(r.passage_id, x) for r in renderings for x in LANGUAGES})
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        connection.execute(delete(LexicalRecord).where(LexicalRecord.key.in_(chunk)))
    rows = {
        rendering_key(r.passage_id, r.language): {
            "key": rendering_key(r.passage_id, r.language),
            "owner": r.owner,
            "collection": collection,
            "body": r.text,
        }
        for r in renderings
        if r.text.strip()
    }
    insert_texts(session=session, rows=list(rows.values()))
    return len(rows)


def delete_renderings(
    *, session: Session, passage_ids: Collection[str] = (), owners: Collection[str] = ()
) -> None:
    """Remove the renderings of these passages and of every passage of these owners."""
    connection = session.connection()
    keys = sorted(rendering_key(p, x) for p in passage_ids for x in LANGUAGES)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        connection.execute(delete(LexicalRecord).where(LexicalRecord.key.in_(chunk)))
    listed = sorted(owners)
    for start in range(0, len(listed), _CHUNK):
        chunk = listed[start : start + _CHUNK]
        connection.execute(
            delete(LexicalRecord).where(
                LexicalRecord.owner.in_(chunk), LexicalRecord.key.like(f"%{RENDERING}%")
            )
        )


def _members(session: Session, ids: Sequence[int]) -> Iterable[Any]:
    query = (
        select(Member)
        .options(selectinload(Member.references), selectinload(Member.people))
        .where(Member.id.in_(ids))
        .execution_options(populate_existing=True)
    )
    return session.scalars(query)


def _challenges(session: Session, ids: Sequence[int]) -> Iterable[Any]:
    query = select(Challenge).where(Challenge.id.in_(ids))
    return session.scalars(query.execution_options(populate_existing=True))


@event.listens_for(Session, "after_flush")
def _note_changed_records(session: Session, _context: UOWTransaction) -> None:
    keys = changed_search_keys(session)
    if keys:
        session.info.setdefault(_PENDING, set()).update(keys)


@event.listens_for(Session, "before_commit")
def _rewrite_changed_texts(session: Session) -> None:
    # The commit's own flush comes after this event: flush first, so nothing is missed.
    session.flush()
    keys: set[tuple[str, int]] = session.info.pop(_PENDING, set())
    if keys:
        rewrite_texts(
            session=session,
            member_ids={k for e, k in keys if e == MEMBER},
            challenge_ids={k for e, k in keys if e == CHALLENGE},
        )


@event.listens_for(Session, "after_rollback")
def _forget_changed_records(session: Session) -> None:
    session.info.pop(_PENDING, None)


# -- searching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LexicalHit:
    key: str
    owner: str
    score: float


@dataclass(frozen=True)
class LexicalStats:
    """Over one collection: how many texts, and the sum and sum of squares of the scores of
    those a query matched (the rest score 0), to standardise scores without fetching them all."""

    records: int
    total: float
    squares: float
    #: how many texts the query matched
    matched: int
    #: how many of them are renderings (summed row by row here, not with the texts they
    #: render, as `retrieval.fulltext` reads them)
    renderings: int = 0


def query_weight(count: int) -> float:
    """How much a query term said ``count`` times weighs: more than once, far less than
    linearly (a long brief or challenge names its topic often; BM25's own query side)."""
    return 1.0 + math.log(count)


def _fts5_query(stems: Sequence[str]) -> str:
    # Each term quoted (FTS5 syntax cannot leak in); prefix-matched, as the stems are prefixes
    # of the words they stand for ("kaukolä" for "kaukolämpöverkon", "sensor" for "sensors").
    # FTS5's bm25() sums over the query's phrases, so a term repeated weighs that many
    # times: a term the query says often is repeated `query_weight` times, rounded.
    parts = []
    for stem, count in Counter(stems).items():
        quoted = '"' + stem.replace('"', '""') + '"'
        phrase = quoted + "*" if len(stem) >= 4 else quoted
        parts.extend([phrase] * max(1, round(query_weight(count))))
    return " OR ".join(parts)


def _pg_score(weights: Sequence[float], idf: Sequence[float]) -> str:
    # Each word by its rarity (idf) and by how often the query says it (`query_weight`).
    return " + ".join(
        f"{i * w!r} * ts_rank({_PG_VECTOR}, {_pg_term(n)}, 1)"
        for n, (w, i) in enumerate(zip(weights, idf, strict=True))
    )


def _pg_idf(records: int, df: int) -> float:
    """BM25's idf of a word ``df`` of the collection's ``records`` rows hold."""
    return math.log(1.0 + (records - df + 0.5) / (df + 0.5))


#: A stored, generated column on PostgreSQL only (migration 0007): no model declares it.
_PG_VECTOR = "search_vector"
#: PostgreSQL's count of each lexeme's rows, kept by triggers (migration 0014), read by
#: `count_word_texts` only: no model declares it.
LEXEMES = "lexical_lexeme"


def _pg_term(n: int) -> str:
    return f"(plainto_tsquery('english', :w{n}) || plainto_tsquery('finnish', :w{n}))"


def count_texts(*, session: Session, collection: str) -> int:
    """How many searchable texts ``collection`` holds (records' own texts: a rendering is
    read as part of the text it renders), as the store's triggers keep the count with every
    write (`LexicalCount`), rather than counted on every question."""
    query = select(func.sum(LexicalCount.texts)).where(LexicalCount.collection == collection)
    return session.scalar(query) or 0


def count_rows(*, session: Session, collection: str) -> int:
    """How many rows ``collection`` holds: its texts and their renderings."""
    query = select(func.sum(LexicalCount.texts + LexicalCount.renderings))
    return session.scalar(query.where(LexicalCount.collection == collection)) or 0


def search_texts(
    *, session: Session, collection: str, words: Sequence[str], stems: Sequence[str]
) -> list[LexicalHit]:
    """The texts of ``collection`` matching any of the query's ``words`` (PostgreSQL, read
    by both configurations) or ``stems`` (SQLite FTS5, as prefixes), best first, with a
    score (higher is better; 0 for no match, so not returned): every match of
    `prepare_search`'s query, read back. A word or stem given more than once weighs more
    (`query_weight`)."""
    query = prepare_search(session=session, collection=collection, words=words, stems=stems)
    if query is None:
        return []
    statement = text(f"{query.matching} ORDER BY score DESC, {_by_key(query, 'r')}")
    rows = session.execute(statement, query.params)
    return [LexicalHit(str(k), str(o), float(s)) for k, o, s in rows if s and s > 0]


def search_stats(
    *, session: Session, collection: str, words: Sequence[str], stems: Sequence[str]
) -> LexicalStats:
    """How many texts ``collection`` holds and the sums over the query's matching texts,
    every hit read back (the records' own texts and renderings alike, each row on its own)."""
    hits = search_texts(session=session, collection=collection, words=words, stems=stems)
    records = count_texts(session=session, collection=collection)
    return LexicalStats(
        records=records,
        total=sum(h.score for h in hits),
        squares=sum(h.score * h.score for h in hits),
        matched=len(hits),
        renderings=sum(1 for h in hits if is_rendering(h.key)),
    )


@dataclass(frozen=True)
class TextQuery:
    """One query over a collection's texts, ready to run as often as a question needs.
    Rendering rows are scored as rows of their own.

    On PostgreSQL the words' idf, read when the query is made, are written in: every read of
    the question scores alike, whatever other processes write meanwhile."""

    collection: str
    #: ``SELECT r.key, r.owner, <score> AS score FROM ... WHERE <matches>``, to which an
    #: owner clause can be added (the engine's planner chooses where to start: from a few
    #: owners' rows, say)
    matching: str
    #: the same, for every match: on SQLite from the full-text index, then the records
    #: (``CROSS JOIN`` keeps that order; started from the collection's records, FTS5 is asked
    #: once per record, and one question took minutes at 10,000 members)
    every_match: str
    params: dict[str, Any]
    postgresql: bool


#: On SQLite, about the most texts one question's full-text search scores: FTS5 scores every
#: match (bm25()) to rank the best, so a question matching 120,000 of a 100,000-member
#: collection's 700,000 texts spent ~160 ms in bm25() alone. Past this the commonest words
#: of the query are left out (`_within_budget`), as a search engine's cutoff frequency does.
MATCH_BUDGET = 50_000
#: The same on PostgreSQL, which reads each match's row from the table to score it: ~3.7 µs
#: a match at 100,000 members on the development machine (a question matching 195,000 texts
#: took 580 ms), against FTS5's ~1 µs from its own index.
PG_MATCH_BUDGET = 20_000


def prepare_search(
    *,
    session: Session,
    collection: str,
    words: Sequence[str],
    stems: Sequence[str],
    budget: int | None = None,
) -> TextQuery | None:
    """The query over ``collection``'s texts matching any of ``words`` (PostgreSQL) or
    ``stems`` (SQLite FTS5), each text scored (BM25 on FTS5; Σ idf × `ts_rank` on PostgreSQL);
    None when the query has no words. Past ``budget`` texts (`MATCH_BUDGET`,
    `PG_MATCH_BUDGET`) its commonest words are left out. On PostgreSQL each word's idf is
    read here from the texts the store counts for its lexemes (`count_word_texts`) and
    written into the query."""
    counts = Counter(w for w in words if w)
    words = list(counts)
    if not words or not stems:
        return None
    if session.get_bind().dialect.name == "postgresql":
        texts = count_word_texts(session=session, collection=collection, words=words)
        records = count_rows(session=session, collection=collection)
        # A word no text holds scores 0 everywhere: left out, as those the budget leaves.
        held = {w: n for w, n in zip(words, texts, strict=True) if n > 0}
        budget = PG_MATCH_BUDGET if budget is None else budget
        kept = held if records <= budget else set(_within_budget(held, budget))
        return _pg_query(
            collection,
            [w for w in words if w in kept],
            weights=[query_weight(counts[w]) for w in words if w in kept],
            records=records,
            texts=[held[w] for w in words if w in kept],
        )
    budget = MATCH_BUDGET if budget is None else budget
    if count_rows(session=session, collection=collection) > budget:
        kept = set(_within_budget(_fts5_texts(session, stems), budget))
        stems = [s for s in stems if s in kept]
    params: dict[str, Any] = {"c": collection, "rendering": f"%{RENDERING}%"}
    params["q"] = _fts5_query(stems)
    matching = (
        "SELECT r.key, r.owner, -bm25(lexical_record_fts) AS score "
        "FROM lexical_record_fts JOIN lexical_record r ON r.id = lexical_record_fts.rowid "
        "WHERE lexical_record_fts MATCH :q AND r.collection = :c"
    )
    every_match = matching.replace(" JOIN ", " CROSS JOIN ")
    return TextQuery(collection, matching, every_match, params, False)


def _within_budget(texts: dict[str, int], budget: int) -> list[str]:
    """The terms of ``texts`` (each term's count of texts) without their commonest, until the
    texts holding those left are at most ``budget`` (the rarest is always kept).

    A common word's texts would be scored to rank the few that also hold the rare words (the
    common words' idf is low: they decide little of the order)."""
    kept = sorted(texts, key=lambda s: (texts[s], s))
    while len(kept) > 1 and sum(texts[s] for s in kept) > budget:
        kept.pop()
    return kept


def _fts5_texts(session: Session, stems: Sequence[str]) -> dict[str, int]:
    """Each stem's texts, counted in the full-text index alone (~9 ms for a question's words
    at 100,000 members), every collection's (the challenges are few beside the members):
    joined to each text's record, a common word cost as much as scoring it."""
    counted = text("SELECT count(*) FROM lexical_record_fts WHERE lexical_record_fts MATCH :q")
    return {
        s: int(session.execute(counted, {"q": _fts5_query([s])}).scalar_one())
        for s in dict.fromkeys(stems)
    }


#: Each word's lexemes in both configurations, and how many texts hold each
#: (`count_word_texts`).
_WORD_LEXEMES = text(
    "SELECT q.n, c.config, min(coalesce(x.texts, 0)) "
    "FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS q(word, n) "
    "CROSS JOIN (VALUES ('english'), ('finnish')) AS c(config) "
    "CROSS JOIN LATERAL unnest(tsvector_to_array(to_tsvector(c.config::regconfig, q.word))) "
    "AS l(lexeme) "
    f"LEFT JOIN LATERAL (SELECT sum(w.texts) AS texts FROM {LEXEMES} w "
    "WHERE w.collection = :c AND w.lexeme = l.lexeme) x ON TRUE "
    "GROUP BY q.n, c.config"
)


def count_word_texts(*, session: Session, collection: str, words: Sequence[str]) -> list[int]:
    """PostgreSQL: how many of ``collection``'s rows hold each of ``words`` as its query reads
    it (`_pg_term`), from the counts of each lexeme's rows the store keeps with every write
    (``lexical_lexeme``, migration 0014), not counted among a question's matches.

    A word's query is its lexemes in English or in Finnish (a hyphenated word's parts, all of
    them): a text holds it as the commoner of the two, and a word of several lexemes as its
    rarest. The commoner is exact where the two stem alike, and where a text holding the
    word holds both (each text is read in both configurations); it can miss a text that
    holds another word one configuration alone stems the same (then the word's texts are
    counted a little low, and its idf a little high)."""
    found: dict[int, int] = {}
    for n, _config, texts in session.execute(_WORD_LEXEMES, {"c": collection, "words": words}):
        found[int(n) - 1] = max(found.get(int(n) - 1, 0), int(texts))
    return [found.get(n, 0) for n in range(len(words))]


def _pg_query(
    collection: str,
    words: Sequence[str],
    *,
    weights: Sequence[float],
    records: int,
    texts: Sequence[int],
) -> TextQuery | None:
    """PostgreSQL's query over ``words`` said ``weights`` times (`query_weight`), each word's
    idf from its ``texts`` of the collection's ``records`` rows written in: None with no
    word (no text holds any)."""
    if not words:
        return None
    params: dict[str, Any] = {"c": collection, "rendering": f"%{RENDERING}%"}
    params.update({f"w{n}": w for n, w in enumerate(words)})
    score = _pg_score(weights, [_pg_idf(records, n) for n in texts])
    anything = " || ".join(_pg_term(n) for n in range(len(words)))
    matching = (
        f"SELECT r.key, r.owner, {score} AS score FROM lexical_record r "
        f"WHERE r.collection = :c AND r.{_PG_VECTOR} @@ ({anything})"
    )
    return TextQuery(collection, matching, matching, params, True)


def _by_key(query: TextQuery, alias: str) -> str:
    # Python's order of keys (code points), which the matcher sorted by before the store
    # did: PostgreSQL's default collation orders them otherwise, and LIMIT would cut there.
    return f'{alias}.key COLLATE "C"' if query.postgresql else f"{alias}.key"


def best_statement(query: TextQuery, limit: int) -> TextClause:
    """`search_best`'s statement (its parameters are ``query.params``).

    MATERIALIZED: each match scored once, then summed and ranked (the window sums cover every
    match, LIMIT only what crosses to Python); on SQLite the matches come from the full-text
    index first (``every_match``'s CROSS JOIN). `tests/storage/test_lexical.py` holds
    SQLite's plan to that order."""
    return text(
        f"WITH scored AS MATERIALIZED ({query.every_match}) "
        "SELECT s.key, s.owner, s.score, count(*) OVER (), sum(s.score) OVER (), "
        "sum(s.score * s.score) OVER (), "
        "sum(CASE WHEN s.key LIKE :rendering THEN 1 ELSE 0 END) OVER () "
        f"FROM scored s WHERE s.score > 0 "
        f"ORDER BY s.score DESC, {_by_key(query, 's')} LIMIT {int(limit)}"
    )


def search_best(
    *, session: Session, query: TextQuery, limit: int
) -> tuple[list[LexicalHit], LexicalStats]:
    """The ``limit`` best texts the query matches, best first (as `search_texts` orders
    them), and the statistics over all it matches (``records``: the collection's own texts,
    as `count_texts`): the engine scores and sums every match, and only the best cross to
    Python."""
    rows = session.execute(best_statement(query, limit), query.params).all()
    if not rows:
        return [], LexicalStats(records=0, total=0.0, squares=0.0, matched=0)
    stats = _stats(session, query, rows[0])
    return [LexicalHit(str(k), str(o), float(s)) for k, o, s, *_ in rows], stats


def _stats(session: Session, query: TextQuery, row: Any) -> LexicalStats:
    """The sums over every match a statement returned on each of its rows (key, owner,
    score, matched, total, squares, renderings), with the collection's count of texts."""
    return LexicalStats(
        records=count_texts(session=session, collection=query.collection),
        total=float(row[4]),
        squares=float(row[5]),
        matched=int(row[3]),
        renderings=int(row[6]),
    )


@dataclass(frozen=True)
class BestAndOwned:
    """`search_best_and_owned`'s answer: `search_best`'s, and every match of some owners."""

    best: list[LexicalHit]
    stats: LexicalStats
    #: every text the query matched of the owners in ``covered``, best first (as
    #: `search_owners` reads them)
    owned: list[LexicalHit]
    #: the owners asked for and those of the ``best`` texts
    covered: frozenset[str]


def best_and_owned_statement(query: TextQuery, limit: int) -> TextClause:
    """`search_best_and_owned`'s statement (its parameters are ``query.params`` and
    ``owners``, expanding).

    Each match is scored once (MATERIALIZED, from the full-text index first on SQLite, as
    `best_statement`); the sums over every match are one aggregate over those rows in the same
    order as `best_statement`'s window sums (the same floats; cheaper than windows, which
    carried every row), and what crosses to Python is every match of the owners asked for and
    of the owners among the ``limit`` best, which holds the ``limit`` best themselves. The
    sums come back on every row (none when nothing matched)."""
    return text(
        f"WITH scored AS MATERIALIZED ({query.every_match}), "
        "best AS (SELECT b.owner FROM scored b WHERE b.score > 0 "
        f"ORDER BY b.score DESC, {_by_key(query, 'b')} LIMIT {int(limit)}), "
        "totals AS (SELECT count(*) AS matched, sum(t.score) AS total, "
        "sum(t.score * t.score) AS squares, "
        "sum(CASE WHEN t.key LIKE :rendering THEN 1 ELSE 0 END) AS renderings "
        "FROM scored t WHERE t.score > 0) "
        "SELECT m.key, m.owner, m.score, totals.matched, totals.total, totals.squares, "
        "totals.renderings FROM scored m, totals WHERE m.score > 0 "
        "AND (m.owner IN :owners OR m.owner IN (SELECT owner FROM best)) "
        f"ORDER BY m.score DESC, {_by_key(query, 'm')}"
        # typed: with no owner, PostgreSQL reads the empty list's NULL as an integer
    ).bindparams(bindparam("owners", expanding=True, type_=String()))


def search_best_and_owned(
    *, session: Session, query: TextQuery, limit: int, owners: Collection[str]
) -> BestAndOwned:
    """`search_best` and `search_owners` (for ``owners`` and the owners of the best texts)
    in one statement: a question's full-text search reads the index once, not twice (at
    10,000 members the second read was 20-40 ms of a ~200 ms warm question)."""
    rows = session.execute(
        best_and_owned_statement(query, limit), {**query.params, "owners": sorted(owners)}
    ).all()
    if not rows:
        empty = LexicalStats(records=0, total=0.0, squares=0.0, matched=0)
        return BestAndOwned([], empty, [], frozenset(owners))
    stats = _stats(session, query, rows[0])
    hits = [LexicalHit(str(k), str(o), float(s)) for k, o, s, *_ in rows]
    # Every one of the best is among the rows, which are ordered as the best are: the first
    # ``limit`` rows are the best.
    best = hits[:limit]
    return BestAndOwned(best, stats, hits, frozenset(owners) | {h.owner for h in best})


def search_owners(
    *, session: Session, query: TextQuery, owners: Collection[str]
) -> list[LexicalHit]:
    """Every text of ``owners`` the query matches, best first, scored as `search_best`
    scores them (an owner's score does not depend on which owners are asked for)."""
    if not owners:
        return []
    statement = text(
        f"{query.matching} AND r.owner IN :owners ORDER BY score DESC, {_by_key(query, 'r')}"
    ).bindparams(bindparam("owners", expanding=True))
    rows = session.execute(statement, {**query.params, "owners": sorted(owners)})
    return [LexicalHit(str(k), str(o), float(s)) for k, o, s in rows if s and s > 0]


def not_the_engines_own(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's schema comparison leaves out what the full-text engines keep themselves (the
    FTS5 table and its shadow tables, PostgreSQL's generated tsvector column and its index,
    and its lexemes' counts), which no model describes."""
    if type_ == "table" and ((name or "").startswith("lexical_record_fts") or name == LEXEMES):
        return False
    if type_ == "column" and name == _PG_VECTOR:
        return False
    return not (type_ == "index" and name == "ix_lexical_record_search")

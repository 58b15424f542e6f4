"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from storage import migrate
from storage.lexical import not_the_engines_own
from storage.models import Base


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": not_the_engines_own}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_store_is_at_the_latest_revision_and_upgrading_again_is_harmless(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)


def test_the_full_text_counts_survive_their_move_to_shards_and_back(engine: Engine) -> None:
    # Migration 0013 makes the counts' table anew (SQLite cannot change a primary key): the
    # rows already in the store are counted into it, and the triggers keep counting after.
    from alembic import command
    from sqlalchemy import text

    from storage.db import session_scope
    from storage.lexical import MEMBERS, count_rows, count_texts

    def insert(key: str) -> None:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO lexical_record (key, owner, collection, body) "
                    "VALUES (:key, 'member:0', 'members', 'lumikuorma')"
                ),
                {"key": key},
            )

    def counts() -> tuple[int, int]:
        with session_scope(engine) as session:
            return (
                count_texts(session=session, collection=MEMBERS),
                count_rows(session=session, collection=MEMBERS),
            )

    command.downgrade(migrate.alembic_config(engine), "0012")
    insert("member:0:capability:0#0")
    insert("member:0:capability:0#0~rendering.en")
    migrate.upgrade(engine)
    assert counts() == (1, 2)
    insert("member:0:capability:1#0")
    assert counts() == (2, 3)
    command.downgrade(migrate.alembic_config(engine), "0012")
    insert("member:0:capability:2#0")
    migrate.upgrade(engine)
    assert counts() == (3, 4)


def test_the_lexemes_counts_are_made_from_the_texts_already_there(engine: Engine) -> None:
    # Migration 0014 (PostgreSQL) counts the texts already in the store into the lexemes'
    # counts, and its triggers count those written after; a downgrade leaves the collection's
    # count working without them.
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's FTS5 counts a word's texts in its own index")
    from alembic import command
    from sqlalchemy import text

    from storage.db import session_scope
    from storage.lexical import MEMBERS, count_rows, count_word_texts

    def insert(key: str, body: str) -> None:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO lexical_record (key, owner, collection, body) "
                    "VALUES (:key, 'member:0', 'members', :body)"
                ),
                {"key": key, "body": body},
            )

    def counts() -> tuple[int, list[int]]:
        with session_scope(engine) as session:
            return (
                count_rows(session=session, collection=MEMBERS),
                count_word_texts(session=session, collection=MEMBERS, words=["snow", "loads"]),
            )

    command.downgrade(migrate.alembic_config(engine), "0013")
    insert("member:0:capability:0", "snow load sensors")
    insert("member:0:capability:1", "snow ploughs")
    migrate.upgrade(engine)
    assert counts() == (2, [2, 1])
    insert("member:0:capability:2", "roof snow loads")
    assert counts() == (3, [3, 2])
    command.downgrade(migrate.alembic_config(engine), "0013")
    insert("member:0:capability:3", "snow")
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT to_regclass('lexical_lexeme')")) is None
    migrate.upgrade(engine)
    assert counts() == (4, [4, 2])

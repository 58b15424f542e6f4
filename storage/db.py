"""Engines and sessions for the relational store (SQLite by default, PostgreSQL at scale)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.models import (
    Base,
)


class StoreUnavailable(Exception):
    """The store named by DATABASE_URL cannot be opened; the message says what to do."""


# What a store that failed (down, unreachable, refusing) raises: callers that wait for it to come
# back catch these and nothing else.
STORE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, StoreUnavailable)

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s@'\"]+@")


def mask_url_passwords(text: str) -> str:
    """``text`` with the password of every URL in it masked, even URLs no parser accepts."""
    return _URL_PASSWORD.sub(lambda m: m.group("head") + "***@", text)


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (and so every ON DELETE rule) unless asked per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # Readers and the writer no longer block each other: under a burst of questions each
    # answer's few writes (claim, log, done) otherwise hit "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Build an engine for ``url``; creates the folder of a SQLite file when it is missing."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        # The parser's own message quotes the URL, password and all: both are masked.
        raise StoreUnavailable(
            mask_url_passwords(
                f"DATABASE_URL is not a valid database URL ({url!r}): {exc}. "
                "Use sqlite:///data/scic.db or postgresql+psycopg://user@host:5432/dbname."
            )
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise StoreUnavailable(
            f"DATABASE_URL {parsed.render_as_string()} cannot be used: {exc}"
        ) from exc


def check_store(engine: Engine) -> None:
    """Raise StoreUnavailable with a helpful message when the store cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig) if orig is not None else str(exc)
        raise StoreUnavailable(
            f"cannot reach the store at DATABASE_URL={engine.url.render_as_string()}: "
            f"{reason.strip().splitlines()[0] if reason.strip() else exc!r}. "
            "Check that the server is running and the setting is right."
        ) from exc


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back everything on an error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def count_rows(*, session: Session) -> dict[str, int]:
    """How many rows each table holds, in the schema's order."""
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }

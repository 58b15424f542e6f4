"""Shared fixtures: a migrated store on SQLite and on PostgreSQL for every storage test.

PostgreSQL tests create their own database on the server named by TEST_POSTGRES_URL (default:
the local development server) and drop it afterwards, so a second run, or a run after a failed
one, starts clean. Outside CI an unreachable server skips those tests with the reason; in CI
(CI=true) it fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage import migrate
from storage.db import make_engine, session_scope
from storage.lexical import LEXEMES
from storage.models import Base

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_admin() -> Engine:
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _create_postgres_database() -> str:
    admin = _postgres_admin()
    name = f"scic_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    admin = _postgres_admin()
    name = make_url(url).database
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(autouse=True, scope="session")
def _runtime_data_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Code that opens the bot's defaults (a search index under DATA_DIR) must never write into
    # the clone's data/ folder; tests that need a clean index set their own DATA_DIR.
    os.environ.setdefault("DATA_DIR", str(tmp_path_factory.mktemp("data")))


def _create_postgres_database_or_skip() -> str:
    """`_create_postgres_database`, or the test skipped when PostgreSQL does not answer (a
    failure in CI, where it must)."""
    try:
        return _create_postgres_database()
    except Exception as exc:
        message = f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} unreachable: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session."""
    url = _create_postgres_database_or_skip()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def _sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('store') / 'scic.db'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def _postgresql_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # With the lexemes' counts, which no model declares (TRUNCATE fires no trigger
            # that would empty them with the texts).
            names = ", ".join(
                f'"{name}"' for name in [*(t.name for t in Base.metadata.sorted_tables), LEXEMES]
            )
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated, empty store; every test using it runs on SQLite and on PostgreSQL."""
    engine: Engine = request.getfixturevalue(f"_{request.param}_engine")
    _empty_all_tables(engine)
    yield engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_scope(engine) as session:
        yield session


#: The moment `clock` starts at: a Wednesday morning in ISO week 48 of 2026, in Helsinki too.
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The one clock (`storage.clock`), set to NOW for everything the test runs.

    time-machine moves it for every thread of the process: the services, the store's column
    defaults, APScheduler and Slack's signature check all see the same moment. It ticks on
    from NOW (a scheduler must see time pass); `clock.move_to(...)` jumps.
    """
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def model_dir() -> Path:
    # Tests read configuration from the environment directly: they run without bot settings.
    # In CI the model files are beside the clone, so their absence is a failure, not a skip.
    value = os.environ.get("EMBEDDING_MODEL_DIR")
    missing = "EMBEDDING_MODEL_DIR is not set" if not value else ""
    if value and not (Path(value) / "model.onnx").is_file():
        missing = f"EMBEDDING_MODEL_DIR={value} has no model.onnx"
    if missing:
        if IN_CI:
            pytest.fail(missing)
        pytest.skip(f"{missing}: skipping tests that need the MiniLM files")
    return Path(str(value))

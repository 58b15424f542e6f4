"""How a command reaches the cluster's records: settings → engine → schema check, in one place.

Every command that reads or writes the store opens it with `open_store`; failures on the way
(a bad setting, an unreachable server, a store `scic init` has not prepared) are the one-line
errors of `bot.cli.terminal`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.cli.terminal import err
from bot.services import records
from bot.settings import Settings, load_settings
from storage.db import make_engine

if TYPE_CHECKING:
    from bot.services.matching import SolverSearch


def settings() -> Settings:
    return load_settings()


@contextmanager
def open_store(given: Settings | None = None, *, migrate: bool = False) -> Iterator[Engine]:
    """The store the settings name, checked (or with ``migrate``, brought up to date)."""
    engine = make_engine((given or settings()).store_url)
    try:
        if migrate:
            records.ensure_schema(engine)
        else:
            records.require_schema(engine)
        yield engine
    finally:
        engine.dispose()


@contextmanager
def open_search(
    engine: Engine, given: Settings | None = None, *, catch_up: bool = True
) -> Iterator[SolverSearch]:
    """The search index over ``engine``, caught up with the store as far as one question may
    wait (``catch_up`` False: not at all, the caller indexes everything itself)."""
    from bot.services.matching import SolverSearch

    with err.status("Opening the search index…"):
        search = SolverSearch.open(given or settings(), engine, catch_up=catch_up)
    yield search

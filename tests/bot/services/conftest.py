"""The demo cluster, searched with the real all-MiniLM-L6-v2 files, for the services' tests
that check what members would see on the demo data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest

from bot.services.matching import SolverSearch
from bot.services.records import load_demo
from standins.search import fresh_search
from storage import migrate
from storage.db import make_engine


@pytest.fixture(scope="module")
def demo_search(
    tmp_path_factory: pytest.TempPathFactory, model_dir: Path
) -> Iterator[SolverSearch]:
    # The whole demo cluster takes half a minute to embed; the store's dialect is beside the
    # point, so one SQLite store serves each module that asks for it.
    from retrieval.embedding import MiniLMEmbedder

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'scic.db'}")
    migrate.upgrade(engine)
    load_demo(engine=engine)
    search = fresh_search(chromadb.EphemeralClient(), MiniLMEmbedder(model_dir), engine)
    search.catch_up()
    yield search
    engine.dispose()

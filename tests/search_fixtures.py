"""Search test helpers: records loaded through the importer, and a real `chroma run` server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bench.scale import serve_chroma
from bot.services.matching import open_chroma
from storage.db import session_scope
from storage.exchange import Kind
from storage.files import parse_json
from storage.importing import import_rows


def load(engine: Engine, kind: Kind, rows: list[dict[str, Any]]) -> None:
    with session_scope(engine) as session:
        report = import_rows(session=session, kind=kind, rows=parse_json(json.dumps(rows)))
        assert report.problems == [], report.problems


@contextmanager
def chroma_run(path: Path) -> Iterator[tuple[Any, str]]:
    """`chroma run` on a free loopback port, storing under ``path``: an HttpClient and its URL."""
    with serve_chroma(path) as (url, _pid):
        yield open_chroma(url, path), url


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real `chroma run` server on a free loopback port, and an HttpClient for it."""
    with chroma_run(tmp_path_factory.mktemp("chroma-server")) as (client, _url):
        yield client

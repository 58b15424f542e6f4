"""Search test helpers: records loaded through the importer, and a real `chroma run` server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import chromadb
import pytest
from sqlalchemy import Engine

from storage.db import session_scope
from storage.exchange import Kind
from storage.files import parse_json
from storage.importing import import_rows


def load(engine: Engine, kind: Kind, rows: list[dict[str, Any]]) -> None:
    with session_scope(engine) as session:
        report = import_rows(session=session, kind=kind, rows=parse_json(json.dumps(rows)))
        assert report.problems == [], report.problems


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def chroma_run(path: Path) -> Iterator[tuple[Any, str]]:
    """`chroma run` on a free loopback port, storing under ``path``: an HttpClient and its URL."""
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    process = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client = chromadb.HttpClient(host="127.0.0.1", port=port)
                client.heartbeat()
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"`chroma run` did not start on port {port}")
                time.sleep(0.3)
        yield client, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real `chroma run` server on a free loopback port, and an HttpClient for it."""
    with chroma_run(tmp_path_factory.mktemp("chroma-server")) as (client, _url):
        yield client

"""`scic report members`: per member, why its profile matters, as staff read it (both stores)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from standins.cluster import add_cast
from storage import clock
from storage.db import session_scope
from storage.models import QuestionLog


def test_report_members_lists_every_active_member_with_its_numbers(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    add_cast(engine)
    with session_scope(engine) as session:
        session.add(
            QuestionLog(
                question="who can help with structural health monitoring?",
                answered_members=["arctic-sense"],
                created_at=clock.now(),
            )
        )
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EMBEDDING_MODEL_DIR", "")  # lexical search: fast, offline
    runner = CliRunner()
    as_json = runner.invoke(app, ["report", "members", "--json"])
    assert as_json.exit_code == 0, as_json.output
    rows = {row["member"]: row for row in json.loads(as_json.stdout)}
    assert set(rows) == {"arctic-sense", "city-of-espoo"}  # not the cluster itself
    assert rows["arctic-sense"]["suggested"] == 1
    assert rows["arctic-sense"]["topics"] == ["structural health monitoring"]
    table = runner.invoke(app, ["report", "members"])
    assert table.exit_code == 0 and "Arctic Sense Oy" in table.stdout

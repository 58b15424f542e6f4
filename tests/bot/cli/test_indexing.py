"""`scic import` indexes what it wrote (or leaves it queued with --no-index), and a question
asked while the index is behind is answered at once, saying so."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, func, select

from storage.db import session_scope
from storage.models import IndexOutbox
from tests.bot.cli.running import EXAMPLES, scic, url_of


def queued(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(IndexOutbox)) or 0


def test_an_import_indexes_what_it_wrote(engine: Engine, tmp_path: Path) -> None:
    url = url_of(engine)
    lexical = {"DATA_DIR": str(tmp_path / "data"), "EMBEDDING_MODEL_DIR": ""}
    imported = scic(
        "import", "members", str(EXAMPLES / "members.csv"), url=url, cwd=tmp_path, **lexical
    )
    assert imported.returncode == 0, imported.stderr
    assert "Search index up to date" in imported.stdout
    assert queued(engine) == 0
    # A question that may not index anything still finds everything: the import did it.
    found = scic(
        "match",
        "snow load sensing on roofs",
        "--json",
        url=url,
        cwd=tmp_path,
        INDEX_WAIT_MS="0",
        **lexical,
    )
    assert json.loads(found.stdout)[0]["member_slug"] == "arctic-sense"


def test_no_index_leaves_it_queued_and_answers_say_the_index_is_behind(
    engine: Engine, tmp_path: Path
) -> None:
    url = url_of(engine)
    env = {"DATA_DIR": str(tmp_path / "data"), "EMBEDDING_MODEL_DIR": "", "INDEX_WAIT_MS": "0"}
    for kind, name in (("members", "members.csv"), ("people", "people.csv")):
        done = scic(
            "import", kind, str(EXAMPLES / name), "--no-index", url=url, cwd=tmp_path, **env
        )
        assert done.returncode == 0, done.stderr
        assert "Search index" not in done.stdout
    assert queued(engine) > 0

    asker = ("--as", "mikko.laine@espoo.example")
    asked = scic(
        "ask", "who can do snow load sensing on roofs?", *asker, url=url, cwd=tmp_path, **env
    )
    assert asked.returncode == 0, asked.stderr
    assert "The search index is still taking in" in asked.stdout

    rebuilt = scic("reindex", url=url, cwd=tmp_path, **env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert queued(engine) == 0
    asked = scic(
        "ask", "who can do snow load sensing on roofs?", *asker, url=url, cwd=tmp_path, **env
    )
    assert "still taking in" not in asked.stdout and "ArcticSense" in asked.stdout

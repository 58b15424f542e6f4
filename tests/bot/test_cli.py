"""The `scic` command line as staff run it: a real process, real files, a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from storage.db import session_scope
from storage.llm_usage import record_model_call
from storage.models import Challenge, Member, Person

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def scic(*args: str, url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def count(engine: Engine, model: type[Member] | type[Person] | type[Challenge]) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_import_the_examples_then_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    url = url_of(engine)
    for kind, name in (
        ("members", "members.csv"),
        ("people", "people.csv"),
        ("challenges", "challenges.json"),
    ):
        first = scic("import", kind, str(EXAMPLES / name), url=url, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        assert "were created" in first.stdout
    again = scic("import", "members", str(EXAMPLES / "members.csv"), url=url, cwd=tmp_path)
    assert "0 were created, 0 were updated, 2 unchanged" in again.stdout
    assert (count(engine, Member), count(engine, Person), count(engine, Challenge)) == (2, 2, 1)


def test_a_bad_file_is_rejected_whole_with_row_field_and_reason(
    engine: Engine, tmp_path: Path
) -> None:
    bad = tmp_path / "members.csv"
    bad.write_text(
        "slug,name,kind,size\n"
        "good-oy,Good Oy,company,small\n"
        "bad-oy,Bad Oy,volcano,small\n"
        ",No Slug Oy,company,huge\n",
        encoding="utf-8",
    )
    result = scic("import", "members", str(bad), url=url_of(engine), cwd=tmp_path)
    assert result.returncode == 1
    assert "row 2 (bad-oy): kind: 'volcano' is not allowed" in result.stderr
    assert "row 3: slug: is required" in result.stderr
    assert "row 3: size: 'huge' is not allowed" in result.stderr
    assert "Nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert count(engine, Member) == 0

    skipping = scic(
        "import", "members", str(bad), "--skip-invalid", url=url_of(engine), cwd=tmp_path
    )
    assert skipping.returncode == 0
    assert count(engine, Member) == 1


def test_dry_run_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    result = scic(
        "import",
        "members",
        str(EXAMPLES / "members.csv"),
        "--dry-run",
        url=url_of(engine),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "2 would be created" in result.stdout and "Dry run" in result.stdout
    assert count(engine, Member) == 0


def test_export_writes_a_file_that_imports_back(engine: Engine, tmp_path: Path) -> None:
    url = url_of(engine)
    scic("import", "members", str(EXAMPLES / "members.csv"), url=url, cwd=tmp_path)
    out = tmp_path / "out" / "members.json"
    exported = scic("export", "members", str(out), url=url, cwd=tmp_path)
    assert exported.returncode == 0 and "Wrote 2 members" in exported.stdout
    again = scic("import", "members", str(out), url=url, cwd=tmp_path)
    assert "2 unchanged" in again.stdout


def test_stats_counts_each_table(engine: Engine, tmp_path: Path) -> None:
    url = url_of(engine)
    scic("import", "members", str(EXAMPLES / "members.csv"), url=url, cwd=tmp_path)
    result = scic("stats", url=url, cwd=tmp_path)
    assert result.returncode == 0
    line = next(row for row in result.stdout.splitlines() if " member " in f" {row} ")
    assert "2" in line.split()


def test_unreachable_store_is_one_clear_line(tmp_path: Path) -> None:
    result = scic("stats", url="postgresql+psycopg://postgres@127.0.0.1:1/none", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot reach the store at DATABASE_URL=" in result.stderr
    assert "Traceback" not in result.stderr


def test_uninitialised_store_says_to_run_init(tmp_path: Path) -> None:
    result = scic("stats", url=f"sqlite:///{tmp_path / 'empty.db'}", cwd=tmp_path)
    assert result.returncode == 2
    assert "run `scic init`" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "members", "missing.csv"), "cannot read"),
        (("import", "members", "notes.txt"), "use a .csv or .json file"),
        (("import", "planets", "x.csv"), "Invalid value for 'kind'"),
    ],
)
def test_bad_command_lines_get_a_message_not_a_traceback(
    engine: Engine, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    result = scic(*args, url=url_of(engine), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_setting_is_named(tmp_path: Path) -> None:
    result = scic("stats", url="sqlite://", cwd=tmp_path, LOG_LEVEL="LOUD")
    assert result.returncode == 2
    assert "LOG_LEVEL" in result.stderr


def test_init_creates_a_sqlite_store_under_data_dir(tmp_path: Path) -> None:
    result = scic("init", url="", cwd=tmp_path, DATA_DIR=str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "scic.db").exists()
    assert scic("stats", url="", cwd=tmp_path, DATA_DIR=str(tmp_path / "data")).returncode == 0


def test_match_ask_and_reindex_check_find_drift_and_repair_it(
    engine: Engine, tmp_path: Path
) -> None:
    url = url_of(engine)
    lexical = {"DATA_DIR": str(tmp_path / "data"), "EMBEDDING_MODEL_DIR": ""}
    for kind, name in (("members", "members.csv"), ("people", "people.csv")):
        scic("import", kind, str(EXAMPLES / name), url=url, cwd=tmp_path)

    found = scic("match", "snow load sensing on roofs", "--json", url=url, cwd=tmp_path, **lexical)
    assert found.returncode == 0, found.stderr
    first = json.loads(found.stdout)[0]
    assert first["member_slug"] == "arctic-sense"
    assert first["contacts"][0]["email"] == "aino.virtanen@arcticsense.example"
    assert "LEXICAL-ONLY" in found.stderr  # said loudly when the model is missing

    asker = ("--as", "mikko.laine@espoo.example")
    asked = scic("ask", "what does ArcticSense do?", *asker, url=url, cwd=tmp_path, **lexical)
    assert asked.returncode == 0 and "Roof sensors for Oulu schools" in asked.stdout

    assert scic("reindex", "--check", url=url, cwd=tmp_path, **lexical).returncode == 0
    with engine.begin() as connection:  # a change that bypasses the ORM, so no outbox row
        connection.execute(text("UPDATE member SET description = 'Changed behind our back.'"))
    drift = scic("reindex", "--check", url=url, cwd=tmp_path, **lexical)
    assert drift.returncode == 1 and "stale in the index" in drift.stdout
    rebuilt = scic("reindex", url=url, cwd=tmp_path, **lexical)
    assert rebuilt.returncode == 0 and "Indexed" in rebuilt.stdout
    assert scic("reindex", "--check", url=url, cwd=tmp_path, **lexical).returncode == 0


def test_usage_shows_the_language_models_calls_per_day_and_task(
    engine: Engine, tmp_path: Path
) -> None:
    url = url_of(engine)
    assert "No language model calls" in scic("usage", url=url, cwd=tmp_path).stdout
    with session_scope(engine) as session:
        for outcome in ("ok", "ok", "failed"):
            record_model_call(
                session=session,
                person_id=None,
                task="answer",
                model="gpt-4o-mini",
                prompt_version="1",
                input_tokens=500,
                output_tokens=60,
                outcome=outcome,
                duration_ms=900,
            )
    done = scic("usage", "--json", url=url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert (row["task"], row["calls"], row["failed"], row["input_tokens"]) == ("answer", 3, 1, 1500)

"""`scic init|import|export|stats` as staff run them: a real process, real files, a real store."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from storage.db import session_scope
from storage.models import Challenge, Member, Person
from tests.bot.cli.running import EXAMPLES, scic, url_of


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


def test_init_creates_a_sqlite_store_under_data_dir(tmp_path: Path) -> None:
    result = scic("init", url="", cwd=tmp_path, DATA_DIR=str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "scic.db").exists()
    assert scic("stats", url="", cwd=tmp_path, DATA_DIR=str(tmp_path / "data")).returncode == 0

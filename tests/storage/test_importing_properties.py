"""Property: any row is either rejected with a message naming it, or imported and exported
back unchanged, through both file formats and on both databases."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from storage.db import session_scope
from storage.exchange import MemberRecord
from storage.files import parse_csv, parse_json, to_csv, to_json
from storage.importing import export_records, import_rows
from storage.models import Member
from tests.conftest import _empty_all_tables

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
slugs = st.one_of(st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,8}){0,2}", fullmatch=True), texts)
kinds = st.sampled_from(["company", "city", "region", "research_institute", "university", "x"])
tag_lists = st.lists(texts, max_size=4)
references = st.lists(
    st.fixed_dictionaries(
        {"title": texts, "year": st.one_of(st.none(), st.integers(1850, 2150))},
        optional={"description": texts, "client": texts},
    ),
    max_size=3,
)
member_rows = st.fixed_dictionaries(
    {"slug": slugs, "name": texts, "kind": kinds},
    optional={
        "country": texts,
        "city": texts,
        "size": st.sampled_from(["micro", "small", "medium", "large", "huge"]),
        "description": texts,
        "capabilities": tag_lists,
        "technologies": tag_lists,
        "references": references,
    },
)


def _count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(Member)) or 0


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(row=member_rows, fmt=st.sampled_from(["csv", "json"]))
def test_a_random_member_row_is_rejected_with_a_message_or_round_trips(
    engine: Engine, row: dict[str, Any], fmt: str
) -> None:
    _empty_all_tables(engine)
    # The row reaches the importer through a real file of the chosen format.
    if fmt == "json":
        rows = parse_json(json.dumps([row]))
    else:
        header = list(row)
        cells = {
            k: (";".join(v) if k in ("capabilities", "technologies") else json.dumps(v))
            if isinstance(v, list)
            else v
            for k, v in row.items()
        }
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=header)  # CRLF, as spreadsheets write
        writer.writeheader()
        writer.writerow(cells)
        rows = parse_csv(buffer.getvalue(), "members")

    with session_scope(engine) as session:
        report = import_rows(session=session, kind="members", rows=rows)
        if report.problems:
            session.rollback()

    if report.problems:
        assert _count(engine) == 0
        for problem in report.problems:
            assert problem.row == 1 and problem.field and problem.reason
        return

    # Keys and names are stored without the white space around them, as a person typed them.
    slug = row["slug"].strip()
    assert report.created == [slug]
    with session_scope(engine) as session:
        (exported,) = export_records(session=session, kind="members")
    assert isinstance(exported, MemberRecord)
    assert exported.name == row["name"].strip()
    assert exported.kind.value == row["kind"]
    assert (
        exported.description
        == row.get("description", "").replace("\r\n", "\n").replace("\r", "\n").strip()
    )
    assert len(exported.references) == len(row.get("references", []))
    # ...and the exported file, read back, is the same record again.
    text = to_csv("members", [exported]) if fmt == "csv" else to_json([exported])
    again = parse_csv(text, "members") if fmt == "csv" else parse_json(text)
    with session_scope(engine) as session:
        second = import_rows(session=session, kind="members", rows=again)
    assert second.problems == [] and second.unchanged == [slug]

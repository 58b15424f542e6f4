"""Reading and writing record files (CSV and JSON) in the exchange form of `storage.exchange`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from storage.exchange import LIST_SEPARATOR, RECORD_TYPES, Kind, Record

Format = Literal["csv", "json"]

# Columns whose CSV cell holds a list joined with ';', and the one holding JSON.
LIST_FIELDS = {
    "capabilities",
    "technologies",
    "languages",
    "expertise",
    "tags",
    "needs",
    "allowed_members",
}
JSON_FIELDS = {"references"}


class RecordFileError(Exception):
    """The file as a whole cannot be read (encoding, syntax, columns); says where and why."""


@dataclass(frozen=True)
class RawRow:
    """One record as read from a file, before validation. ``row`` counts records from 1."""

    row: int
    values: dict[str, Any]
    problems: tuple[tuple[str, str], ...] = ()


def columns(kind: Kind) -> list[str]:
    return list(RECORD_TYPES[kind].model_fields)


def detect_format(path: Path, given: str | None) -> Format:
    name = (given or path.suffix.lstrip(".")).lower()
    if name not in ("csv", "json"):
        raise RecordFileError(
            f"{path.name}: cannot tell the format from the name; use a .csv or .json file "
            "or pass --format csv|json"
        )
    return "csv" if name == "csv" else "json"


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RecordFileError(
            f"{name}: line {line}: byte 0x{data[exc.start]:02X} is not UTF-8 text; "
            "save the file as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None


def read_rows(path: Path, kind: Kind, fmt: Format) -> list[RawRow]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordFileError(f"cannot read {path}: {exc.strerror}") from None
    text = decode(data, path.name)
    return parse_csv(text, kind, path.name) if fmt == "csv" else parse_json(text, path.name)


def parse_json(text: str, name: str = "file") -> list[RawRow]:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordFileError(
            f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(payload, list):
        raise RecordFileError(
            f"{name}: expected a JSON array of records, found {type(payload).__name__}"
        )
    rows = []
    for number, item in enumerate(payload, start=1):
        if isinstance(item, dict):
            rows.append(RawRow(number, item))
        else:
            rows.append(RawRow(number, {}, (("-", "is not a JSON object"),)))
    return rows


# What a spreadsheet runs as a formula when a cell starts with it (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: str) -> str:
    """A text cell a spreadsheet would run as a formula, prefixed with ' (OWASP's rule)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _unprotect(cell: str) -> str:
    # Our own export's prefix comes off again, so that export then import changes nothing.
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def formula_cells(text: str) -> int:
    """How many cells of a CSV file begin with a formula character (protected or not)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)  # the header
    return sum(_unprotect(cell).startswith(FORMULA_STARTS) for row in reader for cell in row)


def parse_csv(text: str, kind: Kind, name: str = "file") -> list[RawRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    if not header:
        raise RecordFileError(f"{name}: the file is empty; the first line must name the columns")
    known = columns(kind)
    unknown = [column for column in header if column not in known]
    if unknown:
        raise RecordFileError(
            f"{name}: unknown column(s) {', '.join(repr(c) for c in unknown)}; "
            f"the {kind} columns are: {', '.join(known)}"
        )
    rows = []
    for number, raw in enumerate(reader, start=1):
        values: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        if None in raw:
            problems.append(("-", f"has more cells than the header's {len(header)} columns"))
        for column in header:
            cell = raw.get(column)
            if cell is None or cell == "":
                continue  # an empty cell means "not given": the field's default applies
            if column in JSON_FIELDS:
                try:
                    values[column] = json.loads(cell)
                except json.JSONDecodeError as exc:
                    problems.append((column, f"is not a JSON list: {exc.msg}"))
            else:
                values[column] = _unprotect(cell)
        rows.append(RawRow(number, values, tuple(problems)))
    return rows


def to_csv(kind: Kind, records: list[Record]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns(kind), lineterminator="\n")
    writer.writeheader()
    for record in records:
        row: dict[str, Any] = {}
        for field, value in record.model_dump(mode="json").items():
            if field in LIST_FIELDS:
                row[field] = neutralise_formula(LIST_SEPARATOR.join(value))
            elif field in JSON_FIELDS:
                row[field] = json.dumps(value, ensure_ascii=False) if value else ""
            elif value is None:
                row[field] = ""
            elif isinstance(value, bool):
                row[field] = "true" if value else "false"
            elif isinstance(value, str):
                row[field] = neutralise_formula(value)
            else:
                row[field] = value
        writer.writerow(row)
    return out.getvalue()


def table_to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """Rows of any table as CSV, each text cell a spreadsheet would run as a formula
    neutralised as `to_csv` does: every CSV the project writes goes through one of the two."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: neutralise_formula(v) if isinstance(v, str) else v for k, v in row.items()}
        )
    return out.getvalue()


def to_json(records: list[Record]) -> str:
    payload = [record.model_dump(mode="json") for record in records]
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def write_records(path: Path, kind: Kind, fmt: Format, records: list[Record]) -> None:
    text = to_csv(kind, records) if fmt == "csv" else to_json(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

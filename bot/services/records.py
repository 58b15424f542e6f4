"""Loading and inspecting the cluster's records: init, demo data, import, export, stats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import storage
from storage import challenges as challenge_store
from storage import clock, migrate
from storage.db import StoreUnavailable, check_store, count_rows, session_scope
from storage.exchange import KINDS, Kind
from storage.files import Format, RawRow, read_rows, write_records
from storage.importing import ImportReport, export_records, import_rows

DEMO_DIR = Path(storage.__file__).parent / "demo"


def ensure_schema(engine: Engine) -> None:
    """Create the schema or bring it up to date (idempotent)."""
    check_store(engine)
    migrate.upgrade(engine)


def require_schema(engine: Engine) -> None:
    """Refuse to work on a store that `scic init` has not prepared."""
    check_store(engine)
    current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    if current is None:
        raise StoreUnavailable(
            f"the store at {engine.url.render_as_string()} has no tables yet; run `scic init`"
        )
    if current != head:
        raise StoreUnavailable(
            f"the store's schema is at revision {current}, the code expects {head}; "
            "run `scic init` to upgrade it"
        )


def import_file(
    *,
    engine: Engine,
    kind: Kind,
    path: Path,
    fmt: Format,
    skip_invalid: bool = False,
    dry_run: bool = False,
    on_progress: Callable[[int], None] | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read ``path`` and upsert its rows in one transaction: with a bad row and without
    ``skip_invalid`` nothing is written (the report names each problem)."""
    rows: list[RawRow] = read_rows(path, kind, fmt)
    if on_rows:
        on_rows(len(rows))
    with session_scope(engine) as session:
        report = import_rows(
            session=session,
            kind=kind,
            rows=rows,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            on_progress=on_progress,
        )
        if report.problems and not skip_invalid:
            session.rollback()
    return report


def load_demo(*, engine: Engine) -> list[ImportReport]:
    """Load the demo members, people and challenges (in that order: later ones refer back).

    The demo challenges' dates count from the day they are loaded, so the demo never ages:
    each says `deadline_in_days`, `created_days_ago` and `updated_days_ago` where an import
    file has dates. Loading again on another day moves the deadlines with it.
    """
    now = clock.now()
    reports = []
    with session_scope(engine) as session:
        for kind in KINDS:
            reports.append(_load_demo_kind(session, kind, now))
    return reports


def _load_demo_kind(session: Session, kind: Kind, now: datetime) -> ImportReport:
    rows = read_rows(DEMO_DIR / f"{kind}.json", kind, "json")
    dated = kind == "challenges"
    ages = {row.values["slug"]: _dated(row.values, now) for row in rows} if dated else {}
    report = import_rows(session=session, kind=kind, rows=rows)
    if report.problems:
        raise ValueError(f"demo {kind} are invalid: " + "; ".join(map(str, report.problems)))
    # Only new rows are dated back: loading again is an upsert that leaves ages alone.
    for slug in report.created if dated else ():
        created_at, updated_at = ages[slug]
        challenge_store.set_challenge_dates(
            session=session, slug=slug, created_at=created_at, updated_at=updated_at
        )
    return report


def _dated(values: dict[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """Turn a demo challenge's relative dates into the import format's deadline (in place);
    returns when it was created and last updated."""
    in_days = values.pop("deadline_in_days")
    values["deadline"] = None if in_days is None else (now + timedelta(days=in_days)).date()
    created = now - timedelta(days=values.pop("created_days_ago"))
    updated = now - timedelta(days=values.pop("updated_days_ago"))
    return created, max(created, updated)


def export_file(*, engine: Engine, kind: Kind, path: Path, fmt: Format) -> int:
    with session_scope(engine) as session:
        records = export_records(session=session, kind=kind)
    write_records(path, kind, fmt, records)
    return len(records)


def store_stats(*, engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return count_rows(session=session)

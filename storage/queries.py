"""Read queries over the records that several callers share; each takes the caller's session."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Base


def count_rows(*, session: Session) -> dict[str, int]:
    """How many rows each table holds, in the schema's order."""
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }

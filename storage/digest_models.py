"""Tables the digests add: "not relevant" feedback, and the scheduler's persisted jobs.

The scheduler's table is the one APScheduler's SQLAlchemyJobStore expects (same name and
columns); declaring it here lets the migration create it, so the schema stays under Alembic
and the store's own tests see every table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, ForeignKey, LargeBinary, Table, Unicode, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage import clock
from storage.models import Base

SCHEDULER_JOBS_TABLE = "apscheduler_jobs"


class DigestFeedback(Base):
    """Someone said a challenge is not relevant to their organisation: it leaves its digests."""

    __tablename__ = "digest_feedback"
    __table_args__ = (UniqueConstraint("member_id", "challenge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


# Mirrors apscheduler.jobstores.sqlalchemy (3.x): 191 = MySQL's key limit, 25 = an 8-byte float.
scheduler_jobs = Table(
    SCHEDULER_JOBS_TABLE,
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

"""The tables members' own profile editing adds: who changed what, and the nudges to look again.

Kept beside `storage.models` rather than in it: a profile's edit state, its audit trail and
the nudge log are about the records, not part of them, and the search index never reads them.

- `member_profile_state`: one row per member once it has been edited or confirmed: the
  version a save must name (optimistic locking) and when its people last looked at it.
- `profile_change`: the audit trail, one row per save (or *Still true*), with the fields it
  changed and their values before and after.
- `profile_nudge`: one row per organisation and nudge period, claimed in the store before any
  DM goes out, so every process may run the nudge job and each period's nudge goes out once.
- `profile_nudge_opt_out`: people who turned the nudges off on their Home tab.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage import clock
from storage.models import Base, DeliveryStatus, _enum


class MemberProfileState(Base):
    __tablename__ = "member_profile_state"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    #: Raised by one on every save: a save names the version its form was opened at.
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: When the organisation's people last saved it or said it is still true.
    reviewed_at: Mapped[datetime | None] = mapped_column()


class ProfileChange(Base):
    """One save of a member's profile (or a confirmation that it is still true)."""

    __tablename__ = "profile_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    #: Kept as written at the time: the person record may be gone later.
    person_email: Mapped[str] = mapped_column(String(254), default="")
    #: "edit" or "confirm" (*Still true*, nothing changed).
    kind: Mapped[str] = mapped_column(String(16), default="edit")
    fields: Mapped[list[str]] = mapped_column(default=list)
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
    changed_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)


class ProfileNudge(Base):
    """The nudge of one organisation for one period; the unique key makes it exactly-once."""

    __tablename__ = "profile_nudge"
    __table_args__ = (UniqueConstraint("member_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(32))
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "nudge_status"), default=DeliveryStatus.PENDING
    )
    #: The people it went to (Slack user ids), and what Slack said when it refused.
    recipients: Mapped[list[str]] = mapped_column(default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    claimed_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column()
    #: "confirmed", "edited" or "not_now" once someone answered it.
    answer: Mapped[str] = mapped_column(String(16), default="")


class ProfileNudgeOptOut(Base):
    __tablename__ = "profile_nudge_opt_out"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

"""The table the challenge lifecycle adds: each notice about a challenge's dates, once.

A notice (closed at the deadline, a week to go, a day to go) is one row per place it goes (a
thread, the staff channel, a person's DM), keyed by the deadline it is about: the daily job
writes the rows in the same transaction as the change they tell of, and a row is claimed in
the store before its message is posted, so every process may run the job and each message
still goes out once (the digests' delivery log works the same way).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage import clock
from storage.models import Base, DeliveryStatus, _enum


class NoticeKind(enum.StrEnum):
    CLOSED = "closed"  # the deadline passed and the challenge was closed (or moved on)
    WEEK = "week"  # a week (or less) to the deadline, for the interested
    DAY = "day"  # a day (or less) to the deadline, for the interested


class ChallengeNotice(Base):
    __tablename__ = "challenge_notice"
    __table_args__ = (UniqueConstraint("challenge_id", "kind", "deadline", "address", "thread_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenge.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[NoticeKind] = mapped_column(_enum(NoticeKind, "notice_kind"))
    deadline: Mapped[date] = mapped_column(Date)
    #: A channel id (a card's thread, the staff channel) or a user id (a DM).
    address: Mapped[str] = mapped_column(String(32))
    #: The thread the message goes into; "" for the conversation itself.
    thread_ts: Mapped[str] = mapped_column(String(32), default="")
    #: Whose language it is written in ("fi" or "en").
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "notice_status"), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    claimed_at: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column()
    slack_ts: Mapped[str | None] = mapped_column(String(32))

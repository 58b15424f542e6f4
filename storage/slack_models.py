"""Tables that only the Slack side of the bot needs: which Slack events were already handled,
and which questions still wait for their answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage import clock
from storage.models import Base


class SlackEventReceipt(Base):
    """An Events API delivery the bot has taken on, keyed by Slack's event id.

    Slack retries an event it thinks went unanswered; the primary key makes the first process
    to insert the id the only one that handles it, however many bot processes share the store.
    """

    __tablename__ = "slack_event_receipt"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    # A question's delivery (the whole signed body) until it is answered: recorded before the
    # ack, so a store outage, Slack refusing the answer or a crash cannot lose it. None for
    # every other event. A process answering it holds it until ``claimed_until``.
    body: Mapped[str | None] = mapped_column(Text, default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    # The message an answer to the question was being written in (Slack's ts), so that the
    # attempt that answers it after a failure finishes that message instead of leaving it
    # "working..." above a second one.
    draft_ts: Mapped[str | None] = mapped_column(String(32), default=None)

"""Tables that only the Slack side of the bot needs: which Slack events were already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
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

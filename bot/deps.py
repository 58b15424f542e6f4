"""What every listener needs besides the Slack payload: settings, the store and today's date."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from bot.settings import Settings


def earliest_today() -> date:
    """Today's date somewhere on Earth (UTC-12): a deadline of 'today' is never refused as past.

    Slack's date picker gives the user's local day; the bot does not know their time zone.
    """
    return (datetime.now(UTC) - timedelta(hours=12)).date()


@dataclass(frozen=True)
class BotDeps:
    settings: Settings
    engine: Engine
    today: Callable[[], date] = field(default=earliest_today)

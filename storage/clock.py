"""The one clock: every layer reads the time here, never from `datetime.now` or `date.today`.

Tests set it with time-machine (`tests.conftest.clock`), which moves it for every thread and
library in the process at once: the store's column defaults, APScheduler, Slack's signature
check. Times are UTC; a day is a UTC day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> datetime:
    """This moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC: a challenge is open through its deadline day."""
    return now().date()

"""Fixtures for the Slack side: the Slack stand-in with the cast's profiles, the bot behind a real
port, and the cast in the store (all from `standins`).

Everything that touches the store uses the `engine` fixture, so each flow runs on SQLite and
on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from standins.cluster import Cast, add_cast, add_cast_profiles
from standins.slack import FakeSlack, RunningBot, running_bot


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    add_cast_profiles(fake)
    yield fake
    fake.stop()


@pytest.fixture
def cast(engine: Engine) -> Cast:
    return add_cast(engine)


@pytest.fixture
def bot(engine: Engine, fake_slack: FakeSlack, cast: Cast) -> Iterator[RunningBot]:
    with running_bot(engine, fake_slack) as running:
        yield running

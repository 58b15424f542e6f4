"""What the listener tests share: the bot with its language model at a local protocol server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from standins.cluster import Cast
from standins.openai_server import FakeOpenAI
from standins.slack import FakeSlack, RunningBot, running_bot


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    """A local server speaking OpenAI's chat-completions protocol, for the bot's model."""
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def llm_bot(
    engine: Engine, fake_slack: FakeSlack, cast: Cast, server: FakeOpenAI
) -> Iterator[RunningBot]:
    """The bot behind a real port, its language model pointed at ``server`` (1 s, 1 retry)."""
    with running_bot(
        engine,
        fake_slack,
        llm_model="test-model",
        openai_base_url=server.base_url,
        llm_timeout=1,
        llm_max_retries=1,
    ) as running:
        yield running

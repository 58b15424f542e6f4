"""Scripted LangChain chat models for the writing tests: one that answers from a script and
remembers what it was asked, and one that always fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import Field

from tests.bot.services.test_llm import Broken


class Recording(GenericFakeChatModel):
    """A scripted fake chat model that keeps the messages of every call it was sent."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def answering(*replies: str | dict[str, Any]) -> Recording:
    """A fake model answering each call with the next reply (a dict is sent as JSON)."""

    def messages() -> Iterator[AIMessage]:
        for reply in replies:
            yield AIMessage(content=reply if isinstance(reply, str) else json.dumps(reply))

    return Recording(messages=messages())


def broken() -> Broken:
    return Broken(messages=iter([]))

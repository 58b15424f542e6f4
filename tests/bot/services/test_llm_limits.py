"""The time a question may spend on the model, whatever the server sends; the circuit breaker;
structured output learned once. Against the real OpenAI client and the local stand-in server
(keep-alive bytes, a trickle, a hang, a 500 on every JSON schema).

The bounds asserted are loose on purpose (a budget of 1 s against servers that would keep a
call open for 30 s): they tell "held to the budget" from "waited for the server", not how fast
the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine

from bot.services.llm import CircuitBreaker, LanguageModel, LanguageModelError
from bot.settings import Settings
from standins.openai_server import FakeOpenAI
from storage.db import session_scope
from storage.llm_usage import model_calls
from tests.bot.services.test_llm import ECHO, VARIABLES, Broken, replies

SERVER_HOLDS = 30.0  # how long each misbehaving server would keep a call open
BUDGET = 1.0
HELD = 8.0  # well under SERVER_HOLDS, well over BUDGET and a slow machine's overhead


class Translation(BaseModel):
    english: str


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def model_for(server: FakeOpenAI, engine: Engine | None = None, **settings: Any) -> LanguageModel:
    values: dict[str, Any] = {
        "llm_model": "test-model",
        "openai_base_url": server.base_url,
        "llm_timeout": 5,
        "llm_max_retries": 2,
        "llm_question_budget": BUDGET,
    }
    model = LanguageModel.from_settings(Settings(**(values | settings)), engine)
    assert model is not None
    return model


def timed_failure(call: Any) -> float:
    started = time.monotonic()
    with pytest.raises(LanguageModelError):
        call()
    return time.monotonic() - started


@pytest.mark.parametrize(
    "misbehave",
    [
        lambda server: server.keep_alive(SERVER_HOLDS, every=0.05),
        lambda server: server.trickle("Kantava senses snow loads [1]. " * 20, every=0.05),
        lambda server: server.hang(SERVER_HOLDS),
        lambda server: server.stall(SERVER_HOLDS),
    ],
    ids=["keep-alive", "trickle", "hang-after-headers", "hang-before-headers"],
)
@pytest.mark.parametrize("kind", ["stream", "write", "extract"])
def test_a_question_spends_one_budget_whatever_the_server_sends(
    server: FakeOpenAI, misbehave: Any, kind: str
) -> None:
    # Issue 16: keep-alive bytes restarted the read timeout on every byte, so a server that
    # only pings was waited on forever.
    for _ in range(3):  # the call and every retry the client might make
        misbehave(server)
    model = model_for(server)
    calls = {
        "stream": lambda: list(model.stream(ECHO, VARIABLES)),
        "write": lambda: model.write(ECHO, VARIABLES),
        "extract": lambda: model.extract(ECHO, Translation, VARIABLES),
    }
    with model.question():
        waited = timed_failure(calls[kind])
    assert waited < HELD, f"waited {waited:.1f} s on a server holding the call {SERVER_HOLDS} s"
    assert len(server.requests) == 1  # no retry once the budget is spent


def test_translation_and_answer_share_the_question_s_budget(
    server: FakeOpenAI, engine: Engine
) -> None:
    # Issue 16: a Finnish question against a hung server waited twice, about two minutes.
    server.stall(SERVER_HOLDS).stall(SERVER_HOLDS).stall(SERVER_HOLDS)
    model = model_for(server, engine)
    started = time.monotonic()
    with model.question():
        with pytest.raises(LanguageModelError):
            model.extract(ECHO, Translation, VARIABLES)
        with pytest.raises(LanguageModelError, match="time"):
            list(model.stream(ECHO, VARIABLES))
    assert time.monotonic() - started < HELD
    assert len(server.requests) == 1
    with session_scope(engine) as session:
        calls = [(c.outcome, c.input_tokens) for c in model_calls(session=session)]
    assert calls == [("failed", 0), ("skipped", 0)]  # the answer was never sent


def test_a_slow_server_within_the_budget_still_answers(server: FakeOpenAI) -> None:
    server.stall(0.3).reply("Kantava senses snow loads [1].")
    model = model_for(server, llm_question_budget=10)
    with model.question():
        assert "".join(model.stream(ECHO, VARIABLES)) == "Kantava senses snow loads [1]."


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_repeated_failures_open_the_breaker_for_a_cool_down(engine: Engine) -> None:
    chat = Broken(messages=iter([]))
    clock = Clock()
    model = LanguageModel(chat, engine=engine, breaker=CircuitBreaker(2, 60.0, now=clock))
    sent: list[int] = []
    original = Broken._generate

    def counting(self: Broken, *args: Any, **kwargs: Any) -> Any:
        sent.append(1)
        return original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Broken, "_generate", counting)
        for _ in range(2):
            with pytest.raises(LanguageModelError, match="ConnectionError"):
                model.write(ECHO, VARIABLES)
        with pytest.raises(LanguageModelError, match="repeatedly"):
            model.write(ECHO, VARIABLES)
        assert len(sent) == 2  # the third question got the template at once
        clock.now = 61.0
        with pytest.raises(LanguageModelError, match="ConnectionError"):
            model.write(ECHO, VARIABLES)  # after the cool-down, one call tries the server
        assert len(sent) == 3
        with pytest.raises(LanguageModelError, match="repeatedly"):
            model.write(ECHO, VARIABLES)  # it failed: open again
    with session_scope(engine) as session:
        outcomes = [c.outcome for c in model_calls(session=session)]
    assert outcomes == ["failed", "failed", "skipped", "failed", "skipped"]


def test_a_success_closes_the_breaker() -> None:
    breaker = CircuitBreaker(2, 60.0, now=Clock())
    breaker.failed()
    breaker.succeeded()
    breaker.failed()
    assert breaker.allow()  # two failures, but not in a row


def test_a_server_refusing_json_schema_is_not_asked_again(
    server: FakeOpenAI, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 16: llama.cpp's server answers a JSON schema with HTTP 500; every Finnish question
    # retried it three times. Now only the first question does.
    server.refuse_schema = True
    server.responder = lambda request: "Kantava senses snow loads [1]."
    model = model_for(server, engine, llm_question_budget=10)
    for _ in range(3):
        with model.question(), pytest.raises(LanguageModelError):
            model.extract(ECHO, Translation, VARIABLES)
    assert len(server.requests) == 3  # the first call and its two retries, then none
    assert not model.structured_output
    with model.question():  # plain answers still come from the model
        assert "".join(model.stream(ECHO, VARIABLES)) == "Kantava senses snow loads [1]."
    with session_scope(engine) as session:
        outcomes = [c.outcome for c in model_calls(session=session)]
    assert outcomes == ["failed", "skipped", "skipped", "ok"]
    # An hour later the server is asked again (it may have been a passing error).
    monkeypatch.setattr("bot.services.llm.SCHEMA_RECHECK", 0.0)
    with model.question(), pytest.raises(LanguageModelError):
        model.extract(ECHO, Translation, VARIABLES)
    assert len(server.requests) == 4 + 3  # after the plain answer, three more


def test_a_model_writing_bad_json_does_not_open_the_breaker() -> None:
    # The server answers; the model is what fails: answers in plain text must still be tried.
    chat = replies("not json", "not json", "not json", "Kantava senses snow loads [1].")
    model = LanguageModel(chat, breaker=CircuitBreaker(2, 60.0, now=Clock()))
    for _ in range(3):
        with pytest.raises(LanguageModelError, match="not a valid"):
            model.extract(ECHO, Translation, VARIABLES)
    assert model.write(ECHO, VARIABLES) == "Kantava senses snow loads [1]."

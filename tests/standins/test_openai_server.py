"""The fake OpenAI server speaks the protocol well enough for the real clients to use it.

Every test talks to `FakeOpenAI` through the `openai` client or LangChain's `ChatOpenAI`,
exactly as the bot does, so a change in either client's expectations shows up here first.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import openai
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr

from standins.openai_server import FakeOpenAI

MODEL = "gpt-4o-mini"
LONG_ANSWER = "The cluster has three open challenges and two new solvers this week."


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def client(server: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        api_key="test", base_url=server.base_url, max_retries=0, timeout=2
    ) as client:
        yield client


def chat_model(server: FakeOpenAI, **options: object) -> ChatOpenAI:
    return ChatOpenAI(
        model=MODEL,
        base_url=server.base_url,
        api_key=SecretStr("test"),
        max_retries=0,
        timeout=2,
        **options,
    )


# --- plain answers ------------------------------------------------------------------------------


def test_openai_client_gets_the_scripted_answer_and_usage(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.reply("Ada Lovelace fits this challenge.", prompt_tokens=123, completion_tokens=7)

    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You match solvers to challenges."},
            {"role": "user", "content": "Who fits the parking challenge?"},
        ],
        temperature=0,
    )

    assert completion.choices[0].message.content == "Ada Lovelace fits this challenge."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == MODEL
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (123, 7)
    assert completion.usage.total_tokens == 130
    [request] = server.requests
    assert request.model == MODEL
    assert request.system == "You match solvers to challenges."
    assert request.user == "Who fits the parking challenge?"
    assert request.body["temperature"] == 0
    assert not request.stream
    assert request.response_format is None
    assert request.headers["authorization"] == "Bearer test"


def test_sequential_requests_reuse_one_kept_alive_connection(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.reply("first").reply("second")
    answers = [
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": f"question {n}"}]
        )
        .choices[0]
        .message.content
        for n in range(3)
    ]

    # The script runs out after two answers; the default responder takes over.
    assert answers == ["first", "second", "OK"]
    assert [r.user for r in server.requests] == ["question 0", "question 1", "question 2"]
    assert len({r.client_port for r in server.requests}) == 1
    assert server.pending == 0


def test_the_default_responder_can_be_replaced(server: FakeOpenAI, client: openai.OpenAI) -> None:
    server.responder = lambda request: f"echo: {request.user}"
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": [{"type": "text", "text": "in parts"}]}],
    )
    assert completion.choices[0].message.content == "echo: in parts"


def test_models_are_listed_and_unknown_paths_get_an_openai_error(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    assert [m.id for m in client.models.list()] == [MODEL]

    request = urllib.request.Request(server.base_url + "/embeddings", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=2)
    assert raised.value.code == 404
    error = json.loads(raised.value.read())["error"]
    assert error["message"] == "Invalid URL (POST /v1/embeddings)"
    assert error["type"] == "invalid_request_error"
    assert "code" in error
    assert server.requests == []


def test_a_body_that_is_not_json_gets_400(server: FakeOpenAI) -> None:
    request = urllib.request.Request(
        server.base_url + "/chat/completions", data=b"{oops", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=2)
    assert raised.value.code == 400
    assert json.loads(raised.value.read())["error"]["type"] == "invalid_request_error"


# --- streaming ----------------------------------------------------------------------------------


def test_openai_client_reassembles_a_streamed_answer_with_usage(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.reply(LONG_ANSWER, prompt_tokens=40, completion_tokens=14)

    pieces: list[str] = []
    usage: list[openai.types.CompletionUsage] = []
    finish_reasons: list[str] = []
    roles: list[str] = []
    for chunk in client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "What is new?"}],
        stream=True,
        stream_options={"include_usage": True},
    ):
        for choice in chunk.choices:
            pieces += [choice.delta.content] if choice.delta.content else []
            roles += [choice.delta.role] if choice.delta.role else []
            finish_reasons += [choice.finish_reason] if choice.finish_reason else []
        if chunk.usage is not None:
            assert chunk.choices == []
            usage.append(chunk.usage)

    assert "".join(pieces) == LONG_ANSWER
    assert len(pieces) > 1
    assert roles == ["assistant"]
    assert finish_reasons == ["stop"]
    assert [(u.prompt_tokens, u.completion_tokens, u.total_tokens) for u in usage] == [(40, 14, 54)]
    [request] = server.requests
    assert request.stream
    assert request.body["stream_options"] == {"include_usage": True}


def test_a_stream_without_include_usage_carries_no_usage(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.reply("short answer")
    chunks = list(
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert all(chunk.usage is None for chunk in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "short answer"


# --- through LangChain --------------------------------------------------------------------------


def test_chat_openai_invoke_returns_the_answer_with_usage_metadata(server: FakeOpenAI) -> None:
    server.reply("Try the mobility working group.", prompt_tokens=31, completion_tokens=6)

    message = chat_model(server).invoke(
        [("system", "Be brief."), ("user", "Where should I ask about buses?")]
    )

    assert isinstance(message, AIMessage)
    assert message.content == "Try the mobility working group."
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 31
    assert message.usage_metadata["output_tokens"] == 6
    assert message.usage_metadata["total_tokens"] == 37
    [request] = server.requests
    assert (request.system, request.user) == ("Be brief.", "Where should I ask about buses?")
    assert not request.stream


def test_chat_openai_stream_reassembles_text_and_usage(server: FakeOpenAI) -> None:
    server.reply(LONG_ANSWER, prompt_tokens=12, completion_tokens=13)

    chunks = list(chat_model(server, stream_usage=True).stream("What is new?"))

    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert isinstance(total, AIMessageChunk)
    assert total.content == LONG_ANSWER
    assert sum(1 for c in chunks if c.content) > 1
    assert total.usage_metadata is not None
    assert (total.usage_metadata["input_tokens"], total.usage_metadata["output_tokens"]) == (12, 13)
    assert server.requests[0].include_usage


class Match(BaseModel):
    solver: str
    score: int


def test_reply_json_serves_structured_output(server: FakeOpenAI) -> None:
    server.reply_json({"solver": "U0ADA", "score": 4})

    result = chat_model(server).with_structured_output(Match).invoke("Rank the solvers.")

    assert result == Match(solver="U0ADA", score=4)
    response_format = server.requests[0].response_format
    assert response_format is not None
    assert response_format["type"] == "json_schema"


# --- failures -----------------------------------------------------------------------------------


def test_a_rate_limit_is_retried_and_then_answered(server: FakeOpenAI) -> None:
    server.fail(429, retry_after=0).reply("hi")

    with openai.OpenAI(
        api_key="test", base_url=server.base_url, max_retries=1, timeout=2
    ) as client:
        completion = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hello"}]
        )

    assert completion.choices[0].message.content == "hi"
    assert len(server.requests) == 2
    assert server.requests[0].body == server.requests[1].body


def test_a_rate_limit_carries_retry_after_and_an_openai_error_body(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.fail(429, retry_after=1.5, message="Slow down.")

    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])

    assert raised.value.status_code == 429
    assert raised.value.response.headers["retry-after-ms"] == "1500"
    assert raised.value.response.headers["retry-after"] == "2"
    assert raised.value.body == {
        "message": "Slow down.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }


def test_server_errors_without_retries_raise_internal_server_error(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.fail(500, times=5)

    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])

    assert len(server.requests) == 1
    assert server.pending == 4


def test_a_stall_longer_than_the_timeout_times_out_and_stop_is_prompt() -> None:
    server = FakeOpenAI().start()
    try:
        server.stall(3)
        with openai.OpenAI(
            api_key="test", base_url=server.base_url, max_retries=0, timeout=0.5
        ) as client:
            started = time.monotonic()
            with pytest.raises(openai.APITimeoutError):
                client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": "x"}]
                )
            assert time.monotonic() - started < 2.5
        assert len(server.requests) == 1
    finally:
        # The stalled handler is still asleep here; stop() must not wait for it.
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0


def test_a_short_stall_then_answers_from_the_script(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.stall(0.3).reply("late but here")

    started = time.monotonic()
    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "x"}]
    )

    assert completion.choices[0].message.content == "late but here"
    assert time.monotonic() - started >= 0.3
    assert server.pending == 0


def test_garbage_html_comes_back_as_a_string_from_the_openai_client(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    # Without strict validation the client hands non-JSON bodies back as text, raising nothing;
    # code that reads `.choices` then fails on its own.
    server.garbage()
    result: object = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "x"}]
    )
    assert result == "<html>not json</html>"


def test_garbage_html_makes_chat_openai_raise_value_error(server: FakeOpenAI) -> None:
    server.garbage()
    with pytest.raises(ValueError, match="Unexpected response type"):
        chat_model(server).invoke("x")


def test_garbage_labelled_json_raises_a_json_decode_error(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.garbage(b"{truncated", content_type="application/json")
    with pytest.raises(json.JSONDecodeError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])


def test_a_broken_stream_raises_a_connection_error_after_some_text(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.stream_then_break(LONG_ANSWER)

    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "x"}], stream=True
        ):
            received += [c.delta.content for c in chunk.choices if c.delta.content]

    assert received
    assert LONG_ANSWER.startswith("".join(received))
    assert "".join(received) != LONG_ANSWER


def test_a_broken_stream_makes_chat_openai_stream_raise(server: FakeOpenAI) -> None:
    server.stream_then_break(LONG_ANSWER)
    with pytest.raises(openai.APIConnectionError):
        list(chat_model(server).stream("x"))


def test_a_broken_plain_answer_raises_a_connection_error(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    server.stream_then_break(LONG_ANSWER)
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "x"}])


# --- observation --------------------------------------------------------------------------------


def test_wait_for_requests_waits_for_requests_from_other_threads(
    server: FakeOpenAI, client: openai.OpenAI
) -> None:
    def ask() -> None:
        time.sleep(0.1)
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "bg"}])

    worker = threading.Thread(target=ask)
    worker.start()
    started = time.monotonic()
    [request] = server.wait_for_requests(1, timeout=3)
    # Woken by the request's arrival, not by the timeout running out.
    assert time.monotonic() - started < 1.5
    worker.join(timeout=2)
    assert request.user == "bg"

    with pytest.raises(AssertionError, match="timed out waiting for 2 chat requests"):
        server.wait_for_requests(2, timeout=0.1)

"""A stand-in for the OpenAI chat-completions API on a loopback port, for tests and benchmarks.

`FakeOpenAI` answers `POST /v1/chat/completions` (plain or streamed) from a FIFO script of
replies, errors, stalls and broken answers, records every request, and needs no internet.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

DEFAULT_MODEL = "gpt-4o-mini"
CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
MODELS_PATHS = frozenset({"/v1/models", "/models"})
WORDS_PER_CHUNK = 3

# The error `type` and `code` OpenAI puts in the body for each status it commonly answers.
_ERROR_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    408: ("timeout", None),
    409: ("invalid_request_error", "conflict"),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", "service_unavailable"),
}


def _text(content: Any) -> str:
    """A message's text, whether `content` is a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


@dataclass(frozen=True)
class ChatRequest:
    """One chat-completions request as the server received it."""

    path: str
    body: dict[str, Any]
    headers: dict[str, str]  # names in lower case: look them up as `authorization`
    at: float
    # The client's source port: requests sharing it came over one kept-alive connection.
    client_port: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages = self.body.get("messages")
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    def _joined(self, *roles: str) -> str:
        return "\n".join(_text(m.get("content")) for m in self.messages if m.get("role") in roles)

    @property
    def system(self) -> str:
        # Newer clients send instructions as "developer" messages; they play the system's part.
        return self._joined("system", "developer")

    @property
    def user(self) -> str:
        return self._joined("user")

    @property
    def stream(self) -> bool:
        return self.body.get("stream") is True

    @property
    def include_usage(self) -> bool:
        options = self.body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True

    @property
    def response_format(self) -> dict[str, Any] | None:
        value = self.body.get("response_format")
        return value if isinstance(value, dict) else None

    @property
    def model(self) -> str:
        return str(self.body.get("model") or DEFAULT_MODEL)


# --- the script ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    text: str
    prompt_tokens: int
    completion_tokens: int


@dataclass(frozen=True)
class _Fail:
    status: int
    message: str
    retry_after: float | None


@dataclass(frozen=True)
class _Stall:
    seconds: float


@dataclass(frozen=True)
class _Garbage:
    body: bytes
    status: int
    content_type: str


@dataclass(frozen=True)
class _Break:
    text: str


@dataclass(frozen=True)
class _KeepAlive:
    """Headers, then a keep-alive every ``every`` seconds for ``seconds`` (llama.cpp's server
    pings every 15 s while it thinks), or nothing at all when ``silent`` (a hung server), then
    the connection closes."""

    seconds: float
    every: float
    silent: bool


@dataclass(frozen=True)
class _Trickle:
    text: str
    every: float


_Step = _Reply | _Fail | _Stall | _Garbage | _Break | _KeepAlive | _Trickle


def _default_responder(request: ChatRequest) -> str:
    return "OK"


@dataclass
class FakeOpenAI:
    """OpenAI's chat completions on a free loopback port; `base_url` goes into the clients."""

    responder: Callable[[ChatRequest], str] = _default_responder
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    #: answer every structured-output request (a JSON schema) with HTTP 500, as llama.cpp's
    #: server does
    refuse_schema: bool = False
    requests: list[ChatRequest] = field(default_factory=list)
    _script: deque[_Step] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _connections: set[socket.socket] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    # --- script -------------------------------------------------------------------------------

    def reply(
        self, text: str, *, prompt_tokens: int = 50, completion_tokens: int = 20
    ) -> FakeOpenAI:
        """Answer the next request with ``text``, streamed as SSE chunks if it asked to stream."""
        return self._push(_Reply(text, prompt_tokens, completion_tokens))

    def reply_json(
        self, obj: Any, *, prompt_tokens: int = 50, completion_tokens: int = 20
    ) -> FakeOpenAI:
        """Answer with ``obj`` as JSON text, as structured output comes back."""
        return self.reply(
            json.dumps(obj), prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        message: str = "The fake OpenAI server was told to fail this request.",
    ) -> FakeOpenAI:
        """Answer the next ``times`` requests with ``status`` and an OpenAI error body."""
        for _ in range(times):
            self._push(_Fail(status, message, retry_after))
        return self

    def stall(self, seconds: float) -> FakeOpenAI:
        """Hold the next request ``seconds`` before answering it from the rest of the script."""
        return self._push(_Stall(seconds))

    def garbage(
        self,
        body: bytes = b"<html>not json</html>",
        status: int = 200,
        content_type: str = "text/html",
    ) -> FakeOpenAI:
        """Answer the next request with a body that is no chat completion, as broken proxies do."""
        return self._push(_Garbage(body, status, content_type))

    def stream_then_break(self, text: str) -> FakeOpenAI:
        """Start answering the next request with ``text``, then drop the connection midway."""
        return self._push(_Break(text))

    def keep_alive(self, seconds: float, *, every: float = 0.05) -> FakeOpenAI:
        """Answer the next request with headers and then only keep-alive bytes (an SSE comment
        when it streams, a space in a JSON body otherwise) for ``seconds``, then hang up."""
        return self._push(_KeepAlive(seconds, every, silent=False))

    def hang(self, seconds: float) -> FakeOpenAI:
        """Answer the next request's headers, then send nothing for ``seconds``, then hang up."""
        return self._push(_KeepAlive(seconds, seconds, silent=True))

    def trickle(self, text: str, *, every: float = 0.05) -> FakeOpenAI:
        """Answer the next request with ``text`` a character at a time, ``every`` seconds apart."""
        return self._push(_Trickle(text, every))

    @property
    def pending(self) -> int:
        """How many scripted steps no request has used yet."""
        with self._lock:
            return len(self._script)

    def _push(self, step: _Step) -> FakeOpenAI:
        with self._lock:
            self._script.append(step)
        return self

    def _next_step(self) -> _Step | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    # --- observation --------------------------------------------------------------------------

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[ChatRequest]:
        """Wait until at least ``n`` chat requests have arrived; the requests so far."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests) >= n, timeout):
                raise AssertionError(
                    f"timed out waiting for {n} chat requests; got {len(self.requests)}"
                )
            return list(self.requests)

    # --- serving ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> FakeOpenAI:
        fake = self
        self._stopping.clear()

        class Handler(BaseHTTPRequestHandler):
            # The openai client keeps connections alive between requests, as it does with OpenAI.
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with fake._lock:
                    fake._connections.add(self.connection)

            def finish(self) -> None:
                with fake._changed:
                    fake._connections.discard(self.connection)
                    fake._changed.notify_all()
                with contextlib.suppress(OSError):
                    super().finish()

            def do_GET(self) -> None:
                self._guarded(self._get)

            def do_POST(self) -> None:
                self._guarded(self._post)

            def _guarded(self, handle: Callable[[], None]) -> None:
                try:
                    handle()
                except ConnectionError:
                    # The client gave up (e.g. its timeout fired during a stall).
                    self.close_connection = True

            def _get(self) -> None:
                path = self.path.partition("?")[0]
                if path.rstrip("/") in MODELS_PATHS:
                    self._send_json(200, fake._models_body())
                else:
                    self._not_found("GET", path)

            def _post(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = self.path.partition("?")[0]
                if path.rstrip("/") not in CHAT_PATHS:
                    self._not_found("POST", path)
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    self._send_json(400, _error_body(400, "We could not parse the JSON body."))
                    return
                request = ChatRequest(
                    path,
                    body,
                    {k.lower(): v for k, v in self.headers.items()},
                    time.monotonic(),
                    self.client_address[1],
                )
                fake._record(request)
                self._answer(request)

            def _answer(self, request: ChatRequest) -> None:
                schema = (request.response_format or {}).get("type") == "json_schema"
                if fake.refuse_schema and schema:
                    message = "Either 'json_schema' or 'grammar' can be specified, not both"
                    self._send_json(500, _error_body(500, message))
                    return
                step = fake._next_step()
                while isinstance(step, _Stall):
                    # An Event instead of sleep, so that stop() cuts the stall short.
                    if fake._stopping.wait(step.seconds):
                        self.close_connection = True
                        return
                    step = fake._next_step()
                if step is None:
                    step = _Reply(fake.responder(request), 50, 20)
                if isinstance(step, _Reply):
                    if request.stream:
                        self._send_stream(request, step)
                    else:
                        self._send_json(200, fake._completion(request, step))
                elif isinstance(step, _Fail):
                    self._send_json(
                        step.status, _error_body(step.status, step.message), _retry(step)
                    )
                elif isinstance(step, _Garbage):
                    self._send(step.status, step.body, step.content_type)
                elif isinstance(step, _KeepAlive):
                    self._send_keep_alive(request, step)
                elif isinstance(step, _Trickle):
                    self._send_trickle(request, step)
                else:
                    self._send_broken(request, step)

            def _not_found(self, verb: str, path: str) -> None:
                message = f"Invalid URL ({verb} {path})"
                self._send_json(404, _error_body(404, message, code="unknown_url"))

            def _send_json(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                self._send(status, json.dumps(body).encode(), "application/json", headers)

            def _send(
                self,
                status: int,
                data: bytes,
                content_type: str,
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-request-id", f"req_{next(fake._ids):012d}")
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _start_stream(self) -> None:
                # Chunked, as OpenAI streams: a connection dropped midway is then detectable.
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("x-request-id", f"req_{next(fake._ids):012d}")
                self.end_headers()

            def _write_chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _send_stream(self, request: ChatRequest, step: _Reply) -> None:
                self._start_stream()
                for event in fake._stream_events(request, step):
                    self._write_chunk(event)
                self._write_chunk(b"data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")

            def _start_json_body(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

            def _send_keep_alive(self, request: ChatRequest, step: _KeepAlive) -> None:
                if request.stream:
                    self._start_stream()
                else:
                    self._start_json_body()
                ping = b": ping\n\n" if request.stream else b" "
                ends = time.monotonic() + step.seconds
                while time.monotonic() < ends:
                    if fake._stopping.wait(min(step.every, max(0.0, ends - time.monotonic()))):
                        break
                    if not step.silent and time.monotonic() < ends:
                        self._write_chunk(ping)
                self.close_connection = True

            def _send_trickle(self, request: ChatRequest, step: _Trickle) -> None:
                reply = _Reply(step.text, 0, 0)
                if request.stream:
                    self._start_stream()
                    body = (
                        b"".join(_sse_piece(fake, request, char) for char in step.text)
                        + b"data: [DONE]\n\n"
                    )
                else:
                    self._start_json_body()
                    body = json.dumps(fake._completion(request, reply)).encode()
                for i in range(len(body)):
                    if fake._stopping.wait(step.every):
                        break
                    self._write_chunk(body[i : i + 1])
                else:
                    self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True

            def _send_broken(self, request: ChatRequest, step: _Break) -> None:
                reply = _Reply(step.text, 0, 0)
                if request.stream:
                    self._start_stream()
                    events = fake._stream_events(request, reply)
                    # Role chunk and one piece of text, then nothing: no [DONE], no last chunk.
                    for event in itertools.islice(events, 2):
                        self._write_chunk(event)
                else:
                    data = json.dumps(fake._completion(request, reply)).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # Clients hanging up (timeouts, dropped streams) are part of the tests.
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving at once: stalled handlers wake up and end, open connections close."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            # Wakes handler threads blocked reading an idle keep-alive connection.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        # Handlers are daemon threads, but one still running after stop() could answer a
        # request of the next test; they all end quickly once woken.
        with self._changed:
            self._changed.wait_for(lambda: not self._connections, timeout=2)

    # --- answers ------------------------------------------------------------------------------

    def _record(self, request: ChatRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def _models_body(self) -> dict[str, Any]:
        data = [
            {"id": name, "object": "model", "created": 1_700_000_000, "owned_by": "system"}
            for name in self.models
        ]
        return {"object": "list", "data": data}

    def _completion(self, request: ChatRequest, step: _Reply) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake{next(self._ids):08d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": step.text,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(step),
            "service_tier": "default",
            "system_fingerprint": "fp_fakeopenai",
        }

    def _stream_events(self, request: ChatRequest, step: _Reply) -> Iterator[bytes]:
        """The SSE events of a streamed answer, as OpenAI sends them, without [DONE]."""
        base = {
            "id": f"chatcmpl-fake{next(self._ids):08d}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.model,
            "service_tier": "default",
            "system_fingerprint": "fp_fakeopenai",
        }
        # With include_usage, OpenAI puts "usage": null on every chunk but the last.
        extra: dict[str, Any] = {"usage": None} if request.include_usage else {}

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return _sse(base | {"choices": [choice]} | extra)

        yield chunk({"role": "assistant", "content": "", "refusal": None})
        for piece in _pieces(step.text):
            yield chunk({"content": piece})
        yield chunk({}, "stop")
        if request.include_usage:
            yield _sse(base | {"choices": [], "usage": _usage(step)})


def _sse_piece(fake: FakeOpenAI, request: ChatRequest, piece: str) -> bytes:
    """One streamed chunk carrying ``piece`` of the answer."""
    events = fake._stream_events(request, _Reply(piece, 0, 0))
    next(events)  # the role chunk
    return next(events)


def _pieces(text: str) -> list[str]:
    """``text`` in runs of a few words that join back to exactly ``text``."""
    words = re.findall(r"\s*\S+\s*", text) or [text]
    return ["".join(words[i : i + WORDS_PER_CHUNK]) for i in range(0, len(words), WORDS_PER_CHUNK)]


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _usage(step: _Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": step.prompt_tokens,
        "completion_tokens": step.completion_tokens,
        "total_tokens": step.prompt_tokens + step.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _error_body(status: int, message: str, *, code: str | None = None) -> dict[str, Any]:
    kind, default_code = _ERROR_KINDS.get(status, ("server_error", None))
    return {
        "error": {"message": message, "type": kind, "param": None, "code": code or default_code}
    }


def _retry(step: _Fail) -> dict[str, str]:
    if step.retry_after is None:
        return {}
    # The openai client prefers retry-after-ms, which is how sub-second waits get through.
    return {
        "retry-after": str(max(0, round(step.retry_after))),
        "retry-after-ms": str(round(step.retry_after * 1000)),
    }

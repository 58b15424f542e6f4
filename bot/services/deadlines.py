"""Wall-clock deadlines for language model calls, enforced below the OpenAI client (in its
HTTP library, httpx2).

A deadline is set per thread (the thread answering a question; `LanguageModel` sets one for
each call, no later than the question's). `DeadlineTransport` wraps the HTTP transport of the
model's client and holds every request to it whatever the server sends: each phase's timeout
is cut to the time left, the body is read with the deadline checked on every chunk (so
keep-alive bytes and a trickle do not reset anything), and a watchdog closes the socket at the
deadline to wake a read that is waiting on a silent server. Once the time is up the error is
`DeadlineReached`, an OpenAI error, which the client raises at once instead of retrying.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import openai


class DeadlineReached(openai.APITimeoutError):
    """The call's time is up; the OpenAI client does not retry its own errors."""


class _Deadlines(threading.local):
    #: monotonic time by which the current call must be over; None: no deadline
    call: float | None = None


DEADLINES = _Deadlines()


def time_left() -> float | None:
    """Seconds left for the current thread's call; None when it has no deadline."""
    deadline = DEADLINES.call
    return None if deadline is None else deadline - time.monotonic()


class DeadlineTransport(httpx2.BaseTransport):
    """An HTTP transport that ends every request by the calling thread's deadline."""

    def __init__(self, inner: httpx2.BaseTransport | None = None) -> None:
        self.inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = DEADLINES.call
        if deadline is None:
            return self.inner.handle_request(request)
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlineReached(request=request)
        timeouts = dict(request.extensions.get("timeout") or {})
        request.extensions["timeout"] = {
            phase: left if value is None else min(float(value), left)
            for phase, value in (
                timeouts or dict.fromkeys(("connect", "read", "write", "pool"))
            ).items()
        }
        try:
            response = self.inner.handle_request(request)
        except httpx2.TimeoutException as exc:
            if time.monotonic() >= deadline - 0.05:
                raise DeadlineReached(request=request) from exc
            raise
        headers = httpx2.Headers(response.headers)
        if _not_worth_retrying(request, response, deadline):
            headers["x-should-retry"] = "false"
        return httpx2.Response(
            status_code=response.status_code,
            headers=headers,
            stream=_DeadlineStream(response, request, deadline),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self.inner.close()


def _not_worth_retrying(
    request: httpx2.Request, response: httpx2.Response, deadline: float
) -> bool:
    """A retry the client would make in vain: one that could not end before the deadline."""
    if response.status_code < 400:
        return False
    wait = _retry_after(response) or 1.0
    return time.monotonic() + wait >= deadline


def _retry_after(response: httpx2.Response) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = response.headers.get(name)
        if value:
            with contextlib.suppress(ValueError):
                return float(value) * scale
    return None


class _DeadlineStream(httpx2.SyncByteStream):
    """A response body read by the deadline: checked on every chunk, and a watchdog closes the
    connection at the deadline so that a read waiting on a silent server ends too."""

    def __init__(self, response: httpx2.Response, request: httpx2.Request, deadline: float) -> None:
        self.response, self.request, self.deadline = response, request, deadline
        self.expired = threading.Event()
        self.watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self.watchdog.daemon = True
        self.watchdog.start()

    def _expire(self) -> None:
        self.expired.set()
        stream: Any = self.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self.response.stream:  # type: ignore[union-attr]
                if self.expired.is_set() or time.monotonic() >= self.deadline:
                    raise DeadlineReached(request=self.request)
                yield chunk
        except DeadlineReached:
            raise
        except Exception as exc:
            if self.expired.is_set():
                raise DeadlineReached(request=self.request) from exc
            raise

    def close(self) -> None:
        self.watchdog.cancel()
        self.response.close()

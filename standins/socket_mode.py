"""Slack's Socket Mode on loopback, for the tests and the ack benchmark.

Slack's side of Socket Mode: `apps.connections.open` (answered by `FakeSlack` with this
server's ws:// URL) hands the app a WebSocket URL; Slack says `hello` on each connection, then
sends envelopes (`events_api`, `slash_commands`, `interactive`), each acknowledged by the app
with its `envelope_id` (and, for commands and interactions, an optional response payload).
`FakeSocketMode` is that server; `SocketModeSender` is `SlackSender` speaking it, so every
request a test sends over HTTP goes over the socket the same way; `socket_mode_bot` runs the bot
as `scic serve` runs it with SLACK_APP_TOKEN set.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import chromadb
from sqlalchemy import Engine
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from bot.app import build_app
from bot.services.llm import LanguageModel
from bot.socket_mode import socket_mode_handler
from standins.search import FakeEmbedder, fresh_search
from standins.slack import FakeSlack, SlackReply, SlackSender, bot_settings

APP_TOKEN = "xapp-1-A0SCICAPP1-1111111111-0123456789abcdef0123456789abcdef"
#: Slack's limit for acknowledging an envelope.
ACK_SECONDS = 3.0


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    at: float


@dataclass
class FakeSocketMode:
    """The WebSocket end of Socket Mode: one connection at a time, as an app with one process."""

    fake: FakeSlack
    acks: dict[str, list[Ack]] = field(default_factory=dict)
    sent_at: dict[str, float] = field(default_factory=dict)
    #: How many times an app connected (a reconnect after a drop counts again).
    connections: int = 0
    _current: ServerConnection | None = None
    _server: Server | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    # --- serving -------------------------------------------------------------------------

    def start(self) -> FakeSocketMode:
        # No compression: Slack's own client (slack_sdk's built-in one) does not ask for it.
        self._server = serve(self._serve, "127.0.0.1", 0, compression=None, close_timeout=0.2)
        port = self._server.socket.getsockname()[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.fake.socket_url = f"ws://127.0.0.1:{port}/link/?ticket={uuid.uuid4()}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    def _serve(self, connection: ServerConnection) -> None:
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-fake", "approximate_connection_time": 3600},
            "connection_info": {"app_id": "A0SCICAPP1"},
        }
        connection.send(json.dumps(hello))
        with self._changed:
            self._current = connection
            self.connections += 1
            self._changed.notify_all()
        try:
            for raw in connection:
                message = json.loads(raw)
                envelope_id = message.get("envelope_id")
                if not envelope_id:
                    continue
                with self._changed:
                    ack = Ack(str(envelope_id), message.get("payload"), time.monotonic())
                    self.acks.setdefault(ack.envelope_id, []).append(ack)
                    self._changed.notify_all()
        except ConnectionClosed:
            pass

    # --- control -------------------------------------------------------------------------

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Until the app has connected ``count`` times in all."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.connections >= count, timeout):
                raise AssertionError(f"the app connected {self.connections} times, not {count}")

    def drop(self) -> None:
        """Cut the current connection without a close handshake, as a network failure does."""
        with self._lock:
            connection, self._current = self._current, None
        assert connection is not None, "nobody is connected"
        connection.socket.shutdown(socket.SHUT_RDWR)
        connection.socket.close()

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
    ) -> str:
        """Deliver an envelope on the current connection; returns its envelope_id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        with self._changed:
            self._changed.wait_for(lambda: self._current is not None, 10.0)
            connection = self._current
            self.sent_at.setdefault(envelope_id, time.monotonic())
        assert connection is not None, "nobody is connected"
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, nth: int = 1, timeout: float = 10.0) -> Ack:
        """The ``nth`` acknowledgement of ``envelope_id`` (a redelivered envelope gets one
        each time)."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: len(self.acks.get(envelope_id, [])) >= nth, timeout
            ):
                raise AssertionError(f"envelope {envelope_id} was not acknowledged {nth} times")
            return self.acks[envelope_id][nth - 1]


@dataclass
class SocketModeSender(SlackSender):
    """`SlackSender` over Socket Mode: what it would POST goes out as an envelope instead, and
    the reply is the acknowledgement (its payload as the body, the seconds it took)."""

    socket: FakeSocketMode | None = None
    #: Each delivery's envelope id, in order.
    envelope_ids: list[str] = field(default_factory=list)
    #: Send the next request with this envelope id (a redelivery of the same envelope).
    next_envelope_id: str | None = None

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> SlackReply:
        assert self.socket is not None, "give the sender its socket"
        if "application/json" in content_type:
            kind, payload = "events_api", json.loads(body)
        else:
            form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
            if "payload" in form:
                kind, payload = "interactive", json.loads(form["payload"])
            else:
                kind, payload = "slash_commands", form
        retry = int((headers or {}).get("X-Slack-Retry-Num", 0))
        envelope_id, self.next_envelope_id = self.next_envelope_id, None
        started = time.perf_counter()
        envelope_id = self.socket.send(kind, payload, envelope_id=envelope_id, retry_attempt=retry)
        self.envelope_ids.append(envelope_id)
        ack = self.socket.wait_ack(envelope_id, nth=self.envelope_ids.count(envelope_id))
        reply = json.dumps(ack.payload) if ack.payload else ""
        return SlackReply(200, reply, time.perf_counter() - started)


@dataclass
class SocketModeBot:
    fake: FakeSlack
    socket: FakeSocketMode
    sender: SocketModeSender
    engine: Engine


@contextmanager
def socket_mode_bot(
    engine: Engine,
    fake: FakeSlack,
    *,
    llm: LanguageModel | None = None,
    ping_interval: float = 2.0,
    **settings: Any,
) -> Iterator[SocketModeBot]:
    """The bot as `scic serve` runs it with SLACK_APP_TOKEN set (no signing secret, no HTTP
    port), connected to a local Socket Mode server.

    slack_sdk's client drops a connection whose pongs are late by four ``ping_interval``s and
    reconnects; the server does not redeliver what was in flight (Slack would retry it), so a
    busy benchmark passes the production interval rather than the tests' shorter one."""
    server = FakeSocketMode(fake).start()
    values = {"slack_app_token": APP_TOKEN, "slack_signing_secret": ""} | settings
    app_settings = bot_settings(fake, **values)
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    app = build_app(app_settings, engine, search=search, llm=llm)
    handler = socket_mode_handler(app, app_settings, engine, ping_interval=ping_interval)
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        server.wait_connected()
        sender = SocketModeSender("socket-mode", fake, socket=server)
        yield SocketModeBot(fake, server, sender, engine)
    finally:
        # Off the socket at once; slack_sdk's own close then waits out its runners' intervals
        # (about 3 s), which nothing here needs to wait for.
        handler.client.auto_reconnect_enabled = False
        handler.client.disconnect()
        threading.Thread(target=handler.close, daemon=True).start()
        server.stop()

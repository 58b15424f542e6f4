"""`scic serve`: run the Slack bot in Socket Mode, or as an HTTP server behind a public URL.

HTTP mode is a small standard-library server (one thread per request) in front of Bolt:
`POST /slack/events` takes events, slash commands and interactivity, `GET /healthz` says
whether the store is reachable. Several processes can run side by side; they share the store.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.error import BoltError
from sqlalchemy import Engine

from bot import jobs
from bot.app import build_app
from bot.services import records
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.slack_events import forget_old_deliveries
from bot.settings import Settings, SettingsError, require_slack_settings
from storage.db import check_store, make_engine

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's payloads are a few kilobytes; a modal with every field full stays well below this.
MAX_BODY_BYTES = 1_000_000

HealthCheck = Callable[[], None]


def store_check(engine: Engine) -> HealthCheck:
    return lambda: check_store(engine)


def index_check(search: SolverSearch) -> HealthCheck:
    def check() -> None:
        # A heartbeat touches Chroma (embedded or server) for real; it raises when it is down.
        search.indexes.members.client.heartbeat()

    return check


class SlackHTTPServer(ThreadingHTTPServer):
    """Bolt behind `http.server`; `health_checks` name what /healthz tries (each raises if down)."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], app: App, health_checks: Mapping[str, HealthCheck]
    ) -> None:
        self.app = app
        self.health_checks = dict(health_checks)
        super().__init__(address, _SlackRequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _SlackRequestHandler(BaseHTTPRequestHandler):
    server: SlackHTTPServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        path, _, query = self.path.partition("?")
        if path != EVENTS_PATH:
            self._send(404, {"error": "not found"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self._send(413 if length > 0 else 400, {"error": "bad content length"})
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = {
            key.lower(): self.headers.get_all(key) or [] for key in self.headers
        }
        response = self.server.app.dispatch(BoltRequest(body=body, query=query, headers=headers))
        self._send(response.status, response.body, response.headers)

    def do_GET(self) -> None:
        if self.path.partition("?")[0] != HEALTH_PATH:
            self._send(404, {"error": "not found"})
            return
        results: dict[str, str] = {}
        for name, check in self.server.health_checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # any failure means unhealthy; the reason goes back
                reason = str(exc).splitlines()[0] if str(exc) else repr(exc)
                results[name] = f"unavailable: {reason}"
        healthy = all(value == "ok" for value in results.values())
        self._send(
            200 if healthy else 503, {"status": "ok" if healthy else "unavailable", **results}
        )

    def _send(
        self, status: int, body: str | dict[str, Any], headers: Mapping[str, Sequence[str]] = {}
    ) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        self.send_response(status)
        has_type = False
        for key, values in headers.items():
            if key.lower() == "content-length":
                continue
            has_type = has_type or key.lower() == "content-type"
            for value in values:
                self.send_header(key, value)
        if not has_type and not isinstance(body, str):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # Access lines at DEBUG: paths and status codes only, never bodies.
        log.debug("%s %s", self.address_string(), format % args)


def start_http_server(
    app: App,
    *,
    host: str,
    port: int,
    health_checks: Mapping[str, HealthCheck],
    poll_interval: float = 0.5,
) -> tuple[SlackHTTPServer, threading.Thread]:
    """Serve in a background thread (tests use port 0 for a free port); returns both.

    ``poll_interval`` is how often the loop checks for shutdown; tests shorten it.
    """
    server = SlackHTTPServer((host, port), app, health_checks)
    thread = threading.Thread(
        target=server.serve_forever, args=(poll_interval,), name="slack-http", daemon=True
    )
    thread.start()
    return server, thread


def forget_old_event_receipts(engine: Engine) -> None:
    removed = forget_old_deliveries(engine=engine)
    if removed:
        log.info("forgot %d old Slack event receipts", removed)


def run(settings: Settings, *, host: str = "0.0.0.0") -> None:
    """Start the bot and block until interrupted (Ctrl-C or SIGTERM)."""
    require_slack_settings(settings)
    engine = make_engine(settings.store_url)
    records.require_schema(engine)
    forget_old_event_receipts(engine)
    # Opened before Slack can send the first question; a backlog in the outbox (an import run
    # with --no-index, another process's writes) is applied by the background indexer, not by
    # the questions.
    search = SolverSearch.open(settings, engine, catch_up=False)
    indexer = search.start_indexer()
    # One language model for the app and the digests (None: templates only, said once).
    llm = LanguageModel.from_settings(settings, engine)
    log.info(
        "answers written by %s",
        f"{settings.llm_model} at {settings.openai_base_url or 'OpenAI'}" if llm else "templates",
    )
    try:
        # auth.test now: a revoked or mistyped token stops start-up instead of the first reply.
        app = build_app(settings, engine, search=search, llm=llm, verify_token=True)
    except BoltError as exc:
        raise SettingsError(f"Slack refused SLACK_BOT_TOKEN ({exc})") from exc
    # The digests run in every bot process; the delivery log keeps them to one per subscriber.
    scheduler = jobs.start_scheduler(
        settings,
        jobs.build_runtime(settings, engine, client=app.client, search=search, llm=llm),
        jobs.build_lifecycle_runtime(settings, engine, client=app.client),
    )
    if settings.socket_mode:
        from bot.socket_mode import socket_mode_handler

        log.info("SCIC Bot connecting to Slack in Socket Mode")
        try:
            socket_mode_handler(app, settings, engine).start()  # type: ignore[no-untyped-call]
        finally:
            scheduler.shutdown(wait=False)
            indexer.stop()
        return
    server = SlackHTTPServer(
        (host, settings.port), app, {"store": store_check(engine), "index": index_check(search)}
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    log.info("SCIC Bot listening on http://%s:%d%s", host, server.port, EVENTS_PATH)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        indexer.stop()
        server.server_close()
        engine.dispose()

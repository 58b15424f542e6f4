"""`scic serve`: run the Slack bot in Socket Mode, or as an HTTP server behind a public URL.

HTTP mode is uvicorn (an ASGI server) in front of Bolt's ASGI adapter: `POST /slack/events`
takes events, slash commands and interactivity, `GET /healthz` says whether the store and the
index answer. Before Bolt sees a request the body's size is bounded and Slack's signature is
checked on the raw bytes; only a signed body is parsed, and one that is not the JSON or form
Slack sends gets a 400 with the reason. Connections that stall before a whole request arrives
are closed. `SERVE_WORKERS` processes can share the port; more processes can run side by side
behind a load balancer; they all share the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h11
import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.adapter.asgi.http_response import AsgiHttpResponse
from slack_bolt.error import BoltError
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from bot import jobs
from bot.app import build_app
from bot.journal import OutageJournal
from bot.recovery import QuestionRecovery
from bot.redaction import configure_logging
from bot.services import records
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.services.slack_events import forget_old_deliveries
from bot.settings import Settings, SettingsError, get_settings, require_slack_settings
from storage.db import check_store, make_engine

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
# Slack's payloads are a few kilobytes; a modal with every field full stays well below this.
MAX_BODY_BYTES = 1_000_000
# Connections waiting for the event loop to accept them; the standard library's 5 dropped
# bursts of 50 mentions.
LISTEN_BACKLOG = 2048
# A connection must deliver a whole request within this many seconds of opening (or of its
# previous answer); one that stalls is closed instead of holding the server's resources.
REQUEST_READ_TIMEOUT = 10.0
# An idle keep-alive connection is closed after this many seconds.
KEEP_ALIVE_TIMEOUT = 5
# Bolt's dispatch (signature, dedupe, ack) runs on these threads, off the event loop, so one
# slow store round-trip never holds back the acknowledgement of every other request.
DISPATCH_THREADS = 32
# Seconds a worker of SERVE_WORKERS may take to answer its supervisor's ping before it is
# killed and replaced. A worker answers from a thread of its own once it runs, but it first
# imports the bot (about 7 s of CPU, three times that on a busy machine): at uvicorn's
# default of 5 s every worker was killed while starting, and replaced, forever.
WORKER_HEALTHCHECK_TIMEOUT = 120

HealthCheck = Callable[[], None]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def store_check(engine: Engine) -> HealthCheck:
    return lambda: check_store(engine)


def index_check(search: SolverSearch, folder: Path | None = None) -> HealthCheck:
    """The index for real: its folder (embedded Chroma) is there, and both collections can
    be read (a heartbeat alone answers from memory even when the files are gone or corrupt)."""

    def check() -> None:
        if folder is not None and not (folder / "chroma.sqlite3").is_file():
            raise RuntimeError(f"the index folder {folder} is missing; run `scic reindex`")
        search.indexes.members.client.heartbeat()
        for index in (search.indexes.members, search.indexes.challenges):
            try:
                index.count()
            except Exception as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise RuntimeError(
                    f"the {index.name} collection cannot be read ({reason}); run `scic reindex`"
                ) from exc

    return check


class RequestRefused(Exception):
    """A request refused before Bolt sees it: the status and a short reason for the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _json_response(status: int, body: Mapping[str, Any]) -> AsgiHttpResponse:
    return AsgiHttpResponse(
        status=status, headers={"content-type": ["application/json"]}, body=json.dumps(body)
    )


def check_signature(verifier: SignatureVerifier, headers: Mapping[str, str], body: bytes) -> None:
    """Slack's signature over the raw bytes, before anything of the body is parsed."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise RequestRefused(401, "missing Slack signature headers")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise RequestRefused(401, "X-Slack-Request-Timestamp is not a Unix time")
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        raise RequestRefused(401, "invalid or expired Slack signature")


def check_payload(body: str, content_type: str) -> None:
    """A signed body must still be what Slack sends: a JSON object, or a form whose
    ``payload`` (interactivity) is a JSON object. Checked here so Bolt never fails on it."""
    if not body:
        raise RequestRefused(400, "empty body")
    if content_type.startswith("application/json") or body.startswith(("{", "[")):
        try:
            parsed = json.loads(body)
        except ValueError:
            raise RequestRefused(400, "body is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise RequestRefused(400, "body is not a JSON object")
        return
    form = urllib.parse.parse_qs(body, keep_blank_values=True)
    if not form:
        raise RequestRefused(400, "body is neither JSON nor a form")
    payloads = form.get("payload")
    if payloads is not None:
        try:
            parsed = json.loads(payloads[0])
        except ValueError:
            raise RequestRefused(400, "form field payload is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise RequestRefused(400, "form field payload is not a JSON object")


class SlackASGIApp(SlackRequestHandler):
    """Bolt's ASGI adapter with the checks Slack's requests need before Bolt parses them, a
    health endpoint, and Bolt's dispatch moved onto threads.

    ``health_checks`` name what /healthz tries (each raises when down); ``on_shutdown`` runs
    when the server stops (a worker process's scheduler and store).
    """

    def __init__(
        self,
        app: App,
        health_checks: Mapping[str, HealthCheck],
        *,
        on_shutdown: Sequence[Callable[[], None]] = (),
    ) -> None:
        super().__init__(app, path=EVENTS_PATH)
        self.health_checks = dict(health_checks)
        self.on_shutdown = list(on_shutdown)
        secret = app._signing_secret  # what Bolt itself verifies with
        self.verifier = SignatureVerifier(secret) if secret else None
        self.executor = ThreadPoolExecutor(DISPATCH_THREADS, thread_name_prefix="slack-dispatch")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            raise TypeError(f"Unsupported scope type: {scope['type']!r}")
        try:
            response = await self._respond(scope, receive)
        except RequestRefused as refused:
            response = _json_response(refused.status, {"error": refused.reason})
        await send(response.get_response_start())
        await send(response.get_response_body())

    async def _respond(self, scope: dict[str, Any], receive: Receive) -> AsgiHttpResponse:
        method, path = scope["method"], scope["path"]
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return await self._health()
        if path != EVENTS_PATH:
            return _json_response(404, {"error": "not found"})
        if method != "POST":
            return _json_response(405, {"error": "POST only"})
        request = AsgiHttpRequest(scope, receive)
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        raw = await _read_body(headers, receive)
        if self.verifier is not None:
            check_signature(self.verifier, headers, raw)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestRefused(400, "body is not UTF-8") from None
        check_payload(body, headers.get("content-type", ""))
        bolt_request = BoltRequest(
            body=body, query=request.query_string, headers=request.get_headers()
        )
        loop = asyncio.get_running_loop()
        answer: BoltResponse = await loop.run_in_executor(
            self.executor, self.app.dispatch, bolt_request
        )
        return AsgiHttpResponse(status=answer.status, headers=answer.headers, body=answer.body)

    async def _health(self) -> AsgiHttpResponse:
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(self.executor, self.health)
        healthy = all(value == "ok" for value in results.values())
        body = {"status": "ok" if healthy else "unavailable", **results}
        return _json_response(200 if healthy else 503, body)

    def health(self) -> dict[str, str]:
        results: dict[str, str] = {}
        for name, check in self.health_checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # any failure means unhealthy; the reason goes back
                reason = str(exc).splitlines()[0] if str(exc) else repr(exc)
                results[name] = f"unavailable: {reason}"
        return results

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        for step in self.on_shutdown:
            try:
                step()
            except Exception:
                log.exception("a shutdown step failed")
        self.executor.shutdown(wait=False)


async def _read_body(headers: Mapping[str, str], receive: Receive) -> bytes:
    declared = headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestRefused(400, "bad content length")
        if int(declared) > MAX_BODY_BYTES:
            raise RequestRefused(413, "body too large")
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise RequestRefused(400, "client went away")
        chunks.extend(message.get("body", b""))
        if len(chunks) > MAX_BODY_BYTES:
            raise RequestRefused(413, "body too large")
        if not message.get("more_body", False):
            return bytes(chunks)


class StallClosingH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection that does not deliver a whole request
    within REQUEST_READ_TIMEOUT: uvicorn's keep-alive timer stops at the first byte, so a
    client sending half a request would otherwise hold its connection for ever."""

    _stall_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_stall_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_stall_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
        super().connection_lost(exc)

    def _arm_stall_timer(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
        self._stall_timer = self.loop.call_later(REQUEST_READ_TIMEOUT, self._close_if_stalled)

    def _close_if_stalled(self) -> None:
        # DONE: the request arrived whole and is being answered; anything before it stalled.
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            log.debug("closing a connection that stalled before sending a whole request")
            self.transport.close()


def server_config(app: Any, *, host: str, port: int, workers: int = 1) -> uvicorn.Config:
    """How uvicorn serves the bot, in one process (``app`` is the ASGI app) or in several
    (``app`` is the import string of a factory)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT,
        factory=isinstance(app, str),
        http=StallClosingH11Protocol,
        backlog=LISTEN_BACKLOG,
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        timeout_graceful_shutdown=5,
        lifespan="on",
        # Our logging is configured once at start-up; access lines are left off (paths only).
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


@dataclass
class SlackHTTPServer:
    """The ASGI app served by uvicorn on a socket bound at once (port 0: a free port).

    ``serve_forever`` blocks (in the main thread it also stops on SIGINT/SIGTERM);
    ``shutdown`` from another thread stops it and waits; ``server_close`` frees the port.
    """

    address: tuple[str, int]
    app: App
    checks: Mapping[str, HealthCheck]
    on_shutdown: Sequence[Callable[[], None]] = ()
    asgi: SlackASGIApp = field(init=False)
    socket: socket.socket = field(init=False)
    server: uvicorn.Server = field(init=False)
    _stopped: threading.Event = field(init=False, default_factory=threading.Event)
    _serving: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.asgi = SlackASGIApp(self.app, self.checks, on_shutdown=self.on_shutdown)
        family = socket.AF_INET6 if ":" in self.address[0] else socket.AF_INET
        self.socket = socket.create_server(self.address, family=family, backlog=LISTEN_BACKLOG)
        host, port = self.address[0], self.port
        self.server = uvicorn.Server(server_config(self.asgi, host=host, port=port))

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    @property
    def health_checks(self) -> dict[str, HealthCheck]:
        return self.asgi.health_checks

    def serve_forever(self) -> None:
        self._serving = True
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._serving:
            self._stopped.wait(timeout)

    def server_close(self) -> None:
        self.socket.close()


def start_http_server(
    app: App, *, host: str, port: int, health_checks: Mapping[str, HealthCheck]
) -> tuple[SlackHTTPServer, threading.Thread]:
    """Serve in a background thread (tests use port 0 for a free port); returns both once the
    server accepts connections."""
    server = SlackHTTPServer((host, port), app, health_checks)
    thread = threading.Thread(target=server.serve_forever, name="slack-http", daemon=True)
    thread.start()
    while not server.server.started and thread.is_alive():
        server._stopped.wait(0.01)
    return server, thread


def forget_old_event_receipts(engine: Engine) -> None:
    removed = forget_old_deliveries(engine=engine)
    if removed:
        log.info("forgot %d old Slack event receipts", removed)


@dataclass
class RunningParts:
    """What one bot process opens: the store, the index, the model, the Bolt app, the
    scheduler; ``close`` stops them in order."""

    engine: Engine
    search: SolverSearch
    app: App
    scheduler: Any
    recovery: QuestionRecovery
    index_folder: Path | None
    indexer: Any

    def health_checks(self) -> dict[str, HealthCheck]:
        return {
            "store": store_check(self.engine),
            "index": index_check(self.search, self.index_folder),
        }

    def close(self) -> None:
        self.recovery.stop()
        self.scheduler.shutdown(wait=False)
        self.indexer.stop()
        self.engine.dispose()


def open_bot(settings: Settings) -> RunningParts:
    """Open everything one bot process needs, checking the token with Slack (auth.test), and
    start its scheduler and its question recovery."""
    engine = make_engine(settings.store_url)
    records.require_schema(engine)
    forget_old_event_receipts(engine)
    # Opened before Slack can send the first question; a backlog in the outbox (an import run
    # with --no-index, another process's writes) is applied by the background indexer, not by
    # the questions.
    search = SolverSearch.open(settings, engine, catch_up=False)
    indexer = search.start_indexer()
    # The members' records read into the process meanwhile: questions then score kept records.
    search.start_warm_up()
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
        indexer.stop()
        engine.dispose()
        raise SettingsError(f"Slack refused SLACK_BOT_TOKEN ({exc})") from exc
    # The digests run in every bot process; the delivery log keeps them to one per subscriber.
    scheduler = jobs.start_scheduler(
        settings,
        jobs.build_runtime(settings, engine, client=app.client, search=search, llm=llm),
        jobs.build_lifecycle_runtime(settings, engine, client=app.client),
    )
    # Questions acknowledged before a crash or an outage, answered now (and every few seconds).
    recovery = QuestionRecovery(app, engine, journal=OutageJournal.of(settings)).start()
    return RunningParts(
        engine=engine,
        search=search,
        app=app,
        scheduler=scheduler,
        recovery=recovery,
        index_folder=None if settings.chroma_url else settings.chroma_path,
        indexer=indexer,
    )


def worker_app() -> SlackASGIApp:
    """The ASGI app of one of SERVE_WORKERS processes (uvicorn calls this in each worker)."""
    settings = get_settings()
    configure_logging(settings)
    parts = open_bot(settings)
    return SlackASGIApp(parts.app, parts.health_checks(), on_shutdown=[parts.close])


def run(settings: Settings) -> None:
    """Start the bot and block until interrupted (Ctrl-C or SIGTERM)."""
    require_slack_settings(settings)
    if not settings.socket_mode and settings.serve_workers > 1:
        # Each worker opens its own store, index, model and scheduler (worker_app).
        log.info(
            "SCIC Bot listening on http://%s:%d%s with %d workers",
            settings.host,
            settings.port,
            EVENTS_PATH,
            settings.serve_workers,
        )
        config = server_config(
            "bot.serve:worker_app",
            host=settings.host,
            port=settings.port,
            workers=settings.serve_workers,
        )
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    parts = open_bot(settings)
    if settings.socket_mode:
        from bot.socket_mode import socket_mode_handler

        log.info("SCIC Bot connecting to Slack in Socket Mode")
        try:
            socket_mode_handler(parts.app, settings, parts.engine).start()  # type: ignore[no-untyped-call]
        finally:
            parts.close()
        return
    server = SlackHTTPServer(
        (settings.host, settings.port), parts.app, parts.health_checks(), on_shutdown=[parts.close]
    )
    log.info("SCIC Bot listening on http://%s:%d%s", settings.host, server.port, EVENTS_PATH)
    try:
        server.serve_forever()
    finally:
        server.server_close()

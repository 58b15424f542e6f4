"""A stand-in for Slack in both directions, for the tests and the benchmarks.

`FakeSlack` is a local HTTP server answering the Web API calls the bot makes (and the
`response_url` of slash commands) with realistic JSON, recording every call. `SlackSender`
sends requests to the bot signed exactly as Slack signs them: `v0=` + HMAC-SHA256 of
`v0:{timestamp}:{body}` with the signing secret, in `X-Slack-Signature`, with the timestamp in
`X-Slack-Request-Timestamp`. Nothing here needs the internet.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import chromadb
from sqlalchemy import Engine

from bot.app import build_app
from bot.serve import EVENTS_PATH, SlackHTTPServer, start_http_server, store_check
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch
from bot.settings import Settings
from standins.search import FakeEmbedder, fresh_search

BOT_TOKEN = "xoxb-1111111111-2222222222222-AbCdEfGhIjKlMnOpQrStUvWx"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
TEAM_ID = "T0SCIC0001"
BOT_USER_ID = "U0SCICBOT1"
BOT_ID = "B0SCICBOT1"
CHALLENGES_CHANNEL = "C0CHALLENGE"
STAFF_CHANNEL = "C0STAFF0001"
GENERAL_CHANNEL = "C0GENERAL01"

# The Web API methods whose calls change what people see in Slack.
VISIBLE_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "views.open",
        "views.update",
        "views.publish",
        "reactions.add",
        "response_url",
        "assistant.threads.setStatus",
        "assistant.threads.setTitle",
        "assistant.threads.setSuggestedPrompts",
        "chat.startStream",
        "chat.appendStream",
        "chat.stopStream",
    }
)


# Slack's streaming methods: a stream Slack refused to start shows nothing to anyone.
STREAM_METHODS = frozenset({"chat.startStream", "chat.appendStream", "chat.stopStream"})


@dataclass
class ApiCall:
    method: str
    args: dict[str, Any]
    at: float
    #: Slack answered ok=false (or 429, or 5xx).
    refused: bool = False
    # The HTTP status the stand-in answered with (0 until it has answered).
    status: int = 0
    # The body it answered with (a posted message's ts, for one).
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    """Slack's Web API on a free loopback port; `base_url` goes into SLACK_API_URL."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[ApiCall] = field(default_factory=list)
    _rate_limited: dict[str, int] = field(default_factory=dict)
    _errors: dict[str, str] = field(default_factory=dict)
    # Methods answering HTTP 5xx (or 429, stored as -Retry-After): the statuses still to come.
    _server_errors: dict[str, list[int]] = field(default_factory=dict)
    # Methods whose calls wait until the event is set (a slow or stuck Slack).
    _holds: dict[str, threading.Event] = field(default_factory=dict)
    # conversations.replies answers, by (channel, thread ts): the messages as Slack returns them.
    threads: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    # The hash of each open modal, as views.open and views.update return it.
    view_hashes: dict[str, str] = field(default_factory=dict)
    #: Whether this workspace has Slack's streaming methods (chat.startStream...); without
    #: them chat.startStream answers unknown_method, as Slack does for a method it lacks.
    streaming: bool = True
    #: What apps.connections.open hands out: the Socket Mode server's URL (standins.socket_mode).
    socket_url: str = ""
    _server: ThreadingHTTPServer | None = None

    # --- control ------------------------------------------------------------------------------

    def add_user(self, user_id: str, email: str | None, name: str = "") -> None:
        profile: dict[str, Any] = {"real_name": name or user_id, "display_name": name}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": (name or user_id).lower().replace(" ", "."),
            "real_name": name or user_id,
            "is_bot": False,
            "profile": profile,
        }

    def add_thread(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """What conversations.replies returns for this thread (parent first, as Slack does)."""
        with self._lock:
            self.threads[(channel, thread_ts)] = list(messages)

    def rate_limit_once(self, method: str, retry_after: int = 0) -> None:
        """The next call of ``method`` gets 429 with Retry-After, as Slack's limiter answers."""
        with self._lock:
            self._rate_limited[method] = retry_after

    def rate_limit(self, method: str, times: int, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` get 429 with Retry-After (a 429 storm)."""
        with self._lock:
            self._server_errors.setdefault(method, []).extend([-retry_after] * times)

    def server_error(self, method: str, times: int = 1, status: int = 500) -> None:
        """The next ``times`` calls of ``method`` get HTTP ``status`` (Slack having a bad time)."""
        with self._lock:
            self._server_errors.setdefault(method, []).extend([status] * times)

    def hold(self, method: str) -> threading.Event:
        """Calls of ``method`` wait (recorded first) until the returned event is set."""
        released = threading.Event()
        with self._lock:
            self._holds[method] = released
        return released

    def fail(self, method: str, error: str) -> None:
        """Every call of ``method`` answers ok=false with ``error`` (e.g. not_in_channel)."""
        with self._lock:
            self._errors[method] = error

    def heal(self, method: str) -> None:
        """Calls of ``method`` succeed again (undoes `fail`)."""
        with self._lock:
            self._errors.pop(method, None)

    def calls_to(self, *methods: str) -> list[ApiCall]:
        with self._lock:
            return [c for c in self.calls if c.method in methods]

    def visible_calls(self) -> list[ApiCall]:
        return [
            c
            for c in self.calls_to(*VISIBLE_METHODS)
            if not (c.refused and c.method in STREAM_METHODS)
        ]

    def streamed_text(self) -> str:
        """The markdown text of every stream chunk Slack accepted, in order."""
        text = ""
        for call in self.calls_to(*STREAM_METHODS):
            if call.refused:
                continue
            text += str(call.args.get("markdown_text") or "")
            for chunk in call.args.get("chunks") or []:
                if chunk.get("type") == "markdown_text":
                    text += str(chunk.get("text", ""))
        return text

    def wait_for(
        self, predicate: Callable[[list[ApiCall]], bool], timeout: float = 5.0
    ) -> list[ApiCall]:
        """Wait until the recorded calls satisfy ``predicate`` (work after the ack is async)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                snapshot = list(self.calls)
            if predicate(snapshot):
                return snapshot
            if time.monotonic() > deadline:
                methods = [c.method for c in snapshot]
                raise AssertionError(f"timed out waiting for Slack calls; got {methods}")
            time.sleep(0.01)

    def wait_for_method(self, method: str, count: int = 1, timeout: float = 5.0) -> list[ApiCall]:
        self.wait_for(lambda calls: sum(c.method == method for c in calls) >= count, timeout)
        return self.calls_to(method)

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> list[ApiCall]:
        """Wait until no call has arrived for ``quiet`` seconds: for 'nothing else' checks."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                last = self.calls[-1].at if self.calls else 0.0
            if time.monotonic() - last >= quiet:
                break
            time.sleep(0.02)
        return self.visible_calls()

    # --- serving ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/respond/{name}"

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._handle(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._handle(self.rfile.read(length))

            def _handle(self, raw: bytes) -> None:
                path, _, query = self.path.partition("?")
                args = _parse_args(raw, self.headers.get("Content-Type", ""), query)
                if path.startswith("/respond/"):
                    status, body, headers = fake._record("response_url", args)
                elif path.startswith("/api/"):
                    status, body, headers = fake._record(path.removeprefix("/api/"), args)
                else:
                    status, body, headers = 404, {"ok": False, "error": "not_found"}, {}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _record(
        self, method: str, args: dict[str, Any]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        call = ApiCall(method, args, time.monotonic())
        status, body, headers = self._respond(call)
        call.status, call.answer = status, body
        return status, body, headers

    def _respond(self, call: ApiCall) -> tuple[int, dict[str, Any], dict[str, str]]:
        method, args = call.method, call.args
        with self._lock:
            retry_after = self._rate_limited.pop(method, None)
            error = self._errors.get(method)
            if method == "chat.startStream" and not self.streaming:
                error = error or "unknown_method"
            statuses = self._server_errors.get(method)
            server_error = statuses.pop(0) if statuses else None
            held = self._holds.get(method)
            call.refused = retry_after is not None or bool(error) or server_error is not None
            self.calls.append(call)
        if held is not None:
            held.wait(timeout=30)
        if server_error is not None and server_error <= 0:  # a 429 from `rate_limit`
            headers = {"Retry-After": str(-server_error)}
            return 429, {"ok": False, "error": "ratelimited"}, headers
        if server_error is not None:
            return server_error, {"ok": False, "error": "internal_error"}, {}
        if retry_after is not None:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        if error:
            return 200, {"ok": False, "error": error}, {}
        return 200, self._answer(method, args), {}

    def _new_view_hash(self, view_id: str, expected: str | None = None) -> str | None:
        """A fresh hash for the view; None when ``expected`` is not its current hash."""
        with self._lock:
            current = self.view_hashes.get(view_id)
            if expected and current and expected != current:
                return None
            view_hash = f"{1_760_000_000 + next(self._ts)}.h{next(self._ts):06d}"
            self.view_hashes[view_id] = view_hash
        return view_hash

    def _next_ts(self) -> str:
        return f"{1_760_000_000 + next(self._ts)}.{next(self._ts):06d}"

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://scic.slack.com/",
                "team": "SCIC",
                "user": "scic-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}
            message |= {k: args[k] for k in ("text", "blocks", "thread_ts") if k in args}
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts"), "text": ""}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method in ("views.open", "views.publish"):
            view = args.get("view") or {}
            view_hash = self._new_view_hash("V0VIEW0001", expected=None)
            return {
                "ok": True,
                "view": {"id": "V0VIEW0001", "team_id": TEAM_ID, "hash": view_hash, **view},
            }
        if method == "views.update":
            view_id = str(args.get("view_id") or "")
            view_hash = self._new_view_hash(view_id, expected=args.get("hash"))
            if view_hash is None:
                # Someone updated the view since the caller read it: Slack refuses.
                return {"ok": False, "error": "hash_conflict"}
            view = args.get("view") or {}
            return {
                "ok": True,
                "view": {"id": view_id, "team_id": TEAM_ID, "hash": view_hash, **view},
            }
        if method == "conversations.open":
            # One person: their DM with the bot; several: a group DM of them and the bot.
            group = "," in str(args.get("users", ""))
            return {"ok": True, "channel": {"id": "G0GROUPDM1" if group else "D0DIRECT01"}}
        if method == "chat.getPermalink":
            channel, ts = str(args.get("channel")), str(args.get("message_ts"))
            link = f"https://scic.slack.com/archives/{channel}/p{ts.replace('.', '')}"
            return {"ok": True, "channel": channel, "permalink": link}
        if method == "conversations.replies":
            key = (str(args.get("channel")), str(args.get("ts")))
            with self._lock:
                found = self.threads.get(key)
            if found is None:
                return {"ok": False, "error": "thread_not_found"}
            return {"ok": True, "messages": found, "has_more": False}
        if method in ("reactions.add", "response_url"):
            return {"ok": True}
        if method == "apps.connections.open":
            if not self.socket_url:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method.startswith("assistant.threads."):
            # setStatus, setTitle, setSuggestedPrompts: Slack answers ok and nothing else.
            return {"ok": True}
        if method == "chat.startStream":
            return {"ok": True, "channel": args.get("channel"), "ts": self._next_ts()}
        if method in ("chat.appendStream", "chat.stopStream"):
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        return {"ok": False, "error": "unknown_method"}


def _parse_args(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    if "application/json" in content_type and raw:
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"body": parsed}
    pairs = urllib.parse.parse_qsl(raw.decode() if raw else query, keep_blank_values=True)
    args: dict[str, Any] = {}
    for key, value in pairs:
        # Form-encoded calls carry structured arguments (blocks, views) as JSON strings.
        if key in ("blocks", "view", "attachments"):
            try:
                args[key] = json.loads(value)
                continue
            except ValueError:
                pass
        args[key] = value
    return args


# --- signed requests to the bot -------------------------------------------------------------


@dataclass(frozen=True)
class SlackReply:
    status: int
    body: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def sign(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackSender:
    """Sends what Slack sends: events (JSON), slash commands and interactivity (forms)."""

    url: str
    fake: FakeSlack
    signing_secret: str = SIGNING_SECRET
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    # Slack's trigger ids are unique across the workspace; a sender's own prefix keeps two
    # senders (two bot processes on one store) from sending the same one by accident.
    _trigger_prefix: str = field(default_factory=lambda: str(random.randrange(10**6, 10**7)))

    def new_trigger_id(self) -> str:
        return f"{self._trigger_prefix}{next(self._ids)}.1111.abcdef"

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> SlackReply:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        request = urllib.request.Request(
            self.url + EVENTS_PATH,
            data=body.encode(),
            method="POST",
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": sign(secret or self.signing_secret, stamp, body),
                **(headers or {}),
            },
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text, status = response.read().decode(), response.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode(), error.code
        return SlackReply(status, text, time.perf_counter() - started)

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **options: Any,
    ) -> SlackReply:
        payload = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0SCICAPP1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = dict(options.pop("headers", {}) or {})
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(payload), "application/json", headers=headers, **options)

    def message(
        self, user: str, text: str, *, channel: str = "D0DIRECT01", **options: Any
    ) -> SlackReply:
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
        }
        event |= options.pop("extra", {})
        return self.event(event, **options)

    def assistant_thread_started(
        self,
        user: str,
        *,
        channel: str = "D0DIRECT01",
        thread_ts: str | None = None,
        **options: Any,
    ) -> SlackReply:
        """A person opened a new thread in the bot's assistant container (Slack's AI app view)."""
        ts = thread_ts or f"{int(time.time())}.{next(self._ids):06d}"
        event = {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": user,
                "context": {"channel_id": GENERAL_CHANNEL, "team_id": TEAM_ID},
                "channel_id": channel,
                "thread_ts": ts,
            },
            "event_ts": ts,
        }
        return self.event(event, **options)

    def assistant_message(
        self, user: str, text: str, *, thread_ts: str, channel: str = "D0DIRECT01", **options: Any
    ) -> SlackReply:
        """A person's message in an assistant thread: a DM message with a thread_ts."""
        return self.message(user, text, channel=channel, extra={"thread_ts": thread_ts}, **options)

    def command(
        self, command: str, text: str, *, user: str, channel: str = GENERAL_CHANNEL, **options: Any
    ) -> SlackReply:
        n = next(self._ids)
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "scic",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0SCICAPP1",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(f"cmd{n}"),
            "trigger_id": self.new_trigger_id(),
        }
        return self.post(
            urllib.parse.urlencode(form), "application/x-www-form-urlencoded", **options
        )

    def interaction(self, payload: dict[str, Any], **options: Any) -> SlackReply:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **options)

    def block_action(
        self,
        *,
        user: str,
        action_id: str,
        value: str = "",
        selected_option: dict[str, Any] | None = None,
        channel: str | None = CHALLENGES_CHANNEL,
        message_ts: str = "1760000001.000001",
        view: dict[str, Any] | None = None,
    ) -> SlackReply:
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "b1",
            "type": "static_select" if selected_option else "button",
            "action_ts": f"{time.time():.6f}",
        }
        if selected_option:
            action["selected_option"] = selected_option
        else:
            action["value"] = value
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0SCICAPP1",
            "token": "legacy-verification-token",
            "team": {"id": TEAM_ID, "domain": "scic"},
            "trigger_id": self.new_trigger_id(),
            "actions": [action],
        }
        if channel:
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
            }
            payload["channel"] = {"id": channel, "name": "challenges"}
            payload["message"] = {
                "type": "message",
                "ts": message_ts,
                "user": BOT_USER_ID,
                "text": "",
            }
            payload["response_url"] = self.fake.response_url("action")
        if view is not None:
            payload["container"] = {"type": "view", "view_id": "V0VIEW0001"}
            payload["view"] = view
        return self.interaction(payload)

    def view_submission(
        self,
        *,
        user: str,
        callback_id: str,
        values: dict[str, dict[str, dict[str, Any]]],
        private_metadata: str = "",
    ) -> SlackReply:
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "scic"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0SCICAPP1",
            "token": "legacy-verification-token",
            "trigger_id": self.new_trigger_id(),
            "view": {
                "id": "V0VIEW0001",
                "team_id": TEAM_ID,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
                "hash": "1760000000.abcdef",
                "app_id": "A0SCICAPP1",
                "bot_id": BOT_ID,
            },
            "response_urls": [],
        }
        return self.interaction(payload)


def modal_values(**fields: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """The `view.state.values` Slack sends for the challenge modal, from field name to text."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for name, text in fields.items():
        if name == "deadline":
            state: dict[str, Any] = {"type": "datepicker", "selected_date": text}
        elif name == "visibility":
            option = {"text": {"type": "plain_text", "text": str(text)}, "value": text}
            state = {"type": "radio_buttons", "selected_option": option if text else None}
        elif name.startswith("budget"):
            state = {"type": "number_input", "value": text}
        else:
            state = {"type": "plain_text_input", "value": text}
        values[name] = {"value": state}
    return values


# --- the bot behind a real port ---------------------------------------------------------------


def bot_settings(fake: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": "",
        "slack_api_url": fake.base_url,
        "challenges_channel": CHALLENGES_CHANNEL,
        "staff_channel": STAFF_CHANNEL,
        "port": 0,
    }
    return Settings(_env_file=None, **(values | overrides))


@dataclass
class RunningBot:
    fake: FakeSlack
    sender: SlackSender
    server: SlackHTTPServer
    engine: Engine
    search: SolverSearch

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@contextmanager
def running_bot(
    engine: Engine, fake: FakeSlack, *, llm: LanguageModel | None = None, **settings: Any
) -> Iterator[RunningBot]:
    """The Bolt app as `scic serve` runs it in HTTP mode, on a free loopback port.

    ``llm`` hands in a language model (a LangChain fake); without one it is built from the
    settings, so ``llm_model=..., openai_base_url=...`` points the bot at a local server.
    """
    # Each bot gets its own fresh index with the fake embedder: fast, offline, isolated.
    search = fresh_search(chromadb.EphemeralClient(), FakeEmbedder(), engine)
    app = build_app(bot_settings(fake, **settings), engine, search=search, llm=llm)
    server, thread = start_http_server(
        app,
        host="127.0.0.1",
        port=0,
        health_checks={"store": store_check(engine)},
    )
    try:
        sender = SlackSender(f"http://127.0.0.1:{server.port}", fake)
        yield RunningBot(fake, sender, server, engine, search)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""The bot behind a real HTTP port: signatures, health, acknowledgement time, retries to Slack."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import chromadb
import pytest
import time_machine
from sqlalchemy import Engine

from bot import serve
from bot.listeners.events import questions
from bot.recovery import RETRY_AFTER, QuestionRecovery
from bot.serve import SlackHTTPServer, index_check, run, store_check
from bot.services import slack_events
from bot.services.questions.asking import reply_to
from bot.services.slack_events import unanswered_questions
from bot.settings import Settings, SettingsError
from standins.cluster import MEMBER_USER, STAFF_USER, Cast, link_cast_to_slack
from standins.search import FakeEmbedder, fresh_search
from standins.slack import FakeSlack, RunningBot, bot_settings, modal_values, running_bot
from storage.db import make_engine

ACK_LIMIT = 3.0


def get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_bad_signature_is_refused_and_nothing_reaches_slack(bot: RunningBot) -> None:
    reply = bot.sender.message(STAFF_USER, "who can solve snow loads?", secret="f" * 32)
    assert reply.status == 401
    command = bot.sender.command("/challenge", "list", user=STAFF_USER, secret="0" * 32)
    assert command.status == 401
    assert bot.fake.settle() == []
    assert bot.fake.calls_to("users.info") == []


def test_stale_timestamp_is_refused_even_with_a_right_signature(bot: RunningBot) -> None:
    six_minutes_ago = int(time.time()) - 6 * 60
    reply = bot.sender.command("/challenge", "list", user=STAFF_USER, timestamp=six_minutes_ago)
    assert reply.status == 401
    assert bot.fake.settle() == []


def test_url_verification_is_answered(bot: RunningBot) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aBm", "token": "t"})
    reply = bot.sender.post(body, "application/json")
    assert reply.status == 200 and reply.json() == {"challenge": "3eZbrw1aBm"}


def test_unknown_paths_and_bodies_get_clear_statuses(bot: RunningBot) -> None:
    assert get(bot.url + "/nowhere")[0] == 404
    # Refused on the header alone, before the body is read.
    connection = http.client.HTTPConnection("127.0.0.1", bot.server.port, timeout=5)
    connection.putrequest("POST", "/slack/events")
    connection.putheader("Content-Length", "2000000")
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


def test_healthz_reports_the_store(bot: RunningBot, fake_slack: FakeSlack, engine: Engine) -> None:
    assert get(bot.url + "/healthz") == (200, {"status": "ok", "store": "ok"})

    unreachable = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    bot.server.health_checks["store"] = store_check(unreachable)
    status, body = get(bot.url + "/healthz")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["store"].startswith(
        "unavailable: cannot reach the store at DATABASE_URL=postgresql"
    )
    unreachable.dispose()


def test_every_request_type_is_acknowledged_within_three_seconds(bot: RunningBot) -> None:
    sender, fake = bot.sender, bot.fake
    replies = {
        "event": sender.message(STAFF_USER, "hello"),
        "command": sender.command("/challenge", "list all", user=STAFF_USER),
        "view_submission": sender.view_submission(
            user=STAFF_USER,
            callback_id="challenge_new",
            values=modal_values(title="Ack timing", visibility="public"),
        ),
        "block_action": sender.block_action(
            user=STAFF_USER,
            action_id="home_challenges_page",
            value="0",
            channel=None,
            view={"id": "V1", "type": "home"},
        ),
    }
    for kind, reply in replies.items():
        assert reply.status == 200, (kind, reply)
        assert reply.seconds < ACK_LIMIT, (kind, reply.seconds)
    fake.wait_for_method("views.publish")


def test_a_rate_limited_call_is_retried_after_retry_after(bot: RunningBot) -> None:
    bot.fake.rate_limit_once("chat.postMessage", retry_after=0)
    link_cast_to_slack(bot.engine)  # staff opened the modal: identified then
    reply = bot.sender.view_submission(
        user=STAFF_USER,
        callback_id="challenge_new",
        values=modal_values(title="Rate limits", visibility="public"),
    )
    assert reply.status == 200
    posts = bot.fake.wait_for_method("chat.postMessage", count=3)
    # The card was sent twice (429, then accepted), then the thread opener once.
    assert [c.args["text"] for c in posts] == ["New challenge: Rate limits"] * 2 + [
        posts[2].args["text"]
    ]
    assert posts[2].args["thread_ts"]


def test_the_server_binds_a_free_port(engine: Engine, fake_slack: FakeSlack) -> None:
    from bot.app import build_app

    server = SlackHTTPServer(("127.0.0.1", 0), build_app(bot_settings(fake_slack), engine), {})
    try:
        assert server.port > 0
    finally:
        server.server_close()


def test_serve_refuses_to_start_with_bad_slack_settings(engine: Engine) -> None:
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is required"):
        run(Settings(_env_file=None, database_url=engine.url.render_as_string(hide_password=False)))


def test_serve_refuses_a_token_slack_rejects(engine: Engine, fake_slack: FakeSlack) -> None:
    fake_slack.fail("auth.test", "invalid_auth")
    settings = bot_settings(
        fake_slack, port=3999, database_url=engine.url.render_as_string(hide_password=False)
    )
    with pytest.raises(SettingsError, match="Slack refused SLACK_BOT_TOKEN"):
        run(settings)
    assert [c.method for c in fake_slack.calls] == ["auth.test"]


def test_an_unsigned_request_is_refused_before_its_body_is_parsed(bot: RunningBot) -> None:
    # Garbage that would fail to parse: refused for its signature, not for its body.
    for body in ("{not json", "[1, 2]", "null", "payload=%7Bbroken"):
        reply = bot.sender.post(body, "application/json", secret="f" * 32)
        assert (reply.status, reply.json()) == (
            401,
            {"error": "invalid or expired Slack signature"},
        )
    reply = bot.sender.post("{}", "application/json", headers={"X-Slack-Request-Timestamp": "soon"})
    assert (reply.status, reply.json()) == (
        401,
        {"error": "X-Slack-Request-Timestamp is not a Unix time"},
    )
    assert bot.fake.settle() == []


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        ("{not json", "application/json", "body is not valid JSON"),
        ("[1, 2]", "application/json", "body is not a JSON object"),
        ("null", "application/json", "body is not a JSON object"),
        ("", "application/json", "empty body"),
        (
            "payload=%7Bbroken",
            "application/x-www-form-urlencoded",
            "form field payload is not valid JSON",
        ),
        (
            "payload=%5B%5D",
            "application/x-www-form-urlencoded",
            "form field payload is not a JSON object",
        ),
    ],
)
def test_a_signed_malformed_body_gets_400_with_the_reason(
    bot: RunningBot, body: str, content_type: str, reason: str
) -> None:
    reply = bot.sender.post(body, content_type)
    assert (reply.status, reply.json()) == (400, {"error": reason})


def test_a_stalled_connection_is_closed_by_the_server(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve, "REQUEST_READ_TIMEOUT", 0.2)
    stalled = []
    for sends in (b"", b"POST /slack/events HTTP/1.1\r\nHost: x\r\n", _half_a_body()):
        connection = socket.create_connection(("127.0.0.1", bot.server.port), timeout=5)
        connection.sendall(sends)
        stalled.append(connection)
    # Meanwhile the server still answers everyone else.
    assert get(bot.url + "/healthz")[0] == 200
    for connection in stalled:
        # The server closes it: recv returns end-of-file instead of timing out.
        assert connection.recv(1024) == b""
        connection.close()


def _half_a_body() -> bytes:
    return (
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b'Content-Length: 100\r\n\r\n{"type":'
    )


def test_fifty_concurrent_mentions_are_all_acknowledged_and_answered_once(
    bot: RunningBot,
) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def mention(n: int) -> None:
        reply = bot.sender.message(STAFF_USER, f"who can solve snow loads? ({n})")
        with lock:
            statuses.append(reply.status)

    threads = [threading.Thread(target=mention, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 50
    bot.fake.wait_for_method("chat.postMessage", count=50, timeout=120)
    bot.fake.settle(quiet=1.0)
    # One answer in each question's thread, none twice.
    threads_answered = [c.args["thread_ts"] for c in bot.fake.calls_to("chat.postMessage")]
    assert len(threads_answered) == len(set(threads_answered)) == 50


def test_questions_beyond_the_answering_slots_wait_their_turn_and_are_all_answered_once(
    engine: Engine,
    fake_slack: FakeSlack,
    cast: Cast,
    clock: time_machine.Traveller,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A burst is worked out ANSWER_CONCURRENCY questions at a time (the rest would take the
    GIL and SQLite's write lock from the acknowledgements); those waiting are acknowledged at
    once and answered in turn, once, even when the recovery takes up those that waited long."""
    monkeypatch.setattr(slack_events, "RENEW_EVERY", timedelta(seconds=0.05))
    working, most, lock, release = 0, 0, threading.Lock(), threading.Event()

    def counted(**kwargs: Any) -> Any:
        nonlocal working, most
        with lock:
            working += 1
            most = max(most, working)
        try:
            release.wait(20)
            return reply_to(**kwargs)
        finally:
            with lock:
                working -= 1

    monkeypatch.setattr(questions, "reply_to", counted)
    with running_bot(engine, fake_slack, answer_concurrency=2) as bot:
        acks = [bot.sender.message(MEMBER_USER, f"who can do ice roads? ({n})") for n in range(6)]
        assert all(a.status == 200 and a.seconds < ACK_LIMIT for a in acks)
        bot.fake.wait_for_method("reactions.add", count=6, timeout=20)  # all six started
        time.sleep(0.5)
        assert most == 2  # four wait for a slot
        clock.shift(timedelta(minutes=3))
        # The two being worked out are held by their heartbeats; the four waiting have claimed
        # nothing yet, and the recovery hands them to the app again.
        deadline = time.monotonic() + 10
        while len(unanswered_questions(engine=engine, older_than=RETRY_AFTER)) != 4:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert QuestionRecovery(bot.server.app, engine).sweep() == 4
        release.set()
        bot.fake.wait_for_method("chat.postMessage", count=6, timeout=60)
        bot.fake.settle(quiet=0.5)
        answered = [c.args["thread_ts"] for c in bot.fake.calls_to("chat.postMessage")]
        assert len(answered) == len(set(answered)) == 6
    assert most == 2


def test_the_address_is_loopback_unless_host_says_otherwise() -> None:
    assert Settings(_env_file=None).host == "127.0.0.1"
    assert Settings(_env_file=None, host="0.0.0.0").host == "0.0.0.0"


def test_several_workers_need_a_chroma_server(fake_slack: FakeSlack) -> None:
    settings = bot_settings(fake_slack, serve_workers=2)
    with pytest.raises(SettingsError, match="SERVE_WORKERS above 1 needs CHROMA_URL"):
        run(settings)


def test_healthz_reads_the_index_for_real(bot: RunningBot, engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "chroma"
    search = fresh_search(chromadb.PersistentClient(path=str(folder)), FakeEmbedder(), engine)
    bot.server.health_checks["index"] = index_check(search, folder)
    assert get(bot.url + "/healthz") == (200, {"status": "ok", "store": "ok", "index": "ok"})

    with (folder / "chroma.sqlite3").open("r+b") as file:
        file.write(b"\x00garbage" * 1024)
    status, body = get(bot.url + "/healthz")
    assert status == 503 and body["status"] == "unavailable"
    assert "cannot be read" in body["index"] and "scic reindex" in body["index"]

    shutil.rmtree(folder)
    status, body = get(bot.url + "/healthz")
    assert status == 503 and "is missing" in body["index"]

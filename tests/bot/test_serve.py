"""The bot behind a real HTTP port: signatures, health, acknowledgement time, retries to Slack."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import Engine

from bot.serve import SlackHTTPServer, run, store_check
from bot.settings import Settings, SettingsError
from standins.cluster import STAFF_USER
from standins.slack import FakeSlack, RunningBot, bot_settings, modal_values
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

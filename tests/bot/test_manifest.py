"""manifest.yml asks for what the bot handles: every command and event in it gets an answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from standins.cluster import MEMBER_USER
from standins.slack import RunningBot

yaml = pytest.importorskip("yaml")
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_requests_go_to_the_one_endpoint_and_interactivity_is_on() -> None:
    data = manifest()
    urls = [c["url"] for c in data["features"]["slash_commands"]]
    urls += [data["settings"]["event_subscriptions"]["request_url"]]
    urls += [data["settings"]["interactivity"]["request_url"]]
    assert {u.rsplit("/", 2)[-2] + "/" + u.rsplit("/", 1)[-1] for u in urls} == {"slack/events"}
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["features"]["app_home"]["home_tab_enabled"] is True


def test_every_slash_command_in_the_manifest_is_answered(bot: RunningBot) -> None:
    commands = [c["command"] for c in manifest()["features"]["slash_commands"]]
    assert sorted(commands) == ["/challenge", "/digest", "/profile", "/solvers"]
    for command in commands:
        assert bot.sender.command(command, "help", user=MEMBER_USER).status == 200
    bot.fake.wait_for_method("response_url", count=len(commands))


def test_every_subscribed_event_is_handled(bot: RunningBot) -> None:
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == [
        "app_home_opened",
        "app_mention",
        "assistant_thread_started",
        "message.channels",
        "message.groups",
        "message.im",
    ]
    sender = bot.sender
    sender.event({"type": "app_home_opened", "user": MEMBER_USER, "tab": "home", "channel": "D1"})
    sender.event(
        {
            "type": "app_mention",
            "user": MEMBER_USER,
            "text": "<@U0SCICBOT1> hi",
            "channel": "C1",
            "ts": "1.1",
        }
    )
    sender.message(MEMBER_USER, "hi")
    bot.fake.wait_for_method("views.publish")
    bot.fake.wait_for_method("chat.postMessage", count=2)
    # message.channels / message.groups: a reply in the thread where the bot answered.
    sender.event(
        {
            "type": "message",
            "channel_type": "channel",
            "user": MEMBER_USER,
            "text": "and structural health monitoring?",
            "channel": "C1",
            "thread_ts": "1.1",
            "ts": "1.2",
        }
    )
    follow_up = bot.fake.wait_for_method("chat.postMessage", count=3)[-1]
    assert (follow_up.args["channel"], follow_up.args["thread_ts"]) == ("C1", "1.1")
    # ...while channel chatter outside such threads gets no answer.
    sender.event(
        {
            "type": "message",
            "channel_type": "channel",
            "user": MEMBER_USER,
            "text": "lunch?",
            "channel": "C1",
            "ts": "1.3",
        }
    )
    bot.fake.settle()
    assert len(bot.fake.calls_to("chat.postMessage")) == 3
    # assistant_thread_started (and message.im in its thread): the assistant container.
    sender.assistant_thread_started(MEMBER_USER, thread_ts="2.1")
    bot.fake.wait_for_method("assistant.threads.setSuggestedPrompts")
    sender.assistant_message(MEMBER_USER, "hi", thread_ts="2.1")
    bot.fake.wait_for_method("assistant.threads.setStatus")
    bot.fake.wait_for_method("chat.postMessage", count=5)


def test_the_assistant_container_is_on_with_its_scope() -> None:
    data = manifest()
    assert data["features"]["assistant_view"]["assistant_description"]
    assert "assistant:write" in data["oauth_config"]["scopes"]["bot"]

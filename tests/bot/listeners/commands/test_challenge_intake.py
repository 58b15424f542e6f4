"""`/challenge <pasted text>` through the real HTTP port and a local OpenAI-compatible server:
the loading view at once, then the form the model filled in (or the offline one)."""

from __future__ import annotations

import json
import logging
import time

import pytest

from bot import ids
from bot.blocks.challenge_modal import NOT_READ_NOTE, PREFILLED_NOTE
from prompts.intake import PROMPT
from standins.cluster import MEMBER_USER, STAFF_USER
from standins.openai_server import FakeOpenAI
from standins.slack import GENERAL_CHANNEL, RunningBot
from tests.bot.block_kit import assert_valid_view
from tests.bot.listeners.intake_world import CALL, DEADLINE, READING, fields, note


def test_the_loading_view_opens_at_once_then_the_model_fills_the_form(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    server.reply_json(READING)
    reply = llm_bot.sender.command("/challenge", CALL, user=STAFF_USER)
    assert reply.status == 200 and reply.body == ""

    opened = llm_bot.fake.wait_for_method("views.open")[0]
    loading = opened.args["view"]
    assert_valid_view(loading)
    assert "submit" not in loading and "Reading the text" in json.dumps(loading)
    metadata = json.loads(loading["private_metadata"])
    assert metadata == {"channel_id": GENERAL_CHANNEL, "text": CALL}

    update = llm_bot.fake.wait_for_method("views.update")[0]
    assert update.args["view_id"] == "V0VIEW0001"
    form = update.args["view"]
    assert_valid_view(form)
    assert fields(form) == {
        ids.INTAKE_PASTE: CALL,
        "title": "Smart snow removal for Espoo's cycle routes",
        "description": "The City of Espoo wants sensor-based planning of snow removal.",
        "owner": "City of Espoo",
        "city": "Espoo",
        "country": "Finland",
        "needs": "road-weather sensors\nroute optimisation",
        "tags": "mobility",
        "deadline": DEADLINE,
        "budget_min": "80000",
        "budget_max": "120000",
        "visibility": "public",
    }
    assert note(form) == PREFILLED_NOTE
    assert form["submit"]["text"] == "Post challenge"
    assert json.loads(form["private_metadata"]) == {"channel_id": GENERAL_CHANNEL}
    assert [c.method for c in llm_bot.fake.settle()] == ["views.open", "views.update"]

    (request,) = server.requests
    assert request.system == PROMPT.system
    assert "80 000 – 120 000 €" in request.user
    assert request.response_format is not None
    assert request.response_format["json_schema"]["name"] == "ChallengeExtract"


def test_the_update_uses_the_hash_views_open_returned(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    # The model takes a moment, so the hash read here is still the one views.open returned.
    server.stall(0.5).reply_json(READING)
    llm_bot.sender.command("/challenge", CALL, user=STAFF_USER)
    llm_bot.fake.wait_for_method("views.open")
    opened_hash = llm_bot.fake.view_hashes["V0VIEW0001"]
    update = llm_bot.fake.wait_for_method("views.update")[0]
    assert update.args["hash"] == opened_hash


def test_a_failing_model_gives_the_offline_form(llm_bot: RunningBot, server: FakeOpenAI) -> None:
    server.fail(500, times=3)
    llm_bot.sender.command("/challenge", CALL, user=STAFF_USER)
    assert "Reading the text" in json.dumps(llm_bot.fake.wait_for_method("views.open")[0].args)
    form = llm_bot.fake.wait_for_method("views.update", timeout=10)[0].args["view"]
    assert_valid_view(form)
    shown = fields(form)
    assert shown["title"] == "Call for proposals: Smart snow removal for Espoo"
    assert shown["description"] == CALL
    assert shown["owner"] is None and shown["budget_min"] is None
    assert note(form) == NOT_READ_NOTE
    assert len(server.requests) == 2  # the call and its one retry


def test_without_a_model_the_offline_form_opens_directly(bot: RunningBot) -> None:
    bot.sender.command("/challenge", CALL, user=STAFF_USER)
    form = bot.fake.wait_for_method("views.open")[0].args["view"]
    assert_valid_view(form)
    assert fields(form)["title"] == "Call for proposals: Smart snow removal for Espoo"
    assert fields(form)["description"] == CALL
    assert note(form) == NOT_READ_NOTE
    assert [c.method for c in bot.fake.settle()] == ["views.open"]


def test_members_are_refused_and_the_model_is_never_called(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    server.reply_json(READING)
    llm_bot.sender.command("/challenge", CALL, user=MEMBER_USER)
    refusal = llm_bot.fake.wait_for_method("response_url")[0]
    assert "Only SCIC staff can post challenges" in refusal.args["text"]
    assert [c.method for c in llm_bot.fake.settle()] == ["response_url"]
    assert server.requests == []


def test_short_unknown_text_is_still_a_usage_error(llm_bot: RunningBot, server: FakeOpenAI) -> None:
    llm_bot.sender.command("/challenge", "frobnicate the thing", user=STAFF_USER)
    usage = llm_bot.fake.wait_for_method("response_url")[0]
    assert "I don't know `/challenge frobnicate the thing`" in str(usage.args["blocks"])
    assert "views.open" not in [c.method for c in llm_bot.fake.settle()]
    assert server.requests == []


def test_the_ack_and_the_loading_view_do_not_wait_for_a_stalled_model(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    server.stall(3).stall(3)
    sent = time.monotonic()
    reply = llm_bot.sender.command("/challenge", CALL, user=STAFF_USER)
    assert reply.status == 200 and reply.seconds < 1.0
    opened = llm_bot.fake.wait_for_method("views.open")[0]
    assert opened.at - sent < 1.0  # well inside Slack's 3 seconds for the trigger
    form = llm_bot.fake.wait_for_method("views.update", timeout=10)[0].args["view"]
    assert note(form) == NOT_READ_NOTE and fields(form)["description"] == CALL


def test_a_closed_modal_ends_the_flow_quietly(
    llm_bot: RunningBot, server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.listeners.actions.challenge_prefill")
    llm_bot.fake.fail("views.update", "not_found")
    server.reply_json(READING)
    llm_bot.sender.command("/challenge", CALL, user=STAFF_USER)
    llm_bot.fake.wait_for_method("views.update")
    assert [c.method for c in llm_bot.fake.settle()] == ["views.open", "views.update"]
    assert any(r.levelno == logging.INFO and "not_found" in r.getMessage() for r in caplog.records)

"""The modal's *Fill in the form from this text* button through the real HTTP port and a local
OpenAI-compatible server: loading, then the filled form under fresh block ids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import ids
from bot.blocks.challenge_modal import (
    NOT_READ_NOTE,
    NOTHING_PASTED_NOTE,
    PREFILLED_NOTE,
    build_challenge_modal,
    modal_metadata,
)
from standins.cluster import MEMBER_USER, STAFF_USER
from standins.openai_server import FakeOpenAI
from standins.slack import GENERAL_CHANNEL, FakeSlack, RunningBot
from tests.bot.block_kit import assert_valid_view
from tests.bot.listeners.intake_world import CALL, READING, fields, note

SHOWN_HASH = "1760000000.hshown1"


def shown_modal(
    fake: FakeSlack,
    *,
    paste: str | None,
    title: str = "",
    tags: str = "",
    visibility: str = "public",
) -> dict[str, Any]:
    """The modal as Slack sends it with a click: its blocks, what was typed, and its hash."""
    fake.view_hashes["V0VIEW0001"] = SHOWN_HASH
    modal = build_challenge_modal(private_metadata=modal_metadata(GENERAL_CHANNEL))
    option = {"text": {"type": "plain_text", "text": visibility}, "value": visibility}
    values = {
        ids.INTAKE_PASTE: {"value": {"type": "plain_text_input", "value": paste}},
        "title": {"value": {"type": "plain_text_input", "value": title or None}},
        "tags": {"value": {"type": "plain_text_input", "value": tags or None}},
        "visibility": {"value": {"type": "radio_buttons", "selected_option": option}},
    }
    return modal | {
        "id": "V0VIEW0001",
        "hash": SHOWN_HASH,
        "state": {"values": values},
    }


def click(bot: RunningBot, view: dict[str, Any], user: str = STAFF_USER) -> None:
    reply = bot.sender.block_action(user=user, action_id=ids.PREFILL, channel=None, view=view)
    assert reply.status == 200


def test_the_button_shows_loading_then_the_filled_form_under_fresh_block_ids(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    server.reply_json(READING | {"tags": []})
    view = shown_modal(
        llm_bot.fake, paste=CALL, title="Typed", tags="winter", visibility="restricted"
    )
    click(llm_bot, view)
    loading, filled = llm_bot.fake.wait_for_method("views.update", count=2)
    assert loading.args["hash"] == SHOWN_HASH and loading.args["view_id"] == "V0VIEW0001"
    assert "submit" not in loading.args["view"]
    assert "Reading the text" in json.dumps(loading.args["view"])
    # The second update carries the hash Slack returned for the loading view.
    assert filled.args["hash"] not in (None, SHOWN_HASH)

    form = filled.args["view"]
    assert_valid_view(form)
    input_ids = [b["block_id"] for b in form["blocks"] if b["type"] == "input"]
    assert input_ids and all(block_id.endswith(".1") for block_id in input_ids)
    shown = fields(form)
    assert shown[ids.INTAKE_PASTE] == CALL  # the pasted text stays in its field
    assert (shown["title"], shown["owner"], shown["budget_max"]) == (
        "Smart snow removal for Espoo's cycle routes",
        "City of Espoo",
        "120000",
    )
    assert shown["tags"] == "winter"  # typed, and the text gave none
    assert shown["visibility"] == "restricted"  # the person's choice, not the model's
    assert note(form) == PREFILLED_NOTE
    assert json.loads(form["private_metadata"]) == {"channel_id": GENERAL_CHANNEL}
    assert len(server.requests) == 1 and CALL.splitlines()[0] in server.requests[0].user


def test_a_second_fill_gets_the_next_revision(llm_bot: RunningBot, server: FakeOpenAI) -> None:
    server.reply_json(READING)
    view = shown_modal(llm_bot.fake, paste=CALL)
    view["blocks"] = build_challenge_modal(revision=1)["blocks"]
    view["state"]["values"] = {f"{k}.1": v for k, v in view["state"]["values"].items()}
    click(llm_bot, view)
    form = llm_bot.fake.wait_for_method("views.update", count=2)[1].args["view"]
    assert {b["block_id"] for b in form["blocks"] if b["type"] == "input"} >= {"title.2", "paste.2"}
    assert fields(form)["title"] == "Smart snow removal for Espoo's cycle routes"


def test_with_a_failing_model_the_button_gives_the_offline_form(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    server.fail(500, times=3)
    click(llm_bot, shown_modal(llm_bot.fake, paste=CALL))
    form = llm_bot.fake.wait_for_method("views.update", count=2, timeout=10)[1].args["view"]
    assert_valid_view(form)
    assert fields(form)["title"] == "Call for proposals: Smart snow removal for Espoo"
    assert fields(form)["description"] == CALL
    assert note(form) == NOT_READ_NOTE


def test_whatever_breaks_while_reading_the_modal_is_not_left_loading(
    llm_bot: RunningBot, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: object) -> object:
        raise RuntimeError("the store went away")

    monkeypatch.setattr("bot.services.intake.prefill_from_text", broken)
    click(llm_bot, shown_modal(llm_bot.fake, paste=CALL))
    form = llm_bot.fake.wait_for_method("views.update", count=2, timeout=10)[1].args["view"]
    assert fields(form)["description"] == CALL
    assert note(form) == NOT_READ_NOTE


def test_nothing_pasted_keeps_the_form_and_asks_for_a_text(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    click(llm_bot, shown_modal(llm_bot.fake, paste="  ", title="Typed by hand"))
    (update,) = llm_bot.fake.wait_for_method("views.update")
    form = update.args["view"]
    assert note(form) == NOTHING_PASTED_NOTE
    # Unchanged block ids: Slack keeps what was typed; the typed title is there regardless.
    assert "title" in [b.get("block_id") for b in form["blocks"]]
    assert fields(form)["title"] == "Typed by hand"
    assert [c.method for c in llm_bot.fake.settle()] == ["views.update"]
    assert server.requests == []


def test_a_stale_view_is_left_alone_and_the_model_not_called(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    view = shown_modal(llm_bot.fake, paste=CALL)
    llm_bot.fake.view_hashes["V0VIEW0001"] = "1760000009.hnewer1"  # a second click got there
    click(llm_bot, view)
    llm_bot.fake.wait_for_method("views.update")
    assert [c.method for c in llm_bot.fake.settle()] == ["views.update"]
    assert server.requests == []


def test_a_member_clicking_a_forged_modal_is_told_only_staff_post(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    click(llm_bot, shown_modal(llm_bot.fake, paste=CALL), user=MEMBER_USER)
    (told,) = llm_bot.fake.wait_for_method("chat.postMessage")
    assert told.args["channel"] == MEMBER_USER
    assert "Only SCIC staff can post challenges" in told.args["text"]
    assert [c.method for c in llm_bot.fake.settle()] == ["chat.postMessage"]
    assert server.requests == []


def test_without_a_model_the_button_fills_in_the_text_at_once(bot: RunningBot) -> None:
    click(bot, shown_modal(bot.fake, paste=CALL))
    (update,) = bot.fake.wait_for_method("views.update")
    assert update.args["hash"] == SHOWN_HASH
    form = update.args["view"]
    assert fields(form)["description"] == CALL and note(form) == NOT_READ_NOTE
    assert [c.method for c in bot.fake.settle()] == ["views.update"]

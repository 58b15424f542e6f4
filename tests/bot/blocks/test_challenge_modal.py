"""The intake modal: valid, its block ids are the form's field names (with a revision once it
is pre-filled), pre-filled values show as initial values, and the loading view."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.blocks.challenge_modal import (
    PREFILLED_NOTE,
    build_challenge_loading,
    build_challenge_modal,
    field_of,
    metadata_channel,
    modal_metadata,
    view_revision,
)
from bot.services.challenges import ChallengeForm
from tests.bot.block_kit import assert_valid_view

FILLED = ChallengeForm(
    title="Smart snow removal",
    description="Plan snow removal on cycle routes from sensor data.",
    owner="City of Espoo",
    city="Espoo",
    country="Finland",
    needs="road-weather sensors\nroute optimisation",
    tags="mobility, winter",
    deadline="2026-04-15",
    budget_min="80000",
    budget_max="120000",
    visibility="restricted",
)


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The modal's input elements by field name."""
    return {field_of(b["block_id"]): b["element"] for b in view["blocks"] if b["type"] == "input"}


def test_modal_is_valid_and_carries_the_origin() -> None:
    modal = build_challenge_modal(private_metadata='{"channel_id": "C1"}')
    assert_valid_view(modal)
    assert modal["callback_id"] == ids.CHALLENGE_MODAL
    assert modal["private_metadata"] == '{"channel_id": "C1"}'


def test_every_form_field_has_an_input_block_so_errors_land_on_it() -> None:
    modal = build_challenge_modal()
    block_ids = [b["block_id"] for b in modal["blocks"] if b["type"] == "input"]
    assert block_ids == [ids.INTAKE_PASTE, *ChallengeForm.__dataclass_fields__]
    assert all(
        b["element"]["action_id"] == ids.INTAKE_VALUE
        for b in modal["blocks"]
        if b["type"] == "input"
    )
    required = {
        b["block_id"] for b in modal["blocks"] if b["type"] == "input" and not b["optional"]
    }
    assert required == {"title", "visibility"}


def test_the_paste_field_comes_first_with_the_fill_in_button_under_it() -> None:
    paste, actions, title = build_challenge_modal()["blocks"][:3]
    assert paste["label"]["text"] == "Paste a call for proposals or an e-mail"
    assert paste["optional"] and paste["element"]["multiline"]
    assert [e["action_id"] for e in actions["elements"]] == [ids.PREFILL]
    assert actions["elements"][0]["text"]["text"] == "Fill in the form from this text"
    assert title["block_id"] == "title"


def test_an_empty_form_has_no_initial_values_and_is_public() -> None:
    elements = inputs(build_challenge_modal())
    assert not any("initial_value" in e or "initial_date" in e for e in elements.values())
    assert elements["visibility"]["initial_option"]["value"] == "public"


def test_a_prefilled_form_shows_every_value_under_fresh_block_ids() -> None:
    modal = build_challenge_modal(
        private_metadata=modal_metadata("C1"),
        form=FILLED,
        note=PREFILLED_NOTE,
        pasted="Call for proposals: ...",
        revision=2,
    )
    assert_valid_view(modal)
    note = modal["blocks"][0]
    assert note["type"] == "context" and "check every field" in note["elements"][0]["text"]
    input_ids = [b["block_id"] for b in modal["blocks"] if b["type"] == "input"]
    assert input_ids == [
        f"{name}.2" for name in (ids.INTAKE_PASTE, *ChallengeForm.__dataclass_fields__)
    ]
    elements = inputs(modal)
    assert elements[ids.INTAKE_PASTE]["initial_value"] == "Call for proposals: ..."
    for name in ("title", "description", "owner", "city", "country", "needs", "tags"):
        assert elements[name]["initial_value"] == getattr(FILLED, name), name
    assert elements["deadline"]["initial_date"] == "2026-04-15"
    assert (elements["budget_min"]["initial_value"], elements["budget_max"]["initial_value"]) == (
        "80000",
        "120000",
    )
    assert elements["visibility"]["initial_option"]["value"] == "restricted"
    assert elements["visibility"]["initial_option"] in elements["visibility"]["options"]
    assert view_revision(modal) == 2


def test_values_slack_would_refuse_are_clipped_or_left_out() -> None:
    form = ChallengeForm(
        title="T" * 400, city="C" * 150, deadline="15.4.2026", budget_min="80 000 €"
    )
    modal = build_challenge_modal(form=form, pasted="p" * 5000, revision=1)
    assert_valid_view(modal)
    elements = inputs(modal)
    assert len(elements["title"]["initial_value"]) == 300
    assert len(elements["city"]["initial_value"]) == 100
    assert len(elements[ids.INTAKE_PASTE]["initial_value"]) == 3000
    assert "initial_date" not in elements["deadline"]
    assert "initial_value" not in elements["budget_min"]


def test_the_loading_view_cannot_be_submitted() -> None:
    loading = build_challenge_loading(private_metadata=modal_metadata("C1", "text"))
    assert_valid_view(loading)
    assert loading["title"]["text"] == "New challenge" and "submit" not in loading
    assert [b["type"] for b in loading["blocks"]] == ["section"]
    assert "Reading the text…" in loading["blocks"][0]["text"]["text"]


def test_metadata_keeps_the_origin_and_as_much_text_as_fits() -> None:
    text = 'Hei "kaikki",\nÄäliö\t' * 400
    metadata = modal_metadata("C0GENERAL01", text)
    assert len(metadata) <= 3000
    data = json.loads(metadata)
    assert data["channel_id"] == "C0GENERAL01" and text.startswith(data["text"])
    assert len(data["text"]) > 2000
    assert metadata_channel(metadata) == "C0GENERAL01"
    assert json.loads(modal_metadata("C1", "short")) == {"channel_id": "C1", "text": "short"}
    assert metadata_channel("not json") == metadata_channel("[]") == ""

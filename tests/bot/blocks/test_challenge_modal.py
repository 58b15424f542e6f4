"""The intake modal: valid, and its block ids are exactly the form's field names."""

from __future__ import annotations

from bot.blocks.challenge_modal import CALLBACK_ID, VALUE, build_challenge_modal
from bot.services.challenges import ChallengeForm
from tests.bot.block_kit import assert_valid_view


def test_modal_is_valid_and_carries_the_origin() -> None:
    modal = build_challenge_modal(private_metadata='{"channel_id": "C1"}')
    assert_valid_view(modal)
    assert modal["callback_id"] == CALLBACK_ID
    assert modal["private_metadata"] == '{"channel_id": "C1"}'


def test_every_form_field_has_an_input_block_so_errors_land_on_it() -> None:
    modal = build_challenge_modal()
    block_ids = [b["block_id"] for b in modal["blocks"]]
    assert block_ids == list(ChallengeForm.__dataclass_fields__)
    assert all(b["element"]["action_id"] == VALUE for b in modal["blocks"])
    required = {b["block_id"] for b in modal["blocks"] if not b["optional"]}
    assert required == {"title", "visibility"}

"""The modal staff fill in to post a new challenge.

Each input's block id is the name of the form field it holds, so the service's validation
errors (keyed by field) map straight onto Slack's `response_action: errors`.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.common import Block, plain

CALLBACK_ID = "challenge_new"
VALUE = "value"  # the action id of every input in the modal


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = True,
    hint: str = "",
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {**element, "action_id": VALUE},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text(
    *, multiline: bool = False, max_length: int | None = None, placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline}
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def _amount(placeholder: str) -> dict[str, Any]:
    return {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": "0",
        "placeholder": plain(placeholder, 150),
    }


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


def build_challenge_modal(*, private_metadata: str = "") -> dict[str, Any]:
    """The empty intake form; ``private_metadata`` carries where the command was typed."""
    public = _option("public", "Public: every member sees it")
    restricted = _option("restricted", "Restricted: staff and invited members only")
    blocks: list[Block] = [
        _input("title", "Title", _text(max_length=300), optional=False),
        _input("description", "Description", _text(multiline=True, max_length=3000)),
        _input(
            "owner",
            "Owner",
            _text(max_length=200, placeholder="City of Espoo"),
            hint="A member's name or slug links the member; any other name is kept as written.",
        ),
        _input("city", "City", _text(max_length=100)),
        _input("country", "Country", _text(max_length=100)),
        _input(
            "needs",
            "Needs",
            _text(multiline=True, max_length=2000),
            hint="What solvers must bring, one per line or separated by commas.",
        ),
        _input("tags", "Tags", _text(max_length=500), hint="Separated by commas."),
        _input("deadline", "Deadline", {"type": "datepicker"}),
        _input("budget_min", "Budget from (EUR)", _amount("50000")),
        _input("budget_max", "Budget up to (EUR)", _amount("120000")),
        _input(
            "visibility",
            "Visibility",
            {"type": "radio_buttons", "options": [public, restricted], "initial_option": public},
            optional=False,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("New challenge", 24),
        "submit": plain("Post challenge", 24),
        "close": plain("Cancel", 24),
        "private_metadata": private_metadata[:3000],
        "blocks": blocks,
    }

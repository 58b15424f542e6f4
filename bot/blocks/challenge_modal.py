"""The modal staff fill in to post a new challenge, and its "reading the text" stand-in.

Each input's block id is the name of the form field it holds, so the service's validation
errors (keyed by field) map onto Slack's `response_action: errors`. A form pre-filled from a
pasted text gets fresh block ids, ``<field>.<revision>``: Slack keeps what a person typed in
an input whose block id is unchanged across `views.update` and ignores its new initial value.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date
from typing import Any

from bot import ids
from bot.blocks.common import Block, button, context, plain, section
from bot.services.challenges import ChallengeForm

METADATA_MAX = 3000
PASTE_MAX = 3000
FORM_FIELDS = tuple(ChallengeForm.__dataclass_fields__)
# Slack's own limits on each text input; a pre-filled value longer than its input is refused.
TEXT_MAX_LENGTHS = {
    "title": 300,
    "description": 3000,
    "owner": 200,
    "city": 100,
    "country": 100,
    "needs": 2000,
    "tags": 500,
}

PREFILLED_NOTE = (
    ":sparkles: Pre-filled by the assistant from the text: check every field before you post."
)
NOT_READ_NOTE = (
    "I could not read the text automatically; it is in the description. "
    "Fill in the other fields yourself."
)
NOTHING_PASTED_NOTE = "Paste a call for proposals or an e-mail first, then press the button."


def prefill_note(*, by_model: bool) -> str:
    return PREFILLED_NOTE if by_model else NOT_READ_NOTE


# --- block ids with revisions ------------------------------------------------------------------


def block_id_for(name: str, revision: int = 0) -> str:
    """``title`` for the first form, ``title.2`` for its second pre-filled version."""
    return name if revision <= 0 else f"{name}.{revision}"


def field_of(block_id: str) -> str:
    """The form field an input's block id holds: ``title.2`` -> ``title``."""
    return block_id.partition(".")[0]


def revision_of(block_id: str) -> int:
    suffix = block_id.partition(".")[2]
    return int(suffix) if suffix.isdigit() else 0


def view_revision(view: dict[str, Any]) -> int:
    """The highest revision among a shown view's input blocks (0 for the first form)."""
    block_ids = [str(b.get("block_id", "")) for b in view.get("blocks") or []]
    block_ids += list(((view.get("state") or {}).get("values") or {}).keys())
    return max((revision_of(b) for b in block_ids), default=0)


def modal_metadata(channel_id: str, text: str = "") -> str:
    """The modal's ``private_metadata``: where the command was typed, and the pasted text
    clipped so that the whole fits Slack's 3,000 characters."""
    data: dict[str, str] = {"channel_id": channel_id}
    if not text:
        return json.dumps(data)
    kept = text[:METADATA_MAX]
    while True:
        encoded = json.dumps(data | {"text": kept}, ensure_ascii=False)
        if len(encoded) <= METADATA_MAX:
            return encoded
        # Escapes make the JSON longer than the text; cut by the excess and try again.
        kept = kept[: max(0, len(kept) - (len(encoded) - METADATA_MAX))]


def metadata_channel(private_metadata: str) -> str:
    """Where the command that opened the modal was typed, from its ``private_metadata``."""
    try:
        data = json.loads(private_metadata or "{}")
    except ValueError:
        return ""
    channel = data.get("channel_id") if isinstance(data, dict) else None
    return channel if isinstance(channel, str) else ""


# --- the pieces --------------------------------------------------------------------------------


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
        "element": {**element, "action_id": ids.INTAKE_VALUE},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text(
    *,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str = "",
    initial: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline}
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    if initial and initial.strip():
        element["initial_value"] = initial[:max_length] if max_length else initial
    return element


def _amount(placeholder: str, initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": "0",
        "placeholder": plain(placeholder, 150),
    }
    if initial and initial.strip().isdigit():
        element["initial_value"] = initial.strip()
    return element


def _day(initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker"}
    with contextlib.suppress(ValueError):  # no day, or not a day: the picker starts empty
        element["initial_date"] = date.fromisoformat((initial or "").strip()).isoformat()
    return element


def _option(value: str, text: str) -> dict[str, Any]:
    return {"text": plain(text, 75), "value": value}


# --- the views ---------------------------------------------------------------------------------


def build_challenge_modal(
    *,
    private_metadata: str = "",
    form: ChallengeForm | None = None,
    note: str = "",
    pasted: str = "",
    revision: int = 0,
) -> dict[str, Any]:
    """The intake form, empty or pre-filled from ``form``; ``private_metadata`` carries where
    the command was typed, ``note`` says how it was filled, ``pasted`` is the text it came
    from, and ``revision`` gives a pre-filled form its fresh block ids."""
    form = form or ChallengeForm()
    public = _option("public", "Public: every member sees it")
    restricted = _option("restricted", "Restricted: staff and invited members only")
    chosen = restricted if (form.visibility or "").strip() == "restricted" else public

    def ident(name: str) -> str:
        return block_id_for(name, revision)

    def text(name: str, **options: Any) -> dict[str, Any]:
        return _text(max_length=TEXT_MAX_LENGTHS[name], initial=getattr(form, name), **options)

    blocks: list[Block] = [context(note)] if note else []
    blocks += [
        _input(
            ident(ids.INTAKE_PASTE),
            "Paste a call for proposals or an e-mail",
            _text(multiline=True, max_length=PASTE_MAX, initial=pasted),
            hint="Then press the button below to fill in the form from it.",
        ),
        {
            "type": "actions",
            "block_id": ids.PREFILL_BLOCK,
            "elements": [button("Fill in the form from this text", ids.PREFILL, "prefill")],
        },
        _input(ident("title"), "Title", text("title"), optional=False),
        _input(ident("description"), "Description", text("description", multiline=True)),
        _input(
            ident("owner"),
            "Owner",
            text("owner", placeholder="City of Espoo"),
            hint="A member's name or slug links the member; any other name is kept as written.",
        ),
        _input(ident("city"), "City", text("city")),
        _input(ident("country"), "Country", text("country")),
        _input(
            ident("needs"),
            "Needs",
            text("needs", multiline=True),
            hint="What solvers must bring, one per line or separated by commas.",
        ),
        _input(ident("tags"), "Tags", text("tags"), hint="Separated by commas."),
        _input(ident("deadline"), "Deadline", _day(form.deadline)),
        _input(ident("budget_min"), "Budget from (EUR)", _amount("50000", form.budget_min)),
        _input(ident("budget_max"), "Budget up to (EUR)", _amount("120000", form.budget_max)),
        _input(
            ident("visibility"),
            "Visibility",
            {"type": "radio_buttons", "options": [public, restricted], "initial_option": chosen},
            optional=False,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.CHALLENGE_MODAL,
        "title": plain("New challenge", 24),
        "submit": plain("Post challenge", 24),
        "close": plain("Cancel", 24),
        "private_metadata": private_metadata[:METADATA_MAX],
        "blocks": blocks,
    }


def build_challenge_loading(*, private_metadata: str = "") -> dict[str, Any]:
    """Shown at once while the assistant reads the pasted text: nothing to submit yet."""
    return {
        "type": "modal",
        "callback_id": ids.CHALLENGE_MODAL,
        "title": plain("New challenge", 24),
        "close": plain("Cancel", 24),
        "private_metadata": private_metadata[:METADATA_MAX],
        "blocks": [section(":hourglass_flowing_sand: Reading the text…")],
    }

"""Pre-filling the new-challenge modal from a pasted text: the modal's *Fill in the form from
this text* button, and the same flow for `/challenge <pasted text>`.

Slack gives 3 seconds to open a modal and the model may take longer, so with a model the
"reading the text" view comes first and the filled form replaces it when the model is done.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse
from sqlalchemy import Engine

from bot.blocks.challenge_modal import (
    NOTHING_PASTED_NOTE,
    PASTE_MAX,
    build_challenge_loading,
    build_challenge_modal,
    metadata_channel,
    modal_metadata,
    prefill_note,
    view_revision,
)
from bot.blocks.messages import build_not_staff
from bot.listeners.strangers import people_only, private_reply
from bot.listeners.views.challenge_new import form_from_view, pasted_text
from bot.services import intake
from bot.services.challenges import NotStaff, earliest_today
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel

log = logging.getLogger(__name__)


def read_text(
    viewer: Viewer, text: str, *, engine: Engine, llm: LanguageModel | None
) -> intake.Prefill:
    """The pre-filled form; whatever breaks, the offline one, so the modal never stays on
    "Reading the text…". NotStaff passes through: the service decides who may."""
    try:
        return intake.prefill_for(
            viewer=viewer, llm=llm, text=text, today=earliest_today(), engine=engine
        )
    except NotStaff:
        raise
    except Exception:
        log.exception("pre-filling the intake form failed; the text goes in as it is")
        return intake.Prefill(intake.offline_form(text), by_model=False)


def _prefilled_modal(
    prefill: intake.Prefill, *, channel_id: str, text: str, revision: int
) -> dict[str, Any]:
    return build_challenge_modal(
        private_metadata=modal_metadata(channel_id),
        form=prefill.form,
        note=prefill_note(by_model=prefill.by_model),
        pasted=text[:PASTE_MAX],
        revision=revision,
    )


def _update(
    client: WebClient, *, view_id: str, hash: str | None, view: dict[str, Any]
) -> SlackResponse | None:
    """Replace the shown view; None when Slack refuses (the person closed the modal, or it
    changed meanwhile): there is nobody left to show the form to."""
    try:
        return client.views_update(view_id=view_id, hash=hash, view=view)
    except SlackApiError as exc:
        log.info("the intake modal was not updated: %s", exc.response.get("error"))
        return None


def open_prefilled(
    client: WebClient,
    *,
    trigger_id: str,
    viewer: Viewer,
    text: str,
    channel_id: str,
    engine: Engine,
    llm: LanguageModel | None,
) -> None:
    """`/challenge <pasted text>`: the form filled in from ``text``, for staff."""
    if llm is None:
        # No model to wait for: the offline pre-fill is instant, so the form opens directly.
        prefill = read_text(viewer, text, engine=engine, llm=llm)
        view = _prefilled_modal(prefill, channel_id=channel_id, text=text, revision=1)
        client.views_open(trigger_id=trigger_id, view=view)
        return
    loading = build_challenge_loading(private_metadata=modal_metadata(channel_id, text))
    opened = client.views_open(trigger_id=trigger_id, view=loading)
    shown = opened.get("view") or {}
    prefill = read_text(viewer, text, engine=engine, llm=llm)
    view = _prefilled_modal(prefill, channel_id=channel_id, text=text, revision=1)
    _update(client, view_id=str(shown.get("id")), hash=shown.get("hash"), view=view)


@people_only(private_reply)
def prefill_pressed(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
    llm: LanguageModel | None,
) -> None:
    ack()
    view: dict[str, Any] = body.get("view") or {}
    if not viewer.is_staff:
        # Only staff are given the modal; a forged click gets no model call, and the reason.
        client.chat_postMessage(
            channel=viewer.slack_user_id, **build_not_staff(what="post challenges")
        )
        return
    if not view.get("id"):
        return
    view_id, metadata = str(view["id"]), str(view.get("private_metadata") or "")
    typed = form_from_view(view)
    text = pasted_text(view).strip()
    if not text:
        # Same block ids: Slack keeps everything typed so far and shows the note.
        again = build_challenge_modal(
            private_metadata=metadata,
            form=typed,
            note=NOTHING_PASTED_NOTE,
            revision=view_revision(view),
        )
        _update(client, view_id=view_id, hash=view.get("hash"), view=again)
        return
    channel_id = metadata_channel(metadata)
    hash_ = view.get("hash")
    if llm is not None:
        loading = build_challenge_loading(private_metadata=modal_metadata(channel_id, text))
        shown = _update(client, view_id=view_id, hash=hash_, view=loading)
        if shown is None:
            return
        hash_ = (shown.get("view") or {}).get("hash")
    prefill = read_text(viewer, text, engine=engine, llm=llm)
    prefill = dataclasses.replace(prefill, form=intake.with_typed(prefill, typed))
    filled = _prefilled_modal(
        prefill, channel_id=channel_id, text=text, revision=view_revision(view) + 1
    )
    _update(client, view_id=view_id, hash=hash_, view=filled)

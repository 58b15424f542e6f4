"""The new-challenge modal submitted: validate, store, then post the card and remember it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import ids
from bot.blocks.challenge_card import (
    NOT_SAVED,
    ONLY_STAFF_POST,
    build_card_not_posted,
    build_challenge_card,
    build_challenge_posted,
    build_thread_opener,
)
from bot.blocks.challenge_modal import FORM_FIELDS, field_of, revision_of
from bot.listeners.strangers import identified
from bot.services import challenges
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel
from bot.services.matching import SolverSearch, TeamSuggestion
from bot.settings import Settings

log = logging.getLogger(__name__)


def _latest_inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field's input state, from the newest revision of its block in the view."""
    values: dict[str, dict[str, dict[str, Any]]] = view.get("state", {}).get("values", {})
    latest: dict[str, tuple[int, dict[str, Any]]] = {}
    for block_id, actions in values.items():
        name, revision = field_of(block_id), revision_of(block_id)
        if name not in latest or revision >= latest[name][0]:
            latest[name] = (revision, (actions or {}).get(ids.INTAKE_VALUE) or {})
    return {name: state for name, (_, state) in latest.items()}


def _value(state: dict[str, Any]) -> str | None:
    if "selected_option" in state:
        value = (state["selected_option"] or {}).get("value")
    else:
        value = state.get("selected_date", state.get("value"))
    return value if isinstance(value, str) else None


def form_from_view(view: dict[str, Any]) -> challenges.ChallengeForm:
    """Read the modal's state into the service's form: every field a string or None.

    The pasted text and the button are not part of the form and are left out.
    """
    inputs = _latest_inputs(view)
    return challenges.ChallengeForm(**{name: _value(inputs.get(name, {})) for name in FORM_FIELDS})


def pasted_text(view: dict[str, Any]) -> str:
    """What the person pasted into the modal's text field, or ''."""
    return _value(_latest_inputs(view).get(ids.INTAKE_PASTE, {})) or ""


def errors_for_view(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """The validation errors (keyed by field) keyed by the block ids of the submitted view."""
    block_ids = [str(b.get("block_id", "")) for b in view.get("blocks") or []]
    block_ids += list(view.get("state", {}).get("values", {}).keys())
    newest: dict[str, str] = {}
    for block_id in block_ids:
        name = field_of(block_id)
        if name not in newest or revision_of(block_id) > revision_of(newest[name]):
            newest[name] = block_id
    return {newest.get(name, name): message for name, message in errors.items()}


@identified
def challenge_submitted(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    viewer: Viewer | None,
    settings: Settings,
    engine: Engine,
    llm: LanguageModel | None,
    open_search: Callable[[], SolverSearch],
) -> None:
    check = challenges.validate_challenge_form(form_from_view(view))
    if check.draft is None:
        ack(response_action="errors", errors=errors_for_view(view, check.errors))
        return
    if viewer is None or not viewer.is_staff:
        refusal = {"title": ONLY_STAFF_POST}
        ack(response_action="errors", errors=errors_for_view(view, refusal))
        return
    try:
        # Stored before the modal closes: if the store fails, the author still sees the form.
        challenge = challenges.create_challenge(engine=engine, draft=check.draft, author=viewer)
    except SQLAlchemyError:
        log.exception("storing a new challenge failed")
        failure = {"title": NOT_SAVED}
        ack(response_action="errors", errors=errors_for_view(view, failure))
        return
    ack()
    channel = challenges.card_channel(
        challenge,
        challenges_channel=settings.challenges_channel,
        staff_channel=settings.staff_channel,
    )
    note = build_challenge_posted(challenge, channel_id=channel)
    if channel:
        # Its own transactions, none of them open while the model writes the reasons.
        solvers = challenges.suggest_for_card(
            engine=engine, search=open_search(), challenge=challenge, llm=llm
        )
        note = _post_card(client, challenge, solvers, channel=channel, engine=engine) or note
    _tell_author(client, viewer, view, note)


def _post_card(
    client: WebClient,
    challenge: challenges.ChallengeSummary,
    solvers: TeamSuggestion,
    *,
    channel: str,
    engine: Engine,
) -> dict[str, Any] | None:
    """Post the card and open its thread; None when it went out, else the note for the author."""
    try:
        posted = client.chat_postMessage(
            channel=channel, **build_challenge_card(challenge, solvers)
        )
        challenges.remember_card(
            engine=engine,
            challenge_id=challenge.id,
            channel_id=posted["channel"],
            thread_ts=posted["ts"],
        )
        client.chat_postMessage(
            channel=posted["channel"], thread_ts=posted["ts"], **build_thread_opener(challenge)
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        log.warning("posting the card of %s failed: %s", challenge.slug, error)
        return build_card_not_posted(challenge, channel_id=channel, error=error)
    return None


def _tell_author(
    client: WebClient, author: Viewer, view: dict[str, Any], note: dict[str, Any]
) -> None:
    try:
        origin = json.loads(view.get("private_metadata") or "{}").get("channel_id")
    except ValueError:
        origin = None
    if not origin:
        return
    try:
        client.chat_postEphemeral(channel=origin, user=author.slack_user_id, **note)
    except SlackApiError as exc:
        # Typed in a channel the bot cannot post in: the card itself is the confirmation.
        log.info("could not confirm to the author: %s", exc.response.get("error"))

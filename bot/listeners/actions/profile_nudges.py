"""A nudge's *Still true* and *Not now*, and the Home tab's nudge setting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.profile import build_profile_notice, phrase, refusal_text
from bot.listeners.actions.profile_buttons import member_id_of
from bot.listeners.events.app_home_opened import publish_home
from bot.listeners.strangers import people_only, private_reply
from bot.services import profiles
from bot.services.digests.choosing import reading_language
from bot.services.identity import Viewer
from bot.services.matching import SolverSearch
from bot.services.nudges import set_nudges
from bot.settings import Settings


def _from_a_message(body: dict[str, Any]) -> bool:
    return (body.get("container") or {}).get("type") == "message"


def _answer_nudge(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    viewer: Viewer,
    engine: Engine,
    *,
    record: Callable[..., profiles.ProfileDraft],
    said: str,
) -> None:
    """Record the person's answer to a nudge and tell them, in the organisation's language."""
    try:
        draft = record(engine=engine, viewer=viewer, member_id=member_id_of(action))
    except profiles.ProfileError as exc:
        respond(**build_profile_notice(refusal_text(exc)), replace_original=False)
        return
    language = reading_language(draft.values.languages)
    text = phrase(language, said, member=draft.member_name)
    respond(**build_profile_notice(text), replace_original=_from_a_message(body))


@people_only(private_reply)
def profile_still_true(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    _answer_nudge(
        body, action, respond, viewer, engine, record=profiles.confirm_profile, said="confirmed"
    )


@people_only(private_reply)
def profile_not_now(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    viewer: Viewer,
    engine: Engine,
) -> None:
    ack()
    _answer_nudge(body, action, respond, viewer, engine, record=profiles.not_now, said="not_now")


@people_only(private_reply)
def home_nudges_chosen(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer,
    settings: Settings,
    engine: Engine,
    open_search: Callable[[], SolverSearch],
) -> None:
    ack()
    chosen = (action.get("selected_option") or {}).get("value", "")
    if chosen not in ("on", "off"):
        return  # only a forged payload carries another value
    set_nudges(engine=engine, viewer=viewer, on=chosen == "on")
    publish_home(
        client,
        body["user"]["id"],
        viewer,
        settings=settings,
        engine=engine,
        open_search=open_search,
    )

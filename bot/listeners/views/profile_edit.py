"""The profile modal submitted: field errors, "changed meanwhile" with the form reloaded, or
saved, made searchable at once and confirmed to the person by DM."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import ids
from bot.blocks.profile import (
    build_profile_modal,
    build_profile_saved,
    field_of,
    phrase,
    read_metadata,
    refusal_text,
    when,
)
from bot.listeners.strangers import identified
from bot.services import impact, profiles
from bot.services.identity import Viewer
from bot.services.matching import SolverSearch

log = logging.getLogger(__name__)

NOT_SAVED = "The profile could not be saved just now; please try again in a moment."


def _inputs(view: dict[str, Any]) -> dict[str, str | None]:
    """Each field's typed text, by field name (block ids carry the version after '@')."""
    values: dict[str, dict[str, dict[str, Any]]] = view.get("state", {}).get("values", {})
    found: dict[str, str | None] = {}
    for block_id, actions in values.items():
        state = (actions or {}).get(ids.PROFILE_VALUE) or {}
        value = state.get("value")
        found[field_of(block_id)] = value if isinstance(value, str) else None
    return found


def form_from_view(view: dict[str, Any]) -> profiles.ProfileForm:
    """Read the modal's state into the service's form, with as many reference slots as the
    form had (its metadata says)."""
    meta = read_metadata(str(view.get("private_metadata") or ""))
    inputs = _inputs(view)
    slots = meta.get("slots") if isinstance(meta.get("slots"), int) else 0
    references = tuple(
        profiles.ReferenceForm(
            **{
                name: inputs.get(profiles.reference_field(n, name))
                for name in ("title", "description", "year", "client")
            }
        )
        for n in range(max(0, min(int(slots or 0), profiles.REFERENCES_SHOWN)))
    )
    return profiles.ProfileForm(
        description=inputs.get("description"),
        capabilities=inputs.get("capabilities"),
        technologies=inputs.get("technologies"),
        languages=inputs.get("languages"),
        expertise=inputs.get("expertise"),
        has_expertise=bool(meta.get("expertise")),
        references=references,
    )


def errors_for_view(view: dict[str, Any], errors: dict[str, str]) -> dict[str, str]:
    """Errors keyed by field, keyed by the block ids of the submitted view."""
    block_ids = list(view.get("state", {}).get("values", {}).keys())
    block_ids += [str(b.get("block_id", "")) for b in view.get("blocks") or []]
    by_field = {field_of(b): b for b in block_ids if b}
    return {by_field.get(name, name): message for name, message in errors.items()}


@identified
def profile_submitted(
    ack: Ack,
    view: dict[str, Any],
    client: WebClient,
    viewer: Viewer | None,
    engine: Engine,
    open_search: Callable[[], SolverSearch],
) -> None:
    form = form_from_view(view)
    check = profiles.check_profile_form(form)
    language = check.language
    if viewer is None:
        refusal = phrase(language, "unknown_person")
        ack(response_action="errors", errors=errors_for_view(view, {"description": refusal}))
        return
    if check.values is None:
        errors = {
            name: phrase(language, key, **values) for name, (key, values) in check.errors.items()
        }
        ack(response_action="errors", errors=errors_for_view(view, errors))
        return
    meta = read_metadata(str(view.get("private_metadata") or ""))
    try:
        saved = profiles.save_profile(
            engine=engine,
            viewer=viewer,
            member_id=int(meta.get("member_id") or 0),
            version=int(meta.get("version") or 0),
            seen=str(meta.get("seen") or ""),
            values=check.values,
        )
    except profiles.ProfileChangedMeanwhile as exc:
        note = (
            phrase(language, "changed_meanwhile", by=exc.by, at=when(exc.at))
            if exc.by
            else phrase(language, "changed_meanwhile_anon")
        )
        ack(response_action="update", view=build_profile_modal(exc.current, note=note))
        return
    except profiles.ProfileError as exc:
        refusal = refusal_text(exc, language)
        ack(response_action="errors", errors=errors_for_view(view, {"description": refusal}))
        return
    except SQLAlchemyError:
        log.exception("saving a profile failed")
        ack(response_action="errors", errors=errors_for_view(view, {"description": NOT_SAVED}))
        return
    ack()
    if saved.fields:
        # Searchable at once: the save queued the member in the outbox; apply it now, whatever
        # INDEX_WAIT_MS allows a question (one member's passages take a moment; it waits only
        # while another process holds the index lease).
        open_search().index_all()
        impact.forget_rankings()
    try:
        client.chat_postMessage(
            channel=viewer.slack_user_id,
            **build_profile_saved(saved.draft.member_name, saved.fields, language=language),
        )
    except SlackApiError as exc:
        log.info("could not confirm a saved profile: %s", exc.response.get("error"))

"""`/profile`: open the organisation's profile form (staff: any member's), or show a member's
profile history to staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.messages import build_usage
from bot.blocks.profile import (
    build_impact_message,
    build_profile_history,
    build_profile_modal,
    build_profile_notice,
    refusal_text,
)
from bot.listeners.strangers import people_only, respond_reply
from bot.services import impact, profiles
from bot.services.identity import Viewer
from bot.services.language import detect_language
from bot.services.matching import SolverSearch
from bot.settings import Settings

PROFILE_USAGE = "\n".join(
    [
        "*`/profile`* — what the bot says about your organisation, kept true by you:",
        "• `/profile` — edit your organisation's profile: description, capabilities, "
        "technologies, languages, references and your own expertise",
        "• `/profile <member>` — edit a member's profile (staff)",
        "• `/profile history <member>` — who changed what in its profile, and when (staff)",
        "• `/profile impact [<member>]` — how often your organisation was suggested in the last "
        "30 days, for which needs, and the searches it narrowly missed (staff: any member)",
        "• `/profile help` — this text",
    ]
)


@people_only(respond_reply)
def profile_command(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    viewer: Viewer,
    engine: Engine,
    settings: Settings,
    open_search: Callable[[], SolverSearch],
) -> None:
    ack()
    text = " ".join(str(command.get("text", "")).split())
    word, _, rest = text.partition(" ")
    language = detect_language(text) if text else "en"
    try:
        if word.lower() in ("help", "apua", "ohje"):
            respond(**build_usage(PROFILE_USAGE))
        elif word.lower() in ("impact", "numbers", "luvut"):
            member_id = (
                profiles.open_profile(engine=engine, viewer=viewer, key=rest or None).member_id
                if rest or not viewer.is_staff
                else None
            )
            if member_id is None:
                respond(
                    **build_usage(
                        PROFILE_USAGE, problem="Name the member: /profile impact <member>"
                    )
                )
                return
            found = impact.member_impact(
                engine=engine,
                search=open_search(),
                viewer=viewer,
                member_id=member_id,
                operator_member=settings.operator_member,
            )
            respond(**build_impact_message(found))
        elif word.lower() in ("history", "historia"):
            if not rest:
                respond(
                    **build_usage(
                        PROFILE_USAGE, problem="Name the member: /profile history <member>"
                    )
                )
                return
            name, rows = profiles.profile_history(engine=engine, viewer=viewer, key=rest)
            respond(**build_profile_history(name, rows))
        else:
            draft = profiles.open_profile(engine=engine, viewer=viewer, key=text or None)
            client.views_open(trigger_id=command["trigger_id"], view=build_profile_modal(draft))
    except profiles.ProfileError as exc:
        respond(**build_profile_notice(refusal_text(exc, language)))

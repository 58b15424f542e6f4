"""The Home tab's digest menu: change how often the digest comes, then show the new setting."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.deps import BotDeps
from bot.listeners.events.app_home_opened import publish_home
from bot.services.digests.subscriptions import UnknownFrequency, change_digest_frequency
from bot.services.identity import Viewer
from storage.db import session_scope


def make_home_digest_action(deps: BotDeps) -> Callable[..., None]:
    def home_digest_chosen(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: WebClient,
        context: BoltContext,
    ) -> None:
        ack()
        viewer: Viewer | None = context.get("viewer")
        if viewer is None:
            return
        chosen = (action.get("selected_option") or {}).get("value", "")
        try:
            with session_scope(deps.engine) as session:
                frequency = change_digest_frequency(session=session, viewer=viewer, text=chosen)
        except UnknownFrequency:
            return  # only a forged payload can carry another value; the view stays as it was
        viewer = dataclasses.replace(viewer, digest_frequency=frequency)
        publish_home(deps, client, body["user"]["id"], viewer)

    return home_digest_chosen

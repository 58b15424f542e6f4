"""The Home tab's digest menu: how often the person gets the digest, then the tab again.

A stranger's Home tab has no such menu; a forged choice gets the how-to-get-added reply by DM
and changes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.listeners.events.app_home_opened import publish_home
from bot.listeners.strangers import people_only, private_reply
from bot.services.digests.subscriptions import UnknownFrequency, change_digest_frequency
from bot.services.identity import Viewer
from bot.services.matching import SolverSearch
from bot.settings import Settings


@people_only(private_reply)
def home_digest_chosen(
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
    try:
        frequency = change_digest_frequency(engine=engine, viewer=viewer, text=chosen)
    except UnknownFrequency:
        return  # only a forged payload can carry another value; the view stays as it was
    viewer = dataclasses.replace(viewer, digest_frequency=frequency)
    publish_home(
        client,
        body["user"]["id"],
        viewer,
        settings=settings,
        engine=engine,
        open_search=open_search,
    )

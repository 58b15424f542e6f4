"""The Home tab's *More challenges* / *Newer* buttons: publish the requested page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.listeners.events.app_home_opened import publish_home
from bot.listeners.strangers import identified
from bot.services.identity import Viewer
from bot.services.matching import SolverSearch
from bot.settings import Settings


@identified
def home_page_turned(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    viewer: Viewer | None,
    settings: Settings,
    engine: Engine,
    open_search: Callable[[], SolverSearch],
) -> None:
    ack()
    page = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
    publish_home(
        client,
        body["user"]["id"],
        viewer,
        settings=settings,
        engine=engine,
        open_search=open_search,
        page=page,
    )

"""The Home tab opened, or turned to another page: publish the person's own picture of the
cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.blocks.home import build_home, build_unknown_home
from bot.listeners.strangers import identified
from bot.services.home import home_page
from bot.services.identity import Viewer
from bot.services.matching import SolverSearch
from bot.settings import Settings


def publish_home(
    client: WebClient,
    user_id: str,
    viewer: Viewer | None,
    *,
    settings: Settings,
    engine: Engine,
    open_search: Callable[[], SolverSearch],
    page: int = 0,
) -> None:
    """Shared with the Home tab's buttons, which re-publish the same view."""
    if viewer is None:
        view = build_unknown_home(staff_channel=settings.staff_channel)
    else:
        view = build_home(
            home_page(
                engine=engine,
                viewer=viewer,
                page=page,
                search=open_search(),
                operator_member=settings.operator_member,
            )
        )
    client.views_publish(user_id=user_id, view=view)


@identified
def app_home_opened(
    event: dict[str, Any],
    client: WebClient,
    viewer: Viewer | None,
    settings: Settings,
    engine: Engine,
    open_search: Callable[[], SolverSearch],
) -> None:
    # The Messages tab sends the same event; only the Home tab has a view to publish.
    if event.get("tab", "home") != "home":
        return
    publish_home(
        client, event["user"], viewer, settings=settings, engine=engine, open_search=open_search
    )

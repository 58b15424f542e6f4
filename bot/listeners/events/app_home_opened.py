"""The Home tab opened: publish the person's own picture of the cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.blocks.home import build_home, build_unknown_home
from bot.deps import BotDeps
from bot.services.home import home_page
from bot.services.identity import Viewer
from storage.db import session_scope


def publish_home(
    deps: BotDeps, client: WebClient, user_id: str, viewer: Viewer | None, page: int = 0
) -> None:
    """Shared with the Home tab's buttons, which re-publish the same view."""
    if viewer is None:
        view = build_unknown_home(staff_channel=deps.settings.staff_channel)
    else:
        with session_scope(deps.engine) as session:
            view = build_home(
                home_page(session=session, viewer=viewer, page=page, search=deps.solver_search())
            )
    client.views_publish(user_id=user_id, view=view)


def make_app_home_opened(deps: BotDeps) -> Callable[..., None]:
    def app_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        # The Messages tab sends the same event; only the Home tab has a view to publish.
        if event.get("tab", "home") != "home":
            return
        publish_home(deps, client, event["user"], context.get("viewer"))

    return app_home_opened

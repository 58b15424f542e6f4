"""Socket Mode: Bolt's adapter over slack_sdk's built-in WebSocket client, taking each envelope
once.

Slack redelivers an envelope it thinks went unacknowledged, perhaps on another process's
connection; like a retried HTTP event it must not be answered twice. Events carry an event id
(bot.middleware drops a repeated one); commands and interactions carry only the envelope's
id, so every envelope is claimed in the store by its id before Bolt sees it, and a repeat is
acknowledged and dropped.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy import Engine

from bot.services.slack_events import first_delivery
from bot.settings import Settings

log = logging.getLogger(__name__)
#: Slack's default; the client pings this often and reconnects when a ping goes unanswered.
PING_INTERVAL = 10.0


class OnceSocketModeHandler(SocketModeHandler):
    def __init__(self, app: App, app_token: str, engine: Engine, ping_interval: float) -> None:
        super().__init__(app, app_token, ping_interval=ping_interval)
        self.engine = engine

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        if not first_delivery(engine=self.engine, event_id=f"envelope:{req.envelope_id}"):
            log.info("envelope %s was already handled; acknowledging it again", req.envelope_id)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)  # type: ignore[arg-type]


def socket_mode_handler(
    app: App, settings: Settings, engine: Engine, *, ping_interval: float = PING_INTERVAL
) -> SocketModeHandler:
    """What `scic serve` connects with when SLACK_APP_TOKEN is set (tests use it too)."""
    return OnceSocketModeHandler(app, settings.slack_app_token, engine, ping_interval)

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

from bot.app import LISTENER_THREADS
from bot.services.slack_events import first_delivery
from bot.settings import Settings

log = logging.getLogger(__name__)
#: Slack's default; the client pings this often and reconnects when a ping goes unanswered.
PING_INTERVAL = 10.0


class OnceSocketModeHandler(SocketModeHandler):
    def __init__(self, app: App, app_token: str, engine: Engine, ping_interval: float) -> None:
        # Envelopes are acknowledged on these threads once the middleware has run (the
        # listeners' work goes on on Bolt's own threads); as many as HTTP mode would have, so
        # that a slow store or users.info call does not queue other envelopes' acks.
        super().__init__(app, app_token, ping_interval=ping_interval, concurrency=LISTENER_THREADS)
        self.engine = engine

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        if not self._first(req.envelope_id):
            log.info("envelope %s was already handled; acknowledging it again", req.envelope_id)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)  # type: ignore[arg-type]

    def _first(self, envelope_id: str) -> bool:
        try:
            return first_delivery(engine=self.engine, event_id=f"envelope:{envelope_id}")
        except Exception:
            # A store that cannot take the claim now must not leave the envelope unanswered
            # (Slack would deliver it again); events are still kept to one by their event id.
            log.exception("could not claim envelope %s; handling it anyway", envelope_id)
            return True


def socket_mode_handler(
    app: App, settings: Settings, engine: Engine, *, ping_interval: float = PING_INTERVAL
) -> SocketModeHandler:
    """What `scic serve` connects with when SLACK_APP_TOKEN is set (tests use it too)."""
    return OnceSocketModeHandler(app, settings.slack_app_token, engine, ping_interval)

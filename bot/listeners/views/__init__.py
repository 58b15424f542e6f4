"""Modal submissions."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks.challenge_modal import CALLBACK_ID
from bot.blocks.team_roster import JOIN_CALLBACK
from bot.deps import BotDeps
from bot.listeners.views.challenge_new import make_challenge_submission
from bot.listeners.views.team_join import make_team_join_submission


def register(app: App, deps: BotDeps) -> None:
    app.view_submission(CALLBACK_ID)(make_challenge_submission(deps))
    app.view_submission(JOIN_CALLBACK)(make_team_join_submission(deps))

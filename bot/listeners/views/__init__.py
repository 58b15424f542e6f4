"""Modal submissions."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from bot.listeners.views.challenge_new import challenge_submitted
from bot.listeners.views.profile_edit import profile_submitted
from bot.listeners.views.team_join import team_join_submitted


def register(app: App) -> None:
    app.view_submission(ids.CHALLENGE_MODAL)(challenge_submitted)
    app.view_submission(ids.TEAM_JOIN_MODAL)(team_join_submitted)
    app.view_submission(ids.PROFILE_MODAL)(profile_submitted)

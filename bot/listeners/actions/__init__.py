"""Buttons and menus: answers, the challenge card, team rosters, digests and the Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from bot.listeners.actions.answer_sources import open_source_chosen
from bot.listeners.actions.challenge_interested import join_from_card
from bot.listeners.actions.challenge_prefill import prefill_pressed
from bot.listeners.actions.challenge_staff import after_deadline_chosen, deadline_picked
from bot.listeners.actions.digest_interested import interest_from_digest
from bot.listeners.actions.digest_not_relevant import not_relevant
from bot.listeners.actions.home_digest import home_digest_chosen
from bot.listeners.actions.home_page import home_page_turned
from bot.listeners.actions.introductions import (
    accept_introduction,
    decline_introduction,
    introduce,
)
from bot.listeners.actions.profile_buttons import profile_edit_pressed
from bot.listeners.actions.profile_nudges import (
    home_nudges_chosen,
    profile_not_now,
    profile_still_true,
)
from bot.listeners.actions.solver_buttons import ask_staff, not_a_fit, share
from bot.listeners.actions.team_leave import team_left
from bot.listeners.actions.team_role import team_role_chosen
from bot.listeners.actions.team_status import team_status_chosen


def register(app: App) -> None:
    app.action(ids.JOIN_FROM_CARD)(join_from_card)
    app.action(ids.PREFILL)(prefill_pressed)
    app.action(ids.TEAM_ROLE)(team_role_chosen)
    app.action(ids.TEAM_LEAVE)(team_left)
    app.action(ids.TEAM_STATUS)(team_status_chosen)
    app.action(ids.CHALLENGE_DEADLINE)(deadline_picked)
    app.action(ids.CHALLENGE_AFTER_DEADLINE)(after_deadline_chosen)
    app.action(ids.HOME_PAGE)(home_page_turned)
    app.action(ids.HOME_DIGEST)(home_digest_chosen)
    app.action(ids.INTEREST_FROM_DIGEST)(interest_from_digest)
    app.action(ids.NOT_RELEVANT)(not_relevant)
    app.action(ids.SHARE)(share)
    app.action(ids.NOT_A_FIT)(not_a_fit)
    app.action(ids.ASK_STAFF)(ask_staff)
    app.action(ids.INTRODUCE)(introduce)
    app.action(ids.INTRODUCTION_ACCEPT)(accept_introduction)
    app.action(ids.INTRODUCTION_DECLINE)(decline_introduction)
    app.action(ids.OPEN_SOURCE)(open_source_chosen)
    app.action(ids.PROFILE_EDIT)(profile_edit_pressed)
    app.action(ids.PROFILE_STILL_TRUE)(profile_still_true)
    app.action(ids.PROFILE_NOT_NOW)(profile_not_now)
    app.action(ids.HOME_NUDGES)(home_nudges_chosen)

"""Buttons and menus: answers, the challenge card, team rosters, digests and the Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks.answers import (
    ASK_STAFF,
    INTRO_ACCEPT,
    INTRO_DECLINE,
    INTRODUCE,
    NOT_A_FIT,
    OPEN_SOURCE,
    SHARE,
)
from bot.blocks.challenge_card import INTERESTED_ACTION
from bot.blocks.challenge_modal import PREFILL_ACTION
from bot.blocks.digest import INTERESTED_ACTION as DIGEST_INTERESTED_ACTION
from bot.blocks.digest import NOT_RELEVANT_ACTION
from bot.blocks.home import DIGEST_ACTION, PAGE_ACTION
from bot.blocks.team_roster import LEAVE_ACTION, ROLE_ACTION, STATUS_ACTION
from bot.deps import BotDeps
from bot.listeners.actions.answer_sources import make_open_source_action
from bot.listeners.actions.challenge_interested import make_interested_action
from bot.listeners.actions.challenge_prefill import make_challenge_prefill_action
from bot.listeners.actions.digest_interested import make_digest_interested_action
from bot.listeners.actions.digest_not_relevant import make_digest_not_relevant_action
from bot.listeners.actions.home_digest import make_home_digest_action
from bot.listeners.actions.home_page import make_home_page_action
from bot.listeners.actions.introductions import make_decision_action, make_introduce_action
from bot.listeners.actions.solver_buttons import (
    make_ask_staff_action,
    make_not_a_fit_action,
    make_share_action,
)
from bot.listeners.actions.team_leave import make_team_leave_action
from bot.listeners.actions.team_role import make_team_role_action
from bot.listeners.actions.team_status import make_team_status_action


def register(app: App, deps: BotDeps) -> None:
    app.action(INTERESTED_ACTION)(make_interested_action(deps))
    app.action(PREFILL_ACTION)(make_challenge_prefill_action(deps))
    app.action(ROLE_ACTION)(make_team_role_action(deps))
    app.action(LEAVE_ACTION)(make_team_leave_action(deps))
    app.action(STATUS_ACTION)(make_team_status_action(deps))
    app.action(PAGE_ACTION)(make_home_page_action(deps))
    app.action(DIGEST_ACTION)(make_home_digest_action(deps))
    app.action(DIGEST_INTERESTED_ACTION)(make_digest_interested_action(deps))
    app.action(NOT_RELEVANT_ACTION)(make_digest_not_relevant_action(deps))
    app.action(SHARE)(make_share_action(deps))
    app.action(NOT_A_FIT)(make_not_a_fit_action(deps))
    app.action(ASK_STAFF)(make_ask_staff_action(deps))
    app.action(INTRODUCE)(make_introduce_action(deps))
    app.action(INTRO_ACCEPT)(make_decision_action(deps, accept=True))
    app.action(INTRO_DECLINE)(make_decision_action(deps, accept=False))
    app.action(OPEN_SOURCE)(make_open_source_action(deps))

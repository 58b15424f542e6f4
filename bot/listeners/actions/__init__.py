"""Buttons and menus: the challenge card and the Home tab."""

from __future__ import annotations

from slack_bolt import App

from bot.blocks.challenge_card import INTERESTED_ACTION
from bot.blocks.home import DIGEST_ACTION, PAGE_ACTION
from bot.deps import BotDeps
from bot.listeners.actions.challenge_interested import make_interested_action
from bot.listeners.actions.home_digest import make_home_digest_action
from bot.listeners.actions.home_page import make_home_page_action


def register(app: App, deps: BotDeps) -> None:
    app.action(INTERESTED_ACTION)(make_interested_action(deps))
    app.action(PAGE_ACTION)(make_home_page_action(deps))
    app.action(DIGEST_ACTION)(make_home_digest_action(deps))

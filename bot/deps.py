"""What every listener needs besides the Slack payload: settings, the store, the search index."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.settings import Settings
from storage import clock

if TYPE_CHECKING:
    from bot.services.llm import LanguageModel
    from bot.services.matching import SolverSearch

_OPENING = threading.Lock()


def earliest_today() -> date:
    """Today's date somewhere on Earth (UTC-12): a deadline of 'today' is never refused as past.

    Slack's date picker gives the user's local day; the bot does not know their time zone.
    """
    return (clock.now() - timedelta(hours=12)).date()


@dataclass(frozen=True)
class BotDeps:
    settings: Settings
    engine: Engine
    today: Callable[[], date] = field(default=earliest_today)
    #: The search index; `scic serve` opens it at start-up, tests hand in their own.
    search: SolverSearch | None = None
    #: The language model, or None: every answer then comes from the templates.
    llm: LanguageModel | None = None

    def solver_search(self) -> SolverSearch:
        """The process's search index, opened on first use when nobody handed one in."""
        if self.search is None:
            with _OPENING:
                if self.search is None:
                    from bot.services.matching import SolverSearch

                    # Frozen for callers; filling the one lazy slot once is still safe.
                    object.__setattr__(
                        self, "search", SolverSearch.open(self.settings, self.engine)
                    )
        assert self.search is not None
        return self.search

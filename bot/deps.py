"""The bot's dependencies: settings, the store, the search index and the language model.

Built once per process; bot.middleware puts them in Bolt's context for the listeners, and the
scheduler's jobs hold them too."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.journal import OutageJournal
    from bot.services.llm import LanguageModel
    from bot.services.matching import SolverSearch

_OPENING = threading.Lock()


@dataclass(frozen=True)
class BotDeps:
    settings: Settings
    engine: Engine
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

    def journal(self) -> OutageJournal:
        """Where questions wait while the store is away (`bot.journal`), under DATA_DIR."""
        from bot.journal import OutageJournal

        return OutageJournal.of(self.settings)

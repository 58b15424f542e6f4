"""The bot's dependencies: settings, the store, the search index and the language model.

Built once per process; bot.middleware puts them in Bolt's context for the listeners, and the
scheduler's jobs hold them too."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.journal import OutageJournal
    from bot.services.llm import LanguageModel
    from bot.services.matching import SolverSearch

_OPENING = threading.Lock()


class AnswerSlots:
    """The questions one process works out at once (ANSWER_CONCURRENCY; 0: no bound).

    Working out an answer is Python-bound (understanding, ranking, rendering) and writes to
    the store (the claim, the log): fifty at once took the GIL and SQLite's write lock from
    the threads acknowledging Slack's requests, and a burst's acknowledgements took seconds.
    A question takes its turn before it claims its delivery and leaves it once its answer is
    worked out, before posting (a post waiting out Slack's rate limit holds no turn); the
    questions beyond the slots wait, recorded, and are answered in turn (one waiting past
    `bot.recovery.RETRY_AFTER` may be taken up by any process: whichever claims it answers).
    """

    def __init__(self, concurrency: int) -> None:
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency) if concurrency else None

    @contextmanager
    def turn(self) -> Iterator[Callable[[], None]]:
        """Hold a slot for the block; the function it yields leaves the slot early."""
        if self._slots is None:
            yield lambda: None
            return
        slots, left = self._slots, threading.Event()

        def leave() -> None:
            if not left.is_set():
                left.set()
                slots.release()

        slots.acquire()
        try:
            yield leave
        finally:
            leave()


def answer_concurrency(settings: Settings, *, writes: bool) -> int:
    """ANSWER_CONCURRENCY, raised to LLM_MAX_CONCURRENT when a model ``writes`` the answers:
    a question waiting on the model holds its slot without taking the GIL, and fewer slots
    than the model's would leave its capacity unused."""
    if settings.answer_concurrency and writes:
        return max(settings.answer_concurrency, settings.llm_max_concurrent)
    return settings.answer_concurrency


@dataclass(frozen=True)
class BotDeps:
    settings: Settings
    engine: Engine
    #: The search index; `scic serve` opens it at start-up, tests hand in their own.
    search: SolverSearch | None = None
    #: The language model, or None: every answer then comes from the templates.
    llm: LanguageModel | None = None
    #: The process's answering slots (ANSWER_CONCURRENCY), shared by every question listener.
    answering: AnswerSlots = field(default_factory=lambda: AnswerSlots(0))

    @classmethod
    def of(
        cls,
        settings: Settings,
        engine: Engine,
        *,
        search: SolverSearch | None = None,
        llm: LanguageModel | None = None,
    ) -> BotDeps:
        return cls(
            settings=settings,
            engine=engine,
            search=search,
            llm=llm,
            answering=AnswerSlots(answer_concurrency(settings, writes=llm is not None)),
        )

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

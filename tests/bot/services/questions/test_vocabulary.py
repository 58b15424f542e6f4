"""The vocabulary cache: questions arriving together on a cold cache share one load."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine

from bot.services.questions import vocabulary
from bot.services.questions.vocabulary import Vocabulary, VocabularyCache


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_concurrent_questions_on_a_cold_cache_load_the_vocabulary_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[float] = []
    real_load = vocabulary.load_vocabulary

    def slow_load(engine: Engine) -> Vocabulary:
        loads.append(time.monotonic())
        time.sleep(0.2)  # long enough for every thread to arrive while it runs
        return real_load(engine)

    monkeypatch.setattr(vocabulary, "load_vocabulary", slow_load)
    cache = VocabularyCache()
    got: list[Vocabulary] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get(engine))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert len(got) == 8 and all(v is got[0] for v in got)

"""The vocabulary cache: questions arriving together on a cold cache share one load."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine

from bot.services.questions import vocabulary
from bot.services.questions.vocabulary import (
    Vocabulary,
    VocabularyCache,
    challenge_stems,
    stems_of,
)
from storage.challenges import ChallengeFacts
from storage.models import ChallengeStatus, Visibility


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


def test_a_challenge_is_named_by_its_place_in_finnish_too() -> None:
    def facts(city: str, title: str) -> ChallengeFacts:
        return ChallengeFacts(
            id=1,
            slug="x",
            title=title,
            city=city,
            country="",
            region="",
            owner_name="",
            owner_member_id=None,
            status=ChallengeStatus.OPEN,
            deadline=None,
            visibility=Visibility.PUBLIC,
            allowed_member_ids=frozenset(),
        )

    asked = stems_of("kootaan tiimi Kirkkoniemen energiahaasteeseen")
    kirkenes = challenge_stems(facts("Kirkenes", "Energy resilience for critical services"))
    espoo = challenge_stems(facts("Espoo", "Energy resilience for critical services"))
    # "Kirkkoniemen" (Kirkenes, in Finnish) and "energia" (energy) name the first; only the
    # energy the second.
    assert len(asked & kirkenes) == 2 and len(asked & espoo) == 1

"""Reading a need for the matcher: places out unless local presence is asked for."""

from __future__ import annotations

import pytest

from bot.services.questions.needs import read_need
from bot.services.questions.spelling import Speller
from bot.services.questions.vocabulary import Vocabulary

WORDS = {"leak": 5, "detection": 4, "water": 9, "pipes": 3, "flooding": 2, "snow": 4}
VOCABULARY = Vocabulary(
    places={
        "nusantara": "Nusantara",
        "kirkenes": "Kirkenes",
        "kirkkoniemi": "Kirkenes",
        "tampere": "Tampere",
        "espoo": "Espoo",
    },
    words=WORDS,
    speller=Speller(WORDS),
)


@pytest.mark.parametrize(
    ("text", "need", "place", "local"),
    [
        ("who can solve flooding in Nusantara?", "flooding", "Nusantara", False),
        ("companies based in Kirkenes that do snow clearing", "companies that do snow clearing",
         "Kirkenes", True),
        ("Kirkenes-based snow clearing", "snow clearing", "Kirkenes", True),
        ("kirkkoniemeläiset lumenaurausyritykset", "lumenaurausyritykset", "Kirkenes", True),
        ("members from Tampere for bridge sensors", "members for bridge sensors", "Tampere", True),
        # Where the request comes from is not where the solver must be.
        ("A request from the City of Tampere: bridge sensors in Tampere and Espoo.",
         "bridge sensors", "Tampere", False),
        ("who can hepl with leek detection in water pipes", "leak detection in water pipes", "",
         False),
        ("Kirkenes?", "Kirkenes", "Kirkenes", False),
    ],
)  # fmt: skip
def test_a_need_without_its_places_unless_local_presence_is_asked_for(
    text: str, need: str, place: str, local: bool
) -> None:
    read = read_need(text, VOCABULARY)
    assert (read.text, read.place, read.local) == (need, place, local)


def test_a_briefs_needs_are_read_as_needs_and_a_question_has_none() -> None:
    from bot.services.questions.needs import brief_needs

    brief = (
        "Hello from the harbour office. Our quays ice up every winter and the ferry traffic "
        "grows every year, so the municipality wants a pilot next year. We are looking for "
        "partners for the following:\n"
        "- leek detection in water pipes in Kirkenes\n"
        "- snow clearing for the quays in Tampere and Espoo\n"
        "The deadline is in March. Best regards, the harbour office"
    )
    # Misspellings put right and places out, as for one need.
    assert brief_needs(brief, VOCABULARY) == (
        "leak detection in water pipes",
        "snow clearing for the quays",
    )
    assert brief_needs("who can hepl with leek detection in water pipes?", VOCABULARY) == ()

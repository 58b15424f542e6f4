"""A pasted brief's needs: its list items and "we need..." sentences, not its greeting,
background, deadline or signature; in English and Finnish, with or without line breaks."""

from __future__ import annotations

import pytest

from bot.services.briefs import NEEDS_MAX, split_needs
from tests.bot.services.brief_texts import (
    KIRKENES_EMAIL,
    KIRKENES_NEEDS,
    TAMPERE_EMAIL,
    TAMPERE_NEEDS,
)


@pytest.mark.parametrize(
    ("brief", "language", "needs"),
    [(KIRKENES_EMAIL, "en", KIRKENES_NEEDS), (TAMPERE_EMAIL, "fi", TAMPERE_NEEDS)],
)
def test_an_e_mail_gives_the_needs_it_states_and_nothing_around_them(
    brief: str, language: str, needs: tuple[str, ...]
) -> None:
    assert 100 <= len(brief.split()) <= 200
    assert split_needs(brief, language) == needs


@pytest.mark.parametrize(
    ("brief", "language", "needs"),
    [(KIRKENES_EMAIL, "en", KIRKENES_NEEDS), (TAMPERE_EMAIL, "fi", TAMPERE_NEEDS)],
)
def test_a_brief_pasted_on_one_line_gives_the_same_needs(
    brief: str, language: str, needs: tuple[str, ...]
) -> None:
    assert split_needs(" ".join(brief.split()), language) == needs


def test_need_sentences_without_a_list_are_needs_and_facts_are_not() -> None:
    brief = (
        "Hello! The City of Oulu runs 120 schools. We need a partner for snow load monitoring "
        "on school roofs. The deadline is in May and the budget is 80 000 euros. We also need "
        "drone inspections of the facades after storms. Thanks, Aino"
    )
    assert split_needs(brief) == (
        "snow load monitoring on school roofs",
        "drone inspections of the facades after storms",
    )


def test_labelled_facts_in_a_list_and_slack_markup_are_left_out() -> None:
    brief = (
        "<@U123> we are looking for partners for these:\n"
        "- Deadline: 31 March\n"
        "- leak detection in <https://example.org|water pipes>\n"
        "- Budget: 100 000 EUR\n"
        "- smart water metering for housing companies\n"
    )
    assert split_needs(brief) == (
        "leak detection in water pipes",
        "smart water metering for housing companies",
    )


def test_a_question_or_a_brief_stating_no_need_gives_none() -> None:
    assert split_needs("who can help with leak detection in water pipes?") == ()
    background = (
        "The harbour handles 300 vessels a year. Ice builds up on the quays every winter. "
        "The call closes at the end of March."
    )
    assert split_needs(background) == ()


def test_at_most_six_needs_each_once() -> None:
    items = "\n".join(f"- monitoring task {i} for the harbour" for i in range(10))
    brief = f"We need:\n{items}\n- monitoring task 1 for the harbour"
    needs = split_needs(brief)
    assert len(needs) == NEEDS_MAX
    assert needs[0] == "monitoring task 0 for the harbour"
    assert len(set(needs)) == len(needs)


def test_a_finnish_need_said_before_its_verb_is_the_need() -> None:
    # "X pitäisi saada ..." says X is what is needed; "Kaupungin pitäisi ..." (genitive) says
    # who needs, and the need follows the verb.
    brief = (
        "Kouluja on kolmekymmentä. Tarvitsemme kiinteistöjen energiankulutuksen seurantaa. "
        "Huoltoyhtiöiden työmääräysten hallinta pitäisi myös saada samaan järjestelmään. "
        "Lumikuormien mittaus katoilta tulisi automatisoida. "
        "Kaupungin tilakeskuksen pitäisi saada sisäilman laatu näkyviin."
    )
    assert split_needs(brief, "fi") == (
        "kiinteistöjen energiankulutuksen seurantaa",
        "Huoltoyhtiöiden työmääräysten hallinta",
        "Lumikuormien mittaus katoilta",
        "sisäilman laatu näkyviin",
    )

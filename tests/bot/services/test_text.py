"""Sentences of people's messages: a real splitter that knows English and Finnish
abbreviations and company forms, and leaves Slack's markup whole."""

from __future__ import annotations

import pytest

from bot.services.text import sentences


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "en",
            "Decision: we apply as one consortium and Al-Bina Digital Construction Co. leads it. "
            "Next week we meet.",
            [
                "Decision: we apply as one consortium and Al-Bina Digital Construction Co. "
                "leads it.",
                "Next week we meet.",
            ],
        ),
        (
            "en",
            "Nordic Sensors Ltd. will do the pilot. Dr. Virtanen joins, e.g. on Monday. Ok?",
            [
                "Nordic Sensors Ltd. will do the pilot.",
                "Dr. Virtanen joins, e.g. on Monday.",
                "Ok?",
            ],
        ),
        (
            "en",
            "Acme Inc. and Kantava Oy agreed. The lead is Al-Bina Digital Construction Co. "
            "We start Monday.",
            [
                "Acme Inc. and Kantava Oy agreed.",
                "The lead is Al-Bina Digital Construction Co.",
                "We start Monday.",
            ],
        ),
        (
            "fi",
            "Päätettiin, että esim. Tampereen kaupunki ym. tahot ovat mukana. Kantava Oy vetää. "
            "Kuka hoitaa budjetin?",
            [
                "Päätettiin, että esim. Tampereen kaupunki ym. tahot ovat mukana.",
                "Kantava Oy vetää.",
                "Kuka hoitaa budjetin?",
            ],
        ),
        (
            "fi",
            "Sovittiin, että mm. VTT:n tutkijat ja n. 5 yritystä osallistuvat. Teen hakemuksen "
            "pe 12.12. mennessä. Prof. Mäkinen ja tri Virtanen tulevat.",
            [
                "Sovittiin, että mm. VTT:n tutkijat ja n. 5 yritystä osallistuvat.",
                "Teen hakemuksen pe 12.12. mennessä.",
                "Prof. Mäkinen ja tri Virtanen tulevat.",
            ],
        ),
        (
            "fi",
            "Al-Bina Digital Construction Co. on mukana, samoin Nordic Sensors Ltd. Hoidan "
            "yhteydet esim. Espoon kaupunkiin ym.",
            [
                "Al-Bina Digital Construction Co. on mukana, samoin Nordic Sensors Ltd.",
                "Hoidan yhteydet esim. Espoon kaupunkiin ym.",
            ],
        ),
    ],
)
def test_sentences_know_each_languages_abbreviations(
    language: str, text: str, expected: list[str]
) -> None:
    assert sentences(text, language) == expected


def test_line_breaks_end_sentences_and_slack_markup_stays_whole() -> None:
    text = (
        "Plan:\n- <@U0AINO00001> will call the city\n\n- read <https://x.fi/a.b|the call. "
        "All of it> first. Then we decide."
    )
    assert sentences(text, "en") == [
        "Plan:",
        "- <@U0AINO00001> will call the city",
        "- read <https://x.fi/a.b|the call. All of it> first.",
        "Then we decide.",
    ]
    assert sentences("  \n ", "fi") == []

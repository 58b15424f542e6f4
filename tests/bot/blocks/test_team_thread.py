"""The thread summary as a Slack message: picked sentences as before, and a written summary
with its overview on top, in the language it was asked for."""

from __future__ import annotations

from typing import Any

import pytest

from bot.blocks.team_thread import build_thread_summary
from bot.services.teams.threads import SummaryItem, ThreadSummary
from tests.bot.block_kit import assert_valid_message

AINO, EERO = "U0AINO00001", "U0EERO00001"


def summary(**changes: Any) -> ThreadSummary:
    values: dict[str, Any] = {
        "messages": 3,
        "people": (AINO, EERO),
        "decisions": (SummaryItem(AINO, "Bid with <LoRaWAN> sensors & more."),),
        "questions": (),
        "actions": (SummaryItem(EERO, "Draft the budget."),),
    }
    return ThreadSummary(**(values | changes))


def sections(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


def footnote(message: dict[str, Any]) -> str:
    return str(message["blocks"][-1]["elements"][0]["text"])


def test_a_picked_summary_reads_as_before() -> None:
    message = build_thread_summary(summary())
    assert_valid_message(message)
    assert sections(message) == [
        f"*Summary of the thread so far* (3 messages from <@{AINO}> <@{EERO}>)",
        f"*Decisions*\n• <@{AINO}>: Bid with &lt;LoRaWAN&gt; sensors &amp; more.",
        "*Open questions*\nnone so far",
        f"*Who does what*\n• <@{EERO}>: Draft the budget.",
    ]
    assert footnote(message) == "Picked from the messages as written; nothing is rephrased."
    assert message["text"] == "Summary: 1 decision, 0 open questions, 1 task"


def test_a_written_summary_opens_with_its_overview_and_says_who_wrote_it() -> None:
    message = build_thread_summary(
        summary(overview="The team bids with <sensors>; Eero drafts the budget.", written=True)
    )
    assert_valid_message(message)
    assert sections(message)[1] == "The team bids with &lt;sensors&gt;; Eero drafts the budget."
    assert sections(message)[2].startswith("*Decisions*\n")
    assert footnote(message).startswith("Written by the language model")
    assert message["text"] == "The team bids with &lt;sensors&gt;; Eero drafts the budget."


def test_a_summary_written_in_finnish_has_finnish_headings() -> None:
    message = build_thread_summary(
        summary(overview="Tiimi tarjoaa antureita.", written=True, language="fi")
    )
    assert sections(message)[0].startswith("*Yhteenveto ketjusta tähän asti* (3 viestiä")
    assert [s.split("\n")[0] for s in sections(message)[2:]] == [
        "*Päätökset*",
        "*Avoimet kysymykset*",
        "*Kuka tekee mitä*",
    ]
    assert "ei vielä yhtään" in sections(message)[3]


@pytest.mark.parametrize(
    ("language", "counts", "expected"),
    [
        ("en", (1, 1, 1), "Summary: 1 decision, 1 open question, 1 task"),
        ("en", (2, 0, 3), "Summary: 2 decisions, 0 open questions, 3 tasks"),
        ("fi", (1, 1, 1), "Yhteenveto: 1 päätös, 1 avoin kysymys, 1 tehtävä"),
        ("fi", (2, 0, 3), "Yhteenveto: 2 päätöstä, 0 avointa kysymystä, 3 tehtävää"),
    ],
)
def test_the_notification_counts_in_the_right_plural_in_both_languages(
    language: str, counts: tuple[int, int, int], expected: str
) -> None:
    decisions, questions, actions = (
        tuple(SummaryItem(AINO, f"Item {n}.") for n in range(count)) for count in counts
    )
    message = build_thread_summary(
        summary(decisions=decisions, questions=questions, actions=actions, language=language)
    )
    assert message["text"] == expected


def test_a_picked_summary_asked_for_in_finnish_has_finnish_headings_and_the_words_as_written() -> (
    None
):
    message = build_thread_summary(summary(messages=1, people=(AINO,), language="fi"))
    assert sections(message)[0] == f"*Yhteenveto ketjusta tähän asti* (1 viesti – <@{AINO}>)"
    assert sections(message)[1] == (
        f"*Päätökset*\n• <@{AINO}>: Bid with &lt;LoRaWAN&gt; sensors &amp; more."
    )
    assert footnote(message).startswith("Poimittu viesteistä sellaisenaan")


def test_a_long_sentence_is_never_cut() -> None:
    long = "We agreed that " + " and ".join(f"partner {n} brings its sensors" for n in range(60))
    many = tuple(SummaryItem(AINO, f"{long} ({n}).") for n in range(10))
    message = build_thread_summary(summary(decisions=many))
    assert_valid_message(message)
    shown = "\n".join(sections(message))
    for item in many:
        assert item.text in shown
    assert "…" not in shown
    huge = SummaryItem(EERO, " ".join(["word"] * 1500) + " END.")
    message = build_thread_summary(summary(actions=(huge,)))
    assert_valid_message(message)
    joined = " ".join(s.removeprefix("*Who does what*\n") for s in sections(message)[3:])
    assert joined == f"• <@{EERO}>: {huge.text}"

"""The thread summary as a Slack message: picked sentences as before, and a written summary
with its overview on top, in the language it was asked for."""

from __future__ import annotations

from typing import Any

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
    assert message["text"] == "Summary: 1 decisions, 0 open questions, 1 tasks"


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

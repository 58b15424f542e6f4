"""The challenge card and its thread notes: valid Block Kit, escaped records, the button."""

from __future__ import annotations

from datetime import date

from bot import ids
from bot.blocks.challenge_card import (
    build_challenge_card,
    build_challenge_posted,
    build_interest_note,
)
from bot.services.challenges import ChallengeSummary
from bot.services.matching import SolverMatch
from storage.models import ChallengeStatus, Visibility
from tests.bot.block_kit import assert_valid_message


def summary(**changes: object) -> ChallengeSummary:
    values: dict[str, object] = {
        "id": 7,
        "slug": "kirkenes-ice",
        "title": "Ice-free harbour <Kirkenes> & port",
        "description": "Keep the harbour open all winter.",
        "owner": "Kirkenes Municipality",
        "city": "Kirkenes",
        "country": "Norway",
        "needs": ("ice monitoring", "maritime logistics"),
        "tags": ("arctic",),
        "status": ChallengeStatus.OPEN,
        "deadline": date(2027, 3, 1),
        "budget_min": 50000,
        "budget_max": 120000,
        "currency": "EUR",
        "visibility": Visibility.PUBLIC,
        "channel_id": None,
        "thread_ts": None,
    }
    return ChallengeSummary(**(values | changes))  # type: ignore[arg-type]


def test_card_has_the_facts_the_button_and_escapes_markup() -> None:
    card = build_challenge_card(summary(), [])
    assert_valid_message(card)
    text = str(card["blocks"])
    # mrkdwn text is escaped, so a record never turns into a Slack link or mention.
    assert card["text"] == "New challenge: Ice-free harbour &lt;Kirkenes&gt; &amp; port"
    assert card["blocks"][0]["text"] == {
        "type": "plain_text",
        "text": "Ice-free harbour <Kirkenes> & port",
        "emoji": True,
    }
    assert "50 000–120 000 EUR" in text and "2027-03-01" in text and "Kirkenes, Norway" in text
    buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(ids.JOIN_FROM_CARD, "7")]
    assert "Suggested solvers" not in text


def test_card_lists_suggested_solvers_when_the_hook_gives_some() -> None:
    solver = SolverMatch(
        member_slug="arctic-sense",
        member_name="Arctic Sense Oy",
        kind="company",
        city="Oulu",
        country="Finland",
        score=0.9,
        reason="ice sensing references in Svalbard",
    )
    card = build_challenge_card(summary(), [solver] * 8)
    assert_valid_message(card)
    section = next(b for b in card["blocks"] if "Suggested solvers" in str(b))
    assert section["text"]["text"].count("Arctic Sense Oy") == 5  # the card stays short


def test_huge_records_stay_within_block_kit_limits() -> None:
    card = build_challenge_card(
        summary(
            title="T" * 400, description="D" * 9000, needs=tuple(f"need {i}" for i in range(500))
        ),
        [],
    )
    assert_valid_message(card)


def test_notes_are_valid_and_name_who_and_where() -> None:
    note = build_interest_note(slack_user_id="U1", organisation="Arctic Sense Oy")
    assert_valid_message(note)
    assert "<@U1>" in note["text"] and "Arctic Sense Oy" in note["text"]
    posted = build_challenge_posted(summary(), channel_id="C0CHALLENGE")
    assert_valid_message(posted)
    assert "<#C0CHALLENGE>" in posted["text"] and "`kirkenes-ice`" in posted["text"]

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
from bot.services.matching import Evidence, SolverMatch, TeamSuggestion
from storage.models import ChallengeStatus, Visibility
from tests.bot.block_kit import assert_valid_message

NOBODY = TeamSuggestion(needs=(), members=())


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
    card = build_challenge_card(summary(), NOBODY)
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


def solver(slug: str, name: str, reason: str) -> SolverMatch:
    return SolverMatch(slug, name, "company", "Oulu", "Finland", 0.9, reason)


def test_card_lists_the_suggested_cover_with_the_needs_each_member_covers() -> None:
    cover = TeamSuggestion(
        needs=("ice monitoring", "maritime logistics", "port <operations>"),
        members=(
            solver("arctic-sense", "Arctic Sense Oy", "ice sensing references in Svalbard"),
            solver("polar", "Polar Logistics AS", "Reference: winter port logistics"),
        ),
        covered_by={
            "ice monitoring": ("arctic-sense",),
            "maritime logistics": ("polar", "arctic-sense"),
            "port <operations>": (),
        },
        uncovered=("port <operations>",),
    )
    card = build_challenge_card(summary(), cover)
    assert_valid_message(card)
    section = next(b for b in card["blocks"] if "Suggested solvers" in str(b))
    assert section["text"]["text"] == (
        "*Suggested solvers*\n"
        "• *Arctic Sense Oy* (covers ice monitoring, maritime logistics) — ice sensing "
        "references in Svalbard\n"
        "• *Polar Logistics AS* (covers maritime logistics) — Reference: winter port logistics"
    )
    assert "Nobody in the cluster's records covers yet: port &lt;operations&gt;" in str(
        card["blocks"]
    )


def test_huge_records_stay_within_block_kit_limits() -> None:
    card = build_challenge_card(
        summary(
            title="T" * 400, description="D" * 9000, needs=tuple(f"need {i}" for i in range(500))
        ),
        TeamSuggestion(
            needs=tuple(f"need {i}" for i in range(500)),
            members=tuple(solver(f"m{i}", "M" * 200, "R" * 200) for i in range(4)),
            covered_by={f"need {i}": (f"m{i % 4}",) for i in range(500)},
            uncovered=tuple(f"need {i}" * 20 for i in range(500)),
        ),
    )
    assert_valid_message(card)


def test_notes_are_valid_and_name_who_and_where() -> None:
    note = build_interest_note(slack_user_id="U1", organisation="Arctic Sense Oy")
    assert_valid_message(note)
    assert "<@U1>" in note["text"] and "Arctic Sense Oy" in note["text"]
    posted = build_challenge_posted(summary(), channel_id="C0CHALLENGE")
    assert_valid_message(posted)
    assert "<#C0CHALLENGE>" in posted["text"] and "`kirkenes-ice`" in posted["text"]


def evidence(text: str) -> Evidence:
    return Evidence(kind="capability", title="", text=text)


def able(slug: str, name: str, why: str) -> SolverMatch:
    return SolverMatch(slug, name, "company", "Tampere", "Finland", 1.2, why, (evidence(why),))


def test_a_card_says_who_covers_which_need_in_the_challenges_language() -> None:
    heating = able("lampoverkko", "Lämpöverkko Oy", "kaukolämmön kysyntäjousto")
    heat = able("nordic-heat", "Nordic Heat <Analytics>", "heat demand forecasting")
    air = able("sisailma", "Sisäilma Sense Oy", "sisäilman laadun jatkuva seuranta")
    needs = ("kaukolämmön kysyntäjousto", "sisäilman seuranta", "lumitöiden työnohjaus")
    cover = TeamSuggestion(
        needs=needs,
        members=(heating, air),
        covered_by={needs[0]: ("lampoverkko",), needs[1]: ("sisailma",), needs[2]: ()},
        uncovered=(needs[2],),
        by_need={needs[0]: (heating, heat), needs[1]: (air,), needs[2]: ()},
    )
    card = build_challenge_card(summary(language="fi", needs=needs), cover)
    assert_valid_message(card)
    section = next(b for b in card["blocks"] if "Kuka kattaa minkin tarpeen" in str(b))
    assert section["text"]["text"] == (
        "*Kuka kattaa minkin tarpeen*\n"
        "• Tarve: *kaukolämmön kysyntäjousto* — osaajat: *Lämpöverkko Oy* (_Osaaminen: "
        "kaukolämmön kysyntäjousto_), *Nordic Heat &lt;Analytics&gt;*\n"
        "• Tarve: *sisäilman seuranta* — osaajat: *Sisäilma Sense Oy* (_Osaaminen: sisäilman "
        "laadun jatkuva seuranta_)\n"
        "• Tarve: *lumitöiden työnohjaus* — _kukaan ei vielä kata tätä_"
    )
    # The need nobody covers is said once, on its own line, not again under the solvers.
    assert "Nobody in the cluster's records covers yet" not in str(card["blocks"])


def test_a_card_with_six_long_needs_stays_within_block_kit_limits() -> None:
    needs = tuple(f"need {i} " + "x" * 400 for i in range(6))
    many = tuple(able(f"m{i}", "M" * 200, "R" * 400) for i in range(6))
    cover = TeamSuggestion(
        needs=needs,
        members=many[:4],
        covered_by={n: ("m0",) for n in needs},
        by_need={n: many for n in needs},
    )
    card = build_challenge_card(summary(needs=needs), cover)
    assert_valid_message(card)
    assert "Who covers which need" in str(card["blocks"])

"""The digest message: valid Block Kit within Slack's limits, buttons on every challenge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import ids
from bot.blocks.digest import build_digest_message, digest_text
from bot.services.challenges import ChallengeSummary
from bot.services.digests.choosing import Audience, Digest, DigestItem
from bot.services.matching import Evidence
from storage.digests import TeamEvent
from storage.models import ChallengeStatus, DigestFrequency, TeamStatus, Visibility
from tests.bot.block_kit import assert_valid_message
from tests.bot.digest_world import TODAY


def summary(n: int) -> ChallengeSummary:
    return ChallengeSummary(
        id=n,
        slug=f"challenge-{n}",
        title=f"Challenge <{n}> & co " + "x" * 400,
        description="",
        owner="",
        city="Kirkenes",
        country="Norway",
        needs=(),
        tags=(),
        status=ChallengeStatus.OPEN,
        deadline=TODAY + timedelta(days=n % 14),
        budget_min=None,
        budget_max=None,
        currency="EUR",
        visibility=Visibility.PUBLIC,
        channel_id=None,
        thread_ts=None,
    )


def test_the_fullest_digest_fits_in_one_valid_message() -> None:
    at = datetime(2026, 11, 24, tzinfo=UTC)
    digest = Digest(
        audience=Audience.PERSON,
        frequency=DigestFrequency.WEEKLY,
        period="2026-W48",
        today=TODAY,
        organisation="Arctic Sense Oy",
        fits=tuple(
            DigestItem(summary(n), (Evidence("capability", "", "matches " + "y" * 2000),) * 2)
            for n in range(8)
        ),
        deadlines=tuple(DigestItem(summary(n)) for n in range(8, 13)),
        team_news=tuple(
            TeamEvent("status", at, "T" * 300, "", from_status=None, to_status=TeamStatus.WON)
            for _ in range(10)
        ),
    )
    message = build_digest_message(digest)
    assert_valid_message(message)
    assert len(message["blocks"]) <= 50
    buttons = [
        (e["action_id"], e["value"])
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    values = [str(n) for n in range(13)]
    assert [v for a, v in buttons if a == ids.INTEREST_FROM_DIGEST] == values
    assert [v for a, v in buttons if a == ids.NOT_RELEVANT] == values
    assert "&lt;0&gt; &amp; co" in str(message["blocks"])  # records are shown, never markup
    assert message["text"].startswith("Your weekly opportunity digest: 8 new challenges")
    assert "week 48, 2026 — for Arctic Sense Oy" in digest_text(digest)


def test_a_channel_digest_says_how_to_stop_it_in_the_channel() -> None:
    digest = Digest(
        audience=Audience.CHANNEL,
        frequency=DigestFrequency.DAILY,
        period="2026-11-25",
        today=TODAY,
        fits=(DigestItem(summary(1)),),
    )
    message = build_digest_message(digest)
    assert_valid_message(message)
    assert message["blocks"][0]["text"]["text"] == "The cluster's daily opportunity digest"
    assert "`/digest unsubscribe` in this channel" in str(message["blocks"][-1])


def test_the_models_opening_sits_under_the_title_and_the_digest_stays_valid() -> None:
    at = datetime(2026, 11, 24, tzinfo=UTC)
    digest = Digest(
        audience=Audience.PERSON,
        frequency=DigestFrequency.WEEKLY,
        period="2026-W48",
        today=TODAY,
        organisation="Arctic Sense Oy",
        fits=tuple(
            DigestItem(summary(n), (Evidence("capability", "", "matches"),)) for n in range(8)
        ),
        deadlines=tuple(DigestItem(summary(n)) for n in range(8, 13)),
        team_news=tuple(
            TeamEvent("status", at, "T", "", from_status=None, to_status=TeamStatus.WON)
            for _ in range(10)
        ),
        intro="Two <new> challenges fit your sensors & one deadline is near.",
    )
    message = build_digest_message(digest)
    assert_valid_message(message)
    assert message["blocks"][2] == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "Two &lt;new&gt; challenges fit your sensors &amp; one deadline is near.",
        },
    }
    lines = digest_text(digest).splitlines()
    assert lines[1:3] == ["", "Two <new> challenges fit your sensors & one deadline is near."]


KANTAVA_REFERENCE = Evidence(
    "reference",
    "Roof load alarms for Oulu schools",
    "Roof load alarms for Oulu schools. Wireless sensors warned caretakers.",
)
KANTAVA_CAPABILITY = Evidence("capability", "", "snow load sensing on flat roofs")


def person_digest(language: str, **changes: object) -> Digest:
    values: dict[str, object] = {
        "audience": Audience.PERSON,
        "frequency": DigestFrequency.WEEKLY,
        "period": "2026-W48",
        "today": TODAY,
        "organisation": "Kantava Oy",
        "fits": (DigestItem(summary(3), (KANTAVA_REFERENCE, KANTAVA_CAPABILITY)),),
        "language": language,
    }
    return Digest(**(values | changes))  # type: ignore[arg-type]


def test_each_item_says_why_it_fits_from_the_readers_own_profile_in_their_language() -> None:
    english = digest_text(person_digest("en"))
    assert (
        "Why it fits: your reference “Roof load alarms for Oulu schools” and your capability "
        "“snow load sensing on flat roofs”." in english
    )
    finnish = build_digest_message(person_digest("fi"))
    assert_valid_message(finnish)
    shown = str(finnish["blocks"])
    assert (
        "Miksi sopii: referenssinne ”Roof load alarms for Oulu schools” ja osaamisenne "
        "”snow load sensing on flat roofs”." in shown
    )
    assert "Uudet haasteet, jotka sopivat organisaatiolle Kantava Oy" in shown
    assert "määräaika 2026-11-28 (3 päivän päästä)" in shown
    assert "Kiinnostaa" in shown and "Ei relevantti" in shown
    # A profile passage that is only the organisation's name says nothing: left out.
    named = Evidence("description", "Kantava Oy", "Kantava Oy")
    bare = digest_text(person_digest("en", fits=(DigestItem(summary(3), (named,)),)))
    assert "Why it fits" not in bare


def test_plurals_are_right_in_both_languages() -> None:
    at = datetime(2026, 11, 24, tzinfo=UTC)
    news = TeamEvent("joined", at, "Ice", "Team", member_name="Arctic Oy")
    one = {"fits": (DigestItem(summary(3)),), "deadlines": (DigestItem(summary(4)),)}
    assert build_digest_message(person_digest("en", **one, team_news=(news,)))["text"].endswith(
        ": 1 new challenge, 1 deadline soon, 1 team update"
    )
    assert build_digest_message(person_digest("fi", **one, team_news=(news,)))["text"].endswith(
        ": 1 uusi haaste, 1 määräaika lähellä, 1 tiimiuutinen"
    )
    two = {"fits": (DigestItem(summary(3)),) * 2, "deadlines": (DigestItem(summary(4)),) * 3}
    assert build_digest_message(person_digest("en", **two))["text"].endswith(
        ": 2 new challenges, 3 deadlines soon"
    )
    assert build_digest_message(person_digest("fi", **two))["text"].endswith(
        ": 2 uutta haastetta, 3 määräaikaa lähellä"
    )
    tomorrow = digest_text(person_digest("en", fits=(DigestItem(summary(1)),)))
    assert "deadline 2026-11-26 (tomorrow)" in tomorrow

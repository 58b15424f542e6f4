"""What each subscriber's digest says: periods, a person's fits, deadlines and team news, a
channel's new public challenges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.blocks.digest import digest_text
from bot.services.digests import choosing
from bot.services.digests.choosing import Audience, build_digest, period_key
from bot.services.identity import viewer_of
from standins.cluster import add_challenge, add_channel, add_member, add_person
from storage import digests as store
from storage.db import session_scope
from storage.models import (
    ChallengeStatus,
    DigestFrequency,
    Interest,
    Team,
    TeamMembership,
    TeamStatus,
    TeamStatusChange,
    Visibility,
)
from tests.bot.digest_world import HELSINKI, TODAY, WEEK, FakeRanker
from tests.conftest import NOW


def test_periods_are_iso_weeks_and_days_in_the_digest_time_zone() -> None:
    # Sunday 22:30 UTC is already Monday 00:30 in Helsinki: the next ISO week.
    late_sunday = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)
    assert period_key(DigestFrequency.WEEKLY, late_sunday, HELSINKI) == "2026-W49"
    assert period_key(DigestFrequency.DAILY, late_sunday, HELSINKI) == "2026-11-30"
    # ISO years: 1 January 2027 is a Friday of 2026's week 53.
    new_year = datetime(2027, 1, 1, 12, tzinfo=UTC)
    assert period_key(DigestFrequency.WEEKLY, new_year, HELSINKI) == "2026-W53"


def test_a_person_hears_of_new_fitting_challenges_deadlines_and_team_news(
    engine: Engine,
) -> None:
    last_digest = NOW - timedelta(days=7)
    with session_scope(engine) as session:
        arctic = add_member(session, "arctic-sense", name="Arctic Sense Oy")
        tampere = add_member(session, "tampere", name="City of Tampere")
        aino = add_person(session, "aino@arctic.example", arctic, "U0AINO")
        rank = FakeRanker()
        new_fit = add_challenge(session, "ice-sensors", title="Ice sensors for Kirkenes")
        old_fit = add_challenge(session, "old-bridge", created_at=NOW - timedelta(days=30))
        hidden = add_challenge(session, "secret-port", visibility=Visibility.RESTRICTED)
        let_in = add_challenge(
            session, "allowed-port", visibility=Visibility.RESTRICTED, allowed=(arctic,)
        )
        closed = add_challenge(session, "closed-one", status=ChallengeStatus.CLOSED)
        unwanted = add_challenge(session, "unwanted")
        for challenge in (new_fit, old_fit, hidden, let_in, closed, unwanted):
            rank.add(arctic.id, challenge, f"reason for {challenge.slug}")
        store.add_not_relevant(
            session=session, member_id=arctic.id, challenge_id=unwanted.id, person_id=aino.id
        )
        # Deadlines: one the organisation follows (interest), soon; one too far; one not theirs.
        soon = add_challenge(
            session, "soon", created_at=NOW - timedelta(days=40), deadline=TODAY + timedelta(3)
        )
        far = add_challenge(
            session, "far", created_at=NOW - timedelta(days=40), deadline=TODAY + timedelta(20)
        )
        add_challenge(session, "not-ours", deadline=TODAY + timedelta(2))
        for challenge in (soon, far):
            session.add(Interest(challenge_id=challenge.id, member_id=arctic.id))
        # Team news: before and after the last digest.
        team = Team(challenge_id=soon.id, name="Ice team", status=TeamStatus.SUBMITTED)
        session.add(team)
        session.flush()
        session.add_all(
            [
                TeamMembership(team_id=team.id, member_id=arctic.id, joined_at=NOW - timedelta(20)),
                TeamMembership(
                    team_id=team.id,
                    member_id=tampere.id,
                    role="pilot site",
                    joined_at=NOW - timedelta(days=2),
                ),
                TeamStatusChange(
                    team_id=team.id,
                    from_status=TeamStatus.FORMING,
                    to_status=TeamStatus.SUBMITTED,
                    changed_at=NOW - timedelta(days=1),
                ),
                Interest(challenge_id=soon.id, member_id=tampere.id, created_at=NOW - timedelta(1)),
            ]
        )
        session.flush()
        digest = choosing.build_person_digest(
            session=session,
            viewer=viewer_of(aino, "U0AINO"),
            rank=rank,
            frequency=DigestFrequency.WEEKLY,
            period=WEEK,
            since=last_digest,
            today=TODAY,
        )
    assert digest is not None and digest.audience is Audience.PERSON
    assert [(i.challenge.slug, [e.text for e in i.evidence]) for i in digest.fits] == [
        ("ice-sensors", ["reason for ice-sensors"]),
        ("allowed-port", ["reason for allowed-port"]),
    ]
    assert [i.challenge.slug for i in digest.deadlines] == ["soon"]
    # Tampere joined the team and said it is interested: named once, with the further step.
    news = [(e.kind, e.member_name) for e in digest.team_news]
    assert sorted(news) == [("joined", "City of Tampere"), ("status", "")]
    text = digest_text(digest)
    assert "for Arctic Sense Oy" in text and "Ice sensors for Kirkenes" in text
    assert "City of Tampere joined the team for Soon as pilot site" in text
    assert "the team moved from forming to submitted" in text
    assert "deadline 2026-11-28 (in 3 days)" in text
    assert "Why it fits: your capability “reason for ice-sensors”." in text
    assert "is interested" not in text
    assert "secret-port" not in text and "unwanted" not in text and "old-bridge" not in text


def test_a_channel_hears_of_new_public_challenges_only(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_challenge(session, "public-new")
        add_challenge(session, "public-old", created_at=NOW - timedelta(days=9))
        add_challenge(session, "restricted-new", visibility=Visibility.RESTRICTED)
        add_challenge(session, "draft-new", status=ChallengeStatus.DRAFT)
        subscription = add_channel(session, "C0NEWS0001")
        digest = build_digest(
            session=session,
            subscriber=store.Subscriber(subscription, None, None, "C0NEWS0001"),
            frequency=DigestFrequency.WEEKLY,
            rank=FakeRanker(),
            now=NOW,
            timezone=HELSINKI,
        )
    assert digest is not None and digest.audience is Audience.CHANNEL
    assert [i.challenge.slug for i in digest.fits] == ["public-new"]
    assert digest.deadlines == () and digest.team_news == ()


def test_fits_are_only_open_on_the_day_sent_and_soonest_closing_first(engine: Engine) -> None:
    with session_scope(engine) as session:
        arctic = add_member(session, "arctic-sense", name="Arctic Sense Oy")
        aino = add_person(session, "aino@arctic.example", arctic, "U0AINO")
        rank = FakeRanker()
        # Ranked best first by fit; the digest lists them by closing date.
        for slug, days in (("far", 40), ("none", None), ("soon", 5), ("passed", -1), ("today", 0)):
            deadline = TODAY + timedelta(days=days) if days is not None else None
            rank.add(arctic.id, add_challenge(session, slug, deadline=deadline), f"fit {slug}")
        subscriber = store.Subscriber(0, aino.id, "U0AINO", None)
        # 01:30 UTC is still the day before in New York: the store's day (UTC) decides what
        # is open, so "today" there, whose deadline is the UTC day before, is not listed.
        new_york = ZoneInfo("America/New_York")
        late = datetime.combine(TODAY + timedelta(days=1), datetime.min.time(), UTC) + timedelta(
            hours=1, minutes=30
        )
        for now, timezone, expected in (
            (NOW, HELSINKI, ["today", "soon", "far", "none"]),
            (late, new_york, ["soon", "far", "none"]),
        ):
            digest = build_digest(
                session=session,
                subscriber=subscriber,
                frequency=DigestFrequency.WEEKLY,
                rank=rank,
                now=now,
                timezone=timezone,
            )
            assert digest is not None
            assert [i.challenge.slug for i in digest.fits] == expected
            assert "passed" not in digest_text(digest)

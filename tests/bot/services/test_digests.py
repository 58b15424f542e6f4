"""Digests: what each subscriber is told, and exactly one message per subscriber and period.

Every test runs on SQLite and PostgreSQL (the `engine` fixture); delivery is checked at the
Slack stand-in, through the real Web client and poster.

Every test runs on the `clock` fixture: it starts at NOW, and moves on where a test says.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import Engine, select

from bot.blocks.digest import digest_text
from bot.services import digests
from bot.services.digests import (
    LEASE,
    Audience,
    DigestRun,
    Outcome,
    build_digest,
    capability_ranker,
    period_key,
    send_due_digests,
)
from bot.services.identity import viewer_of
from standins.cluster import add_challenge, add_channel, add_member, add_person, crowd
from standins.digests import DigestSlack, slack_poster
from storage import digests as store
from storage.db import make_engine, session_scope
from storage.models import (
    ChallengeStatus,
    DeliveryStatus,
    DigestDelivery,
    DigestFrequency,
    Interest,
    Team,
    TeamMembership,
    TeamStatus,
    TeamStatusChange,
    Visibility,
)
from tests.bot.digest_world import HELSINKI, TODAY, WEEK, Crash, CrashingPoster, FakeRanker
from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def slack() -> Iterator[DigestSlack]:
    fake = DigestSlack()
    fake.start()
    yield fake
    fake.stop()


def send(engine: Engine, poster: object, **options: object) -> DigestRun:
    """One digest run at the clock's moment (the `clock` fixture sets it: NOW, moved on)."""
    return send_due_digests(
        engine=engine,
        poster=poster,  # type: ignore[arg-type]
        rank=options.pop("rank", capability_ranker),  # type: ignore[arg-type]
        frequency=options.pop("frequency", DigestFrequency.WEEKLY),  # type: ignore[arg-type]
        timezone=HELSINKI,
        **options,  # type: ignore[arg-type]
    )


def deliveries(engine: Engine) -> list[DigestDelivery]:
    with session_scope(engine) as session:
        return list(session.scalars(select(DigestDelivery).order_by(DigestDelivery.id)))


# --- periods ---------------------------------------------------------------------------------


def test_periods_are_iso_weeks_and_days_in_the_digest_time_zone() -> None:
    # Sunday 22:30 UTC is already Monday 00:30 in Helsinki: the next ISO week.
    late_sunday = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)
    assert period_key(DigestFrequency.WEEKLY, late_sunday, HELSINKI) == "2026-W49"
    assert period_key(DigestFrequency.DAILY, late_sunday, HELSINKI) == "2026-11-30"
    # ISO years: 1 January 2027 is a Friday of 2026's week 53.
    new_year = datetime(2027, 1, 1, 12, tzinfo=UTC)
    assert period_key(DigestFrequency.WEEKLY, new_year, HELSINKI) == "2026-W53"


# --- what a person's digest says -------------------------------------------------------------


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
        digest = digests.build_person_digest(
            session=session,
            viewer=viewer_of(aino, "U0AINO"),
            rank=rank,
            frequency=DigestFrequency.WEEKLY,
            period=WEEK,
            since=last_digest,
            today=TODAY,
        )
    assert digest is not None and digest.audience is Audience.PERSON
    assert [(i.challenge.slug, i.reason) for i in digest.fits] == [
        ("ice-sensors", "reason for ice-sensors"),
        ("allowed-port", "reason for allowed-port"),
    ]
    assert [i.challenge.slug for i in digest.deadlines] == ["soon"]
    news = [(e.kind, e.member_name) for e in digest.team_news]
    assert sorted(news) == [
        ("interest", "City of Tampere"),
        ("joined", "City of Tampere"),
        ("status", ""),
    ]
    text = digest_text(digest)
    assert "for Arctic Sense Oy" in text and "Ice sensors for Kirkenes" in text
    assert "City of Tampere joined the team for Soon as pilot site" in text
    assert "the team moved from forming to submitted" in text
    assert "deadline 2026-11-28 (in 3 days)" in text
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


def test_nothing_to_say_sends_nothing_and_closes_the_period(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    with session_scope(engine) as session:
        member = add_member(session, "quiet-oy")
        add_person(session, "q@quiet.example", member, "U0QUIET")
        add_challenge(session, "old-news", created_at=NOW - timedelta(days=30))
        add_channel(session, "C0QUIET001")
    run = send(engine, slack_poster(slack))
    assert run.count(Outcome.NOTHING_TO_SAY) == 2
    assert slack.digests() == []
    assert [(d.status, d.slack_ts) for d in deliveries(engine)] == [(DeliveryStatus.SENT, None)] * 2
    # A challenge arriving later in the week does not set off a second digest for the week.
    with session_scope(engine) as session:
        add_challenge(session, "late-arrival", created_at=NOW + timedelta(hours=1))
    clock.move_to(NOW + timedelta(hours=2))
    assert send(engine, slack_poster(slack)).outcomes == {}
    assert slack.digests() == []


def test_the_next_digest_tells_only_what_is_new_since_the_last(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    crowd(engine, people=1, channels=1)
    send(engine, slack_poster(slack))
    assert len(slack.digests()) == 2
    next_week = NOW + timedelta(days=7)
    clock.move_to(next_week)
    run = send(engine, slack_poster(slack))
    assert run.period == "2026-W49" and run.count(Outcome.NOTHING_TO_SAY) == 2
    with session_scope(engine) as session:
        add_challenge(session, "snow-melting", needs=["snow"], created_at=next_week + timedelta(1))
    clock.move_to(next_week + timedelta(days=7))
    send(engine, slack_poster(slack))
    latest = slack.digests()[-2:]
    assert all("Snow melting" in str(p["blocks"]) for p in latest)
    assert not any("Snow ploughing" in str(p["blocks"]) for p in latest)


# --- exactly once ----------------------------------------------------------------------------


def _second_engine(engine: Engine) -> Engine:
    return make_engine(engine.url.render_as_string(hide_password=False))


def test_two_runs_at_once_send_each_subscriber_one_digest(
    engine: Engine, slack: DigestSlack
) -> None:
    addresses = crowd(engine, people=24, channels=6)
    other = _second_engine(engine)
    start = threading.Barrier(2)
    runs: list[DigestRun] = []
    errors: list[BaseException] = []

    def run(on: Engine) -> None:
        try:
            start.wait()
            runs.append(send(on, slack_poster(slack), workers=3))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in (engine, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    other.dispose()
    assert errors == []
    assert slack.digests_per_recipient() == {a: 1 for a in addresses}
    assert sum(r.count(Outcome.SENT) for r in runs) == 30
    assert sum(r.count(Outcome.TAKEN) for r in runs) + 30 == sum(
        len(ids) for r in runs for ids in r.outcomes.values()
    )
    assert {d.status for d in deliveries(engine)} == {DeliveryStatus.SENT}


def test_a_run_killed_half_way_is_finished_by_the_next_without_duplicates(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    addresses = crowd(engine, people=6)
    with session_scope(engine) as session:
        store.ensure_person_subscriptions(session=session)
        ids = [
            s.subscription_id
            for s in store.due_subscribers(
                session=session, frequency=DigestFrequency.WEEKLY, period=WEEK
            )
        ]
    # Killed after claiming the second subscriber, before Slack got its digest.
    with pytest.raises(Crash):
        send(engine, CrashingPoster(slack_poster(slack), before=ids[1]))
    # Killed again: this time just after Slack took the fourth's, before the store heard of it.
    with pytest.raises(Crash):
        send(engine, CrashingPoster(slack_poster(slack), after=ids[3]))
    assert len(slack.digests()) == 3  # the 1st, 3rd and 4th
    # Within the lease the abandoned claims are left alone: their run might still be alive.
    clock.move_to(NOW + timedelta(minutes=1))
    soon = send(engine, slack_poster(slack))
    assert soon.count(Outcome.TAKEN) == 2 and soon.count(Outcome.SENT) == 2
    clock.move_to(NOW + LEASE + timedelta(minutes=1))
    later = send(engine, slack_poster(slack))
    # The second is sent now; the fourth is found in the DM's history and only marked sent.
    assert later.outcomes == {Outcome.SENT: [ids[1]], Outcome.ALREADY_THERE: [ids[3]]}
    assert slack.digests_per_recipient() == {a: 1 for a in addresses}
    assert [(d.status, d.attempts) for d in deliveries(engine)] == [
        (DeliveryStatus.SENT, 1),
        (DeliveryStatus.SENT, 2),
        (DeliveryStatus.SENT, 1),
        (DeliveryStatus.SENT, 2),
        (DeliveryStatus.SENT, 1),
        (DeliveryStatus.SENT, 1),
    ]


def test_a_failing_recipient_does_not_stop_the_others_and_is_retried(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    addresses = crowd(engine, people=3, channels=2)
    gone_user, archived = addresses[1], addresses[3]
    slack.fail_recipient(gone_user, "user_not_found")
    slack.fail_recipient(archived, "is_archived")
    slack.rate_limit_once("chat.postMessage", retry_after=0)
    first = send(engine, slack_poster(slack))
    assert first.count(Outcome.SENT) == 3 and first.count(Outcome.FAILED) == 2
    assert set(slack.digests_per_recipient()) == set(addresses) - {gone_user, archived}
    failed = [d for d in deliveries(engine) if d.status is DeliveryStatus.FAILED]
    assert sorted(d.error for d in failed) == ["is_archived", "user_not_found"]
    # The retry job (no new periods started) tries them again once Slack takes them.
    slack.heal(gone_user)
    clock.move_to(NOW + timedelta(minutes=30))
    retry = send(engine, slack_poster(slack), include_new=False)
    assert retry.count(Outcome.SENT) == 1 and retry.count(Outcome.FAILED) == 1
    assert slack.digests_per_recipient() == {a: 1 for a in addresses if a != archived}
    attempts = {d.error: d.attempts for d in deliveries(engine) if d.attempts > 1}
    assert attempts == {"": 2, "is_archived": 2}


def test_a_recipient_slack_keeps_refusing_is_given_up_after_max_attempts(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    crowd(engine, people=1)
    slack.fail_recipient("U000000000", "account_inactive")
    for n in range(digests.MAX_ATTEMPTS + 2):
        clock.move_to(NOW + timedelta(minutes=n))
        send(engine, slack_poster(slack))
    assert [(d.status, d.attempts) for d in deliveries(engine)] == [
        (DeliveryStatus.FAILED, digests.MAX_ATTEMPTS)
    ]
    assert len(slack.calls_to("chat.postMessage")) == digests.MAX_ATTEMPTS


def test_people_without_slack_or_with_the_digest_off_get_nothing(
    engine: Engine, slack: DigestSlack
) -> None:
    with session_scope(engine) as session:
        member = add_member(session, "snowy", capabilities=["snow"])
        add_challenge(
            session, "snow-ploughing", needs=["snow"], created_at=NOW - timedelta(hours=1)
        )
        add_person(session, "a@snowy.example", member, "U0DAILY", DigestFrequency.DAILY)
        add_person(session, "b@snowy.example", member, "U0OFF", DigestFrequency.OFF)
        add_person(session, "c@snowy.example", member, None)
    assert send(engine, slack_poster(slack)).outcomes == {}
    daily = send(engine, slack_poster(slack), frequency=DigestFrequency.DAILY)
    assert daily.period == "2026-11-25" and daily.count(Outcome.SENT) == 1
    assert slack.digests_per_recipient() == {"U0DAILY": 1}


def test_a_challenge_whose_deadline_has_passed_is_in_no_digest(
    engine: Engine, slack: DigestSlack
) -> None:
    with session_scope(engine) as session:
        member = add_member(session, "snowy", capabilities=["snow"])
        add_person(session, "a@snowy.example", member, "U0SNOWY")
        add_channel(session, "C0NEWS0001")
        # New this week and still marked open, but its deadline was yesterday.
        stale = add_challenge(
            session, "snow-ploughing", needs=["snow"], deadline=TODAY - timedelta(days=1)
        )
        rank = FakeRanker()
        rank.add(member.id, stale, "you do snow")
    run = send(engine, slack_poster(slack), rank=rank)
    assert run.count(Outcome.NOTHING_TO_SAY) == 2 and slack.digests() == []

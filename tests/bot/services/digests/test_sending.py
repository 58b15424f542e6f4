"""Sending digests: exactly one message per subscriber and period, nothing for nothing to say.

Every test runs on SQLite and PostgreSQL (the `engine` fixture); delivery is checked at the
Slack stand-in, through the real Web client and poster.

Every test runs on the `clock` fixture: it starts at NOW, and moves on where a test says.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import Engine, select

from bot.services.digests import sending
from bot.services.digests.choosing import capability_ranker
from bot.services.digests.sending import LEASE, DigestRun, Outcome, send_due_digests
from standins.cluster import add_challenge, add_channel, add_member, add_person, crowd
from standins.digests import DigestSlack, slack_poster
from storage import digests as store
from storage.db import make_engine, session_scope
from storage.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestFrequency,
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


# --- what a person's digest says -------------------------------------------------------------


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
    for n in range(sending.MAX_ATTEMPTS + 2):
        clock.move_to(NOW + timedelta(minutes=n))
        send(engine, slack_poster(slack))
    assert [(d.status, d.attempts) for d in deliveries(engine)] == [
        (DeliveryStatus.FAILED, sending.MAX_ATTEMPTS)
    ]
    assert len(slack.calls_to("chat.postMessage")) == sending.MAX_ATTEMPTS


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

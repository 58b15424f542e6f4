"""A challenge's life along its dates: closed (or moved where staff chose) once its deadline has
passed, its thread and the staff told once, the interested reminded a week and a day before,
and a later deadline from staff opening it again. Both stores, the clock set by the test."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import Engine, select

from bot.blocks.lifecycle import build_notice
from bot.services import challenges
from bot.services.digests.sending import DeliveryFailed
from bot.services.identity import Viewer
from bot.services.lifecycle import Notice, NoticeKind, run_lifecycle
from standins.cluster import add_member, add_person
from storage.db import session_scope
from storage.lifecycle_models import ChallengeNotice
from storage.models import (
    Challenge,
    ChallengeStatus,
    DeliveryStatus,
    Interest,
    Member,
    Person,
    Team,
    TeamMembership,
    TeamStatus,
)
from tests.bot.block_kit import assert_valid_message
from tests.bot.services.test_challenges import viewer
from tests.conftest import NOW

TODAY = NOW.date()
STAFF_CHANNEL = "C0STAFF0001"
CHANNEL, THREAD = "C0CHALLENGE", "1760000100.000100"


class Poster:
    """Stands in for Slack: keeps what was posted, refuses addresses it is told to."""

    def __init__(self) -> None:
        self.posted: list[Notice] = []
        self.refuse: set[str] = set()
        self._lock = threading.Lock()

    def post(self, notice: Notice) -> str:
        if notice.address in self.refuse:
            raise DeliveryFailed("channel_not_found")
        assert_valid_message(build_notice(notice))
        with self._lock:
            self.posted.append(notice)
            return f"1760000{len(self.posted):03d}.000"

    def texts(self) -> list[str]:
        return [str(build_notice(n)["blocks"]) for n in self.posted]


def add(
    engine: Engine,
    slug: str,
    *,
    deadline: date | None,
    status: ChallengeStatus = ChallengeStatus.OPEN,
    card: bool = True,
    language: str = "en",
    interested: tuple[str, ...] = (),
    team_status: TeamStatus | None = None,
    **fields: object,
) -> int:
    """A challenge, with a card's thread, and organisations (with one person each on Slack)
    interested in it, on a team with ``team_status`` when given."""
    with session_scope(engine) as session:
        challenge = Challenge(
            slug=slug,
            title=slug.replace("-", " ").capitalize(),
            status=status,
            deadline=deadline,
            language=language,
            slack_channel_id=CHANNEL if card else None,
            slack_thread_ts=THREAD if card else None,
            **fields,
        )
        session.add(challenge)
        session.flush()
        team = None
        if team_status is not None:
            team = Team(challenge_id=challenge.id, status=team_status)
            session.add(team)
            session.flush()
        for n, name in enumerate(interested):
            member = session.scalars(select(Member).where(Member.slug == name)).first()
            if member is None:
                languages = ["fi"] if name.endswith("-fi") else ["en"]
                member = add_member(session, name, languages=languages)
                add_person(session, f"p{n}@{name}.example", member, f"U0{name[:6].upper()}{n}")
            person = session.scalars(select(Person).where(Person.member_id == member.id)).one()
            session.add(
                Interest(challenge_id=challenge.id, member_id=member.id, person_id=person.id)
            )
            if team is not None:
                session.add(TeamMembership(team_id=team.id, member_id=member.id))
        return challenge.id


def run(engine: Engine, poster: Poster, staff_channel: str = STAFF_CHANNEL) -> None:
    run_lifecycle(engine=engine, poster=poster, staff_channel=staff_channel)


def status_of(engine: Engine, challenge_id: int) -> tuple[ChallengeStatus, date | None]:
    with session_scope(engine) as session:
        row = session.get_one(Challenge, challenge_id)
        return row.status, row.deadline_closed_on


def staff() -> Viewer:
    return viewer(1, staff=True)


def test_a_challenge_past_its_deadline_is_closed_and_its_thread_and_the_staff_are_told_once(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    expired = add(
        engine,
        "kera-heat",
        deadline=TODAY - timedelta(days=1),
        interested=("kantava",),
        team_status=TeamStatus.FORMING,
    )
    today = add(engine, "closes-today", deadline=TODAY)
    no_deadline = add(engine, "no-deadline", deadline=None)
    poster = Poster()
    run(engine, poster)
    assert status_of(engine, expired) == (ChallengeStatus.CLOSED, TODAY)
    # Open through its deadline day; a challenge without a deadline never closes by itself.
    assert status_of(engine, today)[0] is ChallengeStatus.OPEN
    assert status_of(engine, no_deadline)[0] is ChallengeStatus.OPEN
    closed = [(n.address, n.thread_ts) for n in poster.posted if n.kind is NoticeKind.CLOSED]
    assert closed == [(CHANNEL, THREAD), (STAFF_CHANNEL, "")]
    thread, for_staff = poster.texts()[:2]
    assert "The deadline of *Kera heat* passed on 2026-11-24" in thread
    assert "is now *closed*" in thread and "/challenge deadline kera-heat" in thread
    assert "*Kera heat* (`kera-heat`) is now *closed*" in for_staff
    assert "Team (forming): Kantava" in for_staff
    # Another run the same day, and the next day's, say nothing more of it; the next day
    # the challenge whose deadline was today closes in its turn.
    run(engine, poster)
    clock.move_to(NOW + timedelta(days=1))
    run(engine, poster)
    told = [(n.challenge.slug, n.address) for n in poster.posted]
    assert told == [
        ("kera-heat", CHANNEL),
        ("kera-heat", STAFF_CHANNEL),
        ("closes-today", CHANNEL),
        ("closes-today", STAFF_CHANNEL),
    ]
    assert status_of(engine, today) == (ChallengeStatus.CLOSED, TODAY + timedelta(days=1))


def test_staff_choose_where_the_deadline_moves_a_challenge(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cid = add(engine, "submitted-one", deadline=TODAY + timedelta(days=20))
    changed = challenges.set_status_after_deadline(
        engine=engine, viewer=staff(), key="submitted-one", status="proposal-submitted"
    )
    assert changed.after_deadline is ChallengeStatus.PROPOSAL_SUBMITTED
    with pytest.raises(challenges.UnknownStatus, match="cannot make a challenge open"):
        challenges.set_status_after_deadline(
            engine=engine, viewer=staff(), key="submitted-one", status="open"
        )
    with pytest.raises(challenges.NotStaff):
        challenges.set_status_after_deadline(
            engine=engine, viewer=viewer(2), key="submitted-one", status="closed"
        )
    clock.move_to(NOW + timedelta(days=21))
    poster = Poster()
    run(engine, poster)
    assert status_of(engine, cid)[0] is ChallengeStatus.PROPOSAL_SUBMITTED
    assert "is now *proposal submitted*" in poster.texts()[0]


def test_the_interested_are_reminded_a_week_and_a_day_before_in_the_thread(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cid = add(
        engine,
        "harbour-ice",
        deadline=TODAY + timedelta(days=10),
        interested=("kantava", "polarsar"),
        team_status=TeamStatus.FORMING,
    )
    poster = Poster()
    run(engine, poster)
    assert poster.posted == []  # ten days to go: nothing yet
    clock.move_to(NOW + timedelta(days=3))
    run(engine, poster)
    run(engine, poster)  # twice the same day: once
    (week,) = poster.posted
    assert (week.kind, week.address, week.thread_ts) == (NoticeKind.WEEK, CHANNEL, THREAD)
    assert week.mentions == ("U0KANTAV0", "U0POLARS1")
    assert (
        "<@U0KANTAV0> <@U0POLARS1> Reminder: *Harbour ice* closes in 7 days" in (poster.texts()[0])
    )
    clock.move_to(NOW + timedelta(days=9))
    run(engine, poster)
    assert [n.kind for n in poster.posted] == [NoticeKind.WEEK, NoticeKind.DAY]
    assert "closes tomorrow (deadline 2026-12-05)" in poster.texts()[1]
    clock.move_to(NOW + timedelta(days=10))
    run(engine, poster)
    assert len(poster.posted) == 2  # the deadline day itself: the day reminder went already
    assert status_of(engine, cid)[0] is ChallengeStatus.OPEN


def test_no_reminder_when_nobody_is_interested_or_every_team_has_submitted(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    add(engine, "nobody-cares", deadline=TODAY + timedelta(days=5))
    add(
        engine,
        "all-in",
        deadline=TODAY + timedelta(days=5),
        interested=("kantava",),
        team_status=TeamStatus.SUBMITTED,
    )
    poster = Poster()
    run(engine, poster)
    assert poster.posted == []


def test_without_a_card_the_interested_people_are_reminded_by_dm_in_their_language(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    add(
        engine,
        "lake-data",
        deadline=TODAY + timedelta(days=1),
        card=False,
        interested=("vesi-fi", "hydro"),
    )
    poster = Poster()
    run(engine, poster)
    assert sorted((n.kind, n.address, n.language) for n in poster.posted) == [
        (NoticeKind.DAY, "U0HYDRO1", "en"),
        (NoticeKind.DAY, "U0VESI-F0", "fi"),
    ]
    texts = " ".join(poster.texts())
    assert "Muistutus: *Lake data* sulkeutuu huomenna" in texts
    assert "Reminder: *Lake data* closes tomorrow" in texts


def test_a_thread_in_finnish_is_told_in_finnish(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    add(engine, "kera-lampo", deadline=TODAY - timedelta(days=2), language="fi")
    poster = Poster()
    run(engine, poster, staff_channel="")
    (notice,) = poster.posted
    assert notice.language == "fi"
    assert "Haasteen *Kera lampo* määräaika umpeutui 2026-11-23" in poster.texts()[0]
    assert "tila on nyt *suljettu*" in poster.texts()[0]


def test_a_later_deadline_from_staff_opens_a_closed_challenge_again_and_reminders_follow_it(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cid = add(
        engine,
        "tram-data",
        deadline=TODAY - timedelta(days=1),
        interested=("kantava",),
        team_status=TeamStatus.FORMING,
    )
    hand_closed = add(engine, "hand-closed", deadline=TODAY + timedelta(days=3))
    poster = Poster()
    run(engine, poster)
    assert status_of(engine, cid)[0] is ChallengeStatus.CLOSED
    with pytest.raises(challenges.ChallengeError, match="is in the past"):
        challenges.move_deadline(
            engine=engine, viewer=staff(), key="tram-data", deadline="2020-01-01"
        )
    with pytest.raises(challenges.ChallengeError, match="no date"):
        challenges.move_deadline(engine=engine, viewer=staff(), key="tram-data", deadline="soon")
    with pytest.raises(challenges.NotStaff):
        challenges.move_deadline(
            engine=engine, viewer=viewer(2), key="tram-data", deadline="2026-12-02"
        )
    change = challenges.move_deadline(
        engine=engine, viewer=staff(), key="tram-data", deadline="2026-12-02"
    )
    assert change.reopened and change.previous == TODAY - timedelta(days=1)
    # Its team is still forming: it opens as teams forming, and nothing says "closed" again.
    assert status_of(engine, cid) == (ChallengeStatus.TEAMS_FORMING, None)
    run(engine, poster)
    assert [n.kind for n in poster.posted][-1:] == [NoticeKind.WEEK]
    assert poster.posted[-1].deadline == date(2026, 12, 2)
    # A challenge staff closed by hand stays closed when its deadline moves.
    challenges.change_status(engine=engine, viewer=staff(), key="hand-closed", status="closed")
    kept = challenges.move_deadline(
        engine=engine, viewer=staff(), key="hand-closed", deadline="2027-01-31"
    )
    assert not kept.reopened and status_of(engine, hand_closed)[0] is ChallengeStatus.CLOSED


def test_a_refused_notice_is_retried_at_most_three_times(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    add(engine, "gone-thread", deadline=TODAY - timedelta(days=1))
    poster = Poster()
    poster.refuse.add(CHANNEL)
    for day in range(5):
        clock.move_to(NOW + timedelta(days=day))
        run(engine, poster)
    with session_scope(engine) as session:
        rows = {n.address: n for n in session.scalars(select(ChallengeNotice))}
        assert (rows[CHANNEL].status, rows[CHANNEL].attempts) == (DeliveryStatus.FAILED, 3)
        assert rows[CHANNEL].error == "channel_not_found"
        assert rows[STAFF_CHANNEL].status is DeliveryStatus.SENT
    assert [n.address for n in poster.posted] == [STAFF_CHANNEL]


def test_processes_running_the_job_at_once_send_each_notice_once(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    for n in range(6):
        add(engine, f"expired-{n}", deadline=TODAY - timedelta(days=1 + n))
    for n in range(4):
        add(
            engine,
            f"soon-{n}",
            deadline=TODAY + timedelta(days=1 + n),
            interested=(f"org-{n}",),
            team_status=TeamStatus.FORMING,
        )
    poster = Poster()
    errors: list[BaseException] = []

    def process() -> None:
        try:
            run(engine, poster)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    runs = [threading.Thread(target=process) for _ in range(4)]
    for t in runs:
        t.start()
    for t in runs:
        t.join(timeout=60)
    assert errors == []
    sent = [(n.challenge.slug, n.kind, n.address) for n in poster.posted]
    assert len(sent) == len(set(sent)) == 6 * 2 + 4

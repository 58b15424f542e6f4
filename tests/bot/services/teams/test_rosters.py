"""Team rosters without Slack: joining once, competing teams, the roster claim, status
history, restricted and closed challenges."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import Engine, select

from bot.services.identity import Viewer
from bot.services.teams import rosters
from bot.services.teams.rosters import JoinOutcome
from standins.cluster import Cast, add_cast
from storage.db import session_scope
from storage.models import (
    Challenge,
    ChallengeStatus,
    Interest,
    Member,
    MemberKind,
    Person,
    Team,
    TeamMembership,
    TeamStatus,
    TeamStatusChange,
    Visibility,
)
from tests.bot.services.test_challenges import aino, staff, viewer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def challenge(engine: Engine, cast: Cast, slug: str = "kirkenes-ice", **changes: object) -> int:
    values: dict[str, object] = {
        "slug": slug,
        "title": slug.replace("-", " ").title(),
        "status": ChallengeStatus.OPEN,
        "needs": ["ice monitoring", "maritime logistics"],
        "slack_channel_id": "C0CHALLENGE",
        "slack_thread_ts": "1760000100.000100",
    }
    with session_scope(engine) as session:
        row = Challenge(**(values | changes))
        session.add(row)
        session.flush()
        return row.id


def espoo(engine: Engine, cast: Cast) -> Viewer:
    with session_scope(engine) as session:
        person = Person(email="eero@espoo.example", name="Eero Espoo", member_id=cast.espoo_id)
        session.add(person)
        session.flush()
        return viewer(person.id, member_id=cast.espoo_id)


def test_joining_twice_changes_nothing_and_makes_one_team(engine: Engine) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    first = rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=cid)
    second = rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=cid, role="lead")
    assert (first.outcome, second.outcome) == (JoinOutcome.JOINED, JoinOutcome.ALREADY)
    assert first.roster is not None and first.roster.label == "Team"
    with session_scope(engine) as session:
        assert len(list(session.scalars(select(Team)))) == 1
        assert [(m.member_id, m.role) for m in session.scalars(select(TeamMembership))] == [
            (cast.arctic_id, "")
        ]
        assert len(list(session.scalars(select(Interest)))) == 1


def test_unknown_roles_are_refused_and_roles_change(engine: Engine) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    joined = rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=cid)
    assert joined.roster is not None
    team_id = joined.roster.team_id
    with pytest.raises(rosters.TeamError, match="Unknown role 'boss'"):
        rosters.change_role(engine=engine, viewer=aino(cast), team_id=team_id, role="boss")
    shown = rosters.change_role(
        engine=engine, viewer=aino(cast), team_id=team_id, role="Research partner"
    )
    assert [e.role for e in shown.entries] == ["research_partner"]


def test_competing_teams_make_people_choose(engine: Engine) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    with pytest.raises(rosters.TeamNotStaff):
        rosters.create_extra_team(engine=engine, viewer=aino(cast), challenge_key="kirkenes-ice")
    second = rosters.create_extra_team(
        engine=engine, viewer=staff(cast), challenge_key="kirkenes-ice", name="Nordic"
    )
    assert (second.number, second.team_count, second.label) == (2, 2, "Nordic")
    asked = rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=cid)
    assert asked.outcome is JoinOutcome.CHOOSE_TEAM
    assert [c.label for c in asked.choices] == ["Team 1", "Nordic"]
    with session_scope(engine) as session:
        assert list(session.scalars(select(Interest))) == []  # nothing until they choose
        chosen = rosters.join_team(
            engine=engine, viewer=aino(cast), challenge_id=cid, team_id=second.team_id
        )
    assert chosen.outcome is JoinOutcome.JOINED and chosen.roster is not None
    assert chosen.roster.team_id == second.team_id


def test_restricted_and_closed_challenges_write_nothing(engine: Engine) -> None:
    cast = add_cast(engine)
    hidden = challenge(engine, cast, "hidden", visibility=Visibility.RESTRICTED)
    closed = challenge(engine, cast, "closed", status=ChallengeStatus.CLOSED)
    with session_scope(engine) as session:
        assert (
            rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=hidden).outcome
            is JoinOutcome.NOT_FOUND
        )
        assert (
            rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=closed).outcome
            is JoinOutcome.CLOSED
        )
        with pytest.raises(rosters.TeamNotVisible):
            rosters.challenge_for_thread(
                session=session,
                viewer=aino(cast),
                channel_id="C0CHALLENGE",
                thread_ts="1760000100.000100",
            )
    with session_scope(engine) as session:
        assert list(session.scalars(select(Interest))) == []
        assert list(session.scalars(select(Team))) == []


def test_the_roster_is_claimed_once_and_a_stale_claim_is_taken_over(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    joined = rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=cid)
    assert joined.roster is not None
    team_id = joined.roster.team_id
    clock.move_to(T0, tick=False)
    first = rosters.claim_roster_post(engine=engine, team_id=team_id)
    racing = rosters.claim_roster_post(engine=engine, team_id=team_id)
    assert first.claimed and not racing.claimed and racing.message_ts is None
    assert (first.channel_id, first.thread_ts) == ("C0CHALLENGE", "1760000100.000100")
    clock.move_to(T0 + timedelta(minutes=5), tick=False)
    late = rosters.claim_roster_post(engine=engine, team_id=team_id)
    assert late.claimed  # the first claimant died before posting
    rosters.remember_roster_post(
        engine=engine, team_id=team_id, channel_id="C0CHALLENGE", message_ts="17.1"
    )
    after = rosters.claim_roster_post(engine=engine, team_id=team_id)
    assert (after.claimed, after.message_ts) == (False, "17.1")


def test_status_changes_are_kept_with_who_and_when(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    joined = rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=cid)
    assert joined.roster is not None
    team_id = joined.roster.team_id
    with pytest.raises(rosters.TeamNotStaff):
        rosters.change_team_status(engine=engine, viewer=aino(cast), team_id=team_id, status="won")
    clock.move_to(T0, tick=False)
    change = rosters.change_team_status(
        engine=engine, viewer=staff(cast), team_id=team_id, status="submitted"
    )
    assert (change.previous, change.roster.status) == (TeamStatus.FORMING, TeamStatus.SUBMITTED)
    with pytest.raises(rosters.TeamError, match="already"):
        rosters.change_team_status(
            engine=engine, viewer=staff(cast), team_id=team_id, status="submitted"
        )
    with session_scope(engine) as session:
        rows = list(session.scalars(select(TeamStatusChange)))
        assert [(r.from_status, r.to_status, r.changed_by_id, r.changed_at) for r in rows] == [
            (TeamStatus.FORMING, TeamStatus.SUBMITTED, cast.staff_id, T0)
        ]


def test_team_status_by_key_asks_which_team_when_there_are_several(engine: Engine) -> None:
    cast = add_cast(engine)
    challenge(engine, cast)
    rosters.create_extra_team(engine=engine, viewer=staff(cast), challenge_key="kirkenes-ice")
    with pytest.raises(rosters.TeamError, match="several teams"):
        rosters.change_team_status_by_key(
            engine=engine, viewer=staff(cast), challenge_key="kirkenes-ice", status="won"
        )
    change = rosters.change_team_status_by_key(
        engine=engine,
        viewer=staff(cast),
        challenge_key="kirkenes-ice",
        status="won",
        team="2",
    )
    assert change.roster.number == 2 and change.roster.status is TeamStatus.WON


def test_many_organisations_joining_at_once_make_one_team(engine: Engine) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    people: list[Viewer] = []
    with session_scope(engine) as session:
        for n in range(8):
            member = Member(slug=f"org-{n}", name=f"Org {n}", kind=MemberKind.COMPANY)
            session.add(member)
            session.flush()
            person = Person(email=f"p{n}@org.example", name=f"P {n}", member_id=member.id)
            session.add(person)
            session.flush()
            people.append(viewer(person.id, member_id=member.id))
    outcomes: list[JoinOutcome] = []
    errors: list[BaseException] = []

    def join(who: Viewer) -> None:
        try:
            outcomes.append(rosters.join_team(engine=engine, viewer=who, challenge_id=cid).outcome)
        except BaseException as exc:  # collected: a thread's exception would vanish otherwise
            errors.append(exc)

    threads = [threading.Thread(target=join, args=(who,)) for who in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and outcomes == [JoinOutcome.JOINED] * 8
    with session_scope(engine) as session:
        assert len(list(session.scalars(select(Team)))) == 1
        assert len(list(session.scalars(select(TeamMembership)))) == 8

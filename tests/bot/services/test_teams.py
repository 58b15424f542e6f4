"""Team formation without Slack: joining once, competing teams, the roster claim, status
history, restricted challenges, "who is missing?", thread summaries and the pipeline report."""

from __future__ import annotations

import threading
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.deps import BotDeps
from bot.services import matching, teams
from bot.services.home import home_page
from bot.services.identity import Viewer
from bot.services.matching import SolverMatch, TeamSuggestion
from bot.services.teams import JoinOutcome, ThreadIntent, ThreadMessage
from bot.settings import Settings
from standins.cluster import Cast, add_cast
from storage.db import session_scope
from storage.models import (
    Challenge,
    ChallengeStatus,
    Interest,
    Member,
    MemberKind,
    Person,
    SolverSuggestion,
    SuggestionFeedback,
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
    with session_scope(engine) as session:
        first = teams.join_team(session=session, viewer=aino(cast), challenge_id=cid)
    with session_scope(engine) as session:
        second = teams.join_team(session=session, viewer=aino(cast), challenge_id=cid, role="lead")
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
    with session_scope(engine) as session:
        joined = teams.join_team(session=session, viewer=aino(cast), challenge_id=cid)
        assert joined.roster is not None
        team_id = joined.roster.team_id
    with pytest.raises(teams.TeamError, match="Unknown role 'boss'"), session_scope(engine) as s:
        teams.change_role(session=s, viewer=aino(cast), team_id=team_id, role="boss")
    with session_scope(engine) as session:
        shown = teams.change_role(
            session=session, viewer=aino(cast), team_id=team_id, role="Research partner"
        )
    assert [e.role for e in shown.entries] == ["research_partner"]


def test_competing_teams_make_people_choose(engine: Engine) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    with session_scope(engine) as session:
        with pytest.raises(teams.TeamNotStaff):
            teams.create_extra_team(
                session=session, viewer=aino(cast), challenge_key="kirkenes-ice"
            )
        second = teams.create_extra_team(
            session=session, viewer=staff(cast), challenge_key="kirkenes-ice", name="Nordic"
        )
    assert (second.number, second.team_count, second.label) == (2, 2, "Nordic")
    with session_scope(engine) as session:
        asked = teams.join_team(session=session, viewer=aino(cast), challenge_id=cid)
    assert asked.outcome is JoinOutcome.CHOOSE_TEAM
    assert [c.label for c in asked.choices] == ["Team 1", "Nordic"]
    with session_scope(engine) as session:
        assert list(session.scalars(select(Interest))) == []  # nothing until they choose
        chosen = teams.join_team(
            session=session, viewer=aino(cast), challenge_id=cid, team_id=second.team_id
        )
    assert chosen.outcome is JoinOutcome.JOINED and chosen.roster is not None
    assert chosen.roster.team_id == second.team_id


def test_restricted_and_closed_challenges_write_nothing(engine: Engine) -> None:
    cast = add_cast(engine)
    hidden = challenge(engine, cast, "hidden", visibility=Visibility.RESTRICTED)
    closed = challenge(engine, cast, "closed", status=ChallengeStatus.CLOSED)
    with session_scope(engine) as session:
        assert (
            teams.join_team(session=session, viewer=aino(cast), challenge_id=hidden).outcome
            is JoinOutcome.NOT_FOUND
        )
        assert (
            teams.join_team(session=session, viewer=aino(cast), challenge_id=closed).outcome
            is JoinOutcome.CLOSED
        )
        with pytest.raises(teams.TeamNotVisible):
            teams.challenge_for_thread(
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
    with session_scope(engine) as session:
        joined = teams.join_team(session=session, viewer=aino(cast), challenge_id=cid)
        assert joined.roster is not None
        team_id = joined.roster.team_id
    clock.move_to(T0, tick=False)
    with session_scope(engine) as session:
        first = teams.claim_roster_post(session=session, team_id=team_id)
    with session_scope(engine) as session:
        racing = teams.claim_roster_post(session=session, team_id=team_id)
    assert first.claimed and not racing.claimed and racing.message_ts is None
    assert (first.channel_id, first.thread_ts) == ("C0CHALLENGE", "1760000100.000100")
    clock.move_to(T0 + timedelta(minutes=5), tick=False)
    with session_scope(engine) as session:
        late = teams.claim_roster_post(session=session, team_id=team_id)
    assert late.claimed  # the first claimant died before posting
    with session_scope(engine) as session:
        teams.remember_roster_post(
            session=session, team_id=team_id, channel_id="C0CHALLENGE", message_ts="17.1"
        )
    with session_scope(engine) as session:
        after = teams.claim_roster_post(session=session, team_id=team_id)
    assert (after.claimed, after.message_ts) == (False, "17.1")


def test_status_changes_are_kept_with_who_and_when(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    with session_scope(engine) as session:
        joined = teams.join_team(session=session, viewer=aino(cast), challenge_id=cid)
        assert joined.roster is not None
        team_id = joined.roster.team_id
    with session_scope(engine) as session, pytest.raises(teams.TeamNotStaff):
        teams.change_team_status(session=session, viewer=aino(cast), team_id=team_id, status="won")
    clock.move_to(T0, tick=False)
    with session_scope(engine) as session:
        change = teams.change_team_status(
            session=session, viewer=staff(cast), team_id=team_id, status="submitted"
        )
    assert (change.previous, change.roster.status) == (TeamStatus.FORMING, TeamStatus.SUBMITTED)
    with session_scope(engine) as session, pytest.raises(teams.TeamError, match="already"):
        teams.change_team_status(
            session=session, viewer=staff(cast), team_id=team_id, status="submitted"
        )
    with session_scope(engine) as session:
        rows = list(session.scalars(select(TeamStatusChange)))
        assert [(r.from_status, r.to_status, r.changed_by_id, r.changed_at) for r in rows] == [
            (TeamStatus.FORMING, TeamStatus.SUBMITTED, cast.staff_id, T0)
        ]


def test_team_status_by_key_asks_which_team_when_there_are_several(engine: Engine) -> None:
    cast = add_cast(engine)
    challenge(engine, cast)
    with session_scope(engine) as session:
        teams.create_extra_team(session=session, viewer=staff(cast), challenge_key="kirkenes-ice")
    with session_scope(engine) as session, pytest.raises(teams.TeamError, match="several teams"):
        teams.change_team_status_by_key(
            session=session, viewer=staff(cast), challenge_key="kirkenes-ice", status="won"
        )
    with session_scope(engine) as session:
        change = teams.change_team_status_by_key(
            session=session,
            viewer=staff(cast),
            challenge_key="kirkenes-ice",
            status="won",
            team="2",
        )
    assert change.roster.number == 2 and change.roster.status is TeamStatus.WON


def _polar(session: Session) -> None:
    session.add(Member(slug="polar-logistics", name="Polar Logistics AS", kind=MemberKind.COMPANY))


def test_who_is_missing_uses_the_suggestion_for_the_askers_team(engine: Engine) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    asked: list[list[int]] = []

    def suggest(session: Session, row: Challenge, ids: Collection[int]) -> TeamSuggestion:
        asked.append(list(ids))
        polar = SolverMatch(
            "polar-logistics", "Polar Logistics AS", "company", "", "", 0.9, "ports"
        )
        return TeamSuggestion(
            needs=tuple(row.needs),
            members=(polar,),
            covered_by={
                "ice monitoring": ("arctic-sense",),
                "maritime logistics": ("polar-logistics",),
            },
        )

    with session_scope(engine) as session:
        teams.join_team(session=session, viewer=aino(cast), challenge_id=cid)
    with session_scope(engine) as session:
        row = session.get_one(Challenge, cid)
        report = teams.who_is_missing(
            session=session, viewer=aino(cast), challenge=row, suggest_team_fn=suggest
        )
    assert asked == [[cast.arctic_id]]
    assert report.covered == (("ice monitoring", ("Arctic Sense Oy",)),)
    assert [(m.need, [c.member_name for c in m.candidates]) for m in report.missing] == [
        ("maritime logistics", ["Polar Logistics AS"])
    ]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("<@U0SCICBOT1> who is missing?", ThreadIntent.WHO_IS_MISSING),
        ("<@U0SCICBOT1> Who's missing", ThreadIntent.WHO_IS_MISSING),
        ("<@U0SCICBOT1> mitä puuttuu?", ThreadIntent.WHO_IS_MISSING),
        ("<@U0SCICBOT1> summarize", ThreadIntent.SUMMARY),
        ("<@U0SCICBOT1> summarise please", ThreadIntent.SUMMARY),
        ("<@U0SCICBOT1> tiivistä", ThreadIntent.SUMMARY),
        ("<@U0SCICBOT1> who can monitor sea ice?", None),
        ("<@U0SCICBOT1> missing persons data", None),
    ],
)
def test_thread_intents(text: str, intent: ThreadIntent | None) -> None:
    assert teams.thread_intent(text) is intent


def test_summary_skips_the_bot_and_requests_and_keeps_authors() -> None:
    summary = teams.summarize_thread(
        [
            ThreadMessage("UBOT", "Roster: we agreed nothing", "1", from_bot=True),
            ThreadMessage(
                "U1", "Decided: Espoo pilots it. Can VTT join?\nMatti will call VTT.", "2"
            ),
            ThreadMessage("U2", "teen budjetin huomenna", "3"),
            ThreadMessage("U2", "Who will call VTT anyway?", "4"),
            ThreadMessage("U1", "<@UBOT> summarize", "5"),
        ]
    )
    assert summary.messages == 3 and summary.people == ("U1", "U2")
    assert [(i.user, i.text) for i in summary.decisions] == [("U1", "Decided: Espoo pilots it.")]
    assert [i.text for i in summary.questions] == ["Can VTT join?", "Who will call VTT anyway?"]
    assert [(i.user, i.text) for i in summary.actions] == [
        ("U1", "Matti will call VTT."),
        ("U2", "teen budjetin huomenna"),
    ]


def test_pipeline_report_counts_each_stage_with_its_first_day(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cast = add_cast(engine)
    busy = challenge(engine, cast, "busy")
    challenge(engine, cast, "quiet", slack_thread_ts=None)
    challenge(engine, cast, "draft", status=ChallengeStatus.DRAFT, slack_thread_ts=None)
    with session_scope(engine) as session:
        session.add_all(
            [
                SolverSuggestion(
                    challenge_id=busy,
                    member_id=cast.arctic_id,
                    score=0.9,
                    created_at=T0,
                    feedback=SuggestionFeedback.INTRODUCE,
                    updated_at=T0 + timedelta(days=1),
                ),
                SolverSuggestion(
                    challenge_id=busy,
                    member_id=cast.espoo_id,
                    score=0.5,
                    created_at=T0 + timedelta(hours=1),
                ),
            ]
        )
    eero = espoo(engine, cast)
    for days, viewer_joining in ((2, aino(cast)), (3, eero)):
        clock.move_to(T0 + timedelta(days=days), tick=False)
        with session_scope(engine) as session:
            teams.join_team(session=session, viewer=viewer_joining, challenge_id=busy)
    with session_scope(engine) as session:
        team_id = session.scalars(select(Team.id)).one()
    for days, status in ((10, "submitted"), (40, "won")):
        clock.move_to(T0 + timedelta(days=days), tick=False)
        with session_scope(engine) as session:
            teams.change_team_status(
                session=session, viewer=staff(cast), team_id=team_id, status=status
            )
    with session_scope(engine) as session:
        rows = {r.slug: r for r in teams.pipeline_report(session=session)}
    assert set(rows) == {"busy", "quiet"}
    row = rows["busy"]
    assert (row.suggested.count, row.suggested.first_at) == (2, T0)
    assert (row.introduced.count, row.introduced.first_at) == (1, T0 + timedelta(days=1))
    assert row.interested.count == 2
    assert (row.team_formed.count, row.team_formed.first_at) == (1, T0 + timedelta(days=3))
    assert (row.submitted.count, row.submitted.first_at) == (1, T0 + timedelta(days=10))
    assert (row.won.count, row.won.first_at) == (1, T0 + timedelta(days=40))
    assert row.lost.count == 0 and row.active
    assert not rows["quiet"].active and rows["quiet"].suggested.count == 0


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
            with session_scope(engine) as session:
                outcomes.append(
                    teams.join_team(session=session, viewer=who, challenge_id=cid).outcome
                )
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


def test_only_staff_get_the_pipeline_on_the_home_tab(engine: Engine) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast, "busy")
    challenge(engine, cast, "quiet")
    with session_scope(engine) as session:
        teams.join_team(session=session, viewer=aino(cast), challenge_id=cid)
    with session_scope(engine) as session:
        for_staff = home_page(session=session, viewer=staff(cast))
        for_member = home_page(session=session, viewer=aino(cast))
    assert [(r.slug, r.interested.count) for r in for_staff.pipeline] == [("busy", 1)]
    assert for_member.pipeline == ()


def test_who_is_missing_reads_the_matchers_answer_where_only_additions_are_named(
    engine: Engine,
) -> None:
    cast = add_cast(engine)
    cid = challenge(engine, cast, needs=["ice monitoring", "maritime logistics", "port operations"])

    def suggest(session: Session, row: Challenge, ids: Collection[int]) -> TeamSuggestion:
        polar = SolverMatch("polar-logistics", "Polar Logistics AS", "company", "", "", 0.9, "")
        return TeamSuggestion(
            needs=tuple(row.needs),
            members=(polar,),
            covered_by={"maritime logistics": ("polar-logistics",), "port operations": ()},
            uncovered=("port operations",),
        )

    with session_scope(engine) as session:
        report = teams.who_is_missing(
            session=session,
            viewer=aino(cast),
            challenge=session.get_one(Challenge, cid),
            suggest_team_fn=suggest,
        )
    assert report.covered == (("ice monitoring", ()),)
    assert [(m.need, len(m.candidates)) for m in report.missing] == [
        ("maritime logistics", 1),
        ("port operations", 0),
    ]


def test_default_suggester_calls_the_matcher_with_the_process_search(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, object]] = []

    def fake_suggest_team(**kwargs: object) -> TeamSuggestion:
        calls.append(kwargs)
        return TeamSuggestion(needs=(), members=())

    monkeypatch.setattr(matching, "suggest_team", fake_suggest_team)
    search = object()
    with_search = BotDeps(settings=Settings(_env_file=None), engine=engine, search=search)  # type: ignore[arg-type]
    cast = add_cast(engine)
    cid = challenge(engine, cast)
    with session_scope(engine) as session:
        row = session.get_one(Challenge, cid)
        teams.default_team_suggester(with_search)(session, row, [cast.arctic_id])
    assert calls == [
        {
            "session": calls[0]["session"],
            "search": search,
            "challenge": calls[0]["challenge"],
            "team_member_ids": [cast.arctic_id],
            "max_members": 4,
        }
    ]

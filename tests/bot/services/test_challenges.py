"""Challenge intake and follow-up, without Slack: validation, slugs, storing, visibility, status."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from bot.blocks.challenge_list import build_challenge_detail, build_challenge_list
from bot.services import challenges
from bot.services.challenges import ChallengeForm, make_slug, validate_challenge_form
from bot.services.identity import Viewer
from bot.services.teams import rosters
from standins.cluster import Cast, add_cast
from storage.db import session_scope
from storage.models import (
    Challenge,
    ChallengeAccess,
    ChallengeStatus,
    DigestFrequency,
    IndexOutbox,
    Interest,
    Visibility,
)
from tests.conftest import NOW

TODAY = date(2026, 11, 24)


def viewer(person_id: int, *, staff: bool = False, member_id: int | None = None) -> Viewer:
    return Viewer(
        person_id=person_id,
        name="Someone",
        email="someone@example.com",
        is_staff=staff,
        member_id=member_id,
        member_name="Arctic Sense Oy" if member_id else "",
        digest_frequency=DigestFrequency.WEEKLY,
        slack_user_id="U1",
    )


def staff(cast: Cast) -> Viewer:
    return viewer(cast.staff_id, staff=True)


def aino(cast: Cast) -> Viewer:
    return viewer(cast.member_person_id, member_id=cast.arctic_id)


# --- the form --------------------------------------------------------------------------------


def test_a_full_form_becomes_a_draft() -> None:
    check = validate_challenge_form(
        ChallengeForm(
            title="  Snow loads on school roofs ",
            needs="snow load sensing\nalerting, alerting; maintenance scheduling",
            tags="buildings, safety",
            deadline="2026-11-24",
            budget_min="50 000",
            budget_max="€120000",
            visibility="restricted",
        ),
        today=TODAY,
    )
    assert check.errors == {}
    assert check.draft is not None
    assert check.draft.title == "Snow loads on school roofs"
    assert check.draft.needs == ("snow load sensing", "alerting", "maintenance scheduling")
    assert (check.draft.budget_min, check.draft.budget_max) == (50000, 120000)
    assert check.draft.deadline == TODAY and check.draft.visibility is Visibility.RESTRICTED


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (ChallengeForm(title="   "), {"title": "Give the challenge a title."}),
        (ChallengeForm(title="x" * 301), {"title": "Keep the title under 300 characters."}),
        (
            ChallengeForm(title="t", deadline="2026-11-23"),
            {"deadline": "The deadline is in the past; pick a later day."},
        ),
        (
            ChallengeForm(title="t", deadline="next week"),
            {"deadline": "Pick the deadline from the calendar."},
        ),
        (
            ChallengeForm(title="t", budget_min="lots", budget_max="-5"),
            {
                "budget_min": "Write the amount in whole euros, e.g. 50000.",
                "budget_max": "Write the amount in whole euros, e.g. 50000.",
            },
        ),
        (
            ChallengeForm(title="t", budget_min="200", budget_max="100"),
            {"budget_max": "The maximum budget is below the minimum."},
        ),
        (
            ChallengeForm(title="t", visibility="secret"),
            {"visibility": "Choose public or restricted."},
        ),
    ],
)
def test_each_problem_is_reported_on_its_field(form: ChallengeForm, errors: dict[str, str]) -> None:
    check = validate_challenge_form(form, today=TODAY)
    assert check.draft is None
    assert check.errors == errors


def test_slugs_are_readable_ascii_and_unique() -> None:
    assert make_slug("Lämpö & Kirkenes!", set()) == "lampo-kirkenes"
    assert (
        make_slug("Lämpö & Kirkenes!", {"lampo-kirkenes", "lampo-kirkenes-2"}) == "lampo-kirkenes-3"
    )
    assert make_slug("!!!", set()) == "challenge"


@given(st.text(max_size=200), st.sets(st.text(alphabet="abc-2", max_size=8), max_size=5))
def test_any_title_gives_a_short_slug_not_yet_taken(title: str, taken: set[str]) -> None:
    slug = make_slug(title, taken)
    assert slug not in taken
    assert 0 < len(slug) <= 60
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in slug)


# --- the store -------------------------------------------------------------------------------


def create(
    engine: Engine, cast: Cast, title: str, **changes: object
) -> challenges.ChallengeSummary:
    check = validate_challenge_form(ChallengeForm(title=title, **changes), today=TODAY)  # type: ignore[arg-type]
    assert check.draft is not None, check.errors
    return challenges.create_challenge(engine=engine, draft=check.draft, author=staff(cast))


def test_creating_stores_an_open_challenge_and_queues_it_for_the_index(engine: Engine) -> None:
    cast = add_cast(engine)
    first = create(engine, cast, "Ice-free harbour", owner="city-of-espoo")
    second = create(engine, cast, "Ice-free harbour", owner="Kirkenes Municipality")
    assert (first.slug, second.slug) == ("ice-free-harbour", "ice-free-harbour-2")
    with session_scope(engine) as session:
        stored = session.scalars(select(Challenge).order_by(Challenge.id)).all()
        assert [c.status for c in stored] == [ChallengeStatus.OPEN] * 2
        assert (
            stored[0].owner_member_id == cast.espoo_id and stored[0].owner_name == "City of Espoo"
        )
        assert stored[1].owner_member_id is None and stored[1].owner_name == "Kirkenes Municipality"
        assert stored[0].created_by_id == cast.staff_id
        # Queued for the search index in the same transaction, by id (storage.outbox).
        outbox = session.scalars(
            select(IndexOutbox.entity_key).where(IndexOutbox.entity == "challenge")
        )
        assert set(outbox) == {str(stored[0].id), str(stored[1].id)}


def test_a_challenge_is_stored_in_the_language_it_was_written_in(engine: Engine) -> None:
    cast = add_cast(engine)
    with session_scope(engine) as session:
        create(
            engine,
            cast,
            "Koulujen kattojen lumikuormien seuranta",
            description="Haemme kumppania, joka mittaa lumikuorman ja varoittaa ajoissa.",
        )
        create(engine, cast, "Snow load on school roofs", description="Warn us in time.")
    with session_scope(engine) as session:
        stored = session.scalars(select(Challenge.language).order_by(Challenge.id)).all()
    assert stored == ["fi", "en"]


def test_only_staff_create(engine: Engine) -> None:
    cast = add_cast(engine)
    draft = validate_challenge_form(ChallengeForm(title="t"), today=TODAY).draft
    assert draft is not None
    with pytest.raises(challenges.NotStaff):
        challenges.create_challenge(engine=engine, draft=draft, author=aino(cast))


def test_members_see_public_own_and_invited_challenges_never_drafts(engine: Engine) -> None:
    cast = add_cast(engine)
    with session_scope(engine) as session:
        create(engine, cast, "Public one")
        hidden = create(engine, cast, "Hidden one", visibility="restricted")
        invited = create(engine, cast, "Invited one", visibility="restricted")
        session.add(ChallengeAccess(challenge_id=invited.id, member_id=cast.arctic_id))
        draft = create(engine, cast, "Draft one")
        session.get_one(Challenge, draft.id).status = ChallengeStatus.DRAFT
    seen = challenges.list_challenges(engine=engine, viewer=aino(cast), which="all")
    assert sorted(c.title for c in seen.challenges) == ["Invited one", "Public one"]
    assert seen.total == 2
    everything = challenges.list_challenges(engine=engine, viewer=staff(cast), which="all")
    assert everything.total == 4
    with pytest.raises(challenges.ChallengeNotFound, match="No challenge 'hidden-one'"):
        challenges.find_challenge(engine=engine, viewer=aino(cast), key=hidden.slug)
    assert (
        challenges.find_challenge(engine=engine, viewer=staff(cast), key=str(hidden.id)).title
        == "Hidden one"
    )


def test_status_changes_need_staff_a_known_status_and_a_known_challenge(engine: Engine) -> None:
    cast = add_cast(engine)
    made = create(engine, cast, "Harbour")
    with pytest.raises(challenges.NotStaff):
        challenges.change_status(engine=engine, viewer=aino(cast), key=made.slug, status="closed")
    with pytest.raises(challenges.UnknownStatus, match="Use one of: draft, open"):
        challenges.change_status(engine=engine, viewer=staff(cast), key=made.slug, status="done")
    with pytest.raises(challenges.ChallengeNotFound):
        challenges.change_status(engine=engine, viewer=staff(cast), key="999", status="closed")
    changed, previous = challenges.change_status(
        engine=engine, viewer=staff(cast), key=str(made.id), status="Teams forming"
    )
    assert previous is ChallengeStatus.OPEN and changed.status is ChallengeStatus.TEAMS_FORMING
    open_now = challenges.list_challenges(engine=engine, viewer=aino(cast), which="open")
    assert [c.slug for c in open_now.challenges] == ["harbour"]


def test_interest_is_recorded_once_per_organisation(engine: Engine) -> None:
    cast = add_cast(engine)
    made = create(engine, cast, "Harbour")
    outcomes = []
    for who in (aino(cast), aino(cast), viewer(cast.staff_id)):
        outcomes.append(
            challenges.express_interest(engine=engine, viewer=who, challenge_id=made.id).outcome
        )
    with session_scope(engine) as session:
        missing = challenges.express_interest(engine=engine, viewer=aino(cast), challenge_id=999)
        interests = session.scalars(select(Interest)).all()
    assert outcomes == ["recorded", "already", "no_organisation"]
    assert missing.outcome == "not_found"
    assert [(i.member_id, i.person_id) for i in interests] == [
        (cast.arctic_id, cast.member_person_id)
    ]


def test_restricted_cards_go_to_staff_only() -> None:
    from tests.bot.blocks.test_challenge_card import summary

    public, restricted = summary(), summary(visibility=Visibility.RESTRICTED)
    assert challenges.card_channel(public, challenges_channel="C1", staff_channel="C2") == "C1"
    assert challenges.card_channel(restricted, challenges_channel="C1", staff_channel="C2") == "C2"
    assert challenges.card_channel(restricted, challenges_channel="C1", staff_channel="") is None


def test_a_challenge_past_its_deadline_is_not_open_whatever_its_status(
    engine: Engine, clock: time_machine.Traveller
) -> None:
    cast = add_cast(engine)
    today = NOW.date()
    for title, status, deadline in (
        ("Closes today", ChallengeStatus.OPEN, today),
        ("Closed yesterday", ChallengeStatus.OPEN, today - timedelta(days=1)),
        ("Team late", ChallengeStatus.TEAMS_FORMING, today - timedelta(days=30)),
        ("No deadline", ChallengeStatus.TEAMS_FORMING, None),
    ):
        made = create(engine, cast, title)
        with session_scope(engine) as session:
            stored = session.get_one(Challenge, made.id)
            stored.status, stored.deadline = status, deadline
    listed = challenges.list_challenges(engine=engine, viewer=aino(cast), which="open")
    assert sorted(c.title for c in listed.challenges) == ["Closes today", "No deadline"]
    assert listed.total == 2
    everything = challenges.list_challenges(engine=engine, viewer=aino(cast), which="all")
    expired = {c.title: c.expired for c in everything.challenges}
    assert expired == {
        "Closes today": False,
        "Closed yesterday": True,
        "Team late": True,
        "No deadline": False,
    }
    late = challenges.find_challenge(engine=engine, viewer=aino(cast), key="team-late")
    assert "deadline passed (still marked teams forming)" in str(build_challenge_detail(late))
    assert "deadline passed" not in str(build_challenge_list(listed))
    joined = rosters.join_team(engine=engine, viewer=aino(cast), challenge_id=late.id)
    assert joined.outcome is rosters.JoinOutcome.CLOSED
    # A day later the one that closed today is closed too.
    clock.move_to(NOW + timedelta(days=1))
    listed = challenges.list_challenges(engine=engine, viewer=aino(cast), which="open")
    assert [c.title for c in listed.challenges] == ["No deadline"]

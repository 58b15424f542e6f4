"""Members' own profiles: who may edit, the form's checks, saves with their audit trail and
outbox row, and no lost update when two people save at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from sqlalchemy import Engine, delete, select

from bot.services import profiles
from bot.services.identity import Viewer, viewer_of
from standins.cluster import MEMBER_USER, STAFF_USER, Cast, add_cast, add_person
from storage.db import session_scope
from storage.models import IndexOutbox, Member, MembershipStatus, Person, Reference
from storage.profile_models import ProfileChange


@pytest.fixture
def cast(engine: Engine) -> Cast:
    cast = add_cast(engine)
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        arctic.languages = ["fi", "en"]
        arctic.references = [
            Reference(position=0, title="Roof load alarms for Oulu schools", year=2023),
            Reference(position=1, title="Bridge strain gauges", client="Finnish Transport"),
        ]
        session.get_one(Person, cast.member_person_id).expertise = ["LoRaWAN gateways"]
    return cast


def viewer(engine: Engine, person_id: int, user: str = MEMBER_USER) -> Viewer:
    with session_scope(engine) as session:
        return viewer_of(session.get_one(Person, person_id), user)


def espoo_person(engine: Engine, cast: Cast) -> Viewer:
    with session_scope(engine) as session:
        espoo = session.get_one(Member, cast.espoo_id)
        person = add_person(session, "eero@espoo.example", espoo, "U0ESPOO0001")
        return viewer_of(person, "U0ESPOO0001")


def form_of(draft: profiles.ProfileDraft, **changes: object) -> profiles.ProfileValues:
    return replace(draft.values, **changes)  # type: ignore[arg-type]


def test_a_member_opens_its_own_profile_with_its_expertise_line(engine: Engine, cast: Cast) -> None:
    draft = profiles.open_profile(engine=engine, viewer=viewer(engine, cast.member_person_id))
    assert draft.member_slug == "arctic-sense" and draft.version == 0
    assert draft.values.capabilities == ("structural health monitoring", "embedded sensors")
    assert [r.title for r in draft.values.references] == [
        "Roof load alarms for Oulu schools",
        "Bridge strain gauges",
    ]
    assert draft.values.expertise == ("LoRaWAN gateways",)
    # Staff may open any member's; they have no expertise line there.
    staff = viewer(engine, cast.staff_id, STAFF_USER)
    other = profiles.open_profile(engine=engine, viewer=staff, key="Arctic Sense")
    assert other.member_id == cast.arctic_id and other.values.expertise is None


def test_another_organisations_person_and_a_former_members_are_refused(
    engine: Engine, cast: Cast
) -> None:
    eero = espoo_person(engine, cast)
    with pytest.raises(profiles.ProfileNotAllowed) as refused:
        profiles.open_profile(engine=engine, viewer=eero, key="arctic-sense")
    assert refused.value.reason == "not_yours"
    aino = viewer(engine, cast.member_person_id)
    draft = profiles.open_profile(engine=engine, viewer=aino)
    with pytest.raises(profiles.ProfileNotAllowed):
        profiles.save_profile(
            engine=engine,
            viewer=eero,
            member_id=cast.arctic_id,
            version=draft.version,
            seen=draft.fingerprint,
            values=form_of(draft, description="Hijacked"),
        )
    with session_scope(engine) as session:
        session.get_one(Member, cast.arctic_id).membership_status = MembershipStatus.FORMER
    with pytest.raises(profiles.ProfileNotAllowed) as former:
        profiles.open_profile(engine=engine, viewer=aino)
    assert former.value.reason == "former"
    with session_scope(engine) as session:
        assert session.get_one(Member, cast.arctic_id).description.startswith("Sensors")
        assert session.scalars(select(ProfileChange)).all() == []
    loner = viewer(engine, cast.member_person_id + 1)  # Lone Wolf: no organisation
    with pytest.raises(profiles.ProfileNotFound):
        profiles.open_profile(engine=engine, viewer=loner)


def test_the_form_reports_each_problem_on_its_field() -> None:
    form = profiles.ProfileForm(
        description="We build sensors.",
        capabilities="x" * 201,
        languages="fi, English",
        references=(
            profiles.ReferenceForm(title="Roofs", year="1850"),
            profiles.ReferenceForm(description="A project with no title"),
            profiles.ReferenceForm(),  # an empty slot: nothing to add
        ),
    )
    check = profiles.check_profile_form(form)
    assert check.values is None
    assert {name: key for name, (key, _) in check.errors.items()} == {
        "capabilities": "item_too_long",
        "languages": "language_code",
        "ref_0_year": "year",
        "ref_1_title": "reference_title",
    }


def test_the_form_answers_in_finnish_when_written_in_finnish() -> None:
    form = profiles.ProfileForm(
        description="Suunnittelemme ja valmistamme antureita, jotka kestävät pohjoisen talven "
        "ja kertovat kattojen lumikuormasta ajoissa.",
        references=(profiles.ReferenceForm(description="Koulujen kattojen kuormavahdit"),),
    )
    check = profiles.check_profile_form(form)
    assert check.language == "fi" and "ref_0_title" in check.errors


def test_clean_values_are_split_and_deduplicated() -> None:
    form = profiles.ProfileForm(
        capabilities="snow load sensing\nbridge monitoring, Snow load sensing",
        technologies="LoRaWAN; NB-IoT",
        languages="FI, en",
        expertise="gateways",
        has_expertise=True,
        references=(profiles.ReferenceForm(title=" Roofs ", year="2024", client="Oulu"),),
    )
    values = profiles.check_profile_form(form).values
    assert values is not None
    assert values.capabilities == ("snow load sensing", "bridge monitoring")
    assert values.technologies == ("LoRaWAN", "NB-IoT") and values.languages == ("fi", "en")
    assert values.expertise == ("gateways",)
    assert values.references == (profiles.ReferenceValues("Roofs", "", 2024, "Oulu"),)


def test_a_save_changes_the_profile_keeps_the_trail_and_queues_the_index(
    engine: Engine, cast: Cast
) -> None:
    aino = viewer(engine, cast.member_person_id)
    draft = profiles.open_profile(engine=engine, viewer=aino)
    with session_scope(engine) as session:
        session.execute(delete(IndexOutbox))
    new_refs = (
        profiles.ReferenceValues("Roof load alarms for Oulu schools", "Now in 40 schools", 2023),
        profiles.ReferenceValues(
            "District heating leak detection", "Acoustic sensors", 2025, "Oulu"
        ),
    )  # the bridge reference removed, one edited, one added
    saved = profiles.save_profile(
        engine=engine,
        viewer=aino,
        member_id=cast.arctic_id,
        version=draft.version,
        seen=draft.fingerprint,
        values=form_of(
            draft,
            capabilities=("structural health monitoring", "leak detection"),
            references=new_refs,
            expertise=("LoRaWAN gateways", "acoustics"),
        ),
    )
    assert saved.fields == ("capabilities", "references", "expertise")
    assert saved.draft.version == 1
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        assert arctic.capabilities == ["structural health monitoring", "leak detection"]
        assert [(r.position, r.title, r.client) for r in arctic.references] == [
            (0, "Roof load alarms for Oulu schools", ""),
            (1, "District heating leak detection", "Oulu"),
        ]
        assert session.get_one(Person, cast.member_person_id).expertise[-1] == "acoustics"
        change = session.scalars(select(ProfileChange)).one()
        assert (change.person_id, change.kind, change.fields) == (
            cast.member_person_id,
            "edit",
            ["capabilities", "references", "expertise"],
        )
        assert change.before["capabilities"][-1] == "embedded sensors"
        assert change.after["capabilities"][-1] == "leak detection"
        assert "description" not in change.before
        queued = {(o.entity, o.entity_key) for o in session.scalars(select(IndexOutbox))}
        assert ("member", str(cast.arctic_id)) in queued
    # Saving the same values again changes nothing and writes no trail.
    again = profiles.save_profile(
        engine=engine,
        viewer=aino,
        member_id=cast.arctic_id,
        version=saved.draft.version,
        seen=saved.draft.fingerprint,
        values=saved.draft.values,
    )
    assert again.fields == ()
    history = profiles.all_profile_changes(engine=engine)
    assert [row.as_record()["fields"] for row in history] == [
        ["capabilities", "references", "expertise"]
    ]


def test_a_stale_form_is_refused_with_the_profile_as_it_is_now(engine: Engine, cast: Cast) -> None:
    aino = viewer(engine, cast.member_person_id)
    staff = viewer(engine, cast.staff_id, STAFF_USER)
    hers = profiles.open_profile(engine=engine, viewer=aino)
    theirs = profiles.open_profile(engine=engine, viewer=staff, key="arctic-sense")
    profiles.save_profile(
        engine=engine,
        viewer=staff,
        member_id=cast.arctic_id,
        version=theirs.version,
        seen=theirs.fingerprint,
        values=form_of(theirs, description="Staff's words."),
    )
    with pytest.raises(profiles.ProfileChangedMeanwhile) as stale:
        profiles.save_profile(
            engine=engine,
            viewer=aino,
            member_id=cast.arctic_id,
            version=hers.version,
            seen=hers.fingerprint,
            values=form_of(hers, technologies=("NB-IoT",)),
        )
    assert stale.value.by == "Sari Staff"
    assert stale.value.current.values.description == "Staff's words."
    assert stale.value.current.version == 1
    # A change that did not come through the form (an import) makes a form stale too.
    fresh = stale.value.current
    with session_scope(engine) as session:
        session.get_one(Member, cast.arctic_id).technologies = ["Zigbee"]
    with pytest.raises(profiles.ProfileChangedMeanwhile):
        profiles.save_profile(
            engine=engine,
            viewer=aino,
            member_id=cast.arctic_id,
            version=fresh.version,
            seen=fresh.fingerprint,
            values=form_of(fresh, description="Mine."),
        )
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        assert (arctic.description, arctic.technologies) == ("Staff's words.", ["Zigbee"])


def test_two_saves_of_the_same_version_at_once_let_exactly_one_through(
    engine: Engine, cast: Cast
) -> None:
    aino = viewer(engine, cast.member_person_id)
    staff = viewer(engine, cast.staff_id, STAFF_USER)
    drafts = {
        "aino": (aino, profiles.open_profile(engine=engine, viewer=aino)),
        "staff": (staff, profiles.open_profile(engine=engine, viewer=staff, key="arctic-sense")),
    }
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(name: str) -> None:
        who, draft = drafts[name]
        start.wait()
        try:
            profiles.save_profile(
                engine=engine,
                viewer=who,
                member_id=cast.arctic_id,
                version=draft.version,
                seen=draft.fingerprint,
                values=form_of(draft, description=f"Written by {name}."),
            )
            outcomes[name] = "saved"
        except profiles.ProfileChangedMeanwhile:
            outcomes[name] = "changed meanwhile"

    threads = [threading.Thread(target=save, args=(name,)) for name in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["changed meanwhile", "saved"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    with session_scope(engine) as session:
        assert session.get_one(Member, cast.arctic_id).description == f"Written by {winner}."
        assert len(session.scalars(select(ProfileChange)).all()) == 1


def test_more_references_than_the_form_shows_are_kept(engine: Engine, cast: Cast) -> None:
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        arctic.references = []
        session.flush()
        arctic.references = [
            Reference(position=n, title=f"Project {n}")
            for n in range(profiles.REFERENCES_SHOWN + 2)
        ]
    aino = viewer(engine, cast.member_person_id)
    draft = profiles.open_profile(engine=engine, viewer=aino)
    assert draft.references_hidden == 2
    shown = draft.values.references[1:]  # the first one removed
    profiles.save_profile(
        engine=engine,
        viewer=aino,
        member_id=cast.arctic_id,
        version=draft.version,
        seen=draft.fingerprint,
        values=form_of(draft, references=shown),
    )
    with session_scope(engine) as session:
        titles = [r.title for r in session.get_one(Member, cast.arctic_id).references]
    assert titles == [f"Project {n}" for n in range(1, profiles.REFERENCES_SHOWN + 2)]


def test_history_is_for_staff(engine: Engine, cast: Cast) -> None:
    aino = viewer(engine, cast.member_person_id)
    profiles.confirm_profile(engine=engine, viewer=aino, member_id=cast.arctic_id)
    with pytest.raises(profiles.ProfileNotAllowed):
        profiles.profile_history(engine=engine, viewer=aino, key="arctic-sense")
    staff = viewer(engine, cast.staff_id, STAFF_USER)
    name, rows = profiles.profile_history(engine=engine, viewer=staff, key="arctic-sense")
    assert name == "Arctic Sense Oy"
    assert [(r.kind, r.person_name) for r in rows] == [("confirm", "Aino Virtanen")]

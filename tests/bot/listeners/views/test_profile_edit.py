"""Members edit their own profile in Slack: `/profile` and the Home tab's button open the form,
a submission gets field errors, a refusal, "changed meanwhile" with the form reloaded, or is
saved, searchable at once and in the audit trail. Signed requests through a real port, on
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from standins.cluster import MEMBER_USER, STAFF_USER, Cast, add_person
from standins.slack import RunningBot, SlackReply
from storage.db import session_scope
from storage.models import Member, MembershipStatus, Person
from storage.profile_models import ProfileChange
from tests.bot.block_kit import assert_valid_view

ESPOO_USER = "U0ESPOO0001"


def open_form(bot: RunningBot, user: str = MEMBER_USER, text: str = "") -> dict[str, Any]:
    before = len(bot.fake.calls_to("views.open"))
    assert bot.sender.command("/profile", text, user=user).status == 200
    view: dict[str, Any] = bot.fake.wait_for_method("views.open", count=before + 1)[-1].args["view"]
    assert_valid_view(view)
    return view


def field(block_id: str) -> str:
    return block_id.partition("@")[0]


def state_of(view: dict[str, Any], **typed: str) -> dict[str, dict[str, dict[str, Any]]]:
    """What Slack sends for the form as shown, with ``typed`` fields replaced."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        name = field(block["block_id"])
        text = typed.get(name, block["element"].get("initial_value"))
        values[block["block_id"]] = {"value": {"type": "plain_text_input", "value": text}}
    return values


def submit(
    bot: RunningBot, view: dict[str, Any], user: str = MEMBER_USER, **typed: str
) -> SlackReply:
    return bot.sender.view_submission(
        user=user,
        callback_id="profile_edit",
        values=state_of(view, **typed),
        private_metadata=view["private_metadata"],
    )


def test_the_form_shows_the_profile_and_the_persons_own_expertise(
    bot: RunningBot, cast: Cast
) -> None:
    view = open_form(bot)
    inputs = {field(b["block_id"]): b for b in view["blocks"] if b["type"] == "input"}
    assert (
        inputs["description"]["element"]["initial_value"] == "Sensors that survive Arctic winters."
    )
    assert inputs["capabilities"]["element"]["initial_value"] == (
        "structural health monitoring\nembedded sensors"
    )
    assert "expertise" in inputs and "ref_0_title" in inputs  # one empty slot for a new one
    assert "ref_1_title" not in inputs
    assert all(b["block_id"].endswith("@0") for b in inputs.values())


def test_a_saved_profile_is_searchable_at_once_and_confirmed(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    # As with INDEX_WAIT_MS=0: questions never index, yet a saved profile must be found.
    bot.search.question_budget = 0
    view = open_form(bot)
    reply = submit(
        bot,
        view,
        capabilities="structural health monitoring\nembedded sensors\ndistrict heating leak detection",
        ref_0_title="Leak detection pilot in Oulu",
        ref_0_year="2025",
        ref_0_client="Oulun Energia",
        expertise="acoustic sensing",
    )
    assert reply.status == 200 and reply.body == ""  # the modal closes
    dm = bot.fake.wait_for_method("chat.postMessage")[0]
    assert dm.args["channel"] == MEMBER_USER
    assert (
        "Saved Arctic Sense Oy's profile (capabilities, references, your expertise)"
        in dm.args["text"]
    )
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        assert arctic.capabilities[-1] == "district heating leak detection"
        assert [(r.title, r.year) for r in arctic.references] == [
            ("Leak detection pilot in Oulu", 2025)
        ]
        assert session.get_one(Person, cast.member_person_id).expertise == ["acoustic sensing"]
        change = session.scalars(select(ProfileChange)).one()
        assert change.person_id == cast.member_person_id
    # The index caught up before the confirmation went out: no search needed to apply it.
    members = bot.search.indexes.members
    documents = members.entries(owners=[f"member:{cast.arctic_id}"], embeddings=False).documents
    assert any("district heating leak detection" in d for d in documents)
    assert any("Leak detection pilot in Oulu" in d for d in documents)


def test_field_errors_land_on_their_inputs_in_the_writers_language(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    view = open_form(bot)
    reply = submit(bot, view, languages="fi, English", ref_0_year="1850", ref_0_title="Roofs")
    answer = reply.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"languages@0", "ref_0_year@0"}
    assert answer["errors"]["languages@0"] == (
        "“english” is not a language code: write codes such as fi, en, sv."
    )
    assert answer["errors"]["ref_0_year@0"].startswith("A year from 1900 to ")
    finnish = submit(
        bot,
        view,
        description="Suunnittelemme ja valmistamme antureita, jotka kestävät pohjoisen talven "
        "ja kertovat kattojen lumikuormasta ajoissa.",
        ref_0_description="Koulujen kattojen kuormavahdit",
    )
    assert finnish.json()["errors"] == {
        "ref_0_title@0": "Anna referenssille otsikko tai tyhjennä sen kentät poistaaksesi sen."
    }
    with session_scope(engine) as session:
        assert session.scalars(select(ProfileChange)).all() == []


def test_a_second_editor_is_told_it_changed_meanwhile_and_the_form_reloads(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    hers = open_form(bot)
    staffs = open_form(bot, user=STAFF_USER, text="arctic-sense")
    assert "expertise@0" not in str(staffs["blocks"])  # staff have no expertise line there
    assert submit(bot, staffs, user=STAFF_USER, description="Checked by staff.").body == ""
    reply = submit(bot, hers, technologies="NB-IoT")
    answer = reply.json()
    assert answer["response_action"] == "update"
    reloaded = answer["view"]
    assert_valid_view(reloaded)
    assert "Sari Staff changed this profile while you were editing it" in str(reloaded["blocks"])
    inputs = {b["block_id"]: b for b in reloaded["blocks"] if b["type"] == "input"}
    # New block ids (version 1), so Slack shows the current values, not what she had typed.
    assert inputs["description@1"]["element"]["initial_value"] == "Checked by staff."
    assert inputs["technologies@1"]["element"]["initial_value"] == "LoRaWAN"
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        assert (arctic.description, arctic.technologies) == ("Checked by staff.", ["LoRaWAN"])
    # Saved from the reloaded form, her change goes through.
    assert submit(bot, reloaded, technologies="NB-IoT").body == ""
    with session_scope(engine) as session:
        arctic = session.get_one(Member, cast.arctic_id)
        assert (arctic.description, arctic.technologies) == ("Checked by staff.", ["NB-IoT"])


def test_another_organisations_person_is_refused_even_with_a_forged_form(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    with session_scope(engine) as session:
        espoo = session.get_one(Member, cast.espoo_id)
        add_person(session, "eero@espoo.example", espoo, ESPOO_USER)
    bot.fake.add_user(ESPOO_USER, "eero@espoo.example", "Eero")
    bot.sender.command("/profile", "arctic-sense", user=ESPOO_USER)
    refusal = bot.fake.wait_for_method("response_url")[0]
    assert "You can edit only your own organisation's profile" in refusal.args["text"]
    assert bot.fake.calls_to("views.open") == []
    forged = open_form(bot)  # Aino's form, submitted by Eero
    reply = submit(bot, forged, user=ESPOO_USER, description="Taken over.")
    assert reply.json()["response_action"] == "errors"
    assert "Arctic Sense Oy is not yours" in reply.json()["errors"]["description@0"]
    with session_scope(engine) as session:
        assert session.get_one(Member, cast.arctic_id).description.startswith("Sensors")


def test_a_former_members_people_cannot_edit(bot: RunningBot, engine: Engine, cast: Cast) -> None:
    view = open_form(bot)
    with session_scope(engine) as session:
        session.get_one(Member, cast.arctic_id).membership_status = MembershipStatus.FORMER
    reply = submit(bot, view, description="Still here?")
    assert "former member" in reply.json()["errors"]["description@0"]
    bot.sender.command("/profile", "", user=MEMBER_USER)
    assert "former member" in bot.fake.wait_for_method("response_url")[0].args["text"]


def test_the_home_tab_button_opens_the_form(bot: RunningBot, cast: Cast) -> None:
    bot.sender.event(
        {"type": "app_home_opened", "user": MEMBER_USER, "tab": "home", "channel": "D1"}
    )
    home = bot.fake.wait_for_method("views.publish")[0].args["view"]
    button = next(
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "profile_edit_open"
    )
    assert button["value"] == str(cast.arctic_id)
    bot.sender.block_action(
        user=MEMBER_USER,
        action_id="profile_edit_open",
        value=button["value"],
        channel=None,
        view=home,
    )
    view = bot.fake.wait_for_method("views.open")[0].args["view"]
    assert view["callback_id"] == "profile_edit"


def test_staff_see_a_members_history(bot: RunningBot, cast: Cast) -> None:
    view = open_form(bot)
    submit(bot, view, technologies="LoRaWAN, NB-IoT")
    bot.fake.wait_for_method("chat.postMessage")
    bot.sender.command("/profile", "history arctic-sense", user=STAFF_USER)
    shown = bot.fake.wait_for_method("response_url")[0].args
    text = str(shown["blocks"])
    assert "Profile history of Arctic Sense Oy" in text and "Aino Virtanen" in text
    assert "LoRaWAN → LoRaWAN, NB-IoT" in text
    bot.sender.command("/profile", "history arctic-sense", user=MEMBER_USER)
    refused = bot.fake.wait_for_method("response_url", count=2)[-1].args
    assert "Only the SCIC staff can see a profile's history." in refused["text"]

"""Team formation on a challenge card, through the real HTTP port and the Slack stand-in:
the roster is posted once in the card's thread and then edited in place; roles, leaving,
competing teams, staff-only status changes and restricted challenges."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine, select

from standins.cluster import MEMBER_USER, STAFF_USER, Cast
from standins.slack import CHALLENGES_CHANNEL, STAFF_CHANNEL, ApiCall, RunningBot
from storage.db import session_scope
from storage.models import (
    ChallengeAccess,
    Interest,
    Person,
    Team,
    TeamMembership,
    TeamStatus,
    TeamStatusChange,
    Visibility,
)
from tests.bot.block_kit import assert_valid_message, assert_valid_view
from tests.bot.listeners.commands.test_challenge import add_challenge

CARD_TS = "1760000100.000100"
ESPOO_USER = "U0EERO00001"


@pytest.fixture
def espoo_person(bot: RunningBot, engine: Engine, cast: Cast) -> int:
    """A second organisation's person, so that a team can have two members."""
    bot.fake.add_user(ESPOO_USER, "eero@espoo.example", "Eero Espoo")
    with session_scope(engine) as session:
        person = Person(email="eero@espoo.example", name="Eero Espoo", member_id=cast.espoo_id)
        session.add(person)
        session.flush()
        return person.id


def card(engine: Engine, cast: Cast, **changes: object) -> int:
    values: dict[str, object] = {"slack_channel_id": CHALLENGES_CHANNEL, "slack_thread_ts": CARD_TS}
    return add_challenge(engine, cast, "kirkenes-ice", **(values | changes))


def click(bot: RunningBot, user: str, challenge_id: int, channel: str = CHALLENGES_CHANNEL) -> None:
    reply = bot.sender.block_action(
        user=user,
        action_id="challenge_interested",
        value=str(challenge_id),
        channel=channel,
        message_ts=CARD_TS,
    )
    assert reply.status == 200


def choose(bot: RunningBot, user: str, action_id: str, value: str) -> None:
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    assert (
        bot.sender.block_action(user=user, action_id=action_id, selected_option=option).status
        == 200
    )


def text_of(call: ApiCall) -> str:
    return str(call.args.get("text")) + str(call.args.get("blocks"))


def only_team(engine: Engine) -> Team:
    with session_scope(engine) as session:
        teams = list(session.scalars(select(Team)))
        assert len(teams) == 1
        return teams[0]


def members_of(engine: Engine) -> list[tuple[int, str]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(TeamMembership).order_by(TeamMembership.id))
        return [(m.member_id, m.role) for m in rows]


def test_first_interest_posts_the_roster_and_later_ones_update_it_in_place(
    bot: RunningBot, engine: Engine, cast: Cast, espoo_person: int
) -> None:
    challenge_id = card(engine, cast)
    click(bot, MEMBER_USER, challenge_id)
    roster = bot.fake.wait_for_method("chat.postMessage")[0]
    assert (roster.args["channel"], roster.args["thread_ts"]) == (CHALLENGES_CHANNEL, CARD_TS)
    assert "Arctic Sense Oy" in text_of(roster)
    assert_valid_message(roster.args)
    note = bot.fake.wait_for_method("chat.postEphemeral")[0]
    assert note.args["user"] == MEMBER_USER and "is now on" in note.args["text"]
    assert "team_role" in str(note.args["blocks"])  # the role menu comes with it
    team = only_team(engine)
    assert team.roster_channel_id == CHALLENGES_CHANNEL and team.roster_message_ts

    click(bot, ESPOO_USER, challenge_id)
    update = bot.fake.wait_for_method("chat.update")[0]
    assert (update.args["channel"], update.args["ts"]) == (
        CHALLENGES_CHANNEL,
        team.roster_message_ts,
    )
    assert "Arctic Sense Oy" in text_of(update) and "City of Espoo" in text_of(update)
    assert_valid_message(update.args)
    # Espoo's own note comes after the update; wait for it, or it could pass for the next one.
    bot.fake.wait_for_method("chat.postEphemeral", count=2)

    # The same click again: told privately, nothing posted, updated or stored twice.
    click(bot, MEMBER_USER, challenge_id)
    again = bot.fake.wait_for_method("chat.postEphemeral", count=3)[-1]
    assert again.args["user"] == MEMBER_USER and "is already on" in again.args["text"]
    bot.fake.settle()
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    assert len(bot.fake.calls_to("chat.update")) == 1
    assert members_of(engine) == [(cast.arctic_id, ""), (cast.espoo_id, "")]
    with session_scope(engine) as session:
        assert len(list(session.scalars(select(Interest)))) == 2


def test_role_change_and_leaving_update_the_same_roster(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    challenge_id = card(engine, cast)
    click(bot, MEMBER_USER, challenge_id)
    bot.fake.wait_for_method("chat.postEphemeral")
    team = only_team(engine)

    choose(bot, MEMBER_USER, "team_role", f"{team.id}:pilot_site")
    update = bot.fake.wait_for_method("chat.update")[0]
    assert update.args["ts"] == team.roster_message_ts
    assert "Arctic Sense Oy* — Pilot site" in text_of(update)
    assert members_of(engine) == [(cast.arctic_id, "pilot_site")]

    bot.sender.block_action(user=MEMBER_USER, action_id="team_leave", value=str(team.id))
    left = bot.fake.wait_for_method("chat.update", count=2)[-1]
    assert left.args["ts"] == team.roster_message_ts
    assert "No organisations yet" in text_of(left)
    assert members_of(engine) == []
    bot.fake.wait_for(lambda calls: any("has left" in text_of(c) for c in calls))

    # Leaving twice is refused politely; joining again edits the same message once more.
    bot.sender.block_action(user=MEMBER_USER, action_id="team_leave", value=str(team.id))
    bot.fake.wait_for(lambda calls: any("is not on this team" in text_of(c) for c in calls))
    click(bot, MEMBER_USER, challenge_id)
    rejoined = bot.fake.wait_for_method("chat.update", count=3)[-1]
    assert rejoined.args["ts"] == team.roster_message_ts and "Arctic Sense Oy" in text_of(rejoined)
    bot.fake.settle()
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


def test_staff_move_the_team_status_from_the_roster_and_members_cannot(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    challenge_id = card(engine, cast)
    click(bot, MEMBER_USER, challenge_id)
    bot.fake.wait_for_method("chat.postEphemeral")
    team = only_team(engine)

    choose(bot, MEMBER_USER, "team_status", f"{team.id}:won")
    refusal = bot.fake.wait_for_method("chat.postEphemeral", count=2)[-1]
    assert "Only SCIC staff can change a team's status" in refusal.args["text"]

    choose(bot, STAFF_USER, "team_status", f"{team.id}:submitted")
    posted = bot.fake.wait_for_method("chat.postMessage", count=2)[-1]
    assert posted.args["thread_ts"] == CARD_TS
    assert posted.args["text"] == (
        f"<@{STAFF_USER}> moved *Team* for *Kirkenes Ice* from forming to *submitted*."
    )
    update = bot.fake.wait_for_method("chat.update")[0]
    assert update.args["ts"] == team.roster_message_ts and "· submitted" in text_of(update)
    with session_scope(engine) as session:
        changes = list(session.scalars(select(TeamStatusChange)))
        assert [(c.from_status, c.to_status, c.changed_by_id) for c in changes] == [
            (TeamStatus.FORMING, TeamStatus.SUBMITTED, cast.staff_id)
        ]
        assert session.get_one(Team, team.id).status is TeamStatus.SUBMITTED


def test_team_status_command_posts_in_the_thread_and_keeps_who(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    challenge_id = card(engine, cast)
    click(bot, MEMBER_USER, challenge_id)
    bot.fake.wait_for_method("chat.postEphemeral")
    bot.sender.command(
        "/challenge", "team-status kirkenes-ice proposal-in-preparation", user=STAFF_USER
    )
    answer = bot.fake.wait_for_method("response_url")[0]
    assert "to *proposal in preparation*" in answer.args["text"]
    posted = bot.fake.wait_for_method("chat.postMessage", count=2)[-1]
    assert posted.args["thread_ts"] == CARD_TS and "proposal in preparation" in posted.args["text"]
    bot.fake.wait_for_method("chat.update")
    bot.sender.command("/challenge", "team-status kirkenes-ice finished", user=STAFF_USER)
    unknown = bot.fake.wait_for_method("response_url", count=2)[-1]
    assert "Unknown team status 'finished'" in unknown.args["text"]
    bot.sender.command("/challenge", "team-status kirkenes-ice won", user=MEMBER_USER)
    refused = bot.fake.wait_for_method("response_url", count=3)[-1]
    assert "Only SCIC staff can change teams" in refused.args["text"]
    with session_scope(engine) as session:
        changes = list(session.scalars(select(TeamStatusChange)))
        assert [(c.to_status, c.changed_by_id) for c in changes] == [
            (TeamStatus.PROPOSAL_IN_PREPARATION, cast.staff_id)
        ]


def test_with_competing_teams_the_person_chooses_one_in_a_modal(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    challenge_id = card(engine, cast)
    bot.sender.command("/challenge", "team new kirkenes-ice Nordic consortium", user=STAFF_USER)
    created = bot.fake.wait_for_method("response_url")[0]
    assert (
        "*Nordic consortium* is open" in created.args["text"] and "2 teams" in created.args["text"]
    )

    click(bot, MEMBER_USER, challenge_id)
    opened = bot.fake.wait_for_method("views.open")[0]
    view: dict[str, Any] = opened.args["view"]
    assert_valid_view(view)
    options = view["blocks"][1]["element"]["options"]
    assert [o["text"]["text"] for o in options] == [
        "Team 1 (0 organisations)",
        "Nordic consortium (0 organisations)",
    ]
    assert members_of(engine) == []  # nothing is written until the person chooses

    nordic = options[1]["value"]
    reply = bot.sender.view_submission(
        user=MEMBER_USER,
        callback_id="team_join",
        private_metadata=view["private_metadata"],
        values={
            "team": {"value": {"type": "static_select", "selected_option": {"value": nordic}}},
            "role": {"value": {"type": "static_select", "selected_option": {"value": "lead"}}},
        },
    )
    assert reply.status == 200 and reply.body == ""
    roster = bot.fake.wait_for_method("chat.postMessage")[0]
    assert roster.args["thread_ts"] == CARD_TS
    assert "*Nordic consortium* for *Kirkenes Ice*" in text_of(roster)
    assert "Arctic Sense Oy* — Lead" in text_of(roster)
    with session_scope(engine) as session:
        member = session.scalars(select(TeamMembership)).one()
        assert (member.team_id, member.role) == (int(nordic), "lead")


def test_restricted_challenge_refuses_outsiders_politely_and_writes_nothing(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    challenge_id = card(
        engine, cast, visibility=Visibility.RESTRICTED, slack_channel_id=STAFF_CHANNEL
    )
    click(bot, MEMBER_USER, challenge_id, channel=STAFF_CHANNEL)
    refusal = bot.fake.wait_for_method("chat.postEphemeral")[0]
    assert refusal.args["user"] == MEMBER_USER
    assert "not open to your organisation" in refusal.args["text"]
    # Staff put a team together; the outsider still cannot change it from its roster.
    click(bot, STAFF_USER, challenge_id, channel=STAFF_CHANNEL)
    bot.fake.wait_for_method("chat.postMessage")
    team = only_team(engine)
    choose(bot, MEMBER_USER, "team_role", f"{team.id}:lead")
    bot.sender.block_action(user=MEMBER_USER, action_id="team_leave", value=str(team.id))
    notes = bot.fake.wait_for_method("chat.postEphemeral", count=4)
    assert sum("not open to your organisation" in n.args["text"] for n in notes) == 3
    bot.fake.settle()
    assert bot.fake.calls_to("chat.update") == []
    with session_scope(engine) as session:
        assert cast.arctic_id not in [i.member_id for i in session.scalars(select(Interest))]
        assert cast.arctic_id not in [m.member_id for m in session.scalars(select(TeamMembership))]

    # Once staff let the organisation in, the same click works.
    with session_scope(engine) as session:
        session.add(ChallengeAccess(challenge_id=challenge_id, member_id=cast.arctic_id))
    click(bot, MEMBER_USER, challenge_id, channel=STAFF_CHANNEL)
    joined = bot.fake.wait_for_method("chat.update")[0]
    assert "Arctic Sense Oy" in text_of(joined)


def test_two_first_clicks_at_once_post_one_roster_listing_both(
    bot: RunningBot, engine: Engine, cast: Cast, espoo_person: int
) -> None:
    challenge_id = card(engine, cast)
    clicks = [
        threading.Thread(target=click, args=(bot, user, challenge_id))
        for user in (MEMBER_USER, ESPOO_USER)
    ]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    bot.fake.wait_for_method("chat.postEphemeral", count=2, timeout=15)

    def roster_names_both(calls: list[ApiCall]) -> bool:
        # Whichever request lost the race, the last version of the roster names both (it
        # may arrive a while after the ephemerals on a busy machine: waited for, not slept).
        versions = [c for c in calls if c.method in ("chat.postMessage", "chat.update")]
        return bool(versions) and all(
            name in text_of(versions[-1]) for name in ("Arctic Sense Oy", "City of Espoo")
        )

    bot.fake.wait_for(roster_names_both, timeout=15)
    bot.fake.settle()
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    assert {m for m, _ in members_of(engine)} == {cast.arctic_id, cast.espoo_id}

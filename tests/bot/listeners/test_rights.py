"""The rights audit of every entry point that writes: each action, modal, slash command and
team-thread request is sent through the real HTTP port, signed, by (a) a Slack user the records
do not know and (b) a person without the right (another organisation, a member who is not
staff, someone not let in to a restricted challenge), forged where the real interface would
not offer it. Nothing is written (the whole store is compared before and after) and the person
gets a short reason only they see, where that request answers.

A replayed request (the same trigger_id, freshly signed) does nothing the second time: a staff
command that creates a team, and a button that writes.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from bot import ids
from bot.blocks.challenge_modal import build_challenge_modal, modal_metadata
from bot.listeners.commands import solvers
from bot.services.questions.asking import reply_to
from standins.cluster import LONER_USER, MEMBER_USER, STAFF_USER, STRANGER_USER, Cast
from standins.slack import (
    BOT_USER_ID,
    CHALLENGES_CHANNEL,
    GENERAL_CHANNEL,
    STAFF_CHANNEL,
    TEAM_ID,
    ApiCall,
    RunningBot,
    SlackReply,
    modal_values,
)
from storage.db import session_scope
from storage.models import (
    Base,
    Challenge,
    ChallengeAccess,
    ChallengeStatus,
    Introduction,
    Member,
    MemberKind,
    MembershipStatus,
    Person,
    Team,
    TeamMembership,
    Visibility,
)
from storage.profile_models import ProfileChange
from storage.questions import log_question

OTHER_USER = "U0OTHER0001"  # Olli of Kantava, another organisation with a contact on Slack
FORMER_USER = "U0GIAGONE01"  # Gia of Gone Oy, which has left the cluster
THREAD_TS = "1760000100.000100"  # the restricted challenge's card thread
PASTED = "Call for proposals: snow loads on school roofs\nEspoo wants sensors by March."
STRANGER = "I don't know you yet"


@dataclass(frozen=True)
class World:
    restricted_id: int  # let in: Kantava only
    public_id: int
    kantava_id: int
    former_slug: str
    staff_question_id: int
    introduction_id: int  # Olli asked Arctic Sense (Aino) for an introduction
    public_team_id: int  # Kantava's team on the public challenge (Arctic Sense not on it)
    restricted_team_id: int  # Kantava's team on the restricted challenge


@pytest.fixture
def world(bot: RunningBot, engine: Engine, cast: Cast) -> World:
    bot.fake.add_user(OTHER_USER, "olli@kantava.example", "Olli Kantava")
    bot.fake.add_user(FORMER_USER, "g@gone.example", "Gia Gone")
    bot.fake.add_thread(
        CHALLENGES_CHANNEL,
        THREAD_TS,
        [{"user": OTHER_USER, "text": "We can bring the ice sensors.", "ts": THREAD_TS}],
    )
    with session_scope(engine) as session:
        kantava = Member(slug="kantava", name="Kantava Oy", kind=MemberKind.COMPANY)
        former = Member(
            slug="gone-oy",
            name="Gone Oy",
            kind=MemberKind.COMPANY,
            membership_status=MembershipStatus.FORMER,
        )
        session.add_all([kantava, former])
        session.flush()
        olli = Person(
            email="olli@kantava.example",
            name="Olli Kantava",
            member_id=kantava.id,
            slack_user_id=OTHER_USER,
        )
        session.add_all(
            [
                olli,
                Person(
                    email="g@gone.example",
                    name="Gia Gone",
                    member_id=former.id,
                    slack_user_id=FORMER_USER,
                ),
            ]
        )
        session.get_one(Person, cast.member_person_id).slack_user_id = MEMBER_USER
        restricted = Challenge(
            slug="secret-ice",
            title="Secret ice",
            description="Structural health monitoring of the ice roads.",
            visibility=Visibility.RESTRICTED,
            status=ChallengeStatus.OPEN,
            needs=["structural health monitoring"],
            owner_member_id=cast.espoo_id,
            slack_channel_id=CHALLENGES_CHANNEL,
            slack_thread_ts=THREAD_TS,
        )
        # Open, not drafts: a draft is hidden from members whatever its visibility.
        public = Challenge(
            slug="open-roads",
            title="Open roads",
            status=ChallengeStatus.OPEN,
            owner_member_id=cast.espoo_id,
        )
        session.add_all([restricted, public])
        session.flush()
        session.add(ChallengeAccess(challenge_id=restricted.id, member_id=kantava.id))
        teams = [Team(challenge_id=public.id), Team(challenge_id=restricted.id)]
        session.add_all(teams)
        session.flush()
        session.add_all([TeamMembership(team_id=t.id, member_id=kantava.id) for t in teams])
        question = log_question(
            session=session,
            person_id=cast.staff_id,
            slack_user_id=STAFF_USER,
            channel_id="D0DIRECT01",
            thread_ts="1760000000.000001",
            question="the board's confidential shortlist for Kirkenes",
            answer="",
            answered_members=["kantava"],
        )
        intro = Introduction(
            asker_person_id=olli.id,
            member_id=cast.arctic_id,
            contact_person_id=cast.member_person_id,
            question="",
        )
        session.add(intro)
        session.flush()
        return World(
            restricted.id,
            public.id,
            kantava.id,
            "gone-oy",
            question,
            intro.id,
            teams[0].id,
            teams[1].id,
        )


def store_contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the delivery receipts (each request adds its own)."""
    with session_scope(engine) as session:
        return {
            table.name: sorted(map(tuple, session.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name != "slack_event_receipt"
        }


@dataclass(frozen=True)
class Request:
    """A signed request someone sends, and who they are (to check the reply went to them)."""

    user: str
    send: Callable[[RunningBot, World], SlackReply]

    def __call__(self, bot: RunningBot, world: World) -> SlackReply:
        return self.send(bot, world)


Send = Request


def click(user: str, action_id: str, value: Callable[[World], str]) -> Send:
    def send(bot: RunningBot, world: World) -> SlackReply:
        return bot.sender.block_action(user=user, action_id=action_id, value=value(world))

    return Request(user, send)


def choose(user: str, action_id: str, value: Callable[[World], str], *, home: bool = False) -> Send:
    def send(bot: RunningBot, world: World) -> SlackReply:
        option = {"text": {"type": "plain_text", "text": "x"}, "value": value(world)}
        if home:  # the Home tab: no channel and no response_url, the view instead
            return bot.sender.block_action(
                user=user,
                action_id=action_id,
                selected_option=option,
                channel=None,
                view={"id": "V0HOME0001", "type": "home"},
            )
        return bot.sender.block_action(user=user, action_id=action_id, selected_option=option)

    return Request(user, send)


def command(
    user: str, name: str, text: Callable[[World], str], channel: str = GENERAL_CHANNEL
) -> Send:
    def send(bot: RunningBot, world: World) -> SlackReply:
        return bot.sender.command(name, text(world), user=user, channel=channel)

    return Request(user, send)


def pick_deadline(user: str) -> Send:
    def send(bot: RunningBot, world: World) -> SlackReply:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "someone", "team_id": TEAM_ID},
            "api_app_id": "A0SCICAPP1",
            "token": "legacy-verification-token",
            "team": {"id": TEAM_ID, "domain": "scic"},
            "trigger_id": bot.sender.new_trigger_id(),
            "container": {
                "type": "message",
                "message_ts": "1.1",
                "channel_id": CHALLENGES_CHANNEL,
            },
            "channel": {"id": CHALLENGES_CHANNEL, "name": "challenges"},
            "message": {"type": "message", "ts": "1.1", "text": ""},
            "response_url": bot.fake.response_url("action"),
            "actions": [
                {
                    "action_id": ids.CHALLENGE_DEADLINE,
                    "block_id": f"challenge_staff_{world.public_id}",
                    "type": "datepicker",
                    "selected_date": "2099-01-31",
                    "action_ts": "1.2",
                }
            ],
        }
        return bot.sender.interaction(payload)

    return Request(user, send)


def prefill(user: str) -> Send:
    """*Fill in the form from this text* in the new-challenge modal, with a text pasted."""

    def send(bot: RunningBot, world: World) -> SlackReply:
        modal = build_challenge_modal(private_metadata=modal_metadata(GENERAL_CHANNEL))
        values = {ids.INTAKE_PASTE: {"value": {"type": "plain_text_input", "value": PASTED}}}
        view = modal | {"id": "V0VIEW0001", "hash": "1.h", "state": {"values": values}}
        return bot.sender.block_action(user=user, action_id=ids.PREFILL, channel=None, view=view)

    return Request(user, send)


def submit_team_choice(user: str) -> Send:
    def send(bot: RunningBot, world: World) -> SlackReply:
        option = {"text": {"type": "plain_text", "text": "Team 1"}, "value": "1"}
        values = {"team": {"value": {"type": "static_select", "selected_option": option}}}
        metadata = json.dumps({"challenge_id": world.restricted_id, "channel": CHALLENGES_CHANNEL})
        return bot.sender.view_submission(
            user=user, callback_id=ids.TEAM_JOIN_MODAL, values=values, private_metadata=metadata
        )

    return Request(user, send)


def submit_challenge(user: str) -> Send:
    def send(bot: RunningBot, world: World) -> SlackReply:
        return bot.sender.view_submission(
            user=user,
            callback_id=ids.CHALLENGE_MODAL,
            values=modal_values(title="Snow loads on roofs", visibility="public"),
            private_metadata=json.dumps({"channel_id": CHALLENGES_CHANNEL}),
        )

    return Request(user, send)


def submit_profile(user: str) -> Send:
    def send(bot: RunningBot, world: World) -> SlackReply:
        metadata = json.dumps({"member_id": world.kantava_id, "version": 0, "seen": "", "slots": 0})
        values = {
            "description": {ids.PROFILE_VALUE: {"type": "plain_text_input", "value": "We do ice."}}
        }
        return bot.sender.view_submission(
            user=user, callback_id=ids.PROFILE_MODAL, values=values, private_metadata=metadata
        )

    return Request(user, send)


def mention_in_card_thread(user: str, text: str) -> Send:
    """A team request in the restricted challenge's card thread ("summarize")."""

    def send(bot: RunningBot, world: World) -> SlackReply:
        ts = "1760000500.000500"
        event = {
            "type": "app_mention",
            "user": user,
            "text": f"<@{BOT_USER_ID}> {text}",
            "channel": CHALLENGES_CHANNEL,
            "ts": ts,
            "event_ts": ts,
            "thread_ts": THREAD_TS,
        }
        return bot.sender.event(event)

    return Request(user, send)


def restricted(world: World) -> str:
    return str(world.restricted_id)


def kantava(world: World) -> str:
    return str(world.kantava_id)


def not_a_fit_on(world: World) -> str:
    return json.dumps({"member": "kantava", "challenge": world.restricted_id})


def introduction(world: World) -> str:
    return str(world.introduction_id)


# Where the reason shows: a Web API method (or the response URL), or "view_errors" for the
# form's own errors in the acknowledgement.
EPHEMERAL, RESPONSE, DM, FORM, THREAD, THREAD_PRIVATE = (
    "chat.postEphemeral",
    "response_url",
    "chat.postMessage:dm",
    "view_errors",
    "chat.postMessage:thread",
    "chat.postEphemeral:thread",
)

# (a) A Slack user the records do not know: every writing entry point.
STRANGERS = [
    pytest.param(
        click(STRANGER_USER, ids.JOIN_FROM_CARD, restricted),
        STRANGER,
        EPHEMERAL,
        id="card interested",
    ),
    pytest.param(
        click(STRANGER_USER, ids.INTEREST_FROM_DIGEST, restricted),
        STRANGER,
        EPHEMERAL,
        id="digest interested",
    ),
    pytest.param(
        click(STRANGER_USER, ids.NOT_RELEVANT, restricted),
        STRANGER,
        EPHEMERAL,
        id="digest not relevant",
    ),
    pytest.param(
        click(STRANGER_USER, ids.NOT_A_FIT, not_a_fit_on), STRANGER, RESPONSE, id="not a fit"
    ),
    pytest.param(
        click(STRANGER_USER, ids.INTRODUCE, lambda w: json.dumps({"member": "kantava"})),
        STRANGER,
        RESPONSE,
        id="introduce me",
    ),
    pytest.param(
        click(STRANGER_USER, ids.INTRODUCTION_ACCEPT, introduction),
        "Only the person who was asked",
        RESPONSE,
        id="accept an introduction",
    ),
    pytest.param(
        click(STRANGER_USER, ids.INTRODUCTION_DECLINE, introduction),
        "Only the person who was asked",
        RESPONSE,
        id="decline an introduction",
    ),
    pytest.param(
        click(STRANGER_USER, ids.ASK_STAFF, lambda w: "what is secret?"),
        STRANGER,
        RESPONSE,
        id="ask staff",
    ),
    pytest.param(
        click(STRANGER_USER, ids.TEAM_LEAVE, lambda w: str(w.public_team_id)),
        STRANGER,
        EPHEMERAL,
        id="team leave",
    ),
    pytest.param(
        choose(STRANGER_USER, ids.TEAM_ROLE, lambda w: f"{w.public_team_id}:lead"),
        STRANGER,
        EPHEMERAL,
        id="team role",
    ),
    pytest.param(
        choose(STRANGER_USER, ids.TEAM_STATUS, lambda w: f"{w.public_team_id}:submitted"),
        STRANGER,
        EPHEMERAL,
        id="team status",
    ),
    pytest.param(pick_deadline(STRANGER_USER), STRANGER, EPHEMERAL, id="move a deadline"),
    pytest.param(
        choose(STRANGER_USER, ids.CHALLENGE_AFTER_DEADLINE, lambda w: f"{w.public_id}:won"),
        STRANGER,
        EPHEMERAL,
        id="after the deadline",
    ),
    pytest.param(
        click(STRANGER_USER, ids.PROFILE_STILL_TRUE, kantava),
        STRANGER,
        RESPONSE,
        id="profile still true",
    ),
    pytest.param(
        click(STRANGER_USER, ids.PROFILE_NOT_NOW, kantava), STRANGER, RESPONSE, id="profile not now"
    ),
    pytest.param(
        click(STRANGER_USER, ids.PROFILE_EDIT, kantava), STRANGER, RESPONSE, id="profile edit"
    ),
    pytest.param(
        choose(STRANGER_USER, ids.HOME_DIGEST, lambda w: "daily", home=True),
        STRANGER,
        DM,
        id="home digest menu",
    ),
    pytest.param(
        choose(STRANGER_USER, ids.HOME_NUDGES, lambda w: "off", home=True),
        STRANGER,
        DM,
        id="home nudges menu",
    ),
    pytest.param(prefill(STRANGER_USER), STRANGER, DM, id="fill in the form from a text"),
    pytest.param(submit_team_choice(STRANGER_USER), STRANGER, FORM, id="team choice modal"),
    pytest.param(
        submit_challenge(STRANGER_USER), "Only SCIC staff", FORM, id="new challenge modal"
    ),
    pytest.param(submit_profile(STRANGER_USER), STRANGER, FORM, id="profile modal"),
    pytest.param(
        command(STRANGER_USER, "/challenge", lambda w: "status open-roads closed"),
        STRANGER,
        RESPONSE,
        id="/challenge status",
    ),
    pytest.param(
        command(STRANGER_USER, "/challenge", lambda w: "team new open-roads"),
        STRANGER,
        RESPONSE,
        id="/challenge team new",
    ),
    pytest.param(
        command(STRANGER_USER, "/challenge", lambda w: PASTED),
        STRANGER,
        RESPONSE,
        id="/challenge <pasted text>",
    ),
    pytest.param(
        command(STRANGER_USER, "/digest", lambda w: "subscribe daily", CHALLENGES_CHANNEL),
        STRANGER,
        RESPONSE,
        id="/digest subscribe a channel",
    ),
    pytest.param(
        command(STRANGER_USER, "/digest", lambda w: "daily"), STRANGER, RESPONSE, id="/digest daily"
    ),
    pytest.param(
        command(STRANGER_USER, "/profile", lambda w: "kantava"), STRANGER, RESPONSE, id="/profile"
    ),
    pytest.param(
        mention_in_card_thread(STRANGER_USER, "summarize"),
        STRANGER,
        THREAD,
        id="summarize a card thread",
    ),
]

# (b) A person without the right.
REFUSED = [
    pytest.param(
        click(FORMER_USER, ids.JOIN_FROM_CARD, lambda w: str(w.public_id)),
        "no longer a member of the cluster",
        EPHEMERAL,
        id="card interested: an organisation that left the cluster",
    ),
    pytest.param(
        click(FORMER_USER, ids.INTEREST_FROM_DIGEST, lambda w: str(w.public_id)),
        "no longer a member of the cluster",
        EPHEMERAL,
        id="digest interested: an organisation that left the cluster",
    ),
    pytest.param(
        click(MEMBER_USER, ids.JOIN_FROM_CARD, restricted),
        "not open to your organisation",
        EPHEMERAL,
        id="card interested: restricted, not let in",
    ),
    pytest.param(
        click(MEMBER_USER, ids.INTEREST_FROM_DIGEST, restricted),
        "",
        EPHEMERAL,
        id="digest interested: restricted, not let in",
    ),
    pytest.param(
        click(MEMBER_USER, ids.NOT_RELEVANT, restricted),
        "",
        EPHEMERAL,
        id="digest not relevant: restricted, not let in",
    ),
    pytest.param(
        click(MEMBER_USER, ids.NOT_A_FIT, not_a_fit_on),
        "Only the person who asked",
        RESPONSE,
        id="not a fit: restricted, not let in",
    ),
    pytest.param(
        click(
            OTHER_USER,
            ids.NOT_A_FIT,
            lambda w: json.dumps({"member": "arctic-sense", "challenge": w.public_id}),
        ),
        "Only the SCIC staff, the challenge's owner or the member itself",
        RESPONSE,
        id="not a fit: a competitor off a challenge not theirs",
    ),
    pytest.param(
        click(
            MEMBER_USER,
            ids.NOT_A_FIT,
            lambda w: json.dumps({"member": "kantava", "question": w.staff_question_id}),
        ),
        "Only the person who asked",
        RESPONSE,
        id="not a fit: another person's question",
    ),
    pytest.param(
        click(MEMBER_USER, ids.INTRODUCE, lambda w: json.dumps({"member": w.former_slug})),
        "no longer in the cluster's records",
        RESPONSE,
        id="introduce: a former member",
    ),
    pytest.param(
        click(LONER_USER, ids.INTRODUCTION_ACCEPT, introduction),
        "Only the person who was asked",
        RESPONSE,
        id="accept an introduction: not the contact",
    ),
    pytest.param(
        click(STAFF_USER, ids.INTRODUCTION_DECLINE, introduction),
        "Only the person who was asked",
        RESPONSE,
        id="decline an introduction: not the contact",
    ),
    pytest.param(
        click(MEMBER_USER, ids.TEAM_LEAVE, lambda w: str(w.public_team_id)),
        "is not on this team",
        EPHEMERAL,
        id="team leave: not their organisation's team",
    ),
    pytest.param(
        click(MEMBER_USER, ids.TEAM_LEAVE, lambda w: str(w.restricted_team_id)),
        "not open to your organisation",
        EPHEMERAL,
        id="team leave: restricted, not let in",
    ),
    pytest.param(
        choose(MEMBER_USER, ids.TEAM_ROLE, lambda w: f"{w.public_team_id}:lead"),
        "is not on this team",
        EPHEMERAL,
        id="team role: not their organisation's team",
    ),
    pytest.param(
        choose(MEMBER_USER, ids.TEAM_ROLE, lambda w: f"{w.restricted_team_id}:lead"),
        "not open to your organisation",
        EPHEMERAL,
        id="team role: restricted, not let in",
    ),
    pytest.param(
        choose(MEMBER_USER, ids.TEAM_STATUS, lambda w: f"{w.public_team_id}:submitted"),
        "Only SCIC staff",
        EPHEMERAL,
        id="team status: not staff",
    ),
    pytest.param(
        pick_deadline(MEMBER_USER), "Only SCIC staff", EPHEMERAL, id="move a deadline: not staff"
    ),
    pytest.param(
        choose(MEMBER_USER, ids.CHALLENGE_AFTER_DEADLINE, lambda w: f"{w.public_id}:won"),
        "Only SCIC staff",
        EPHEMERAL,
        id="after the deadline: not staff",
    ),
    pytest.param(
        click(MEMBER_USER, ids.PROFILE_STILL_TRUE, kantava),
        "not yours",
        RESPONSE,
        id="still true: another organisation's profile",
    ),
    pytest.param(
        click(MEMBER_USER, ids.PROFILE_NOT_NOW, kantava),
        "not yours",
        RESPONSE,
        id="not now: another organisation's profile",
    ),
    pytest.param(
        click(MEMBER_USER, ids.PROFILE_EDIT, kantava),
        "not yours",
        DM,
        id="edit: another organisation's profile",
    ),
    pytest.param(
        prefill(MEMBER_USER), "Only SCIC staff", DM, id="fill in the form from a text: not staff"
    ),
    pytest.param(
        submit_team_choice(MEMBER_USER),
        "no longer open to your organisation",
        FORM,
        id="team choice modal: restricted, not let in",
    ),
    pytest.param(
        submit_challenge(MEMBER_USER), "Only SCIC staff", FORM, id="new challenge modal: not staff"
    ),
    pytest.param(
        submit_profile(MEMBER_USER), "not yours", FORM, id="profile modal: another organisation"
    ),
    pytest.param(
        command(MEMBER_USER, "/challenge", lambda w: "status open-roads closed"),
        "Only SCIC staff",
        RESPONSE,
        id="/challenge status: not staff",
    ),
    pytest.param(
        command(MEMBER_USER, "/challenge", lambda w: "deadline open-roads 2099-01-31"),
        "Only SCIC staff",
        RESPONSE,
        id="/challenge deadline: not staff",
    ),
    pytest.param(
        command(MEMBER_USER, "/challenge", lambda w: "after-deadline open-roads won"),
        "Only SCIC staff",
        RESPONSE,
        id="/challenge after-deadline: not staff",
    ),
    pytest.param(
        command(MEMBER_USER, "/challenge", lambda w: "team-status open-roads submitted"),
        "Only SCIC staff",
        RESPONSE,
        id="/challenge team-status: not staff",
    ),
    pytest.param(
        command(MEMBER_USER, "/challenge", lambda w: "team new open-roads"),
        "Only SCIC staff",
        RESPONSE,
        id="/challenge team new: not staff",
    ),
    pytest.param(
        command(MEMBER_USER, "/challenge", lambda w: PASTED),
        "Only SCIC staff",
        RESPONSE,
        id="/challenge <pasted text>: not staff",
    ),
    pytest.param(
        command(MEMBER_USER, "/profile", lambda w: "kantava"),
        "not yours",
        RESPONSE,
        id="/profile: another organisation's",
    ),
    pytest.param(
        command(MEMBER_USER, "/profile", lambda w: "history kantava"),
        "Only the SCIC staff",
        RESPONSE,
        id="/profile history: not staff",
    ),
    pytest.param(
        mention_in_card_thread(MEMBER_USER, "summarize"),
        "restricted to the organisations invited",
        THREAD_PRIVATE,
        id="summarize a card thread: restricted, not let in",
    ),
    pytest.param(
        mention_in_card_thread(MEMBER_USER, "who is missing?"),
        "restricted to the organisations invited",
        THREAD_PRIVATE,
        id="who is missing: restricted, not let in",
    ),
]


@pytest.fixture
def contents(engine: Engine, world: World) -> Iterator[Callable[[], dict[str, Any]]]:
    yield lambda: store_contents(engine)


def _reason(bot: RunningBot, reply: SlackReply, shown_by: str, user: str) -> str:
    """What the person was told, checking it went only to them."""
    if shown_by == FORM:
        answer = reply.json()
        assert answer["response_action"] == "errors"
        return " ".join(answer["errors"].values())
    method = shown_by.partition(":")[0]
    calls: list[ApiCall] = bot.fake.wait_for_method(method)
    (call,) = calls
    if shown_by == RESPONSE:
        assert call.args.get("response_type", "ephemeral") == "ephemeral"
    elif shown_by in (EPHEMERAL, THREAD_PRIVATE):
        assert call.args["user"] == user
    elif shown_by == DM:
        assert call.args["channel"] == user  # by DM, to them only
    if shown_by in (THREAD, THREAD_PRIVATE):
        assert call.args["thread_ts"] == THREAD_TS
    return str(call.args.get("text", ""))


def _check_refused(
    bot: RunningBot,
    world: World,
    contents: Callable[[], dict[str, Any]],
    send: Send,
    reason: str,
    shown_by: str,
) -> None:
    before = contents()
    reply = send(bot, world)
    assert reply.status == 200
    told = _reason(bot, reply, shown_by, send.user)
    assert told.strip() and len(told) < 600
    assert reason in told
    visible = bot.fake.settle()
    # Nothing but the reason (a thread's request shows the working reaction first).
    shown = [c for c in visible if c.method != "reactions.add"]
    assert len(shown) <= 1, [(c.method, c.args.get("text")) for c in shown]
    assert not [c for c in visible if c.args.get("channel") == STAFF_CHANNEL]
    assert contents() == before


@pytest.mark.parametrize(("send", "reason", "shown_by"), STRANGERS)
def test_a_stranger_s_request_writes_nothing_and_says_why(
    bot: RunningBot,
    world: World,
    contents: Callable[[], dict[str, Any]],
    send: Send,
    reason: str,
    shown_by: str,
) -> None:
    _check_refused(bot, world, contents, send, reason, shown_by)


@pytest.mark.parametrize(("send", "reason", "shown_by"), REFUSED)
def test_a_request_without_the_right_writes_nothing_and_says_why(
    bot: RunningBot,
    world: World,
    contents: Callable[[], dict[str, Any]],
    send: Send,
    reason: str,
    shown_by: str,
) -> None:
    _check_refused(bot, world, contents, send, reason, shown_by)


def test_an_introduction_never_carries_another_person_s_question(
    bot: RunningBot, engine: Engine, world: World
) -> None:
    """Aino forges the question id of a staff member's question into *Introduce me*: the
    request goes out, without the question (it went to the contact before)."""
    value = json.dumps({"member": "kantava", "question": world.staff_question_id})
    bot.sender.block_action(user=MEMBER_USER, action_id=ids.INTRODUCE, value=value)
    asked = bot.fake.wait_for_method("chat.postMessage")[-1]
    bot.fake.settle()
    assert "confidential shortlist" not in json.dumps(asked.args)
    with session_scope(engine) as session:
        made = session.scalars(
            select(Introduction).where(Introduction.member_id == world.kantava_id)
        )
        assert [i.question for i in made] == [""]


def test_an_answer_shared_in_a_channel_is_answered_for_the_channel(
    bot: RunningBot, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """*Share in channel* posts the ranking where everyone reads it, so it is found with a
    channel's rights (what every member may see: `test_answers` checks that those leave
    restricted challenges out), never with the sharer's own (staff see everything)."""
    audiences: list[bool] = []

    def reply_for(**kwargs: Any) -> Any:
        audiences.append(bool(kwargs.get("shared")))
        return reply_to(**kwargs)

    monkeypatch.setattr(solvers, "reply_to", reply_for)
    problem = "structural health monitoring"
    bot.sender.command("/solvers", problem, user=STAFF_USER)
    bot.fake.wait_for_method("response_url")
    bot.sender.block_action(user=STAFF_USER, action_id=ids.SHARE, value=problem)
    shared = bot.fake.wait_for_method("response_url", count=2)[-1]
    assert shared.args["response_type"] == "in_channel"
    assert "Arctic Sense" in json.dumps(shared.args)
    assert audiences == [False, True]


def _replayed(bot: RunningBot, send: Callable[[], SlackReply], times: int = 3) -> None:
    """The same signed request ``times`` times (each freshly signed, as an attacker who kept
    the bytes would send it within Slack's five minutes): each acknowledged with a 200."""
    for _ in range(times):
        assert send().status == 200


def test_a_replayed_staff_command_creates_its_team_once(
    bot: RunningBot, engine: Engine, world: World
) -> None:
    form = urllib.parse.urlencode(
        {
            "team_id": TEAM_ID,
            "channel_id": GENERAL_CHANNEL,
            "user_id": STAFF_USER,
            "command": "/challenge",
            "text": "team new open-roads Second",
            "response_url": bot.fake.response_url("replayed-team-new"),
            "trigger_id": "4242.replayed.team-new",
        }
    )
    _replayed(bot, lambda: bot.sender.post(form, "application/x-www-form-urlencoded"))
    bot.fake.wait_for_method("response_url")
    bot.fake.settle(quiet=0.5)
    assert len(bot.fake.calls_to("response_url")) == 1
    with session_scope(engine) as session:
        teams = session.scalars(select(Team.name).where(Team.challenge_id == world.public_id))
        assert sorted(teams) == ["", "Second"]  # Kantava's, and the one the command opened
    # A new request (its own trigger_id) is not a replay: it opens another team.
    bot.sender.command("/challenge", "team new open-roads Third", user=STAFF_USER)
    bot.fake.wait_for_method("response_url", count=2)
    with session_scope(engine) as session:
        count = select(func.count()).where(Team.challenge_id == world.public_id)
        assert session.scalar(count) == 3


def test_a_replayed_button_writes_once(bot: RunningBot, engine: Engine, cast: Cast) -> None:
    """*Still true* adds a line to the profile's audit trail each time it is pressed, so a
    replay that ran again would show there."""
    payload = {
        "type": "block_actions",
        "user": {"id": MEMBER_USER, "username": "aino", "team_id": TEAM_ID},
        "api_app_id": "A0SCICAPP1",
        "token": "legacy-verification-token",
        "team": {"id": TEAM_ID, "domain": "scic"},
        "trigger_id": "4243.replayed.still-true",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "D0DIRECT01"},
        "channel": {"id": "D0DIRECT01", "name": "directmessage"},
        "message": {"type": "message", "ts": "1.1", "text": ""},
        "response_url": bot.fake.response_url("replayed-still-true"),
        "actions": [
            {
                "action_id": ids.PROFILE_STILL_TRUE,
                "block_id": "b1",
                "type": "button",
                "value": str(cast.arctic_id),
                "action_ts": "1.2",
            }
        ],
    }
    _replayed(bot, lambda: bot.sender.interaction(payload))
    bot.fake.wait_for_method("response_url")
    bot.fake.settle(quiet=0.5)
    assert len(bot.fake.calls_to("response_url")) == 1
    with session_scope(engine) as session:
        kinds = session.scalars(
            select(ProfileChange.kind).where(ProfileChange.member_id == cast.arctic_id)
        )
        assert list(kinds) == ["confirm"]

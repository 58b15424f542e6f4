"""The rights audit of every action and modal: a person without the right (another
organisation, a member who is not staff, someone not let in to a restricted challenge)
posts a signed payload, forged where the real interface would not offer it, and nothing is
written while they get a short reason only they see.

Strangers (no person record) are covered by `test_strangers.py`; the store is compared whole
before and after each request here, so a write anywhere would show.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot import ids
from bot.listeners.commands import solvers
from bot.services.questions.asking import reply_to
from standins.cluster import LONER_USER, MEMBER_USER, STAFF_USER, Cast
from standins.slack import CHALLENGES_CHANNEL, RunningBot, SlackReply, modal_values
from storage.db import session_scope
from storage.models import (
    Base,
    Challenge,
    ChallengeAccess,
    Introduction,
    Member,
    MemberKind,
    MembershipStatus,
    Person,
    Visibility,
)
from storage.questions import log_question

OTHER_USER = "U0OTHER0001"  # Olli of Kantava, another organisation with a contact on Slack


@dataclass(frozen=True)
class World:
    restricted_id: int  # let in: Kantava only
    public_id: int
    kantava_id: int
    former_slug: str
    staff_question_id: int
    introduction_id: int  # Olli asked Arctic Sense (Aino) for an introduction


@pytest.fixture
def world(bot: RunningBot, engine: Engine, cast: Cast) -> World:
    bot.fake.add_user(OTHER_USER, "olli@kantava.example", "Olli Kantava")
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
            [olli, Person(email="g@gone.example", name="Gia Gone", member_id=former.id)]
        )
        session.get_one(Person, cast.member_person_id).slack_user_id = MEMBER_USER
        restricted = Challenge(
            slug="secret-ice",
            title="Secret ice",
            description="Structural health monitoring of the ice roads.",
            visibility=Visibility.RESTRICTED,
            needs=["structural health monitoring"],
            owner_member_id=cast.espoo_id,
        )
        public = Challenge(slug="open-roads", title="Open roads", owner_member_id=cast.espoo_id)
        session.add_all([restricted, public])
        session.flush()
        session.add(ChallengeAccess(challenge_id=restricted.id, member_id=kantava.id))
        session.flush()
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
        return World(restricted.id, public.id, kantava.id, "gone-oy", question, intro.id)


def store_contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the delivery receipts (each request adds its own)."""
    with session_scope(engine) as session:
        return {
            table.name: sorted(map(tuple, session.execute(select(table))), key=repr)
            for table in Base.metadata.sorted_tables
            if table.name != "slack_event_receipt"
        }


def click(user: str, action_id: str, value: Callable[[World], str]) -> Callable[..., SlackReply]:
    def send(bot: RunningBot, world: World) -> SlackReply:
        return bot.sender.block_action(user=user, action_id=action_id, value=value(world))

    return send


def choose(user: str, action_id: str, value: Callable[[World], str]) -> Callable[..., SlackReply]:
    def send(bot: RunningBot, world: World) -> SlackReply:
        option = {"text": {"type": "plain_text", "text": "x"}, "value": value(world)}
        return bot.sender.block_action(user=user, action_id=action_id, selected_option=option)

    return send


def pick_deadline(bot: RunningBot, world: World) -> SlackReply:
    payload = {
        "type": "block_actions",
        "user": {"id": MEMBER_USER, "username": "aino", "team_id": "T0SCIC0001"},
        "api_app_id": "A0SCICAPP1",
        "token": "legacy-verification-token",
        "team": {"id": "T0SCIC0001", "domain": "scic"},
        "trigger_id": bot.sender.new_trigger_id(),
        "container": {"type": "message", "message_ts": "1.1", "channel_id": CHALLENGES_CHANNEL},
        "channel": {"id": CHALLENGES_CHANNEL, "name": "challenges"},
        "message": {"type": "message", "ts": "1.1", "text": ""},
        "response_url": bot.fake.response_url("action"),
        "actions": [
            {
                "action_id": ids.CHALLENGE_DEADLINE,
                "block_id": f"challenge_staff_{world.public_id}",
                "type": "datepicker",
                "selected_date": "2027-01-31",
                "action_ts": "1.2",
            }
        ],
    }
    return bot.sender.interaction(payload)


def submit_team_choice(bot: RunningBot, world: World) -> SlackReply:
    option = {"text": {"type": "plain_text", "text": "Team 1"}, "value": "1"}
    values = {"team": {"value": {"type": "static_select", "selected_option": option}}}
    metadata = json.dumps({"challenge_id": world.restricted_id, "channel": CHALLENGES_CHANNEL})
    return bot.sender.view_submission(
        user=MEMBER_USER, callback_id=ids.TEAM_JOIN_MODAL, values=values, private_metadata=metadata
    )


def submit_challenge(bot: RunningBot, world: World) -> SlackReply:
    return bot.sender.view_submission(
        user=MEMBER_USER,
        callback_id=ids.CHALLENGE_MODAL,
        values=modal_values(title="Snow loads on roofs", visibility="public"),
        private_metadata=json.dumps({"channel_id": CHALLENGES_CHANNEL}),
    )


def submit_profile(bot: RunningBot, world: World) -> SlackReply:
    metadata = json.dumps({"member_id": world.kantava_id, "version": 0, "seen": "", "slots": 0})
    values = {
        "description": {ids.PROFILE_VALUE: {"type": "plain_text_input", "value": "We do ice."}}
    }
    return bot.sender.view_submission(
        user=MEMBER_USER, callback_id=ids.PROFILE_MODAL, values=values, private_metadata=metadata
    )


def restricted(world: World) -> str:
    return str(world.restricted_id)


def kantava(world: World) -> str:
    return str(world.kantava_id)


# (who sends what, the reason they must be given, where it shows)
REFUSED = [
    pytest.param(
        click(MEMBER_USER, ids.JOIN_FROM_CARD, restricted),
        "not open to your organisation",
        "chat.postEphemeral",
        id="card interested: restricted, not let in",
    ),
    pytest.param(
        click(MEMBER_USER, ids.INTEREST_FROM_DIGEST, restricted),
        "",
        "chat.postEphemeral",
        id="digest interested: restricted, not let in",
    ),
    pytest.param(
        click(MEMBER_USER, ids.NOT_RELEVANT, restricted),
        "",
        "chat.postEphemeral",
        id="digest not relevant: restricted, not let in",
    ),
    pytest.param(
        click(
            MEMBER_USER,
            ids.NOT_A_FIT,
            lambda w: json.dumps({"member": "kantava", "challenge": w.restricted_id}),
        ),
        "Only the person who asked",
        "response_url",
        id="not a fit: restricted, not let in",
    ),
    pytest.param(
        click(
            MEMBER_USER,
            ids.NOT_A_FIT,
            lambda w: json.dumps({"member": "kantava", "question": w.staff_question_id}),
        ),
        "Only the person who asked",
        "response_url",
        id="not a fit: another person's question",
    ),
    pytest.param(
        click(MEMBER_USER, ids.INTRODUCE, lambda w: json.dumps({"member": w.former_slug})),
        "no longer in the cluster's records",
        "response_url",
        id="introduce: a former member",
    ),
    pytest.param(
        click(LONER_USER, ids.INTRODUCTION_ACCEPT, lambda w: str(w.introduction_id)),
        "Only the person who was asked",
        "response_url",
        id="accept an introduction: not the contact",
    ),
    pytest.param(
        click(STAFF_USER, ids.INTRODUCTION_DECLINE, lambda w: str(w.introduction_id)),
        "Only the person who was asked",
        "response_url",
        id="decline an introduction: not the contact",
    ),
    pytest.param(
        click(MEMBER_USER, ids.TEAM_LEAVE, lambda w: "1"),
        "",
        "chat.postEphemeral",
        id="team leave: no such team of theirs",
    ),
    pytest.param(
        choose(MEMBER_USER, ids.TEAM_STATUS, lambda w: "1:submitted"),
        "Only SCIC staff",
        "chat.postEphemeral",
        id="team status: not staff",
    ),
    pytest.param(
        pick_deadline, "Only SCIC staff", "chat.postEphemeral", id="move a deadline: not staff"
    ),
    pytest.param(
        choose(MEMBER_USER, ids.CHALLENGE_AFTER_DEADLINE, lambda w: f"{w.public_id}:won"),
        "Only SCIC staff",
        "chat.postEphemeral",
        id="after the deadline: not staff",
    ),
    pytest.param(
        click(MEMBER_USER, ids.PROFILE_STILL_TRUE, kantava),
        "",
        "response_url",
        id="still true: another organisation's profile",
    ),
    pytest.param(
        click(MEMBER_USER, ids.PROFILE_NOT_NOW, kantava),
        "",
        "response_url",
        id="not now: another organisation's profile",
    ),
    pytest.param(
        click(MEMBER_USER, ids.PROFILE_EDIT, kantava),
        "",
        "chat.postMessage",
        id="edit: another organisation's profile",
    ),
    pytest.param(
        submit_team_choice,
        "",
        "view_errors",
        id="team choice modal: restricted, not let in",
    ),
    pytest.param(
        submit_challenge, "Only SCIC staff", "view_errors", id="new challenge modal: not staff"
    ),
    pytest.param(submit_profile, "", "view_errors", id="profile modal: another organisation"),
]


@pytest.fixture
def contents(engine: Engine, world: World) -> Iterator[Callable[[], dict[str, Any]]]:
    yield lambda: store_contents(engine)


@pytest.mark.parametrize(("send", "reason", "shown_by"), REFUSED)
def test_an_action_without_the_right_writes_nothing_and_says_why(
    bot: RunningBot,
    world: World,
    contents: Callable[[], dict[str, Any]],
    send: Callable[[RunningBot, World], SlackReply],
    reason: str,
    shown_by: str,
) -> None:
    before = contents()
    reply = send(bot, world)
    assert reply.status == 200
    if shown_by == "view_errors":
        answer = reply.json()
        assert answer["response_action"] == "errors"
        told = " ".join(answer["errors"].values())
    else:
        (call,) = bot.fake.wait_for_method(shown_by)
        told = str(call.args.get("text", ""))
        if shown_by == "response_url":
            assert call.args.get("response_type", "ephemeral") == "ephemeral"
        elif shown_by == "chat.postMessage":
            assert call.args["channel"] == MEMBER_USER  # by DM, to the clicker only
    assert told.strip() and len(told) < 400
    assert reason in told
    bot.fake.settle()
    assert contents() == before


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

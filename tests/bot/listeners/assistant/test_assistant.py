"""The bot in Slack's assistant container: a new thread greets the person and suggests prompts
in their language, a message gets the status, the thread's title and the same answer as a DM
(the question service), once however often Slack delivers it."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, select, update

from bot import ids
from standins.cluster import LONER_USER, MEMBER_USER, STRANGER_USER, Cast, add_member
from standins.slack import ApiCall, RunningBot
from storage.db import session_scope
from storage.models import Member, QuestionLog, Team, TeamMembership
from tests.bot.block_kit import assert_valid_message
from tests.bot.listeners.commands.test_challenge import add_challenge

DM = "D0DIRECT01"
THREAD = "1760000500.000100"
QUESTION = "who can do structural health monitoring?"


def prompts_for(bot: RunningBot, user: str) -> list[dict[str, str]]:
    reply = bot.sender.assistant_thread_started(user, thread_ts=THREAD)
    assert reply.status == 200
    (call,) = bot.fake.wait_for_method("assistant.threads.setSuggestedPrompts")
    assert (call.args["channel_id"], call.args["thread_ts"]) == (DM, THREAD)
    prompts: list[dict[str, str]] = call.args["prompts"]
    return prompts


def greeting(bot: RunningBot) -> ApiCall:
    (posted,) = bot.fake.calls_to("chat.postMessage")
    assert (posted.args["channel"], posted.args["thread_ts"]) == (DM, THREAD)
    assert_valid_message(posted.args)
    return posted


def answer_to(bot: RunningBot, text: str, *, thread_ts: str = THREAD, count: int = 1) -> ApiCall:
    """Ask ``text`` in the assistant thread; the ``count``-th answer posted in it."""
    bot.sender.assistant_message(MEMBER_USER, text, thread_ts=thread_ts)
    answers = bot.fake.wait_for(
        lambda calls: sum(c.method == "chat.postMessage" for c in calls) >= count
    )
    return [c for c in answers if c.method == "chat.postMessage"][count - 1]


def shown(call: ApiCall) -> str:
    return str(call.args["text"]) + str(call.args.get("blocks", ""))


def test_a_new_thread_greets_the_person_and_suggests_the_four_prompts(bot: RunningBot) -> None:
    prompts = prompts_for(bot, MEMBER_USER)
    assert [p["title"] for p in prompts] == [
        "Who can solve…",
        "Open challenges near me",
        "What fits my organisation",
        "My teams",
    ]
    # Aino's Arctic Sense is in Oulu: "near me" asks about Oulu.
    assert [p["message"] for p in prompts][1:] == [
        "Which challenges are open in Oulu?",
        "Which challenges fit my organisation?",
        "Which teams are we on?",
    ]
    assert greeting(bot).args["text"].startswith("Hi Aino! Ask me who in the cluster")


def test_prompts_are_in_finnish_for_an_organisation_working_in_finnish(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    with session_scope(engine) as session:
        session.execute(update(Member).where(Member.id == cast.arctic_id).values(languages=["fi"]))
    prompts = prompts_for(bot, MEMBER_USER)
    assert [p["title"] for p in prompts] == [
        "Kuka osaa…",
        "Avoimet haasteet lähelläni",
        "Mikä sopii organisaatiolleni",
        "Tiimini",
    ]
    assert prompts[1]["message"] == "Mitkä haasteet ovat auki paikkakunnalla Oulu?"
    assert greeting(bot).args["text"].startswith("Hei Aino!")


def test_prompts_follow_the_language_the_person_last_asked_in(bot: RunningBot) -> None:
    # Arctic Sense's records name no language (English), but Aino asked in Finnish last.
    bot.sender.message(MEMBER_USER, "kuka osaa rakenteiden kunnonvalvonnan?")
    bot.fake.wait_for_method("chat.postMessage")
    bot.fake.calls.clear()
    assert prompts_for(bot, MEMBER_USER)[0]["title"] == "Kuka osaa…"


def test_someone_without_an_organisation_gets_the_prompts_that_need_none(
    bot: RunningBot,
) -> None:
    prompts = prompts_for(bot, LONER_USER)
    assert [p["message"] for p in prompts] == [
        "Who can solve snow load monitoring on flat roofs?",
        "Which challenges are open?",
    ]
    assert greeting(bot).args["text"].startswith("Hi Lone! ")


def test_a_stranger_opening_the_assistant_is_told_how_to_get_added(bot: RunningBot) -> None:
    bot.sender.assistant_thread_started(STRANGER_USER, thread_ts=THREAD)
    (posted,) = bot.fake.wait_for_method("chat.postMessage")
    assert posted.args["thread_ts"] == THREAD
    assert "staff" in posted.args["text"].lower()
    assert not bot.fake.calls_to("assistant.threads.setSuggestedPrompts")


def test_a_question_gets_the_status_a_title_and_the_same_answer_as_a_dm(
    bot: RunningBot, engine: Engine
) -> None:
    reply = bot.sender.assistant_message(LONER_USER, QUESTION, thread_ts=THREAD)
    assert reply.status == 200
    answer = answer_to_posted(bot)
    status, title, posted = bot.fake.calls_to(
        "assistant.threads.setStatus", "assistant.threads.setTitle", "chat.postMessage"
    )
    assert (status.args["channel_id"], status.args["thread_ts"]) == (DM, THREAD)
    assert status.args["status"] == "is looking through the records…"
    assert (title.args["thread_ts"], title.args["title"]) == (THREAD, QUESTION)
    assert status.at <= posted.at
    # The status replaces the working reaction of a DM.
    assert not bot.fake.calls_to("reactions.add")
    assert (answer.args["channel"], answer.args["thread_ts"]) == (DM, THREAD)
    assert_valid_message(answer.args)
    assert '"question":' in str(answer.args["blocks"])  # the solver's buttons carry the log id
    with session_scope(engine) as session:
        logged = session.scalars(select(QuestionLog)).one()
        assert (logged.channel_id, logged.thread_ts, logged.question) == (DM, THREAD, QUESTION)
    # The same question as a plain DM gets the same answer, apart from its log id.
    bot.fake.calls.clear()
    bot.sender.message(LONER_USER, QUESTION)
    (dm_answer,) = bot.fake.wait_for_method("chat.postMessage")
    assert strip_ids(dm_answer.args["blocks"]) == strip_ids(answer.args["blocks"])


def answer_to_posted(bot: RunningBot) -> ApiCall:
    return bot.fake.wait_for_method("chat.postMessage")[0]


def strip_ids(blocks: list[dict[str, Any]]) -> str:
    """The blocks without the question log's id in the buttons' values."""
    return re.sub(r'"question":\d+', "", str(blocks))


def test_the_solvers_buttons_of_an_assistant_answer(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    # Lone Wolf has no organisation: Arctic Sense is suggested to him, with its buttons.
    bot.sender.assistant_message(LONER_USER, QUESTION, thread_ts=THREAD)
    answer = answer_to_posted(bot)
    actions = [
        e["action_id"]
        for b in answer.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert actions == [ids.INTRODUCE, ids.NOT_A_FIT]
    assert "Arctic Sense Oy" in shown(answer)


def test_only_the_first_question_names_the_thread_and_follow_ups_continue_it(
    bot: RunningBot,
) -> None:
    answer_to(bot, "which challenges are open in Kirkenes?")
    follow_up = answer_to(bot, "and in Oulu?", count=2)
    (title,) = bot.fake.calls_to("assistant.threads.setTitle")
    assert title.args["title"] == "which challenges are open in Kirkenes?"
    assert len(bot.fake.calls_to("assistant.threads.setStatus")) == 2
    assert "Oulu" in shown(follow_up)


def test_each_suggested_prompt_is_answered_as_meant(
    bot: RunningBot, engine: Engine, cast: Cast
) -> None:
    add_challenge(engine, cast, "oulu-bridge-sensors", city="Oulu", country="Finland")
    joined = add_challenge(engine, cast, "kirkenes-port-ice", title="Port ice monitoring")
    with session_scope(engine) as session:
        team = Team(challenge_id=joined)
        session.add(team)
        session.flush()
        session.add(TeamMembership(team_id=team.id, member_id=cast.arctic_id, role="technology"))
        add_member(
            session,
            "roofwatch",
            name="Roofwatch Oy",
            description="Snow load monitoring on flat roofs of schools and halls.",
            capabilities=["snow load monitoring", "flat roof sensors"],
        )
    prompts = {p["title"]: p["message"] for p in prompts_for(bot, MEMBER_USER)}
    bot.fake.calls.clear()
    near = answer_to(bot, prompts["Open challenges near me"], thread_ts="1760000600.000001")
    assert "Open challenges in Oulu" in shown(near) and "oulu-bridge-sensors" in shown(near)
    assert "kirkenes-port-ice" not in shown(near)
    teams = answer_to(bot, prompts["My teams"], thread_ts="1760000700.000001", count=2)
    assert "Challenges your organisation is on a team for" in shown(teams)
    assert "kirkenes-port-ice" in shown(teams) and "oulu-bridge-sensors" not in shown(teams)
    fits = answer_to(bot, prompts["What fits my organisation"], thread_ts="1760000800.1", count=3)
    assert "Arctic Sense Oy" in shown(fits)
    solvers = answer_to(bot, prompts["Who can solve…"], thread_ts="1760000900.1", count=4)
    assert "best placed to help with *snow load monitoring on flat roofs*" in shown(solvers)
    assert "Roofwatch Oy" in shown(solvers)


def test_the_same_message_delivered_twice_is_answered_once(bot: RunningBot) -> None:
    first = bot.sender.assistant_message(
        MEMBER_USER, QUESTION, thread_ts=THREAD, event_id="Ev0ASSIST01"
    )
    again = bot.sender.assistant_message(
        MEMBER_USER, QUESTION, thread_ts=THREAD, event_id="Ev0ASSIST01", retry_num=1
    )
    assert (first.status, again.status) == (200, 200)
    bot.fake.wait_for_method("chat.postMessage")
    calls = bot.fake.settle()
    assert [c.method for c in calls].count("chat.postMessage") == 1
    assert [c.method for c in calls].count("assistant.threads.setStatus") == 1


def test_a_thread_started_twice_is_greeted_once(bot: RunningBot) -> None:
    for retry in (None, 1):
        bot.sender.assistant_thread_started(
            MEMBER_USER, thread_ts=THREAD, event_id="Ev0THREAD01", retry_num=retry
        )
    bot.fake.wait_for_method("assistant.threads.setSuggestedPrompts")
    calls = bot.fake.settle()
    assert [c.method for c in calls].count("assistant.threads.setSuggestedPrompts") == 1
    assert [c.method for c in calls].count("chat.postMessage") == 1


def test_where_slack_refuses_the_status_the_working_reaction_shows_instead(
    bot: RunningBot,
) -> None:
    bot.fake.fail("assistant.threads.setStatus", "not_allowed")
    answer = answer_to(bot, QUESTION)
    (reaction,) = bot.fake.calls_to("reactions.add")
    assert reaction.args["name"] == "eyes"
    assert answer.args["thread_ts"] == THREAD

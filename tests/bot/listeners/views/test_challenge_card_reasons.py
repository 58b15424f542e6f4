"""A new challenge's card with a language model: each suggested solver with the model's reason
for it, the template reason where the model gave none, and all template reasons on failure."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from bot.services.llm import LanguageModel
from standins.cluster import STAFF_USER, Cast, link_cast_to_slack
from standins.openai_server import FakeOpenAI
from standins.slack import (
    CHALLENGES_CHANNEL,
    GENERAL_CHANNEL,
    FakeSlack,
    RunningBot,
    modal_values,
    running_bot,
)
from storage.db import session_scope
from storage.llm_usage import model_calls
from storage.models import SolverSuggestion
from tests.bot.services.test_match_reasons import watching

ORIGIN = json.dumps({"channel_id": GENERAL_CHANNEL})
# The card names the needs each suggested member covers: the cover "who is missing?" uses too.
COVERS = "(covers structural health monitoring, embedded sensors)"
REASON = "Its LoRaWAN sensors already monitor bridges through Arctic winters in Oulu."


def post_challenge(bot: RunningBot) -> str:
    """Submit the modal as staff; the card's "Suggested solvers" section."""
    values = modal_values(
        title="Structural health monitoring of Arctic bridges",
        description="Embedded sensors that survive Arctic winters on road bridges.",
        needs="structural health monitoring, embedded sensors",
        city="Kirkenes",
        country="Norway",
        visibility="public",
    )
    link_cast_to_slack(bot.engine)  # staff opened the modal: identified then
    reply = bot.sender.view_submission(
        user=STAFF_USER, callback_id="challenge_new", values=values, private_metadata=ORIGIN
    )
    assert reply.status == 200 and reply.body == ""  # acknowledged before the model is asked
    card = bot.fake.wait_for_method("chat.postMessage")[0]
    assert card.args["channel"] == CHALLENGES_CHANNEL
    solvers = [str(b["text"]["text"]) for b in card.args["blocks"] if "Suggested" in str(b)]
    assert len(solvers) == 1
    return solvers[0]


def test_the_card_shows_the_models_reason_for_each_suggested_solver(
    llm_bot: RunningBot, engine: Engine, server: FakeOpenAI
) -> None:
    server.reply_json(
        {
            "reasons": [
                {"member": "arctic-sense", "reason": REASON},
                {"member": "nordic-drones", "reason": "Not suggested by the matcher."},
            ]
        }
    )
    solvers = post_challenge(llm_bot)
    assert f"• *Arctic Sense Oy* {COVERS} — {REASON}" in solvers
    assert "nordic" not in solvers.lower()
    (request,) = server.requests
    assert request.response_format is not None and "Write in English" in request.system
    assert "arctic-sense" in request.user and "Structural health monitoring" in request.user
    with session_scope(engine) as session:
        (call,) = model_calls(session=session)
        # Staff work for the whole cluster: counted against nobody's daily limit.
        assert (call.task, call.person_id, call.outcome) == ("match_reasons", None, "ok")
        # The pipeline remembers the reason staff saw on the card.
        (suggestion,) = session.scalars(select(SolverSuggestion))
        assert suggestion.evidence["reason"] == REASON


def test_when_the_model_fails_the_card_keeps_the_template_reasons(
    llm_bot: RunningBot, server: FakeOpenAI
) -> None:
    server.fail(500, times=2)
    solvers = post_challenge(llm_bot)
    # The matcher's own reason: the strongest evidence, named by its kind.
    assert solvers == (
        f"*Suggested solvers*\n• *Arctic Sense Oy* {COVERS} — Capability: structural health "
        "monitoring"
    )
    assert len(server.requests) == 2  # the call and its one retry


def test_no_store_connection_is_held_while_the_model_writes_the_reasons(
    engine: Engine, fake_slack: FakeSlack, cast: Cast
) -> None:
    # On PostgreSQL a transaction waiting on the model (up to a minute with retries) would sit
    # "idle in transaction" on a pooled connection; the reasons are asked for between two.
    model = watching(engine, {"reasons": [{"member": "arctic-sense", "reason": REASON}]})
    with running_bot(engine, fake_slack, llm=LanguageModel(model, engine=engine)) as bot:
        solvers = post_challenge(bot)
    assert f"• *Arctic Sense Oy* {COVERS} — {REASON}" in solvers
    assert model.held == [0]
    with session_scope(engine) as session:
        # Stored after the model answered: the reason staff saw on the card.
        (suggestion,) = session.scalars(select(SolverSuggestion))
        assert suggestion.evidence["reason"] == REASON

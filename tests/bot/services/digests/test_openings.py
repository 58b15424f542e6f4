"""A digest's opening lines written by the model: on top of the digest with a model, absent
without one or when it fails, in the organisation's language, and never a second digest."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field
from sqlalchemy import Engine, select

from bot.blocks.digest import build_digest_message, digest_text
from bot.services.digests.choosing import (
    capability_ranker,
    preview_for_channel,
    preview_for_person,
    reading_language,
)
from bot.services.digests.sending import DigestRun, Outcome, send_due_digests
from bot.services.identity import viewer_of
from bot.services.llm import LanguageModel
from standins.cluster import MEMBER_USER, Cast, add_challenge, add_member, add_person, crowd
from standins.digests import DigestSlack, slack_poster
from standins.slack import FakeSlack, RunningBot, running_bot
from storage.db import make_engine, session_scope
from storage.llm_usage import model_calls
from storage.models import DeliveryStatus, DigestDelivery, DigestFrequency, Person
from tests.bot.digest_world import HELSINKI
from tests.bot.services.scripted_models import Recording, answering, broken
from tests.conftest import NOW

INTRO = "Snow ploughing in Espoo is new this week and fits your snow work best."


class Intros(Recording):
    """Answers every call with the same opening, however many digests ask."""

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=INTRO))])


def intros() -> Intros:
    return Intros(messages=iter([]))


@pytest.fixture
def slack() -> Iterator[DigestSlack]:
    fake = DigestSlack()
    fake.start()
    yield fake
    fake.stop()


pytestmark = pytest.mark.usefixtures("clock")


def send(
    engine: Engine, slack: DigestSlack, llm: LanguageModel | None, **options: Any
) -> DigestRun:
    return send_due_digests(
        engine=engine,
        poster=slack_poster(slack),
        rank=options.pop("rank", capability_ranker),
        frequency=DigestFrequency.WEEKLY,
        timezone=HELSINKI,
        llm=llm,
        **options,
    )


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] in ("section", "header")]


def test_the_digest_opens_with_the_models_lines_and_goes_out_once(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    addresses = crowd(engine, people=2, channels=1)
    fake = intros()
    run = send(engine, slack, LanguageModel(fake))
    assert run.count(Outcome.SENT) == 3
    assert slack.digests_per_recipient() == {a: 1 for a in addresses}
    for posted in slack.digests():
        # Right under the title and the week: the first thing read.
        assert posted["blocks"][2] == {
            "type": "section",
            "text": {"type": "mrkdwn", "text": INTRO},
        }
    prompts = sorted(str(call[1].content) for call in fake.seen)
    # What the digest holds goes to the model: the people's for their organisation.
    assert all("Snow ploughing" in p for p in prompts)
    assert ["Crowd-Oy" in p for p in prompts] == [True, True, False]
    assert len(fake.seen) == 3
    # The period is closed: another run asks the model nothing and sends nothing.
    clock.move_to(NOW + timedelta(hours=1))
    again = send(engine, slack, LanguageModel(fake))
    assert again.outcomes == {} and len(fake.seen) == 3
    assert len(slack.digests()) == 3


def test_without_a_model_or_when_it_fails_the_digest_is_exactly_todays(
    engine: Engine, slack: DigestSlack
) -> None:
    crowd(engine, people=1, channels=1)
    with session_scope(engine) as session:
        plain = preview_for_channel(session=session, channel_id="C000000000", timezone=HELSINKI)
    assert plain is not None and plain.intro == ""
    for model in (broken(), answering("   ")):
        with session_scope(engine) as session:
            failed = preview_for_channel(
                session=session,
                channel_id="C000000000",
                timezone=HELSINKI,
                llm=LanguageModel(model),
            )
        assert failed == plain
    run = send(engine, slack, LanguageModel(broken()))
    assert run.count(Outcome.SENT) == 2
    channel_digest = next(p for p in slack.digests() if p["channel"] == "C000000000")
    assert channel_digest["blocks"] == build_digest_message(plain)["blocks"]
    assert INTRO not in str(slack.digests())


def test_the_opening_is_in_finnish_only_for_organisations_working_in_finnish_only(
    engine: Engine, slack: DigestSlack
) -> None:
    assert reading_language(["fi"]) == "fi" and reading_language(["FI "]) == "fi"
    assert reading_language(["fi", "en"]) == "en" and reading_language([]) == "en"
    with session_scope(engine) as session:
        finnish = add_member(session, "lumi-oy", capabilities=["snow"], languages=["fi"])
        bilingual = add_member(session, "snow-ab", capabilities=["snow"], languages=["fi", "sv"])
        add_challenge(session, "snow-ploughing", needs=["snow"], title="Snow ploughing")
        add_person(session, "a@lumi.example", finnish, "U0LUMI0001")
        add_person(session, "b@snow.example", bilingual, "U0SNOW0001")
    fake = intros()
    send(engine, slack, LanguageModel(fake))
    languages = {
        "Lumi-Oy" in str(call[1].content): "Write in Finnish" in str(call[0].content)
        for call in fake.seen
    }
    assert languages == {True: True, False: False}


def test_a_retried_delivery_is_not_written_again(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    addresses = crowd(engine, people=2)
    slack.fail_recipient(addresses[0], "user_not_found")
    fake = intros()
    first = send(engine, slack, LanguageModel(fake))
    assert first.count(Outcome.FAILED) == 1 and len(fake.seen) == 2
    slack.heal(addresses[0])
    clock.move_to(NOW + timedelta(minutes=30))
    retry = send(engine, slack, LanguageModel(fake))
    assert retry.count(Outcome.SENT) == 1 and len(fake.seen) == 2
    assert slack.digests_per_recipient() == {a: 1 for a in addresses}


def test_two_runs_with_a_model_still_send_each_subscriber_one_digest(
    engine: Engine, slack: DigestSlack
) -> None:
    addresses = crowd(engine, people=8, channels=2)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(on: Engine) -> None:
        try:
            start.wait()
            send(on, slack, LanguageModel(intros()), workers=3)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in (engine, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    other.dispose()
    assert errors == []
    assert slack.digests_per_recipient() == {a: 1 for a in addresses}
    assert all(INTRO in str(p["blocks"]) for p in slack.digests())
    with session_scope(engine) as session:
        statuses = set(session.scalars(select(DigestDelivery.status)))
    assert statuses == {DeliveryStatus.SENT}


def test_the_terminal_preview_shows_the_opening_under_the_title(engine: Engine) -> None:
    crowd(engine, people=0, channels=0)
    with session_scope(engine) as session:
        digest = preview_for_channel(
            session=session,
            channel_id=None,
            timezone=HELSINKI,
            llm=LanguageModel(intros()),
        )
    assert digest is not None
    assert digest_text(digest).splitlines()[:3] == [
        digest_text(digest).splitlines()[0],
        "",
        INTRO,
    ]
    assert texts(build_digest_message(digest)["blocks"])[1] == INTRO


def test_a_digest_that_cannot_be_built_is_still_claimed_and_recorded_failed(
    engine: Engine, slack: DigestSlack, clock: time_machine.Traveller
) -> None:
    crowd(engine, people=1)

    def broken_ranker(*args: Any) -> list[Any]:
        raise RuntimeError("the index is gone")

    fake = intros()
    run = send(engine, slack, LanguageModel(fake), rank=broken_ranker)
    assert run.count(Outcome.FAILED) == 1 and slack.digests() == [] and fake.seen == []
    with session_scope(engine) as session:
        (delivery,) = session.scalars(select(DigestDelivery))
        assert delivery.status is DeliveryStatus.FAILED
        assert delivery.error == "RuntimeError: the index is gone"
    # The retry job sends it once the ranking works again.
    clock.move_to(NOW + timedelta(minutes=30))
    retry = send(engine, slack, LanguageModel(fake))
    assert retry.count(Outcome.SENT) == 1 and len(slack.digests()) == 1


class WatchingIntros(Intros):
    """`Intros` noting, at each call, how many of the store's pooled connections are checked
    out: one held by a transaction left waiting on the model shows up here."""

    engine: Any = None
    held: list[int] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.held.append(self.engine.pool.checkedout())
        return super()._generate(messages, *args, **kwargs)


def test_no_store_connection_is_held_while_the_model_writes_an_opening(
    engine: Engine, slack: DigestSlack
) -> None:
    # On PostgreSQL a transaction waiting on the model (up to a minute with retries) sits "idle
    # in transaction" on a pooled connection: previews and sends alike read, end, then ask.
    crowd(engine, people=1, channels=1)
    fake = WatchingIntros(messages=iter([]), engine=engine)
    llm = LanguageModel(fake, engine=engine)
    channel = preview_for_channel(
        engine=engine, channel_id="C000000000", timezone=HELSINKI, llm=llm
    )
    assert channel is not None and channel.intro == INTRO
    with session_scope(engine) as session:
        # A caller's own session: its transaction is over before the model is asked.
        again = preview_for_channel(
            session=session, channel_id="C000000000", timezone=HELSINKI, llm=llm
        )
        assert again == channel
    with session_scope(engine) as session:
        someone = session.scalars(select(Person).where(Person.slack_user_id.is_not(None))).one()
        viewer = viewer_of(someone, someone.slack_user_id or "")
    mine = preview_for_person(
        engine=engine,
        viewer=viewer,
        rank=capability_ranker,
        timezone=HELSINKI,
        asked_by=viewer.person_id,
        llm=llm,
    )
    assert mine is not None and mine.intro == INTRO and mine.organisation == "Crowd-Oy"
    assert send(engine, slack, llm).count(Outcome.SENT) == 2
    assert fake.held == [0] * 5


def preview_in_slack(bot: RunningBot) -> dict[str, Any]:
    before = len(bot.fake.calls_to("response_url"))
    assert bot.sender.command("/digest", "preview", user=MEMBER_USER).status == 200
    return bot.fake.wait_for_method("response_url", count=before + 1)[-1].args


def test_a_persons_own_preview_counts_against_their_daily_limit(
    engine: Engine, fake_slack: FakeSlack, cast: Cast
) -> None:
    with session_scope(engine) as session:
        # Arctic Sense Oy offers structural health monitoring (tests.bot.conftest).
        add_challenge(
            session,
            "bridge-monitoring",
            title="Bridge monitoring in Tampere",
            needs=["structural health monitoring"],
            created_at=datetime.now(UTC),
        )
    fake = WatchingIntros(messages=iter([]), engine=engine)
    # One opening's prompt is well over 50 tokens: the first preview uses up the day.
    llm = LanguageModel(fake, engine=engine, daily_tokens_per_user=50)
    with running_bot(engine, fake_slack, llm=llm) as bot:
        first = preview_in_slack(bot)
        second = preview_in_slack(bot)
    assert INTRO in str(first["blocks"])
    # Over the limit: the same digest, without the opening, and the model not asked.
    assert INTRO not in str(second["blocks"])
    assert "Bridge monitoring in Tampere" in str(second["blocks"])
    assert len(fake.seen) == 1 and fake.held == [0]
    with session_scope(engine) as session:
        calls = [(c.task, c.person_id, c.outcome) for c in model_calls(session=session)]
    assert sorted(calls, key=lambda c: c[2]) == [
        ("digest_intro", cast.member_person_id, "limited"),
        ("digest_intro", cast.member_person_id, "ok"),
    ]

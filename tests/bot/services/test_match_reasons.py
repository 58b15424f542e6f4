"""Match reasons written by the model, with LangChain's fake chat models: mapped to the members
by slug, checked against what was suggested, and the template reasons whenever it falls short."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import Field
from sqlalchemy import Engine

from bot.services.challenges import REASON_MAX, write_match_reasons
from bot.services.llm import LanguageModel
from bot.services.matching import Evidence, SolverMatch
from prompts.match_reasons import PROMPT as MATCH_REASONS
from storage.models import Challenge
from tests.bot.services.scripted_models import Recording, answering, broken


def challenge(language: str = "en") -> Challenge:
    return Challenge(
        slug="kirkenes-ice",
        title="Ice-free harbour in Kirkenes",
        description="Keep the harbour open all winter.",
        needs=["ice monitoring", "maritime logistics"],
        city="Kirkenes",
        region="Finnmark",
        country="Norway",
        language=language,
    )


def solver(slug: str, name: str, reason: str, evidence: str) -> SolverMatch:
    return SolverMatch(
        member_slug=slug,
        member_name=name,
        kind="company",
        city="Oulu",
        country="Finland",
        score=0.9,
        reason=reason,
        evidence=(Evidence(kind="capability", title="", text=evidence),),
    )


ARCTIC = solver(
    "arctic-sense", "Arctic Sense Oy", "Capability: embedded sensors", "embedded ice sensors"
)
POLAR = solver(
    "polar-logistics", "Polar Logistics AS", "Reference: Hammerfest port", "winter port logistics"
)


def test_each_member_gets_the_models_reason_by_its_slug_in_one_call() -> None:
    fake = answering(
        {
            "reasons": [
                # Out of order on purpose: the slug, not the position, says whose it is.
                {"member": "polar-logistics", "reason": "Ran winter port logistics."},
                {"member": "arctic-sense", "reason": "Its embedded sensors measure ice."},
            ]
        }
    )
    found = write_match_reasons(LanguageModel(fake), challenge(), [ARCTIC, POLAR])
    assert [(m.member_slug, m.reason) for m in found] == [
        ("arctic-sense", "Its embedded sensors measure ice."),
        ("polar-logistics", "Ran winter port logistics."),
    ]
    assert len(fake.seen) == 1
    system, human = fake.seen[0]
    assert system.content == MATCH_REASONS.messages(_any_variables("English"))[0].content
    # The evidence went to the model as data, for each member.
    assert "embedded ice sensors" in str(human.content)
    assert "winter port logistics" in str(human.content)
    assert "Kirkenes, Finnmark, Norway" in str(human.content)


def _any_variables(language: str) -> dict[str, str]:
    return {"language": language, "challenge": "{}", "members": "[]"}


def test_unknown_members_are_ignored_and_missing_or_unusable_ones_keep_the_template() -> None:
    fake = answering(
        {
            "reasons": [
                {"member": "nordic-drones", "reason": "Not suggested, so not shown."},
                {"member": "arctic-sense", "reason": "x" * (REASON_MAX + 1)},
                {"member": "polar-logistics", "reason": "  "},
            ]
        }
    )
    found = write_match_reasons(LanguageModel(fake), challenge(), [ARCTIC, POLAR])
    assert [m.member_slug for m in found] == ["arctic-sense", "polar-logistics"]
    assert [m.reason for m in found] == [ARCTIC.reason, POLAR.reason]


def test_a_member_the_model_skipped_keeps_its_template_reason() -> None:
    fake = answering({"reasons": [{"member": "arctic-sense", "reason": "Sensors for ice."}]})
    found = write_match_reasons(LanguageModel(fake), challenge(), [ARCTIC, POLAR])
    assert [m.reason for m in found] == ["Sensors for ice.", POLAR.reason]


def test_a_finnish_challenge_asks_for_finnish_reasons() -> None:
    fake = answering(
        {"reasons": [{"member": "arctic-sense", "reason": "Anturit mittaavat jäätä."}]}
    )
    found = write_match_reasons(LanguageModel(fake), challenge("fi"), [ARCTIC])
    assert found[0].reason == "Anturit mittaavat jäätä."
    system, human = fake.seen[0]
    assert "Write in Finnish" in str(system.content) and "in Finnish." in str(human.content)


def test_any_model_failure_leaves_every_template_reason() -> None:
    for model in (broken(), answering("this is no JSON"), answering({"reasons": "nope"})):
        found = write_match_reasons(LanguageModel(model), challenge(), [ARCTIC, POLAR])
        assert found == [ARCTIC, POLAR]


def test_without_a_model_or_suggestions_nothing_is_asked() -> None:
    assert write_match_reasons(None, challenge(), [ARCTIC]) == [ARCTIC]
    fake = answering({"reasons": []})
    assert write_match_reasons(LanguageModel(fake), challenge(), []) == []
    assert fake.seen == []


class Watching(Recording):
    """A scripted fake that notes, at each call, how many of the store's pooled connections
    are checked out: one held by a transaction waiting on the model shows up here."""

    engine: Any = None
    held: list[int] = Field(default_factory=list)

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.held.append(self.engine.pool.checkedout())
        return super()._generate(messages, *args, **kwargs)


def watching(engine: Engine, *replies: str | dict[str, Any]) -> Watching:
    model = answering(*replies)
    return Watching(messages=model.messages, engine=engine)

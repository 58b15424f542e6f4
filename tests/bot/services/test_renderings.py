"""Renderings of records in the other language: the glossary offline, the model when there is one."""

from __future__ import annotations

import json

from bot.services.llm import LanguageModel
from bot.services.renderings import ModelRenderings, glossary_renderings
from tests.bot.services.test_llm import Broken, replies

FINNISH = "Huoltovuoro tekee kiinteistöhuollon työnohjausjärjestelmää huoltoyhtiöille."


def test_the_glossary_renders_both_ways() -> None:
    finnish, english = glossary_renderings(
        ["kiinteistöhuollon työnohjaus", "Leak detection for district heating networks"]
    )
    assert finnish.language == "fi" and "property maintenance" in finnish.text
    assert english.language == "en" and "kaukolämpö" in english.text


def test_the_model_translates_a_finnish_text_once_and_the_glossary_adds_its_terms() -> None:
    english = "Huoltovuoro makes work order software for property maintenance companies."
    model = LanguageModel(replies(json.dumps({"english": english, "finnish": FINNISH})))
    render = ModelRenderings(model)
    (first,) = render([FINNISH])
    assert first.language == "fi"
    assert first.text.startswith(english)
    assert "work order management" in first.text  # the glossary's terms follow
    # Asked again (a reindex), the stored translation serves: the model has no second reply.
    assert render([FINNISH]) == [first]


def test_short_texts_english_texts_and_a_failing_model_fall_back_to_the_glossary() -> None:
    render = ModelRenderings(LanguageModel(Broken(messages=iter([]))))
    texts = [FINNISH, "kiinteistöhuollon työnohjaus", "Leak detection in water pipes"]
    assert render(texts) == glossary_renderings(texts)

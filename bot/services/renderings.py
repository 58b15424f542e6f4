"""Records in both languages, for the index: a Finnish text's English and an English text's
Finnish terms. The index stores them with each passage when the record is written
(`retrieval.index.PassageIndex`, ``renderer``), so an English need finds a member that
describes itself in Finnish, and the other way round.

Offline the domain glossary renders; with a language model configured, a Finnish text of a
few words or more is also translated by the model (the words the glossary lacks), once per
text and process, and the glossary serves whenever the model fails.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from bot.services.language import QueryTranslation, detect_language, translated_terms
from bot.services.llm import LanguageModel, LanguageModelError
from prompts import as_data
from prompts.query_translation import PROMPT as QUERY_TRANSLATION
from retrieval.index import Rendering

log = logging.getLogger(__name__)

# Shorter Finnish texts (a capability, "kaukolämmön kysyntäjousto") are what the glossary
# knows best; longer ones carry the words it lacks.
MODEL_MIN_WORDS = 4
# Translations a process keeps (a reindex of a large cluster asks each text once).
KEPT = 20_000


def glossary_renderings(texts: Sequence[str]) -> list[Rendering]:
    """Each text's language and the glossary's terms for it in the other language."""
    out: list[Rendering] = []
    for text in texts:
        language = detect_language(text)
        out.append(Rendering(language, ", ".join(translated_terms(text, language))))
    return out


class ModelRenderings:
    """`glossary_renderings` with the model's English for Finnish texts of several words."""

    def __init__(self, llm: LanguageModel) -> None:
        self.llm = llm
        self._english: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> list[Rendering]:
        out = glossary_renderings(texts)
        for n, (text, glossary) in enumerate(zip(texts, out, strict=True)):
            if glossary.language != "fi" or len(text.split()) < MODEL_MIN_WORDS:
                continue
            english = self.english(text)
            if english:
                out[n] = Rendering("fi", "\n".join(p for p in (english, glossary.text) if p))
        return out

    def english(self, text: str) -> str:
        """The model's English for a Finnish ``text``; "" when the model fails."""
        with self._lock:
            known = self._english.get(text)
        if known is not None:
            return known
        try:
            translation = self.llm.extract(
                QUERY_TRANSLATION, QueryTranslation, {"request": as_data(text)}, person_id=None
            )
            english = translation.english.strip()
        except LanguageModelError as exc:
            log.info("record rendering from the glossary only: %s", exc)
            return ""
        with self._lock:
            if len(self._english) >= KEPT:
                self._english.pop(next(iter(self._english)))
            self._english[text] = english
        return english

"""Plain-text shaping shared by the services and the block builders: clipping, one-lining and
splitting people's messages into sentences."""

from __future__ import annotations

import re

import sentencex


def clip(text: str, limit: int) -> str:
    """Fit ``text`` into ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space."""
    return " ".join(text.split())


# A line break ends a sentence in chat: list items and one-line messages carry no full stop.
_LINE_BREAKS = re.compile(r"\s*\n\s*")
# Slack markup (<@U123>, <https://...|a label. With stops>) is never split: each is held out of
# the segmenter's sight behind a private-use character and put back whole.
_MARKUP = re.compile(r"<[^<>\n]*>")
_HELD = "\ue000"


def sentences(text: str, language: str) -> list[str]:
    """The sentences of ``text``, each stripped, none empty; every character but the spaces
    between them is kept.

    sentencex (Wikimedia's segmenter) knows each language's abbreviations: "Co.", "Ltd.",
    "Dr.", "e.g." in English, "esim.", "ym.", "mm.", "n." in Finnish, and company forms such
    as "Oy" and "Oyj" are no sentence ends in either, so "... Al-Bina Digital Construction
    Co. leads it." stays one sentence. ``language`` is "fi" or "en" (anything else: English).
    """
    code = "fi" if language == "fi" else "en"
    held = _MARKUP.findall(text)
    masked = _MARKUP.sub(_HELD, text.replace(_HELD, " "))
    out: list[str] = []
    for line in _LINE_BREAKS.split(masked.strip()):
        out.extend(s.strip() for s in sentencex.segment(code, line) if s.strip())
    markup = iter(held)
    return [re.sub(_HELD, lambda _: next(markup), s) for s in out]

"""The separate needs of a pasted brief (a city's e-mail, a call for proposals): each list item,
and each sentence that says what is needed ("We are looking for...", "Lisäksi tarvitsemme..."),
without the greeting, the background, the deadline and the signature around them.

Sentences come from sentencex (`bot.services.text.sentences`), which knows both languages'
abbreviations; what marks a need is small and structural: list markers and the verbs of
needing, in English and Finnish. A brief that states no need this way is read as one need,
as before: guessing needs out of background sentences would list "the call closes in March"
as a need nobody covers.
"""

from __future__ import annotations

import re

from bot.services.text import sentences

#: At most this many needs are read from one brief (a challenge's card shows as many).
NEEDS_MAX = 6
_MARKUP = re.compile(r"<[@#!][^>]*>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]*)(?:\|([^>]*))?>")
# A list item: "- ...", "• ...", "1. ...", "2) ...", "a) ...".
_ITEM = re.compile(r"^\s*(?:[-•*–·]|\d{1,2}[.)]|[a-f]\))\s+(?P<item>.+)$")
# Items pasted on one line after a colon: "the following: - ice monitoring - shore power".
_INLINE_ITEMS = re.compile(r"\s+(?:[-•–]|\d{1,2}[.)])\s+")
# An e-mail's header lines and a list item that is a fact, not a need ("Deadline: 31 March").
_LABELLED = re.compile(
    r"^(?:subject|aihe|otsikko|from|to|cc|date|sent|lähettäjä|vastaanottaja|päivämäärä|"
    r"deadline|budget|contact|schedule|timeline|määräaika|budjetti|aikataulu|yhteyshenkilö|"
    r"yhteystiedot|re|fw|vs)\s*:",
    re.IGNORECASE,
)
# The verbs of needing; the need is what follows them.
NEED_CUE = re.compile(
    r"\b(?:(?:we|i|they|the (?:city|port|municipality|region|harbour|harbor|client))"
    r"(?:\s+(?:also|urgently|now|still|really))?\s+"
    r"(?:need|needs|require|requires|want|seek|are seeking|are looking for|'re looking for|"
    r"am looking for|would (?:also )?(?:like|welcome|need|want)|welcome|invite)"
    r"|looking for|in need of|is needed for|are needed for|"
    r"tarvitsemme|tarvitaan|tarvitsisimme|tarvitsee|tarvitsevat|tarvittaisiin|etsimme|etsitään|"
    r"haemme|haetaan|kaipaamme|kaivataan|toivomme|toivotaan|haluamme)\b",
    re.IGNORECASE,
)
# What a need sentence says before the need itself: "partners who can help us with", "ideas
# for", "kumppaneita, jotka osaavat".
_OPENING = re.compile(
    r"^(?:(?:also|lisäksi|myös)\s+)?"
    r"(?:(?:a |an |some |the )?(?:partners?|members?|compan(?:y|ies)|experts?|someone|somebody|"
    r"suppliers?|solutions?|ideas?|proposals?|help|support|kumppane\w*|yrityks\w*|yrity\w*|"
    r"asiantuntij\w*|ratkaisu\w*|ideoita|apua|tukea)\b[,\s]*"
    r"(?:(?:who|that|which|jotka|joka)\s+(?:can|could|would|are able to|osaa\w*|pysty\w*|"
    r"voi\w*)\s+(?:help(?:\s+us)?(?:\s+with)?|do|deliver|provide|offer|build|take on|"
    r"tarjota|toimittaa|auttaa)?|for|on|with|to|in|about|)?\s*)?"
    r"(?:to\s+)?",
    re.IGNORECASE,
)
# "...with the following:", "seuraaviin tarpeisiin:": the need is in the list below.
_INTRODUCES_A_LIST = re.compile(r"(?::\s*$|\b(?:following|below|seuraav\w*|alla)\b)", re.I)
_MIN_WORDS = 2
_TRAILING = re.compile(r"(?:\s+(?:also|and|lisäksi|myös|ja))+\s*$", re.IGNORECASE)
# An e-mail header line ("Subject: ...") is short; a long line opening so is the brief itself.
HEADER_WORDS = 15


def _without_markup(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return _MARKUP.sub(" ", text)


def _lines(text: str, language: str) -> list[str]:
    """The brief's lines, a list pasted on one line ("the following: - ice monitoring - shore
    power") opened into one line per item; the last item ends with its first sentence."""
    out: list[str] = []
    for line in _without_markup(text).splitlines():
        parts = _INLINE_ITEMS.split(line)
        if len(parts) < 3:
            out.append(line)
            continue
        out.append(parts[0])
        out += [f"- {p.strip()}" for p in parts[1:-1] if p.strip()]
        last = sentences(parts[-1], language)
        if last:
            out.append(f"- {last[0]}")
            out.append(" ".join(last[1:]))
    return out


def _words(text: str) -> int:
    return len(re.findall(r"[^\W\d_]+", text))


def _need_after_cue(sentence: str) -> str:
    """The need a sentence states ("We would also welcome ideas for keeping ... running" ->
    "keeping ... running"), or "" when it states none or only introduces a list."""
    cue = NEED_CUE.search(sentence)
    if cue is None or _INTRODUCES_A_LIST.search(sentence):
        return ""
    after = sentence[cue.end() :].strip(" ,:;")
    opening = _OPENING.match(after)
    if opening and opening.end() < len(after):
        after = after[opening.end() :]
    return after.strip(" .!?,;:")


def split_needs(text: str, language: str = "en") -> tuple[str, ...]:
    """The needs a brief states, in order, each once (at most NEEDS_MAX); () when it states
    none (no list, no sentence that says what is needed)."""
    needs: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        for sentence in sentences(" ".join(prose), language):
            need = _need_after_cue(sentence)
            if _words(need) >= _MIN_WORDS:
                needs.append(need)
        prose.clear()

    for line in _lines(text, language):
        item = _ITEM.match(line)
        if item is None:
            if not (_LABELLED.match(line.strip()) and _words(line) <= HEADER_WORDS):
                prose.append(line.strip())
            continue
        flush()
        wanted = item.group("item").strip(" .;,")
        if _LABELLED.match(wanted) or _words(wanted) < _MIN_WORDS:
            continue
        # "- we also need backup power" is a need sentence inside a list.
        # "- we also need backup power" is a need sentence inside a list; an item pasted on one
        # line with the sentence after it ("... harbour area We would also welcome ideas for
        # ...") is two needs.
        cue = NEED_CUE.search(wanted)
        if cue is not None and _words(wanted[: cue.start()]) > 3:
            needs.append(_TRAILING.sub("", wanted[: cue.start()]).strip(" .;,"))
            wanted = wanted[cue.start() :]
        needs.append(_need_after_cue(wanted) or wanted)
    flush()
    seen: dict[str, str] = {}
    for need in needs:
        seen.setdefault(" ".join(need.lower().split()), need)
    return tuple(seen.values())[:NEEDS_MAX]

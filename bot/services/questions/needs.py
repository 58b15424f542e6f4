"""A need as the matcher reads it, whoever passes it (`scic match`, a pasted brief): misspellings
put right against the records' own words, the asking words left off, and the places it names
taken out, since a place says where the work is, not what skill it takes ("flooding in
Nusantara" must not rank a university named after the place first). Only when the asker wants
members based there ("based in Kirkenes", "Kirkenes-based", "kirkkoniemeläiset") is the place a
filter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.briefs import split_needs
from bot.services.language import detect_language
from bot.services.questions.understanding import _is_brief, _need, _place_matches, clean
from bot.services.questions.vocabulary import Vocabulary

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
# Words that ask for presence when they stand shortly before the place...
NEAR_CUE = re.compile(
    r"\b(based|located|headquartered|situated|office|offices|local|locally|paikallis\w*|"
    r"sijait\w*|toimipai\w*)\b",
    re.IGNORECASE,
)
# ...or right before it ("companies from Kirkenes", "near Oulu"); "a request from the City of
# Tampere" says where the need comes from, so these count only next to the place.
NEXT_CUE = re.compile(r"\b(from|near|nearby|lähellä)\s*$", re.IGNORECASE)
# The place itself saying it: "Kirkenes-based", "tamperelaiset", "oululaisen".
SUFFIX_CUE = re.compile(r"(-based|-located|lai\w*|läi\w*)$", re.IGNORECASE)
CUE_WINDOW = 4
_PREPOSITIONS = frozenset({"in", "at", "for", "around", "near", "of", "from", "within"})


@dataclass(frozen=True)
class Need:
    """What members are ranked by, and the place the asker wants them based in, if any."""

    text: str
    #: the first place the need names, as the records spell it ("" when none)
    place: str = ""
    #: members must be based in ``place``
    local: bool = False


def _place_of(token: str, vocabulary: Vocabulary) -> str:
    lowered = token.lower()
    if len(lowered) < 3:
        return ""
    base = re.sub(r"-(based|located)$", "", lowered)
    for spelled, canonical in vocabulary.places.items():
        if _place_matches(base, spelled):
            return canonical
    return ""


def read_need(text: str, vocabulary: Vocabulary) -> Need:
    """``text`` as a need: spelt right, without asking words and, unless the asker wants local
    members, without the places it names."""
    corrected = vocabulary.speller.correct(text, detect_language(text))
    need = _need(corrected)
    spans: list[tuple[int, int]] = []
    place, local = "", False
    for match in _TOKEN.finditer(need):
        found = _place_of(match.group(0), vocabulary)
        if not found:
            continue
        before = need[: match.start()]
        window = " ".join(before.split()[-CUE_WINDOW:])
        asks_local = bool(
            NEAR_CUE.search(window) or NEXT_CUE.search(before) or SUFFIX_CUE.search(match.group(0))
        )
        if not place:
            place = found
        if found == place:
            local = local or asks_local
        start = match.start()
        # "in Nusantara": the preposition goes with the place.
        words = before.rstrip().rsplit(maxsplit=1)
        if words and words[-1].lower() in _PREPOSITIONS:
            start = len(before.rstrip()) - len(words[-1])
        spans.append((start, match.end()))
    stripped = need
    for start, end in reversed(spans):
        stripped = stripped[:start] + stripped[end:]
    if local:
        stripped = NEAR_CUE.sub("", stripped)
    # "bridges in Tampere and Espoo" leaves "bridges and": the last "and" goes too.
    stripped = re.sub(r"\s+\b(and|or|ja|tai)\b\s*(?=[.?!,;:]|$)", "", stripped)
    stripped = re.sub(r"[ \t]{2,}", " ", stripped).strip(" ,;:")
    # A need that was nothing but a place ("Kirkenes?") is still that place.
    return Need(stripped if re.search(r"\w", stripped) else need, place, local)


def read_needs(needs: Sequence[str], vocabulary: Vocabulary) -> tuple[str, ...]:
    """Each of a brief's needs (`briefs.split_needs`) read as `read_need` reads one: spelt
    right, without its places; each once, in order."""
    read = (read_need(need, vocabulary).text for need in needs)
    return tuple(dict.fromkeys(n for n in read if n.strip()))


def brief_needs(text: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The separate needs of a pasted brief, read as needs; () for a question, or a brief that
    states one need or none (it is ranked whole, as a question is)."""
    if not _is_brief(clean(text)):
        return ()
    needs = read_needs(split_needs(text, detect_language(clean(text))), vocabulary)
    return needs if len(needs) >= 2 else ()

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
# The verbs of needing, whoever needs ("we", "our park department", "the schools"); the need is
# what follows them.
NEED_CUE = re.compile(
    r"\b(?:(?:would|'d)(?:\s+(?:also|really))?\s+(?:like|welcome|need|want)(?:\s+(?:\w+\s+){0,2}?to)?"
    r"|wants?(?:\s+to)?|want(?:\s+(?:\w+\s+)?to)?|needs?(?:\s+to)?|require[sd]?|seeks?|seeking"
    r"|(?:are|am|is|'re)\s+looking\s+for|looking\s+for|in\s+need\s+of|welcomes?"
    r"|(?:the\s+|our\s+)?(?:plan|aim|goal|idea)\s+is(?:\s+to)?|(?:we\s+)?plan(?:ning)?\s+to"
    r"|should(?:\s+be\s+able\s+to)?|must(?:\s+be\s+able\s+to)?|ha(?:s|ve)\s+to"
    r"|tarvitsemme|tarvitaan|tarvitsisimme|tarvitsee|tarvitsevat|tarvittaisiin|etsimme|etsitään"
    r"|haemme|haetaan|kaipaamme|kaivataan|kaipaa|kaipaavat|toivomme|toivotaan|haluamme"
    r"|haluaisimme|halutaan|haluttaisiin|aiomme|suunnittelemme|tavoitteena\s+on|pitäisi(?:\s+saada)?|tulisi|täytyy|pitää\s+saada)\b",
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
    r"(?:to\s+)?(?:be\s+)?",
    re.IGNORECASE,
)
# "...with the following:", "seuraaviin tarpeisiin:": the need is in the list below.
_INTRODUCES_A_LIST = re.compile(r"(?::\s*$|\b(?:following|below|seuraav\w*|alla)\b)", re.I)
_MIN_WORDS = 2
# Where one stated need ends and the next begins: ", and we would like to ...".
_CLAUSE_END = re.compile(r"[,;]\s*(?:(?:and|but|ja|sekä|mutta)\s+)?(?:(?:we|i|they|me)\s+)?$", re.I)
# A sentence about the call, not the work: "applications must be sent by the end of March".
_ABOUT_THE_CALL = re.compile(
    r"\b(?:deadline|submit\w*|submission|applications?|apply|budget|määräai\w*|jättää|"
    r"hakemu\w*|budjet\w*|haku\w*)\b"
    # "(we would like to) run a pilot next year": the project, not a skill it takes.
    r"|^(?:(?:run|start|launch|have|do)\s+)?(?:a\s+|the\s+)?(?:pilot|pilot\w*|kokeilu\w*)\b",
    re.IGNORECASE,
)
# Finnish modal verbs that follow what is needed ("Työmääräysten hallinta pitäisi saada ...");
# after a genitive ("Kaupungin pitäisi ...") they follow who needs it instead.
_FINNISH_MODAL = re.compile(r"^(?:pitäisi|tulisi|täytyy|pitää)\b", re.IGNORECASE)
_BEFORE_THE_NEED = re.compile(r"^(?:(?:lisäksi|myös|sekä|ja|also)\s+)+", re.IGNORECASE)
_TRAILING = re.compile(r"(?:\s+(?:also|and|we|i|they|lisäksi|myös|ja|me))+\s*$", re.IGNORECASE)
# An e-mail header line ("Subject: ...") is short; a long line opening so is the brief itself.
HEADER_WORDS = 15


# Quotation marks: sentencex never splits inside a quotation, and a forwarded e-mail is one.
_QUOTES = re.compile(r"[\"“”„«»]")
# An e-mail's quoted lines ("> We want to know ...").
_QUOTED_LINE = re.compile(r"^\s*(?:>\s*)+", re.MULTILINE)
# Needs enumerated inside a sentence: "we would like to (1) count visitors, (2) warn them...".
_ENUMERATED = re.compile(r"\(\s*(?:\d{1,2}|[a-h])\s*\)\s*")


def _without_markup(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _QUOTED_LINE.sub("", _MARKUP.sub(" ", text))
    return _QUOTES.sub(" ", text)


def _enumerated(sentence: str) -> list[str]:
    """The needs a sentence enumerates ("(1) ..., (2) ..., and (3) ..."); [] when it does not."""
    parts = _ENUMERATED.split(sentence)
    if len(parts) < 3:
        return []
    items = [
        re.sub(r"(?:[,;]?\s*\b(?:and|or|ja|sekä|tai)\s*|[,;]\s*)$", "", p.strip())
        for p in parts[1:]
    ]
    return [item.strip(" .;,:") for item in items if _words(item) >= _MIN_WORDS]


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


def _needs_after_cue(sentence: str) -> list[str]:
    """The needs a sentence states ("We would also welcome ideas for keeping ... running" ->
    "keeping ... running"; "... as open data, and we would like to reuse our poles" -> two),
    or [] when it states none, only introduces a list, asks the bot something, or is about
    the call itself (its deadline, budget, application)."""
    cue = NEED_CUE.search(sentence)
    if cue is None or _INTRODUCES_A_LIST.search(sentence) or sentence.rstrip().endswith("?"):
        return []
    before = _BEFORE_THE_NEED.sub("", sentence[: cue.start()].strip(" ,:;"))
    if (
        _FINNISH_MODAL.match(cue.group())
        and _words(before) >= _MIN_WORDS
        and not before.lower().endswith("n")
        and not _ABOUT_THE_CALL.search(before)
    ):
        return [before]
    after = sentence[cue.end() :].strip(" ,:;")
    opening = _OPENING.match(after)
    if opening and opening.end() < len(after):
        after = after[opening.end() :]
    rest: list[str] = []
    again = NEED_CUE.search(after)
    if again is not None:
        boundary = _CLAUSE_END.search(after[: again.start()])
        if boundary is not None:
            rest = _needs_after_cue(after[boundary.start() :].lstrip(" ,;"))
            after = after[: boundary.start()]
    need = after.strip(" .!?,;:")
    if _ABOUT_THE_CALL.search(need) or _words(need) < _MIN_WORDS:
        return rest
    return [need, *rest]


def split_needs(text: str, language: str = "en") -> tuple[str, ...]:
    """The needs a brief states, in order, each once (at most NEEDS_MAX); () when it states
    none (no list, no sentence that says what is needed)."""
    needs: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        for sentence in sentences(" ".join(prose), language):
            enumerated = _enumerated(sentence)
            if enumerated:
                needs.extend(enumerated)
                continue
            needs.extend(_needs_after_cue(sentence))
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
        needs.extend(_needs_after_cue(wanted) or [wanted])
    flush()
    seen: dict[str, str] = {}
    for need in needs:
        seen.setdefault(" ".join(need.lower().split()), need)
    return tuple(seen.values())[:NEEDS_MAX]

"""Finnish or English: language detection for short chat messages, and query expansion with
the other language's domain terms (``bot.services.glossary``), both offline and rule-based.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from bot.services.glossary import GLOSSARY
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.word_frequencies import zipf_frequency
from prompts import as_data
from prompts.query_translation import PROMPT as QUERY_TRANSLATION

log = logging.getLogger(__name__)
Language = Literal["fi", "en"]

# Slack markup and links say nothing about the language and often contain English words.
_MARKUP = re.compile(r"<[^>]*>|https?://\S+|www\.\S+|\S+@\S+\.\w+|:[a-z0-9_+-]+:")
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")

# Function words, question words and everyday chat verbs. Words both languages use ("on",
# "me", "he") are in neither list.
_FINNISH_TEXT = """
    ja ei että kanssa mikä mitkä mitä mitään missä mistä mihin miten miksi milloin millä
    minkä mille kuka ketkä kenellä kenelle kenen keneltä ketä kuinka kumpi onko ovatko
    oliko olisiko voiko voisiko voisitko voitko voisi voisivat voimme voin voidaan osaa
    osaako osaavat osaisi tietääkö tietää tiedätkö löytyykö löytyy tarvitaan tarvitsemme
    tarvitsen tarvitsee haluaa haluamme haluan haluaisin etsimme etsin etsitään haemme
    haetaan hakee tekee tekevät tehdä tehnyt tekemään jotka joka jonka joita jossa joilla
    joiden jolla joihin jota josta jolle se ne niitä niiden niille sen sitä siitä siihen
    siinä tämä tämän tätä tässä tästä tähän nämä näitä näiden meille meidän meillä meitä
    meistä te hän minä minulle minulla minun sinä sinulle sinulla teillä teille teidän
    heidän heillä mutta tai sekä myös vain vielä jo nyt kun jos niin kuin eli koska vaan
    ettei eikä emme en ette olla oli olisi ovat olemme olen ole ollut olisiko kaikki
    kaikille jokin joku jotain kukaan mitään muita muut muiden paljon vähän enemmän
    erittäin hyvin noin yli alle kautta mukaan varten lisäksi ilman kohti asti saakka
    kiitos kiitti moi hei moikka terve heippa kiva hyvä hyvää auki auttaa apua ehkä
    joskus aina täällä siellä tänne sinne missäs kenet mihinkä haaste haasteet haasteita
    haasteista haasteen listaa näytä kerro voitetut hävityt avoimet avoimia suljetut tiimi
    konsortio jäsenet yritykset kumppani kumppanit entä mites sopisi sopivat
"""
_ENGLISH_TEXT = """
    the a an of to in for with from by at about into onto over under between through and
    or but not nor is are was were be been being am do does did done have has had having
    can could would should will shall may might must who whom whose what which when where
    why how this that these those there here it its they them their we us our ours you
    your yours i my mine she his her him any anyone anybody someone somebody something
    anything some all each every other such than then also just only very too please
    thanks thank hi hello hey need needs needed want wants looking help know knows find
    show tell give send list let lets isn't aren't don't doesn't can't won't i'm we're
    there's what's who's
"""
_FINNISH_WORDS = frozenset(_FINNISH_TEXT.split())
_ENGLISH_WORDS = frozenset(_ENGLISH_TEXT.split())
#: The function and question words of both languages: known words, never "misspelt".
ASKING_WORDS = _FINNISH_WORDS | _ENGLISH_WORDS
# Case endings, derivations and verb endings common in Finnish and rare at the end of
# English words.
_FINNISH_ENDINGS = (
    "ssa", "ssä", "sta", "stä", "lla", "llä", "lta", "ltä", "lle", "ksi", "inen", "isen",
    "iset", "isia", "isiä", "ista", "istä", "ja", "jä", "aan", "ään", "een", "iin", "uun",
    "yyn", "öön", "mme", "tte", "vat", "vät", "taan", "tään", "tää", "ttaa", "ttää", "iden",
    "ien", "jen", "nut", "nyt", "neet", "lle", "uksen", "yksen", "uus", "yys", "ssaan",
    "ssään", "nsa", "nsä", "mpi", "mmat", "ita", "itä", "ina", "inä", "na", "nä", "ko",
    "kö", "sti", "nen", "nti", "sto", "stö", "ikko", "ikkö", "uksia", "yksiä",
)  # fmt: skip
_ENGLISH_ENDINGS = (
    "tion", "sion", "ing", "ed", "ly", "ness", "ment", "ity", "ous", "ful", "less", "able",
    "ible", "ise", "ize", "ship", "ings", "ers", "ies", "ght", "ck", "th", "sh", "ch",
)  # fmt: skip
_ENGLISH_LETTERS = re.compile(r"th|wh|sh|ch|ck|ph|[wqxzc]|[bdfgp]$|[^aeiouy]y$")
_FINNISH_LETTERS = re.compile(r"aa|ii|uu|yy|ää|öö|ai|ei|oi|ui|yi|äi|öi|uo|yö|ie")

# A message is Finnish only on this much more evidence than for English: a name or two
# ("Vantaa", "Lämpöverkko Oy") must not turn an English message Finnish.
FINNISH_MARGIN = 2.0
# How much more often (in Zipf, log10 of uses per billion words) one language uses a word
# than the other for the word to count as that language's: 1.5 is thirty times as often.
WORD_USE_GAP = 1.5


def _words(text: str) -> list[tuple[str, bool]]:
    """The words of ``text`` and whether each starts a sentence, without Slack markup."""
    out: list[tuple[str, bool]] = []
    for piece in re.split(r"(?<=[.!?:;])\s+|\n+", _MARKUP.sub(" ", text)):
        for i, word in enumerate(_WORD.findall(piece)):
            out.append((word, i == 0))
    return out


def _is_name(word: str, first: bool) -> bool:
    """A capitalised word inside a sentence: a place, a member, a person ("Sør-Varanger")."""
    return not first and word.rsplit("-", 1)[-1][:1].isupper() and not word.isupper()


def _scores(text: str) -> tuple[float, float]:
    """Evidence for Finnish and for English: function words count most, then word shapes."""
    finnish = english = 0.0
    for word, first in _words(text):
        lower = word.lower().replace("’", "'")
        if lower in _FINNISH_WORDS:
            finnish += 2.0
            continue
        if lower in _ENGLISH_WORDS:
            english += 2.0
            continue
        # Capitalised words inside a sentence are names: Finnish place and company names
        # appear in English messages and the other way round. At the start of a sentence a
        # capital proves nothing either way ("Lämpöverkko Oy", "Lumikuormien mittaus").
        if _is_name(word, first) or word.isupper() or len(lower) < 3 or lower.isdigit():
            continue
        weight = 0.5 if word[0].isupper() else 1.0
        fi = en = 0.0
        if re.search(r"[äöå]", lower):
            fi += 1.0
        if len(lower) >= 5 and lower.endswith(_FINNISH_ENDINGS):
            fi += 1.0
        elif len(lower) >= 4 and lower.endswith(_ENGLISH_ENDINGS):
            en += 1.0
        if _ENGLISH_LETTERS.search(lower):
            en += 0.5
        elif _FINNISH_LETTERS.search(lower):
            fi += 0.5
        finnish += weight * fi
        english += weight * en
    return finnish, english


LANGUAGE_NAMES: dict[str, str] = {"fi": "Finnish", "en": "English"}


def language_name(language: str) -> str:
    """How a prompt names ``language`` ("Finnish"); English for anything unknown."""
    return LANGUAGE_NAMES.get(language, "English")


def _word_use(text: str) -> tuple[float, float]:
    """Evidence from how much each language uses the words: a word wordfreq counts far more
    often in one language than in the other ("yhteystiedot", "toimitusjohtajan" are common
    Finnish and no English) speaks for it. Capitalised words (names, also at the start: "Arttu
    Ahonen") and short words say nothing."""
    finnish = english = 0.0
    for word, _first in _words(text):
        lower = word.lower()
        if word[:1].isupper() or len(lower) < 3 or lower.isdigit():
            continue
        difference = zipf_frequency(lower, "fi") - zipf_frequency(lower, "en")
        # As much as a function word: thirty times as common in one language is that clear.
        if difference >= WORD_USE_GAP:
            finnish += 2.0
        elif difference <= -WORD_USE_GAP:
            english += 2.0
    return finnish, english


def _evidence(text: str) -> tuple[float, float]:
    """`_scores`, and when they leave the language open, `_word_use` as well: a terse request
    without function words ("Sisäilma Sensen toimitusjohtajan yhteystiedot") is still plain
    Finnish. A lone word is left to `_scores`: a member's name typed in lower case
    ("/profile kantava") is often a Finnish word as well."""
    finnish, english = _scores(text)
    words = sum(1 for word, _first in _words(text) if len(word) >= 3)
    if abs(finnish - english) < FINNISH_MARGIN and words >= 2:
        more_finnish, more_english = _word_use(text)
        finnish, english = finnish + more_finnish, english + more_english
    return finnish, english


def detect_language(text: str) -> Language:
    """Finnish ("fi") when ``text`` reads as Finnish, else English ("en"), also when unsure."""
    finnish, english = _evidence(text)
    return "fi" if finnish >= english + FINNISH_MARGIN else "en"


def clear_language(text: str) -> Language | None:
    """The language ``text`` clearly reads as; None when the evidence is too thin to tell.

    Used to refuse a written answer in the wrong language: a short answer made mostly of
    names must not be refused on a guess either way.
    """
    finnish, english = _evidence(text)
    if finnish >= english + FINNISH_MARGIN:
        return "fi"
    if english >= finnish + FINNISH_MARGIN:
        return "en"
    return None


# -- expansion ----------------------------------------------------------------------------

# Stems shorter than this only match at the start of a word: "jää" (ice) begins
# "jäähalli" but also sits inside unrelated words.
MIN_INNER_STEM = 4


@dataclass(frozen=True)
class _Stem:
    text: str
    whole_word: bool


@dataclass(frozen=True)
class _Entry:
    finnish: str
    english: str
    stems: tuple[_Stem, ...]
    phrases: tuple[tuple[str, ...], ...]


def _english_key(word: str) -> str:
    # Plurals only: stripping -ing would merge "parking" with "park".
    word = word.lower().replace("’", "'").removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _english_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


@cache
def _entries() -> tuple[_Entry, ...]:
    entries = []
    for finnish, english in GLOSSARY:
        stems = tuple(_Stem(s.removesuffix("$"), s.endswith("$")) for s in finnish.split("|") if s)
        phrases = tuple(
            tuple(_english_key(w) for w in _english_words(p)) for p in english.split("|")
        )
        entries.append(
            _Entry(
                finnish=stems[0].text,
                english=english.split("|")[0],
                stems=stems,
                phrases=tuple(p for p in phrases if p),
            )
        )
    return tuple(entries)


@cache
def _stems_longest_first() -> tuple[tuple[_Stem, _Entry], ...]:
    pairs = [(stem, entry) for entry in _entries() for stem in entry.stems]
    return tuple(sorted(pairs, key=lambda p: -len(p[0].text)))


@cache
def _phrases_longest_first() -> tuple[tuple[tuple[str, ...], _Entry], ...]:
    pairs = [(phrase, entry) for entry in _entries() for phrase in entry.phrases]
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), -len(" ".join(p[0])))))


def _parts(token: str) -> list[tuple[int, str]]:
    """The hyphen-separated parts of a word and where each starts ("iot-tietoliikenne")."""
    out, at = [], 0
    for part in token.split("-"):
        out.append((at, part))
        at += len(part) + 1
    return out


def _occurrences(token: str, stem: str) -> list[int]:
    """Where ``stem`` starts in ``token``, overlapping occurrences included."""
    found, at = [], token.find(stem)
    while at != -1:
        found.append(at)
        at = token.find(stem, at + 1)
    return found


def _finnish_matches(text: str, *, misspelt: bool = False) -> list[_Entry]:
    """Glossary entries whose stems occur in the words of Finnish ``text``, in text order.

    Longer stems claim their letters first, so "lumikuorma" is a snow load rather than
    snow plus load, and "jäähdytys" (cooling) does not also read as "jää" (ice). With
    ``misspelt``, a long word that stems leave seven letters or more of unread may also be
    read as the stem one letter away (`_misspelt_stem`): chat is typed in haste; records are
    not, and there are many (it costs about 60 ms on a challenge's description).
    """
    found: list[tuple[int, int, _Entry]] = []
    tokens = [w.lower() for w, first in _words(text) if not _is_name(w, first)]
    for t, token in enumerate(tokens):
        exact = len(found)
        spans: list[tuple[int, int]] = []
        taken = [False] * len(token)
        parts = _parts(token)
        starts = {at for at, _ in parts}
        for stem, entry in _stems_longest_first():
            s = stem.text
            if stem.whole_word:
                hits = [at for at, part in parts if part == s]
            elif s not in token:
                continue
            else:
                hits = [
                    i for i in _occurrences(token, s) if len(s) >= MIN_INNER_STEM or i in starts
                ]
            for at in hits:
                if not any(taken[at : at + len(s)]):
                    taken[at : at + len(s)] = [True] * len(s)
                    spans.append((at, at + len(s)))
                    found.append((t, at, entry))
        if misspelt and taken.count(False) >= MISSPELT_MIN_STEM:
            # Letters enough for a stem left unread: perhaps a stem one letter off, which
            # may also explain what the exact stems read ("energiatehokuutta" is not just
            # "energia"); one that would drop an exact reading is not taken.
            near = _misspelt_stem(token)
            if near is not None and all(
                near[0] <= start and end <= near[0] + len(near[2]) for start, end in spans
            ):
                del found[exact:]
                found.append((t, near[0], near[1]))
    return [entry for _, _, entry in sorted(found, key=lambda f: (f[0], f[1]))]


# A word this long that no stem occurs in may be a domain word misspelt by one letter
# ("kutsuliikenettä"); shorter ones are mostly everyday words the glossary does not hold.
MISSPELT_MIN_WORD = 8
# Stems this long are specific enough to be recognised with one letter wrong.
MISSPELT_MIN_STEM = 7


@cache
def _fuzzy_stems() -> tuple[tuple[str, ...], tuple[_Entry, ...]]:
    pairs = [
        (stem.text, entry)
        for stem, entry in _stems_longest_first()
        if not stem.whole_word and len(stem.text) >= MISSPELT_MIN_STEM
    ]
    return tuple(s for s, _ in pairs), tuple(e for _, e in pairs)


@lru_cache(maxsize=4096)
def _misspelt_stem(token: str) -> tuple[int, _Entry, str] | None:
    """The longest glossary stem within one edit of a part of ``token`` (where it starts,
    its entry, the stem); None for a short or everyday word or when none is that near."""
    if len(token) < MISSPELT_MIN_WORD or token in ASKING_WORDS:
        return None
    # A word in everyday Finnish is spelt right, however near a stem it is: "perustuvan"
    # (based on) is not "perustus" (a foundation) misspelt.
    if zipf_frequency(token, "fi") > 0:
        return None
    stems, entries = _fuzzy_stems()
    # One edit in a stem of n letters scores at least 100 (1 - 1/n) on partial_ratio.
    cutoff = 100.0 * (1 - 1 / MISSPELT_MIN_STEM)
    best: tuple[int, _Entry, str] | None = None
    for _, _, i in process.extract(
        token, stems, scorer=fuzz.partial_ratio, score_cutoff=cutoff, limit=None
    ):
        stem = stems[i]
        aligned = fuzz.partial_ratio_alignment(stem, token)
        if aligned is None:
            continue
        if Levenshtein.distance(stem, token[aligned.dest_start : aligned.dest_end]) > 1:
            continue
        if best is None or len(stem) > len(best[2]):
            best = (aligned.dest_start, entries[i], stem)
    return best


def _english_matches(text: str) -> list[_Entry]:
    """Glossary entries whose English phrases occur in ``text``, longest phrase first.

    Several entries may share a phrase ("monitoring" is both "seuranta" and "valvonta");
    a shorter phrase never reuses words a longer one matched.
    """
    keys: list[str] = []
    for word, first in _words(text):
        parts = _english_words(word)
        # Names are not translated: "Nordic Heat Analytics" is a member, not a heat need.
        keys += [""] * len(parts) if _is_name(word, first) else map(_english_key, parts)
    taken = [False] * len(keys)
    found: list[tuple[int, _Entry]] = []
    claimed: set[tuple[int, int]] = set()
    for phrase, entry in _phrases_longest_first():
        n = len(phrase)
        for i in range(len(keys) - n + 1):
            if tuple(keys[i : i + n]) != phrase:
                continue
            span = (i, n)
            if any(taken[i : i + n]) and span not in claimed:
                continue
            taken[i : i + n] = [True] * n
            claimed.add(span)
            found.append((i, entry))
    return [entry for _, entry in sorted(found, key=lambda f: f[0])]


def translated_terms(text: str, language: Language, *, misspelt: bool = False) -> list[str]:
    """The other language's glossary terms for the domain words of ``text``, no repeats.

    A term already in ``text`` or made only of words already offered is left out: after
    "snow load", "snow" adds nothing. ``misspelt``: a Finnish domain word one letter off is
    read as that word (for what people type, not for records).
    """
    entries = (
        _finnish_matches(text, misspelt=misspelt) if language == "fi" else _english_matches(text)
    )
    present = set(_english_words(text))
    terms: list[str] = []
    for entry in entries:
        term = entry.english if language == "fi" else entry.finnish
        words = set(_english_words(term))
        if term in terms or words <= present:
            continue
        terms.append(term)
        present |= words
    return terms


def english_terms(text: str) -> list[str]:
    """The glossary's English terms for the domain words of an English ``text``, no repeats:
    the words a Finnish record's English rendering is written in."""
    return list(dict.fromkeys(entry.english for entry in _english_matches(text)))


def expand_query(text: str, language: Language) -> str:
    """``text`` with the other language's equivalents of its domain terms appended.

    The terms go on a line of their own, so the matcher reads them as one more sentence of
    the need; ``text`` is returned unchanged when no glossary term occurs in it.
    """
    terms = translated_terms(text, language)
    if not terms:
        return text
    return f"{text.rstrip()}\n{', '.join(terms)}"


@dataclass(frozen=True)
class SearchText:
    """A request as the matcher reads it: the text the English-only embedding embeds, the
    words BM25 looks for, and the language it was asked in."""

    dense: str
    lexical: str
    language: Language

    @property
    def rendered(self) -> str:
        """The request as a Finnish record's English rendering reads (its glossary terms, for
        an English request; "" otherwise): a Finnish passage is embedded by its terms, and an
        English sentence meets a list of terms less well than the same terms do. Derived when
        asked: most searches of a question (the challenge it names, the off-topic check) do
        not compare with renderings."""
        return ", ".join(english_terms(self.dense)) if self.language == "en" else ""


def request_language(text: str, *, asked: str = "") -> Language:
    """The language of a search request, from the whole message it came in when known.

    "Kuka osaa kaukolämpöverkon vuodonvalvonnan?" is plainly Finnish, but the problem left
    once the question words are gone ("kaukolämpöverkon vuodonvalvonnan") is too short to
    tell; a request made of Finnish domain terms and no English ones is Finnish as well.
    """
    if asked and detect_language(asked) == "fi":
        return "fi"
    language = detect_language(text)
    if language == "en" and translated_terms(text, "fi") and not translated_terms(text, "en"):
        return "fi"
    return language


def search_text(text: str, *, english: str = "", asked: str = "", typed: bool = True) -> SearchText:
    """How to search for ``text`` whatever its language.

    A Finnish request is embedded in English (``english``, the model's translation when there
    is one, else the glossary's terms): Finnish is noise to the English-only embedding, and
    the English records are most of the cluster's. BM25 gets both languages' words, so the
    Finnish-language records still match word for word. English requests are searched as
    they are (the records' English renderings find the Finnish profiles; for a search by
    full-text alone see `with_finnish_terms`). ``asked`` is the whole message the request
    came from, when it was cut out of one. ``typed``: someone typed it, so a Finnish domain
    word one letter off is read as that word; False for a record searched with (a challenge).
    """
    language = request_language(text, asked=asked)
    if language == "en":
        return SearchText(text, text, "en")
    english = english.strip() or ", ".join(translated_terms(text, "fi", misspelt=typed))
    if not english:
        return SearchText(text, text, "fi")
    return SearchText(english, f"{text.rstrip()}\n{english}", "fi")


def with_finnish_terms(words: SearchText) -> SearchText:
    """``words`` with an English request's Finnish glossary terms added to its full-text words.

    For a search by full-text alone (no embedding model): a member whose texts are Finnish
    shares no word with an English request, and only its Finnish terms find it. With the
    model the records' English renderings find it; measured there, the terms helped with
    SQLite's full-text search, not with PostgreSQL's, and cost English needs some of their
    English members (README, "Both languages on both sides"), so they are left out then.
    """
    if words.language != "en":
        return words
    return replace(words, lexical=expand_query(words.lexical, "en"))


class QueryTranslation(BaseModel):
    """A search request in both languages (structured output of the query_translation prompt)."""

    model_config = ConfigDict(extra="forbid")

    english: str
    finnish: str


def translated_search(
    text: str,
    *,
    llm: LanguageModel | None,
    person_id: int | None,
    english_only: bool,
    asked: str = "",
) -> SearchText:
    """`search_text` with the model's English for a Finnish request, when there is a model.

    The glossary knows the cluster's usual vocabulary; the model also knows the words it does
    not. Without a model, for English requests, or when the model fails, the glossary serves.
    """
    if llm is None or not english_only or request_language(text, asked=asked) != "fi":
        return search_text(text, asked=asked)
    try:
        translation = llm.extract(
            QUERY_TRANSLATION, QueryTranslation, {"request": as_data(text)}, person_id=person_id
        )
    except LanguageModelError as exc:
        log.info("query translation not used, glossary instead: %s", exc)
        return search_text(text, asked=asked)
    glossary = ", ".join(translated_terms(text, "fi", misspelt=True))
    english = "\n".join(part for part in (translation.english.strip(), glossary) if part)
    return search_text(text, english=english, asked=asked)

"""The records' own words a question is read against: member and person names, challenge titles
and slugs, and the places the records mention.

Read from the store in a few queries and kept per process until a record is added, renamed
or removed (`names_version`), so a question costs one small query when nothing changed.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine

from bot.services.language import ASKING_WORDS, detect_language, translated_terms
from bot.services.questions.spelling import Speller, WordPairs
from storage.challenges import ChallengeFacts, challenge_facts
from storage.db import session_scope
from storage.members import member_names, names_version, record_texts
from storage.models import MembershipStatus, Visibility
from storage.people import people_names

# Company forms left out of a member's short name ("Kantava Structural Monitoring Oy" is also
# "Kantava Structural Monitoring"); a name is also known by its slug's words.
COMPANY_FORMS = re.compile(
    r"[\s,]+(oy|oyj|ab|as|ltd|limited|inc|gmbh|s\.?l\.?|s\.?a\.?|ry|plc|llc|co\.?|pt|tbk)\.?$",
    re.IGNORECASE,
)
COMPANY_PREFIX = re.compile(r"^(pt|cv)\s+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Places people name in Finnish where the records use English (and the other way round).
FINNISH_PLACE_NAMES = {
    "suomi": "Finland",
    "norja": "Norway",
    "espanja": "Spain",
    "indonesia": "Indonesia",
    "saudi-arabia": "Saudi Arabia",
    "ruotsi": "Sweden",
    "viro": "Estonia",
    "saksa": "Germany",
    "helsinki": "Helsinki",
    "kirkkoniemi": "Kirkenes",
    "uudellamaalla": "Uusimaa",
    "uudenmaan": "Uusimaa",
    "uudellemaalle": "Uusimaa",
    "uudeltamaalta": "Uusimaa",
    "madridissa": "Madrid",
}
# First words of long names that are not names on their own ("Nordic Heat Analytics").
GENERIC_FIRST_WORDS = frozenset(
    [
        "city",
        "nordic",
        "arctic",
        "smart",
        "urban",
        "open",
        "data",
        "polar",
        "baltic",
        "helsinki",
        "council",
        "university",
        "universidad",
        "instituto",
        "universitas",
        "digital",
        "green",
        "global",
    ]
)
# Words too common to stand for a place on their own.
NOT_PLACES = frozenset({"norte", "nueva", "region", "city", "of", "the", "and"})


@dataclass(frozen=True)
class NamedMember:
    id: int
    slug: str
    name: str
    names: tuple[str, ...]
    city: str
    country: str
    kind: str
    size: str
    active: bool


@dataclass(frozen=True)
class NamedPerson:
    id: int
    name: str
    email: str
    member_id: int | None
    role: str = ""
    expertise: tuple[str, ...] = ()


@dataclass(frozen=True)
class NamedChallenge:
    id: int
    slug: str
    title: str
    city: str
    country: str
    region: str
    owner_name: str
    owner_member_id: int | None
    status: str
    deadline: date | None
    restricted: bool
    allowed_member_ids: frozenset[int]
    #: the word stems a message may name it by, in both languages: title, slug, needs, tags,
    #: place and owner, with the glossary's words in the other language
    stems: frozenset[str] = frozenset()

    def visible_to(self, member_id: int | None) -> bool:
        """Public, or the viewer's organisation owns it or was let in (staff see all)."""
        return (
            not self.restricted
            or (member_id is not None and member_id == self.owner_member_id)
            or (member_id is not None and member_id in self.allowed_member_ids)
        )


@dataclass(frozen=True)
class Vocabulary:
    members: tuple[NamedMember, ...] = ()
    people: tuple[NamedPerson, ...] = ()
    challenges: tuple[NamedChallenge, ...] = ()
    #: lower-case spelling -> the place as the records spell it
    places: dict[str, str] = field(default_factory=dict)
    #: every word of the records (names, profiles, challenges), lower case, with its count:
    #: what a misspelt word is corrected towards
    words: dict[str, int] = field(default_factory=dict)
    speller: Speller = field(default_factory=lambda: Speller({}))

    def challenge(self, challenge_id: int) -> NamedChallenge | None:
        return next((c for c in self.challenges if c.id == challenge_id), None)

    def member(self, member_id: int | None) -> NamedMember | None:
        return next((m for m in self.members if m.id == member_id), None)

    def person(self, person_id: int | None) -> NamedPerson | None:
        return next((p for p in self.people if p.id == person_id), None)


def short_name(name: str) -> str:
    return COMPANY_PREFIX.sub("", COMPANY_FORMS.sub("", name.strip())).strip()


def _member_names(name: str, slug: str, places: frozenset[str] = frozenset()) -> tuple[str, ...]:
    names = [name]
    short = short_name(name)
    if short and short != name:
        names.append(short)
    # "Kantava Structural Monitoring" is also "Kantava": the first word of a long name, when
    # it is a name (capitalised and not a common word).
    first = short.split()[0] if short else ""
    if (
        len(short.split()) >= 2
        and len(first) >= 5
        and first[:1].isupper()
        and first.lower() not in GENERIC_FIRST_WORDS
        and first.lower() not in places
    ):
        names.append(first)
    slug_first = slug.split("-")[0]
    if (
        len(slug_first) >= 4
        and slug_first not in GENERIC_FIRST_WORDS
        and slug_first not in places
        and slug_first not in (n.lower() for n in names)
        and any(slug_first in n.lower() for n in names)
    ):
        # "Insinööritoimisto Kaari Oy" is "Kaari" to everyone.
        names.append(slug_first.capitalize())
    words = short.split() if short else []
    if len(words) >= 2 and min(len(w) for w in words[:2]) <= 4:
        # "Polar SAR Analytics" is written "PolarSAR" too (its people's e-mails say so).
        names.append(words[0] + words[1])
    slug_words = slug.replace("-", " ")
    if slug_words.lower() not in (n.lower() for n in names):
        names.append(slug_words)
    return tuple(dict.fromkeys(names))


STEM = 5


def stems_of(text: str) -> set[str]:
    """The word stems of ``text`` and of its glossary words in the other language."""
    language = detect_language(text)
    both = f"{text} {' '.join(translated_terms(text, language))}"
    return {w[:STEM] for w in _WORD.findall(both.lower()) if len(w) >= 3 and w not in ASKING_WORDS}


def challenge_stems(c: ChallengeFacts) -> frozenset[str]:
    named = " ".join(
        [c.title, c.slug.replace("-", " "), *c.needs, *(t.replace("-", " ") for t in c.tags)]
    )
    places = [c.city, c.region]
    # Its place as Finnish names it too: "Kirkkoniemen energiahaaste" is Kirkenes's.
    finnish = [fi for fi, en in FINNISH_PLACE_NAMES.items() if en in places and en.lower() != fi]
    where = " ".join([*places, *finnish, c.owner_name])
    return frozenset(
        stems_of(named) | {w[:STEM] for w in _WORD.findall(where.lower()) if len(w) >= 3}
    )


def _places(
    challenges: list[NamedChallenge], member_places: list[tuple[str, str]]
) -> dict[str, str]:
    places: dict[str, str] = {}
    for value in [
        *(c.city for c in challenges),
        *(c.country for c in challenges),
        *(c.region for c in challenges),
        *(city for city, _ in member_places),
        *(country for _, country in member_places),
    ]:
        value = value.strip()
        if value and value.lower() not in NOT_PLACES:
            places.setdefault(value.lower(), value)
    for finnish, english in FINNISH_PLACE_NAMES.items():
        if english.lower() in places:
            places.setdefault(finnish, english)
    return places


def load_vocabulary(engine: Engine) -> Vocabulary:
    with session_scope(engine) as session:
        challenges = [
            NamedChallenge(
                id=c.id,
                slug=c.slug,
                title=c.title,
                city=c.city,
                country=c.country,
                region=c.region,
                owner_name=c.owner_name,
                owner_member_id=c.owner_member_id,
                status=c.status.value,
                deadline=c.deadline,
                restricted=c.visibility is Visibility.RESTRICTED,
                allowed_member_ids=c.allowed_member_ids,
                stems=challenge_stems(c),
            )
            for c in challenge_facts(session=session)
        ]
        rows = member_names(session=session)
        places = _places(challenges, [(m.city, m.country) for m in rows])
        members = [
            NamedMember(
                id=m.id,
                slug=m.slug,
                name=m.name,
                names=_member_names(m.name, m.slug, frozenset(places)),
                city=m.city,
                country=m.country,
                kind=m.kind,
                size=m.size,
                active=m.status == MembershipStatus.ACTIVE.value,
            )
            for m in rows
        ]
        people = [NamedPerson(*row) for row in people_names(session=session)]
        words: Counter[str] = Counter()

        def counted() -> Iterator[str]:
            # One read of the records' texts: their words counted as the pairs are taken.
            for text in record_texts(session=session):
                words.update(w for w in _WORD.findall(text.lower()) if len(w) >= 3)
                yield text

        pairs = WordPairs(counted())
    return Vocabulary(
        members=tuple(members),
        people=tuple(people),
        challenges=tuple(challenges),
        places=places,
        words=dict(words),
        speller=Speller(words, pairs),
    )


class VocabularyCache:
    """One vocabulary per store, reloaded when the records' names change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # One load at a time: questions arriving together on a cold cache wait for the one
        # load instead of each building the same vocabulary (CPU that Slack's
        # acknowledgements, answered on other threads of the process, would wait for).
        self._loading = threading.Lock()
        self._cached: dict[str, tuple[tuple[object, ...], Vocabulary]] = {}

    def _current(self, key: str, version: tuple[object, ...]) -> Vocabulary | None:
        with self._lock:
            cached = self._cached.get(key)
        return cached[1] if cached is not None and cached[0] == version else None

    def get(self, engine: Engine) -> Vocabulary:
        key = engine.url.render_as_string(hide_password=False)
        with session_scope(engine) as session:
            version = names_version(session=session)
        found = self._current(key, version)
        if found is not None:
            return found
        with self._loading:
            found = self._current(key, version)
            if found is not None:
                return found
            vocabulary = load_vocabulary(engine)
            with self._lock:
                self._cached[key] = (version, vocabulary)
        return vocabulary


VOCABULARIES = VocabularyCache()

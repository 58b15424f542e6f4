"""Why a profile matters, shown: how often a member was suggested lately, for which needs, how
many introductions followed, and the searches it narrowly missed with the words its profile
lacks ("you were 6th for district heating leak detection; your profile does not mention leak
detection").

Slack-free: the Home tab (the member's people), `/profile impact` and `scic report members`
(staff) read the same numbers.

What is never shown: who asked (only the need a question asked about, without its asking
words), and a restricted challenge to anyone not let in (a card suggestion for one is not
counted, and a question's topic naming one is left out). A narrow miss is the member's rank
when the question's need is searched again now, just below the members the answer listed:
the profile as it is today, so an edit shows in the next numbers.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.identity import Viewer
from bot.services.matching import SolverSearch, suggest_solvers
from bot.services.profiles import ProfileNotAllowed, ProfileNotFound
from bot.services.questions.understanding import need_of
from retrieval.lexical import stem, words
from storage import clock
from storage import impact as store
from storage import profiles as profile_store
from storage.db import session_scope
from storage.models import Member, MemberKind, MembershipStatus

WINDOW_DAYS = 30
#: The latest questions searched again for narrow misses.
QUESTIONS_RANKED = 12
#: How far below the members an answer listed a rank still counts as a narrow miss.
MISS_DEPTH = 5
TOPICS_SHOWN = 6
MISSES_SHOWN = 3
TOPIC_MAX = 80


@dataclass(frozen=True)
class NarrowMiss:
    rank: int
    need: str
    #: Words of the need the profile does not mention, consecutive ones as one phrase.
    missing: tuple[str, ...]


@dataclass(frozen=True)
class ProfileImpact:
    member_slug: str
    member_name: str
    days: int
    suggested: int
    topics: tuple[str, ...]
    introductions: int
    introductions_accepted: int
    misses: tuple[NarrowMiss, ...]

    def as_record(self) -> dict[str, object]:
        return {
            "member": self.member_slug,
            "days": self.days,
            "suggested": self.suggested,
            "topics": list(self.topics),
            "introductions": self.introductions,
            "introductions_accepted": self.introductions_accepted,
            "narrow_misses": [
                {"rank": m.rank, "need": m.need, "missing": list(m.missing)} for m in self.misses
            ],
        }


Ranking = Callable[[str], list[str]]

# The asking words `need_of` leaves on a question whose verb is part of the need ("who can
# monitor bridges?"): the topic is what is asked about, not who asks how.
ASKING_LEFT = re.compile(
    r"^(?:who|which (?:members?|companies)|anyone|kuka|ketkä|mikä yritys)\s+"
    r"(?:(?:here|in the cluster)\s+)?(?:can|could|would|is able to|osaa|voisi|pystyy)\s+",
    re.IGNORECASE,
)


def topic_of(question: str) -> str:
    """The need a question asked about, without its asking words."""
    need = need_of(question)
    return ASKING_LEFT.sub("", need).strip(" ?!.") or need


#: How long a need's ranking is reused (each search costs 50-300 ms; the Home tab of every
#: person of every member asks for the same latest needs). A save in this process forgets them
#: at once (`forget_rankings`); another process's save shows within this time.
RANKING_TTL = timedelta(minutes=15)
# Per search (a process has one; tests many), so a ranking never outlives its index.
_rankings: weakref.WeakKeyDictionary[
    SolverSearch, dict[tuple[str, str], tuple[datetime, list[str]]]
]
_rankings = weakref.WeakKeyDictionary()
_rankings_lock = threading.Lock()


def forget_rankings() -> None:
    """Profiles changed: the next numbers search the needs again."""
    with _rankings_lock:
        for kept in _rankings.values():
            kept.clear()


def _ranking(session: Session, search: SolverSearch, operator_member: str) -> Ranking:
    """Member slugs best first for a need, searched once per need however many members ask."""
    depth = 10 + MISS_DEPTH

    def ranked(need: str) -> list[str]:
        key, now = (operator_member, need.casefold()), clock.now()
        with _rankings_lock:
            kept = _rankings.setdefault(search, {}).get(key)
        if kept is not None and now - kept[0] < RANKING_TTL:
            return kept[1]
        found = suggest_solvers(session=session, search=search, query=need, k=depth + 1)
        slugs = [m.member_slug for m in found if m.member_slug != operator_member]
        with _rankings_lock:
            _rankings.setdefault(search, {})[key] = (now, slugs)
        return slugs

    return ranked


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TOPIC_MAX else text[: TOPIC_MAX - 1].rstrip() + "…"


def _names_hidden(topic: str, hidden: Sequence[str]) -> bool:
    folded = topic.casefold()
    return any(t.casefold() in folded or folded in t.casefold() for t in hidden if t.strip())


def profile_words(member: Member) -> set[str]:
    """The stems of every word the member's profile says, as the search reads them."""
    texts = [member.name, member.description or "", *(member.capabilities or [])]
    texts += [*(member.technologies or [])]
    texts += [f"{r.title} {r.description or ''}" for r in member.references]
    texts += [" ".join(p.expertise or []) for p in member.people]
    return {stem(w) for text in texts for w in words(text)}


def missing_phrases(need: str, known: set[str]) -> tuple[str, ...]:
    """The need's words the profile lacks, consecutive ones kept together as one phrase."""
    phrases: list[list[str]] = []
    previous_missing = False
    for word in need.replace("-", " ").split():
        token = words(word)
        if not token:
            previous_missing = False
            continue
        missing = stem(token[0]) not in known
        if missing:
            if previous_missing:
                phrases[-1].append(token[0])
            else:
                phrases.append([token[0]])
        previous_missing = missing
    return tuple(" ".join(p) for p in phrases)


def _impact(
    session: Session,
    member: Member,
    *,
    ranked: Ranking,
    questions: list[tuple[str, list[str]]],
    viewer_member_id: int | None,
    is_staff: bool,
) -> ProfileImpact:
    since = clock.now() - timedelta(days=WINDOW_DAYS)
    hidden = store.hidden_challenge_titles(
        session=session, viewer_member_id=viewer_member_id, is_staff=is_staff
    )
    listed_in = [topic_of(q) for q, listed in questions if member.slug in listed]
    cards = store.suggested_for_challenges(
        session=session,
        member_id=member.id,
        since=since,
        viewer_member_id=viewer_member_id,
        is_staff=is_staff,
    )
    topics: dict[str, str] = {}
    for topic in [*listed_in, *cards]:
        if topic.strip() and not _names_hidden(topic, hidden):
            topics.setdefault(topic.casefold(), _clip(topic))
    introductions, accepted = store.introductions_since(
        session=session, member_id=member.id, since=since
    )
    known = profile_words(member)
    misses: dict[str, NarrowMiss] = {}
    # Cities, regions and members not active are never suggested as solvers: nothing to miss.
    solver = member.kind not in (MemberKind.CITY, MemberKind.REGION) and (
        member.membership_status is MembershipStatus.ACTIVE
    )
    for question, listed in questions[:QUESTIONS_RANKED] if solver else []:
        need = topic_of(question)
        if member.slug in listed or need.casefold() in misses or _names_hidden(need, hidden):
            continue
        order = ranked(need)
        if member.slug not in order:
            continue
        rank = order.index(member.slug) + 1
        if len(listed) < rank <= len(listed) + MISS_DEPTH:
            misses[need.casefold()] = NarrowMiss(rank, _clip(need), missing_phrases(need, known))
    return ProfileImpact(
        member_slug=member.slug,
        member_name=member.name,
        days=WINDOW_DAYS,
        suggested=len(listed_in) + len(cards),
        topics=tuple(list(topics.values())[:TOPICS_SHOWN]),
        introductions=introductions,
        introductions_accepted=accepted,
        misses=tuple(sorted(misses.values(), key=lambda m: m.rank)[:MISSES_SHOWN]),
    )


def member_impact(
    *,
    engine: Engine,
    search: SolverSearch,
    viewer: Viewer,
    member_id: int,
    operator_member: str = "",
) -> ProfileImpact:
    """The numbers for one member, as ``viewer`` (its own people, or staff) may see them."""
    if not viewer.is_staff and viewer.member_id != member_id:
        raise ProfileNotAllowed("impact_not_yours")
    since = clock.now() - timedelta(days=WINDOW_DAYS)
    with session_scope(engine) as session:
        member = profile_store.member_for_profile(session=session, member_id=member_id)
        if member is None:
            raise ProfileNotFound("no_member", key=str(member_id))
        return _impact(
            session,
            member,
            ranked=_ranking(session, search, operator_member),
            questions=store.questions_since(session=session, since=since),
            viewer_member_id=viewer.member_id,
            is_staff=viewer.is_staff,
        )


def members_report(
    *, engine: Engine, search: SolverSearch, operator_member: str = ""
) -> list[ProfileImpact]:
    """The numbers for every active member, as staff see them (`scic report members`)."""
    since = clock.now() - timedelta(days=WINDOW_DAYS)
    with session_scope(engine) as session:
        questions = store.questions_since(session=session, since=since)
        ranked = _ranking(session, search, operator_member)
        report = []
        for member_id in profile_store.active_member_ids(session=session):
            member = profile_store.member_for_profile(session=session, member_id=member_id)
            if member is None or member.slug == operator_member:
                continue
            if member.membership_status is not MembershipStatus.ACTIVE:
                continue
            report.append(
                _impact(
                    session,
                    member,
                    ranked=ranked,
                    questions=questions,
                    viewer_member_id=None,
                    is_staff=True,
                )
            )
        return report

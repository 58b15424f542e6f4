"""Answering members' questions from the cluster's records, without a language model.

A question is read for its intent (who can solve a problem, which challenges are open where,
what a member does); the answer is built only from retrieved records, so it never names a
member or challenge that does not exist, and a question nobody can answer says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy.orm import Session

from bot.services.identity import Viewer
from bot.services.matching import (
    Contact,
    SolverMatch,
    SolverSearch,
    contacts_of,
    is_relevant,
    suggest_solvers,
)
from storage import challenges as challenge_store
from storage.models import Challenge, ChallengeStatus, Member
from storage.queries import find_member

Intent = Literal["solvers", "challenges", "member", "unclear"]
OPEN = (ChallengeStatus.OPEN, ChallengeStatus.TEAMS_FORMING)
EVERY_SHOWN = tuple(s for s in ChallengeStatus if s is not ChallengeStatus.DRAFT)

MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
CHALLENGES = re.compile(r"\b(challenges?|haaste\w*|opportunit\w*)\b", re.IGNORECASE)
ALL_STATUSES = re.compile(r"\b(all|every|kaikki)\b", re.IGNORECASE)
PLACE = re.compile(r"\b(?:in|at|from|for)\s+([A-ZÅÄÖ][\w\-]*(?:\s+[A-ZÅÄÖ][\w\-]*)*)")
FINNISH_PLACE = re.compile(r"\b([A-ZÅÄÖ][a-zåäö\-]+?)(?:issa|issä|ssa|ssä|lla|llä|sta|stä)\b")
MEMBER_QUESTIONS = (
    re.compile(r"^what (?:does|do|is) (?P<name>.+?)(?: do| doing| about)?\s*\??$", re.IGNORECASE),
    re.compile(r"^tell me (?:more )?about (?P<name>.+?)\s*\??$", re.IGNORECASE),
    re.compile(r"^(?:who|what) (?:is|are) (?P<name>.+?)\s*\??$", re.IGNORECASE),
    re.compile(r"^mitä (?P<name>.+?) tekee\s*\??$", re.IGNORECASE),
    re.compile(r"^kuka on (?P<name>.+?)\s*\??$", re.IGNORECASE),
)
SOLVER_QUESTIONS = re.compile(
    r"^(?:who|which members?|which organi[sz]ations?|kuka|ketkä|mikä jäsen)\s+"
    r"(?:(?:can|could|would|might)\s+(?:help\s+(?:us\s+)?(?:with|on)|solve|fix|handle|do|"
    r"build|deliver)|works?\s+(?:on|with)|knows?(?:\s+about)?|does|has\s+experience\s+(?:in|with|"
    r"of)|is\s+good\s+at|osaa|osaisi|voisi\s+ratkaista|voi\s+ratkaista|tekee|tuntee)\s+"
    r"(?P<problem>.+?)\s*\??$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    """What a message asks, read from its words."""

    intent: Intent
    subject: str
    place: str = ""
    every_status: bool = False


@dataclass(frozen=True)
class ChallengeLine:
    id: int
    slug: str
    title: str
    owner_name: str
    city: str
    country: str
    status: str
    deadline: date | None


@dataclass(frozen=True)
class MemberProfile:
    slug: str
    name: str
    kind: str
    city: str
    country: str
    website: str
    description: str
    capabilities: tuple[str, ...]
    references: tuple[str, ...]
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class Answer:
    """What the bot found for a question; block builders and the console render it."""

    question: Question
    text: str
    solvers: tuple[SolverMatch, ...] = ()
    challenges: tuple[ChallengeLine, ...] = ()
    member: MemberProfile | None = None

    @property
    def found_something(self) -> bool:
        return bool(self.solvers or self.challenges or self.member)


def clean(text: str) -> str:
    return " ".join(MENTION.sub(" ", text).split())


def read_question(text: str, *, earlier: Sequence[str] = ()) -> Question:
    """The intent of ``text``; a short follow-up without one continues the earlier question."""
    text = clean(text)
    words = text.split()
    if not words:
        return Question("unclear", "")
    for pattern in MEMBER_QUESTIONS:
        found = pattern.match(text)
        if found and not CHALLENGES.search(text):
            return Question("member", found.group("name").strip(" ?"))
    if CHALLENGES.search(text):
        place = PLACE.search(text) or FINNISH_PLACE.search(text)
        return Question(
            "challenges",
            text,
            place=place.group(1).strip() if place else "",
            every_status=bool(ALL_STATUSES.search(text)),
        )
    solver = SOLVER_QUESTIONS.match(text)
    if solver:
        return Question("solvers", solver.group("problem").strip(" ?"))
    if earlier and len(words) <= 6:
        previous = read_question(earlier[-1])
        if previous.intent == "solvers":
            return Question("solvers", f"{previous.subject} {text.strip(' ?')}")
        if previous.intent == "challenges":
            place = PLACE.search(text) or FINNISH_PLACE.search(text)
            return Question(
                "challenges", text, place=place.group(1).strip() if place else previous.place
            )
    if len(words) < 2:
        return Question("unclear", text)
    return Question("solvers", text.strip(" ?"))


def _place_matches(place: str, *values: str) -> bool:
    wanted = place.lower()
    stem = wanted[: max(4, len(wanted) - 3)]
    return any(wanted in v.lower() or v.lower().startswith(stem) for v in values if v)


def _challenge_line(c: Challenge) -> ChallengeLine:
    return ChallengeLine(
        id=c.id,
        slug=c.slug,
        title=c.title,
        owner_name=c.owner_name,
        city=c.city,
        country=c.country,
        status=c.status.value,
        deadline=c.deadline,
    )


def _profile(member: Member) -> MemberProfile:
    return MemberProfile(
        slug=member.slug,
        name=member.name,
        kind=member.kind.value,
        city=member.city,
        country=member.country,
        website=member.website,
        description=member.description,
        capabilities=tuple(member.capabilities),
        references=tuple(
            f"{r.title} ({', '.join(str(x) for x in (r.client, r.year) if x)})"
            if (r.client or r.year)
            else r.title
            for r in member.references
        ),
        contacts=contacts_of(member),
    )


def answer_question(
    *,
    session: Session,
    search: SolverSearch,
    viewer: Viewer,
    text: str,
    earlier: Sequence[str] = (),
    k: int = 5,
) -> Answer:
    """Answer ``text`` from the records the viewer may see."""
    question = read_question(text, earlier=earlier)
    if question.intent == "unclear":
        return Answer(question, "I'm not sure what you are asking.")
    if question.intent == "member":
        member = find_member(session=session, text=question.subject)
        if member is not None:
            return Answer(question, f"What {member.name} does", member=_profile(member))
        question = Question("solvers", question.subject)
    if question.intent == "challenges":
        statuses = EVERY_SHOWN if question.every_status else OPEN
        found = challenge_store.visible_challenges(
            session=session,
            member_id=viewer.member_id,
            is_staff=viewer.is_staff,
            statuses=statuses,
            limit=500,
        )
        place = question.place
        if place:
            found = [
                c for c in found if _place_matches(place, c.city, c.region, c.country, c.owner_name)
            ]
            # "Tampereella" matched Tampere: name the place as the records spell it.
            cities = {c.city for c in found if _place_matches(place, c.city)}
            place = cities.pop() if len(cities) == 1 else place
        which = "Challenges" if question.every_status else "Open challenges"
        where = f" in {place}" if place else ""
        return Answer(
            question,
            f"{which}{where}",
            challenges=tuple(_challenge_line(c) for c in found[:20]),
        )
    solvers = suggest_solvers(session=session, search=search, query=question.subject, k=k)
    # Weak matches are noise, not answers: better to say nobody fits and point to staff.
    solvers = [s for s in solvers if is_relevant(search, s.score)]
    return Answer(question, f"Who could solve: {question.subject}", solvers=tuple(solvers))

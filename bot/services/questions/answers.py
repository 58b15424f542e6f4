"""The answer to an understood question, built from the cluster's records the asker may see.

Each intent has its operation: solvers for a need (never the asker's own organisation, the
cluster operator, or former and pending members; open challenges on the same need are
mentioned), one challenge with its status, deadline, team and the needs nobody covers yet,
listings sorted by closing date (never an expired challenge as open), the challenges that fit
an organisation, a member's or a person's profile, a team for a need or a challenge, and a
short answer for everything else. The records found become numbered sources; with a language
model, `stream_written_answer` has it write the answer from those sources alone, and the
checks in `guards` drop one that says anything its sources do not hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.challenges import ChallengeNotFound, ChallengeSummary, challenge_seen_by
from bot.services.identity import Viewer
from bot.services.language import (
    Language,
    SearchText,
    detect_language,
    language_name,
    translated_terms,
)
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import (
    BRIEF_MEMBERS,
    KIND_LABELS,
    Contact,
    Evidence,
    SolverMatch,
    SolverSearch,
    TeamSuggestion,
    challenge_needs,
    challenges_for_member,
    contacts_of,
    cover_needs,
    is_relevant,
    members_left_out,
    related_challenges,
    suggest_solvers,
    suggest_team,
)
from bot.services.questions import guards
from bot.services.questions.guards import Grounds
from bot.services.questions.needs import read_needs
from bot.services.questions.understanding import Filters, Understood, without_place
from bot.services.questions.vocabulary import Vocabulary
from bot.services.teams.rosters import roster_of_team
from prompts import as_data
from prompts.answer import PROMPT as ANSWER_PROMPT
from storage import challenges as challenge_store
from storage import clock
from storage import members as member_store
from storage import teams as team_store
from storage.db import session_scope
from storage.members import record_names
from storage.models import (
    OPEN_STATUSES,
    Challenge,
    ChallengeStatus,
    Member,
    Person,
    Reference,
    Visibility,
)

SourceKind = Literal["member", "reference", "challenge", "person"]
EVERY_SHOWN = tuple(s for s in ChallengeStatus if s is not ChallengeStatus.DRAFT)
SOLVERS_SHOWN = 5
# A brief's answer names at most this many members, over all its needs, and this many per need.
BRIEF_SHOWN = 6
NAMED_PER_NEED = 3
LISTED_MAX = 20
RELATED_SHOWN = 3
# Words sharing their first letters are one topic ("energy", "energia", "energiaan").
TOPIC_STEM = 5
DEADLINE_PASSED = "deadline_passed"


@dataclass(frozen=True)
class ChallengeLine:
    id: int
    slug: str
    title: str
    owner_name: str
    city: str
    country: str
    #: the stored status, or "deadline_passed" for an open one whose deadline has gone by
    status: str
    deadline: date | None
    description: str = ""
    needs: tuple[str, ...] = ()
    #: days until the deadline (0: today); None without a deadline or when it has passed
    closes_in: int | None = None
    #: the organisations on its team(s), in the order they joined
    team: tuple[str, ...] = ()
    #: shown only to staff and the members it was shared with
    restricted: bool = False
    #: what matched: the member's passage (a fit listing), or the challenge's own (a listing
    #: on a topic, a solver answer's related challenges)
    evidence: Evidence | None = None


@dataclass(frozen=True)
class TeamLine:
    label: str
    status: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class MissingNeed:
    need: str
    #: members who could cover it, best first (names)
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class ChallengeDetail:
    line: ChallengeLine
    teams: tuple[TeamLine, ...]
    missing: tuple[MissingNeed, ...]
    channel_id: str | None
    thread_ts: str | None
    visibility: str


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
class PersonProfile:
    name: str
    email: str
    role: str
    organisation: str
    member_slug: str
    expertise: tuple[str, ...]
    slack_user_id: str | None
    is_staff: bool


@dataclass(frozen=True)
class Source:
    """One numbered record an answer may cite: a member, one of its references, a challenge,
    a person.

    ``key`` is the member's slug (also for a reference), the challenge's slug or the person's
    email; ``text`` is what the language model reads about it.
    """

    number: int
    kind: SourceKind
    key: str
    label: str
    text: str
    url: str = ""

    def as_prompt_data(self) -> dict[str, Any]:
        return {"source": self.number, "kind": self.kind, "record": self.text}


@dataclass(frozen=True)
class Answer:
    """What the bot found for a question; block builders and the terminal render it."""

    question: Understood
    solvers: tuple[SolverMatch, ...] = ()
    challenges: tuple[ChallengeLine, ...] = ()
    #: how many challenges matched in all (a listing shows at most LISTED_MAX)
    total: int = 0
    challenge: ChallengeDetail | None = None
    member: MemberProfile | None = None
    #: further members the question named, each profiled after ``member``
    also_members: tuple[MemberProfile, ...] = ()
    person: PersonProfile | None = None
    team: TeamSuggestion | None = None
    #: the asker's own organisation, when it would have been suggested itself
    own_fit: SolverMatch | None = None
    #: the organisation a fit listing is for
    fit_for: str = ""
    #: open challenges on the same need, for a solver answer
    related: tuple[ChallengeLine, ...] = ()
    #: a pasted brief's needs, each with the members covering it (``team.by_need``); the
    #: members in ``solvers`` are those it names, each with the passages of its best need
    brief: TeamSuggestion | None = None
    #: the records found, numbered: all a written answer may cite
    sources: tuple[Source, ...] = ()
    #: the question as asked (mentions removed) and the thread's earlier questions it follows
    asked: str = ""
    earlier: tuple[str, ...] = ()
    #: names of members and challenges in the store that neither the sources nor the question
    #: mention: a written answer that names one is not from its sources
    unseen_names: tuple[str, ...] = ()
    #: changed records the search index had not caught up with when this was answered
    index_behind: int = 0

    @property
    def intent(self) -> str:
        return self.question.intent

    @property
    def language(self) -> Language:
        return self.question.language

    @property
    def found_something(self) -> bool:
        return bool(
            self.solvers
            or self.challenges
            or self.challenge
            or self.member
            or self.person
            or (self.team and self.team.members)
            or (self.brief and any(self.brief.by_need.values()))
        )

    @property
    def worth_writing(self) -> bool:
        """Whether a language model has anything to write from (else the template answers)."""
        return self.intent != "other" and self.found_something and bool(self.sources)

    @property
    def members_listed(self) -> tuple[str, ...]:
        """The member organisations the answer names, in order (slugs)."""
        if self.member is not None:
            return (self.member.slug, *(m.slug for m in self.also_members))
        if self.team is not None and not self.solvers:
            others = (m.member_slug for m, _ in self.team.alternatives())
            return (*(m.member_slug for m in self.team.members), *others)
        return tuple(m.member_slug for m in self.solvers)

    @property
    def challenges_listed(self) -> tuple[ChallengeLine, ...]:
        if self.challenge is not None:
            return (self.challenge.line,)
        return self.challenges


@dataclass(frozen=True)
class WrittenAnswer:
    """The model's answer once checked: its text with canonical [n] markers, what it cites."""

    text: str
    cited: tuple[int, ...]


# --- challenges as answers show them ---------------------------------------------------------


def _expired(c: Challenge, today: date) -> bool:
    return c.status in OPEN_STATUSES and not c.is_open_on(today)


def _team_names(session: Session, challenge_id: int) -> tuple[str, ...]:
    names: list[str] = []
    for team in team_store.teams_of_challenge(session=session, challenge_id=challenge_id):
        lines = team_store.roster_lines(session=session, team_id=team.id)
        names += [line.member_name for line in lines]
    return tuple(dict.fromkeys(names))


def challenge_line(
    session: Session, c: Challenge, *, evidence: Evidence | None = None
) -> ChallengeLine:
    today = clock.today()
    expired = _expired(c, today)
    open_now = c.is_open_on(today)
    return ChallengeLine(
        id=c.id,
        slug=c.slug,
        title=c.title,
        owner_name=c.owner_member.name if c.owner_member else c.owner_name,
        city=c.city,
        country=c.country,
        # An expired deadline closes a challenge whatever its stored status says.
        status=DEADLINE_PASSED if expired else c.status.value,
        deadline=c.deadline,
        description=c.description,
        needs=tuple(c.needs),
        closes_in=(c.deadline - today).days if c.deadline and open_now else None,
        team=_team_names(session, c.id),
        evidence=evidence,
        restricted=c.visibility is Visibility.RESTRICTED,
    )


def _by_closing_date(c: Challenge) -> tuple[int, date, int]:
    # Soonest deadline first; open-ended ones after them, decided ones last.
    return (0 if c.deadline else 1, c.deadline or date.max, c.id)


def _place_of(challenge: Challenge) -> tuple[str, ...]:
    return (challenge.city, challenge.region, challenge.country, challenge.owner_name)


def _in_place(place: str, values: Sequence[str]) -> bool:
    wanted = place.lower()
    return any(v and (v.lower() == wanted or wanted in v.lower()) for v in values)


# --- the operations --------------------------------------------------------------------------


def _viewer_scope(viewer: Viewer, shared: bool) -> tuple[int | None, bool]:
    """Whose rights a listing is read with: in a channel everyone reads the answer, so only
    what every member may see."""
    return (None if shared else viewer.member_id), (viewer.is_staff and not shared)


def _list_challenges(
    session: Session,
    search: SolverSearch,
    viewer: Viewer,
    understood: Understood,
    *,
    shared: bool,
) -> tuple[list[ChallengeLine], int]:
    filters = understood.filters
    member_id, is_staff = _viewer_scope(viewer, shared)
    statuses: tuple[str, ...] = filters.statuses
    if statuses:
        wanted = [ChallengeStatus(s) for s in statuses if s in ChallengeStatus.__members__.values()]
        found = challenge_store.visible_challenges(
            session=session, member_id=member_id, is_staff=is_staff, statuses=wanted, limit=500
        )
        if "closed" in statuses:
            # "Closed" also means open ones whose deadline has passed.
            found += [
                c
                for c in challenge_store.visible_challenges(
                    session=session,
                    member_id=member_id,
                    is_staff=is_staff,
                    statuses=OPEN_STATUSES,
                    limit=500,
                )
                if _expired(c, clock.today())
            ]
    else:
        found = challenge_store.visible_challenges(
            session=session,
            member_id=member_id,
            is_staff=is_staff,
            statuses=EVERY_SHOWN,
            open_on=None if filters.every_status else clock.today(),
            limit=500,
        )
    if filters.place:
        found = [c for c in found if _in_place(filters.place, _place_of(c))]
    if filters.deadline_to is not None:
        start = filters.deadline_from or date.min
        found = [c for c in found if c.deadline and start <= c.deadline <= filters.deadline_to]
    if filters.published_from is not None:
        since = filters.published_from
        found = [c for c in found if c.created_at.date() >= since]
    if filters.without_team:
        found = [c for c in found if not _team_names(session, c.id)]
    if filters.visibility:
        found = [c for c in found if c.visibility.value == filters.visibility]
    if filters.own_teams:
        own = (
            team_store.teams_of_member(session=session, member_id=viewer.member_id, limit=500)
            if viewer.member_id is not None
            else []
        )
        on = {team.challenge_id for team, _title in own}
        found = [c for c in found if c.id in on]
    matched: dict[int, Evidence | None] = {}
    if understood.need and found:
        ranked = related_challenges(search=search, text=understood.need, ids=[c.id for c in found])
        matched = {cid: evidence for cid, _, evidence in ranked}
        terms = topic_terms(understood.need, understood.language)
        found = [c for c in found if c.id in matched or is_about(c, terms)]
    found.sort(key=_by_closing_date)
    lines = [challenge_line(session, c, evidence=matched.get(c.id)) for c in found[:LISTED_MAX]]
    return lines, len(found)


def topic_terms(topic: str, language: Language | None = None) -> set[str]:
    """A listing's topic as word stems in both languages ("energia" -> energ, energy...).
    ``language``: the question's, when known; a topic of one word ("liikkumiseen") is too
    short to tell by itself."""
    language = language or detect_language(topic)
    text = f"{topic} {' '.join(translated_terms(topic, language))}"
    return {w[:TOPIC_STEM] for w in re.findall(r"[^\W\d_]{3,}", text.lower())}


def is_about(challenge: Challenge, terms: set[str]) -> bool:
    """Whether a challenge's tags, title or needs use one of the topic's stems."""
    text = " ".join([*challenge.tags, challenge.title, *challenge.needs]).lower()
    words = re.findall(r"[^\W\d_]{3,}", text.replace("-", " "))
    return any(w[:TOPIC_STEM] in terms for w in words)


def _challenge_detail(
    session: Session, search: SolverSearch, viewer: Viewer, challenge_id: int
) -> ChallengeDetail | None:
    try:
        challenge_seen_by(session=session, viewer=viewer, key=str(challenge_id))
    except ChallengeNotFound:
        return None
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        return None
    teams = team_store.teams_of_challenge(session=session, challenge_id=challenge.id)
    rosters = [roster_of_team(session, t) for t in teams]
    team_lines = tuple(
        TeamLine(r.label, r.status.value, tuple(e.member_name for e in r.entries)) for r in rosters
    )
    missing: tuple[MissingNeed, ...] = ()
    line = challenge_line(session, challenge)
    if challenge.is_open_on(clock.today()) and challenge.needs:
        on_team = [e.member_id for r in rosters for e in r.entries]
        suggestion = suggest_team(
            session=session, search=search, challenge=challenge, team_member_ids=on_team
        )
        names = {m.member_slug: m.member_name for m in suggestion.members}
        missing = tuple(
            MissingNeed(need, tuple(names[s] for s in suggestion.covered_by.get(need, ())))
            for need in suggestion.needs
            if need not in suggestion.team_covers
            and (need in suggestion.uncovered or suggestion.covered_by.get(need))
        )
    return ChallengeDetail(
        line=line,
        teams=team_lines,
        missing=missing,
        channel_id=challenge.slack_channel_id,
        thread_ts=challenge.slack_thread_ts,
        visibility=challenge.visibility.value,
    )


def _person_profile(session: Session, person_id: int) -> PersonProfile | None:
    person = session.get(Person, person_id)
    if person is None:
        return None
    return PersonProfile(
        name=person.name,
        email=person.email,
        role=person.role,
        organisation=person.member.name if person.member else "",
        member_slug=person.member.slug if person.member else "",
        expertise=tuple(person.expertise),
        slack_user_id=person.slack_user_id,
        is_staff=person.is_staff,
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


def _solvers(
    session: Session,
    search: SolverSearch,
    viewer: Viewer,
    understood: Understood,
    vocabulary: Vocabulary,
    *,
    searched: SearchText | None,
    operator_slug: str,
    shared: bool,
) -> Answer:
    """Members for the need, the asker's own organisation and the operator set aside, and the
    open challenges on the same need."""
    filters = understood.filters
    if not understood.need and filters.local and filters.place:
        return _members_in_place(session, understood, vocabulary, operator_slug)
    left_out = {m.id for m in vocabulary.members if m.slug == operator_slug}
    own = viewer.member_id
    challenge = session.get(Challenge, understood.challenge_id) if understood.challenge_id else None
    needs = read_needs(understood.needs, vocabulary) if challenge is None else ()
    if len(needs) >= 2:
        # A pasted brief stating several needs: who covers which (of the members a follow-up
        # asks for: "entä pienemmät yritykset?", "based in Tampere?").
        excluded = left_out | ({own} if own is not None else set())
        wanted_only = _member_filter(vocabulary, filters)
        if wanted_only is not None:
            excluded |= {m.id for m in vocabulary.members if m.slug not in wanted_only}
        return _brief(session, search, viewer, understood, needs, excluded, shared=shared)
    need = understood.need if filters.local else without_place(understood.need, filters.place)
    query: str | Challenge = challenge if challenge is not None else need
    wanted = _member_filter(vocabulary, filters)
    found = suggest_solvers(
        session=session,
        search=search,
        query=query,
        k=SOLVERS_SHOWN + (1 if own is not None else 0) + (30 if wanted is not None else 0),
        exclude_member_ids=left_out,
        searched=searched if challenge is None else None,
    )
    found = [m for m in found if is_relevant(search, m.unaligned)]
    if wanted is not None:
        found = [m for m in found if m.member_slug in wanted]
    own_member = vocabulary.member(own)
    own_slug = own_member.slug if own_member is not None else ""
    own_fit = next((m for m in found if m.member_slug == own_slug), None)
    solvers = tuple(m for m in found if m.member_slug != own_slug)[:SOLVERS_SHOWN]
    related: tuple[ChallengeLine, ...] = ()
    if solvers and challenge is None:
        related = _related(session, search, viewer, understood, shared=shared)
    return Answer(understood, solvers=solvers, own_fit=own_fit, related=related)


def _related(
    session: Session, search: SolverSearch, viewer: Viewer, understood: Understood, *, shared: bool
) -> tuple[ChallengeLine, ...]:
    """Open challenges the viewer may see that are about the need, best first. A place asked
    about says where, not what: challenges are matched on the need without it (a Nusantara
    challenge about forests is no challenge on flooding in Nusantara), and those in the place
    come first."""
    member_id, is_staff = _viewer_scope(viewer, shared)
    visible = challenge_store.visible_challenges(
        session=session,
        member_id=member_id,
        is_staff=is_staff,
        open_on=clock.today(),
        limit=500,
    )
    place = understood.filters.place
    need = without_place(understood.need, place) if place else understood.need
    ranked = related_challenges(search=search, text=need, ids=[c.id for c in visible])
    by_id = {c.id: c for c in visible}
    if place:
        ranked.sort(key=lambda found: not _in_place(place, _place_of(by_id[found[0]])))
    return tuple(
        challenge_line(session, by_id[cid], evidence=evidence)
        for cid, _, evidence in ranked[:RELATED_SHOWN]
    )


def _brief(
    session: Session,
    search: SolverSearch,
    viewer: Viewer,
    understood: Understood,
    needs: Sequence[str],
    excluded: set[int],
    *,
    shared: bool,
) -> Answer:
    """A brief's needs, each ranked on its own: the members covering each (the cover a
    challenge's card shows, `cover_needs`), named once each, best need first."""
    cover = cover_needs(
        session=session,
        search=search,
        needs=needs,
        excluded=excluded,
        max_members=max(BRIEF_MEMBERS, len(needs)),
    )
    named = brief_members(cover)
    related = _related(session, search, viewer, understood, shared=shared) if named else ()
    return Answer(understood, solvers=named, brief=cover, related=related)


def brief_members(cover: TeamSuggestion, limit: int = BRIEF_SHOWN) -> tuple[SolverMatch, ...]:
    """The members a brief's answer names: the best for each need in turn, then the second
    best of each..., each once (with the passages of the first need it is named for)."""
    named: dict[str, SolverMatch] = {}
    depth = max((len(found) for found in cover.by_need.values()), default=0)
    for place in range(depth):
        for need in cover.needs:
            found = cover.by_need.get(need, ())
            if place < len(found) and len(named) < limit:
                named.setdefault(found[place].member_slug, found[place])
    return tuple(named.values())


def _member_filter(vocabulary: Vocabulary, filters: Filters) -> set[str] | None:
    """The members a place, size or kind asked for ("based in Kirkenes", "smaller companies",
    "companies only")."""
    if not (filters.local and filters.place) and not filters.sizes and not filters.kinds:
        return None
    place = filters.place.lower()
    return {
        m.slug
        for m in vocabulary.members
        if (not filters.local or not place or place in (m.city.lower(), m.country.lower()))
        and (not filters.sizes or m.size in filters.sizes)
        and (not filters.kinds or m.kind in filters.kinds)
    }


def _members_in_place(
    session: Session, understood: Understood, vocabulary: Vocabulary, operator_slug: str
) -> Answer:
    """ "Which members are based in Kirkenes?": every active member there, by name."""
    wanted = _member_filter(vocabulary, understood.filters) or set()
    chosen = [
        m
        for m in vocabulary.members
        if m.slug in wanted and m.active and m.slug != operator_slug
        and m.kind not in ("city", "region")
    ]  # fmt: skip
    members = member_store.members_with_people(session=session, ids=[m.id for m in chosen])
    solvers = tuple(
        SolverMatch(
            member_slug=member.slug,
            member_name=member.name,
            kind=member.kind.value,
            city=member.city,
            country=member.country,
            score=1.0,
            reason=clip_line(member.description),
            evidence=(),
            contacts=contacts_of(member),
        )
        for member in sorted(members.values(), key=lambda m: m.name)
    )
    return Answer(understood, solvers=solvers[:LISTED_MAX])


def clip_line(text: str, limit: int = 160) -> str:
    first = text.split(". ")[0].strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _team(
    session: Session,
    search: SolverSearch,
    viewer: Viewer,
    understood: Understood,
    vocabulary: Vocabulary,
    *,
    operator_slug: str,
) -> Answer:
    if understood.challenge_id is not None:
        challenge = session.get(Challenge, understood.challenge_id)
        if challenge is not None:
            left_out = members_left_out(session=session, challenge=challenge)
            left_out |= {m.id for m in vocabulary.members if m.slug == operator_slug}
            if viewer.member_id is not None:
                left_out.add(viewer.member_id)
            if understood.filters.kinds:
                left_out |= {
                    m.id for m in vocabulary.members if m.kind not in understood.filters.kinds
                }
            team = cover_needs(
                session=session,
                search=search,
                needs=challenge_needs(challenge),
                excluded=left_out,
            )
            return Answer(understood, team=team)
    left_out = {m.id for m in vocabulary.members if m.slug == operator_slug}
    if viewer.member_id is not None:
        left_out.add(viewer.member_id)
    if understood.filters.kinds:
        left_out |= {m.id for m in vocabulary.members if m.kind not in understood.filters.kinds}
    needs = read_needs(understood.needs, vocabulary)
    team = cover_needs(
        session=session,
        search=search,
        needs=needs if len(needs) >= 2 else needs_of(understood.need),
        excluded=left_out,
    )
    return Answer(understood, team=team)


def needs_of(text: str, limit: int = 6) -> list[str]:
    """The separate needs in a request: its lines, sentences, or "and"-joined parts."""
    parts = [p.strip(" -•*,.;:") for p in re.split(r"\n+|(?<=[.!?;])\s+|\s*[•*]\s+", text)]
    parts = [p for p in parts if len(p.split()) >= 2]
    if len(parts) <= 1:
        parts = [p.strip() for p in re.split(r",\s*|\s+(?:and|sekä|ja)\s+", text) if p.strip()]
        parts = [p for p in parts if len(p.split()) >= 2] or [text.strip()]
    return parts[:limit]


def find_answer(
    *,
    session: Session,
    search: SolverSearch,
    viewer: Viewer,
    understood: Understood,
    vocabulary: Vocabulary,
    searched: SearchText | None = None,
    operator_slug: str = "scic",
    shared: bool = False,
) -> Answer:
    """Run the operation ``understood`` asks for, on the records the viewer may see."""
    intent = understood.intent
    if intent == "other":
        return Answer(understood)
    if intent == "member" and understood.member_id is not None:
        member = session.get(Member, understood.member_id)
        others = [session.get(Member, i) for i in understood.also_member_ids]
        return Answer(
            understood,
            member=_profile(member) if member else None,
            also_members=tuple(_profile(m) for m in others if m is not None),
        )
    if intent == "person" and understood.person_id is not None:
        return Answer(understood, person=_person_profile(session, understood.person_id))
    if intent == "challenge" and understood.challenge_id is not None:
        detail = _challenge_detail(session, search, viewer, understood.challenge_id)
        return Answer(understood, challenge=detail)
    if intent == "challenges":
        lines, total = _list_challenges(session, search, viewer, understood, shared=shared)
        return Answer(understood, challenges=tuple(lines), total=total)
    if intent == "fit":
        member_id = understood.member_id
        if member_id is None:
            return Answer(understood)
        fits = challenges_for_member(
            session=session, search=search, member_id=member_id, viewer=viewer, limit=LISTED_MAX
        )
        fits = [f for f in fits if is_relevant(search, f.score, against="challenges")]
        lines = []
        for fit in fits[:8]:
            challenge = session.get(Challenge, fit.challenge_id)
            if challenge is not None and challenge.owner_member_id != member_id:
                lines.append(challenge_line(session, challenge, evidence=fit.evidence))
        lines.sort(key=lambda line: (line.closes_in is None, line.closes_in or 0))
        named = vocabulary.member(member_id)
        return Answer(
            understood,
            challenges=tuple(lines),
            total=len(lines),
            fit_for=named.name if named else "",
        )
    if intent == "team":
        return _team(session, search, viewer, understood, vocabulary, operator_slug=operator_slug)
    return _solvers(
        session,
        search,
        viewer,
        understood,
        vocabulary,
        searched=searched,
        operator_slug=operator_slug,
        shared=shared,
    )


def with_sources(session: Session, answer: Answer, *, asked: str, earlier: Sequence[str]) -> Answer:
    """``answer`` with its records numbered as sources and the names it must not invent."""
    sources = _sources(session, answer)
    return replace(
        answer,
        sources=sources,
        asked=asked,
        earlier=tuple(earlier[-3:]),
        unseen_names=_unseen_names(session, sources, (asked, *earlier[-3:])),
    )


# Names this short are words too often ("Oppimo" is safe, "Nova" is not) to refuse an answer on.
NAME_MIN_LENGTH = 6


def _unseen_names(
    session: Session, sources: Sequence[Source], asked: Sequence[str]
) -> tuple[str, ...]:
    seen = "\n".join(
        [s.label for s in sources] + [s.text for s in sources] + [*asked, ANSWER_PROMPT.system]
    ).lower()
    return tuple(
        dict.fromkeys(
            name
            for name in record_names(session=session)
            if len(name) >= NAME_MIN_LENGTH and name.lower() not in seen
        )
    )


# --- sources: what a written answer may cite ----------------------------------------------------


def _where(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _website(url: str) -> str:
    """A member's website as a link Slack can open, or "" when the record has none."""
    url = url.strip()
    if not url or any(c in url for c in "<>| \n"):
        return ""
    return url if re.match(r"^https?://", url, re.IGNORECASE) else f"https://{url}"


def _reference_label(reference: Reference, member_name: str) -> str:
    when = _where(reference.client, str(reference.year) if reference.year else "")
    return (
        f"{reference.title} ({when}) – {member_name}"
        if when
        else (f"{reference.title} – {member_name}")
    )


def _reference_text(reference: Reference, member_name: str) -> str:
    lines = [
        f"Past project of {member_name}: {reference.title}",
        f"Client: {reference.client}" if reference.client else "",
        f"Year: {reference.year}" if reference.year else "",
        reference.description,
    ]
    return "\n".join(line for line in lines if line)


def _contact_line(contacts: Sequence[Contact]) -> str:
    people = [f"{c.name} ({c.role})" if c.role else c.name for c in contacts[:3]]
    return f"Contacts: {'; '.join(people)}" if people else ""


def _member_text(member: Member | None, match: SolverMatch) -> str:
    """A suggested member as the model reads it: who it is and the passages that matched."""
    lines = [
        f"Member organisation: {match.member_name} ({match.kind})",
        f"Based in: {_where(match.city, match.country)}" if match.city or match.country else "",
        f"Description: {member.description}" if member and member.description else "",
    ]
    lines += [
        f"Matched {KIND_LABELS.get(e.kind, 'Profile').lower()}: "
        + (f"{e.title}: {e.text}" if e.title and e.title not in e.text else e.text)
        for e in match.evidence
        if e.kind != "reference"
    ]
    lines.append(_contact_line(match.contacts))
    return "\n".join(line for line in lines if line)


def _matched_references(member: Member | None, match: SolverMatch) -> list[Reference]:
    """The member's references whose passages matched the question, best first."""
    if member is None:
        return []
    by_title = {r.title: r for r in member.references}
    found = [
        by_title[e.title] for e in match.evidence if e.kind == "reference" and e.title in by_title
    ]
    return list(dict.fromkeys(found))


def _profile_text(profile: MemberProfile) -> str:
    lines = [
        f"Member organisation: {profile.name} ({profile.kind})",
        f"Based in: {_where(profile.city, profile.country)}"
        if profile.city or profile.country
        else "",
        f"Website: {profile.website}" if profile.website else "",
        f"Description: {profile.description}" if profile.description else "",
        "Capabilities: " + "; ".join(profile.capabilities) if profile.capabilities else "",
        _contact_line(profile.contacts),
    ]
    return "\n".join(line for line in lines if line)


def _challenge_source_text(c: ChallengeLine) -> str:
    lines = [
        f"Challenge: {c.title} (slug {c.slug})",
        f"Owner: {c.owner_name}" if c.owner_name else "",
        f"Where: {_where(c.city, c.country)}" if c.city or c.country else "",
        f"Status: {c.status.replace('_', ' ')}",
        f"Closes in: {c.closes_in} days" if c.closes_in is not None else "",
        f"Deadline: {c.deadline.isoformat() if c.deadline else 'none given'}",
        "Needs: " + "; ".join(c.needs) if c.needs else "",
        f"Description: {c.description}" if c.description else "",
    ]
    return "\n".join(line for line in lines if line)


def _person_text(person: PersonProfile) -> str:
    lines = [
        f"Person: {person.name}",
        f"Role: {person.role}" if person.role else "",
        f"Organisation: {person.organisation}" if person.organisation else "",
        "Expertise: " + "; ".join(person.expertise) if person.expertise else "",
        f"E-mail: {person.email}",
    ]
    return "\n".join(line for line in lines if line)


def _detail_text(detail: ChallengeDetail) -> str:
    lines = [""]
    for team in detail.teams:
        members = ", ".join(team.members) or "nobody yet"
        lines.append(f"{team.label} ({team.status.replace('_', ' ')}): {members}")
    for missing in detail.missing:
        who = ", ".join(missing.candidates) or "nobody in the cluster yet"
        lines.append(f"Need nobody on the team covers: {missing.need} (could be: {who})")
    return "\n".join(lines) if len(lines) > 1 else ""


def _sources(session: Session, answer: Answer) -> tuple[Source, ...]:
    """The records ``answer`` holds, numbered from 1; nothing the viewer was not shown."""
    found: list[tuple[SourceKind, str, str, str, str]] = []
    profiles = (answer.member, *answer.also_members) if answer.member is not None else ()
    for profile in profiles:
        member = member_store.member_by_slug_or_name(session=session, text=profile.slug)
        found.append(
            ("member", profile.slug, profile.name, _profile_text(profile), profile.website)
        )
        for reference in member.references if member else ():
            found.append(
                (
                    "reference",
                    profile.slug,
                    _reference_label(reference, profile.name),
                    _reference_text(reference, profile.name),
                    "",
                )
            )
    matches = list(answer.solvers) + list(answer.team.members if answer.team else ())
    matches = list({m.member_slug: m for m in reversed(matches)}.values())[::-1]
    for match in matches:
        member = member_store.member_by_slug_or_name(session=session, text=match.member_slug)
        website = member.website if member else ""
        found.append(
            ("member", match.member_slug, match.member_name, _member_text(member, match), website)
        )
        for reference in _matched_references(member, match):
            found.append(
                (
                    "reference",
                    match.member_slug,
                    _reference_label(reference, match.member_name),
                    _reference_text(reference, match.member_name),
                    "",
                )
            )
    if answer.person is not None:
        person = answer.person
        found.append(("person", person.email, person.name, _person_text(person), ""))
    lines = list(answer.challenges_listed) + list(answer.related)
    for line in lines:
        label = (
            f"{line.title} ({_where(line.owner_name, line.city)})"
            if (line.owner_name or line.city)
            else line.title
        )
        text = _challenge_source_text(line)
        if answer.challenge is not None and line.id == answer.challenge.line.id:
            text += _detail_text(answer.challenge)
        found.append(("challenge", line.slug, label, text, ""))
    return tuple(
        Source(number=n, kind=kind, key=key, label=label, text=text, url=_website(url))
        for n, (kind, key, label, text, url) in enumerate(found, start=1)
    )


# --- the written answer -------------------------------------------------------------------------

# Markers models write instead of [n]: "[1, 2]", "[1,2]", "[1; 3]", "[1-3]", "【1】", "[^1]",
# "[source 2]". Each becomes [1][2]... before the numbers are checked.
_ODD_CITATION = re.compile(
    r"[\[【［]\s*(?:\^|sources?\s*|lähteet\s*|lähde\s*)?"
    r"(\d+(?:\s*(?:,|;|–|-|and|ja|&)\s*\d+)*)\s*[\]】］]",
    re.IGNORECASE,
)
_CITATION = re.compile(r"\[(\d+)\]")
_RANGE = re.compile(r"^(\d+)\s*[–-]\s*(\d+)$")


def _numbers(inside: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*(?:,|;|and|ja|&)\s*", inside, flags=re.IGNORECASE):
        span = _RANGE.match(part)
        if span and int(span.group(1)) < int(span.group(2)) <= int(span.group(1)) + 20:
            numbers += range(int(span.group(1)), int(span.group(2)) + 1)
        else:
            numbers += [int(n) for n in re.findall(r"\d+", part)]
    return numbers


def canonical_citations(text: str) -> str:
    """``text`` with every citation marker written the one way: [1][3]."""
    return _ODD_CITATION.sub(lambda m: "".join(f"[{n}]" for n in _numbers(m.group(1))), text)


def check_citations(text: str, sources: Sequence[Source]) -> tuple[int, ...]:
    """The source numbers ``text`` cites, in order; `AnswerDropped` when one is no source.

    An answer citing a number it was not given is quoting something that is not in the
    asker's records (or obeying a record that told it to): it is not shown.
    """
    numbers = frozenset(s.number for s in sources)
    return guards.check_citations(canonical_citations(text), Grounds(numbers, (), (), "en"))


def grounds_of(answer: Answer) -> Grounds:
    """What a written answer to ``answer`` may draw on, for the checks in `guards`."""
    sources = answer.sources
    return Grounds(
        numbers=frozenset(s.number for s in sources),
        sources=tuple(
            guards.sources_text(
                [s.label for s in sources], [s.text for s in sources], [s.url for s in sources]
            )
        ),
        asked=(answer.asked or answer.question.text, *answer.earlier, ANSWER_PROMPT.system),
        language=answer.language,
        unseen_names=answer.unseen_names,
        names=tuple(s.label for s in sources),
    )


def answer_variables(answer: Answer, *, today: date) -> dict[str, str]:
    """The answer prompt's variables: the sources and the question as data, never as rules."""
    asked = answer.asked or answer.question.text
    question: object = (
        {"question": asked, "earlier questions in this thread": list(answer.earlier)}
        if answer.earlier
        else asked
    )
    return {
        "question": as_data(question),
        "language": language_name(answer.language),
        "today": today.isoformat(),
        "sources": as_data([s.as_prompt_data() for s in answer.sources]),
    }


def stream_written_answer(
    *, llm: LanguageModel, answer: Answer, viewer: Viewer, today: date | None = None
) -> Iterator[str]:
    """The model's answer from ``answer``'s sources: the text so far, after every piece.

    Raises LanguageModelError at any point (limits, timeouts, a broken stream) and
    `AnswerDropped` as soon as the text fails one of the checks in `guards` (a draft that
    fails is never shown, and the rest of it is not worth waiting for); the text yielded last
    has passed them all.
    """
    if not answer.worth_writing:
        raise LanguageModelError("nothing found to write an answer from")
    variables = answer_variables(answer, today=today or clock.today())
    grounds = grounds_of(answer)

    def check(text: str, final: bool) -> None:
        guards.check_written(canonical_citations(text).strip(), grounds, final=final)

    text = ""
    for piece in llm.stream(ANSWER_PROMPT, variables, person_id=viewer.person_id, check=check):
        text += piece
        # A draft shows only its whole words, the ones the checks have read.
        drafted = canonical_citations(text)
        yield drafted[: max(drafted.rfind(" "), drafted.rfind("\n"), 0)]
    yield canonical_citations(text)  # the whole text, once it passed every check


def written_answer(text: str, answer: Answer) -> WrittenAnswer:
    """The model's final text, checked (`AnswerDropped` naming the check it fails)."""
    text = canonical_citations(text).strip()
    if not text:
        raise LanguageModelError("the model wrote nothing")
    return WrittenAnswer(text, guards.check_written(text, grounds_of(answer), final=True))


def write_answer(
    *, llm: LanguageModel, answer: Answer, viewer: Viewer, today: date | None = None
) -> WrittenAnswer:
    """The whole written answer at once (the terminal has no message to update)."""
    text = ""
    for so_far in stream_written_answer(llm=llm, answer=answer, viewer=viewer, today=today):
        text = so_far
    return written_answer(text, answer)


# --- opening a cited source ---------------------------------------------------------------------


def member_profile(*, session: Session, slug: str) -> MemberProfile | None:
    member = member_store.member_by_slug_or_name(session=session, text=slug)
    return _profile(member) if member is not None else None


def open_source(
    *, engine: Engine, viewer: Viewer, kind: str, key: str
) -> MemberProfile | ChallengeSummary | None:
    """A cited source in full, for the viewer; None when missing or not theirs to see.

    The challenge is looked up again with the viewer's rights: the menu's value came from
    Slack and could name any challenge.
    """
    with session_scope(engine) as session:
        if kind in ("member", "reference"):
            return member_profile(session=session, slug=key)
        if kind == "challenge":
            try:
                return challenge_seen_by(session=session, viewer=viewer, key=key)
            except ChallengeNotFound:
                return None
        return None

"""Answering members' questions from the cluster's records, with or without a language model.

A question is read for its intent (who can solve a problem, which challenges are open where,
what a member does); the answer is built only from retrieved records, so it never names a
member or challenge that does not exist, and a question nobody can answer says so. The records
found become numbered sources; with a language model, `stream_written_answer` has it write the
answer from those sources alone, and `written_answer` refuses one that cites anything else.
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
    translated_search,
)
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import (
    KIND_LABELS,
    Contact,
    SolverMatch,
    SolverSearch,
    contacts_of,
    is_relevant,
    suggest_solvers,
)
from prompts import as_data
from prompts.answer import PROMPT as ANSWER_PROMPT
from storage import challenges as challenge_store
from storage import clock
from storage import members as member_store
from storage.db import session_scope
from storage.members import find_member, record_names
from storage.models import OPEN_STATUSES, Challenge, ChallengeStatus, Member, Reference

Intent = Literal["solvers", "challenges", "member", "unclear"]
SourceKind = Literal["member", "reference", "challenge"]
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
    description: str = ""
    needs: tuple[str, ...] = ()


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
class Source:
    """One numbered record an answer may cite: a member, one of its references, a challenge.

    ``key`` is the member's slug (also for a reference) or the challenge's slug; ``text`` is
    what the language model reads about it.
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
    """What the bot found for a question; block builders and the console render it."""

    question: Question
    text: str
    solvers: tuple[SolverMatch, ...] = ()
    challenges: tuple[ChallengeLine, ...] = ()
    member: MemberProfile | None = None
    #: The records found, numbered: all a written answer may cite.
    sources: tuple[Source, ...] = ()
    #: The language the question was asked in, and the answer is given in.
    language: Language = "en"
    #: The question as asked (mentions removed) and the thread's earlier questions it may
    #: follow up ("and in Tampere?"), for the written answer.
    asked: str = ""
    earlier: tuple[str, ...] = ()
    #: Names of members and challenges in the store that neither the sources nor the question
    #: mention: a written answer that names one is not from its sources.
    unseen_names: tuple[str, ...] = ()

    @property
    def found_something(self) -> bool:
        return bool(self.solvers or self.challenges or self.member)

    @property
    def worth_writing(self) -> bool:
        """Whether a language model has anything to write from (else the template answers)."""
        return self.question.intent != "unclear" and self.found_something and bool(self.sources)


@dataclass(frozen=True)
class WrittenAnswer:
    """The model's answer once checked: its text with canonical [n] markers, what it cites."""

    text: str
    cited: tuple[int, ...]

    @property
    def answers_the_question(self) -> bool:
        # An answer without a single citation is the model saying the records do not tell.
        return bool(self.cited)


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


DEADLINE_PASSED = "deadline_passed"


def _expired(c: Challenge) -> bool:
    return c.status in OPEN_STATUSES and not c.is_open_on(clock.today())


def _challenge_line(c: Challenge) -> ChallengeLine:
    return ChallengeLine(
        id=c.id,
        slug=c.slug,
        title=c.title,
        owner_name=c.owner_name,
        city=c.city,
        country=c.country,
        # An expired deadline closes a challenge whatever its stored status says.
        status=DEADLINE_PASSED if _expired(c) else c.status.value,
        deadline=c.deadline,
        description=c.description,
        needs=tuple(c.needs),
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
    llm: LanguageModel | None = None,
    searched: SearchText | None = None,
    shared: bool = False,
) -> Answer:
    """Answer ``text`` from the records the viewer may see, with those records as sources.

    ``llm`` only translates a Finnish problem for the search here (the written answer is
    `stream_written_answer`'s); ``searched`` is that translation made beforehand
    (`search_for_question`), so no session waits on the model. ``shared``: the answer is
    posted where others read it (a channel), so restricted challenges stay out of it.
    """
    found = _find(
        session=session,
        search=search,
        viewer=viewer,
        text=text,
        earlier=earlier,
        k=k,
        llm=llm,
        searched=searched,
        shared=shared,
    )
    asked = clean(text)
    language: Language = detect_language(asked) if asked else "en"
    sources = _sources(session, found)
    earlier_asked = tuple(clean(e) for e in earlier[-3:])
    return replace(
        found,
        sources=sources,
        language=language,
        asked=asked,
        earlier=earlier_asked,
        unseen_names=_unseen_names(session, sources, (asked, *earlier_asked)),
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


def _named_outside_sources(text: str, answer: Answer) -> list[str]:
    lowered = text.lower()
    return [
        name
        for name in answer.unseen_names
        if name.lower() in lowered
        and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
    ]


def search_for_question(
    text: str,
    *,
    earlier: Sequence[str],
    llm: LanguageModel | None,
    viewer: Viewer,
    english_only: bool,
) -> SearchText | None:
    """How a "who can solve" question will be searched, the model asked beforehand; None for
    other questions. Needs no session: callers ask it between two, not inside one."""
    question = read_question(text, earlier=earlier)
    if question.intent != "solvers":
        return None
    return translated_search(
        question.subject,
        llm=llm,
        person_id=viewer.person_id,
        english_only=english_only,
        asked=clean(text),
    )


def _find(
    *,
    session: Session,
    search: SolverSearch,
    viewer: Viewer,
    text: str,
    earlier: Sequence[str],
    k: int,
    llm: LanguageModel | None,
    searched: SearchText | None,
    shared: bool,
) -> Answer:
    question = read_question(text, earlier=earlier)
    if question.intent == "unclear":
        return Answer(question, "I'm not sure what you are asking.")
    if question.intent == "member":
        member = find_member(session=session, text=question.subject)
        if member is not None:
            return Answer(question, f"What {member.name} does", member=_profile(member))
        question = Question("solvers", question.subject)
    if question.intent == "challenges":
        found = challenge_store.visible_challenges(
            session=session,
            # In a channel everyone reads the answer: only what every member may see.
            member_id=None if shared else viewer.member_id,
            is_staff=viewer.is_staff and not shared,
            statuses=EVERY_SHOWN,
            open_on=None if question.every_status else clock.today(),
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
            replace(question, place=place),
            f"{which}{where}",
            challenges=tuple(_challenge_line(c) for c in found[:20]),
        )
    if searched is None:
        searched = translated_search(
            question.subject,
            llm=llm,
            person_id=viewer.person_id,
            english_only=search.english_only,
            asked=clean(text),
        )
    solvers = suggest_solvers(
        session=session, search=search, query=question.subject, k=k, searched=searched
    )
    # Weak matches are noise, not answers: better to say nobody fits and point to staff.
    solvers = [s for s in solvers if is_relevant(search, s.score)]
    return Answer(question, f"Who could solve: {question.subject}", solvers=tuple(solvers))


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
        f"Deadline: {c.deadline.isoformat() if c.deadline else 'none given'}",
        "Needs: " + "; ".join(c.needs) if c.needs else "",
        f"Description: {c.description}" if c.description else "",
    ]
    return "\n".join(line for line in lines if line)


def _sources(session: Session, answer: Answer) -> tuple[Source, ...]:
    """The records ``answer`` holds, numbered from 1; nothing the viewer was not shown."""
    found: list[tuple[SourceKind, str, str, str, str]] = []
    if answer.member is not None:
        profile = answer.member
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
    for match in answer.solvers:
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
    for line in answer.challenges:
        label = (
            f"{line.title} ({_where(line.owner_name, line.city)})"
            if (line.owner_name or line.city)
            else line.title
        )
        found.append(("challenge", line.slug, label, _challenge_source_text(line), ""))
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
    """The source numbers ``text`` cites, in order; LanguageModelError when one is no source.

    An answer citing a number it was not given is quoting something that is not in the
    asker's records (or obeying a record that told it to): it is not shown.
    """
    known = {s.number for s in sources}
    cited = tuple(dict.fromkeys(int(n) for n in _CITATION.findall(canonical_citations(text))))
    unknown = [n for n in cited if n not in known]
    if unknown:
        raise LanguageModelError(
            f"the written answer cites {', '.join(f'[{n}]' for n in unknown)}, "
            f"which {'is' if len(unknown) == 1 else 'are'} not among its {len(known)} sources"
        )
    return cited


def answer_variables(answer: Answer, *, today: date) -> dict[str, str]:
    """The answer prompt's variables: the sources and the question as data, never as rules."""
    asked = answer.asked or answer.question.subject
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

    Raises LanguageModelError at any point (limits, timeouts, a broken stream, a citation of a
    number that is no source); the caller checks the final text with `written_answer` before
    showing it as the answer.
    """
    if not answer.worth_writing:
        raise LanguageModelError("nothing found to write an answer from")
    variables = answer_variables(answer, today=today or clock.today())
    text = ""
    for piece in llm.stream(ANSWER_PROMPT, variables, person_id=viewer.person_id):
        text += piece
        so_far = canonical_citations(text)
        # Stop at the first citation of no source or name of an unseen record: that text is
        # never shown, not even as a draft, and the rest of it is not worth waiting for.
        check_citations(so_far, answer.sources)
        check_names(so_far, answer)
        yield so_far


def written_answer(text: str, answer: Answer) -> WrittenAnswer:
    """The model's final text, checked against the sources (LanguageModelError if it fails)."""
    text = canonical_citations(text).strip()
    if not text:
        raise LanguageModelError("the model wrote nothing")
    check_names(text, answer)
    return WrittenAnswer(text, check_citations(text, answer.sources))


def check_names(text: str, answer: Answer) -> None:
    """LanguageModelError when ``text`` names a member or challenge none of its sources holds.

    The model was told to name nothing else; one that does is guessing from general
    knowledge, or naming a record the asker may not see.
    """
    named = _named_outside_sources(text, answer)
    if named:
        raise LanguageModelError(
            f"the written answer names {len(named)} record(s) that are not among its sources"
        )


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

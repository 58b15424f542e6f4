"""The question use case every entry point calls: Slack (mentions, DMs, `/solvers`), `scic ask`
and `scic console`.

`reply_to` reads the message with the thread's earlier questions (thread memory lives in the
question log, so a Slack thread and a console session remember the same way), answers it from
the records the asker may see, lets the language model write the answer when there is one
and it passes the checks (else the template answer stands), and logs the question with what
was said. No database session is open while the model translates or writes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine

from bot.services.identity import Viewer
from bot.services.language import SearchText, detect_language, search_text, translated_search
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import SOLVER_FILTER, SolverSearch
from bot.services.questions.answers import (
    Answer,
    WrittenAnswer,
    find_answer,
    stream_written_answer,
    with_sources,
    written_answer,
)
from bot.services.questions.model_reading import read_with_model
from bot.services.questions.understanding import Understood, clean, understand, without_place
from bot.services.questions.vocabulary import VOCABULARIES, Vocabulary, stems_of
from retrieval.profiles import owner_id
from retrieval.ranking import match_owners
from storage import clock
from storage.db import STORE_ERRORS as STORE_ERRORS  # what an outage raises, for callers
from storage.db import session_scope
from storage.models import OPEN_STATUSES
from storage.questions import earlier_questions, log_question

log = logging.getLogger(__name__)
#: How many earlier messages of a thread are read back to understand a follow-up.
THREAD_MEMORY = 4
# A challenge is *the* one meant when its match stands this far above the next one.
SPECIFIC_RATIO = 1.1
SPECIFIC_DENSE_FLOOR = 0.6
SPECIFIC_LEXICAL_FLOOR = 1.5
# How much a word the challenge is named by counts against the matcher's score (a rare word
# shared, e.g. "Kera", adds about 0.3).
NAMED_WEIGHT = 0.2
UNIQUE_BONUS = 3.0
DECIDED_PRIOR = 0.85
OPEN_STATUS_NAMES = frozenset(s.value for s in OPEN_STATUSES)
UNCUED_RATIO = 1.4
UNCUED_DENSE_FLOOR = 2.0
UNCUED_LEXICAL_FLOOR = 3.0
# A need this unlike every member's profile is not a need the cluster knows (a printer, lunch,
# a poem): the best match of a real need, even one nobody fits, scores well above it.
OFF_TOPIC_DENSE = 0.6


@dataclass(frozen=True)
class Thread:
    """Where a conversation happens: a Slack thread, or a terminal session (channel
    "console")."""

    channel_id: str
    thread_ts: str

    @property
    def shared(self) -> bool:
        """Others read the answer (a Slack channel), so it holds only what all may see."""
        return self.channel_id[:1] in ("C", "G")


@dataclass(frozen=True)
class Reply:
    """What the asker is shown: the answer, the model's text when it was used, the log id."""

    answer: Answer
    written: WrittenAnswer | None = None
    question_id: int | None = None


class SearchRecognizer:
    """The search index as understanding needs it: which challenge a text describes, and
    whether a need is like anything the members do.

    A challenge is found by its whole text (the matcher) and by the words it is usually named
    by (title, slug, needs, tags, place, owner, in both languages), so "the Kera excess heat
    one" finds a challenge written in Finnish.
    """

    def __init__(self, search: SolverSearch, vocabulary: Vocabulary) -> None:
        self.search = search
        self.vocabulary = vocabulary
        count = len(vocabulary.challenges) or 1
        frequency: dict[str, int] = {}
        for challenge in vocabulary.challenges:
            for stem in challenge.stems:
                frequency[stem] = frequency.get(stem, 0) + 1
        self._idf = {stem: math.log(1 + count / n) for stem, n in frequency.items()}
        self._unique = {stem for stem, n in frequency.items() if n == 1 and count > 1}

    def _named(self, text: str) -> dict[int, float]:
        asked = stems_of(text)
        scores = {}
        for challenge in self.vocabulary.challenges:
            shared = asked & challenge.stems
            if shared:
                # A word only this challenge is named by ("Kera", "Hiedanranta") all but names it.
                unique = UNIQUE_BONUS if shared & self._unique else 0.0
                scores[challenge.id] = sum(self._idf.get(s, 0.0) for s in shared) + unique
        return scores

    def challenge_matches(self, text: str) -> list[tuple[int, float]]:
        words = search_text(text)
        found = match_owners(
            self.search.indexes.challenges, words.dense, top_k=8, lexical_query=words.lexical
        )
        scores = {owner_id(f.owner): f.score for f in found}
        for cid, named in self._named(text).items():
            scores[cid] = scores.get(cid, 0.0) + NAMED_WEIGHT * named
        for cid in scores:
            challenge = self.vocabulary.challenge(cid)
            if challenge is not None and challenge.status not in OPEN_STATUS_NAMES:
                # People mostly talk about live challenges; a decided one must be named.
                scores[cid] *= DECIDED_PRIOR
        return sorted(scores.items(), key=lambda item: -item[1])[:8]

    def is_specific(self, matches: Sequence[tuple[int, float]], *, cued: bool) -> bool:
        if not matches:
            return False
        best = matches[0][1]
        dense = self.search.dense
        floor = SPECIFIC_DENSE_FLOOR if dense else SPECIFIC_LEXICAL_FLOOR
        ratio = SPECIFIC_RATIO
        if not cued:
            # Nothing says "the challenge": only an unmistakable match is taken as one.
            floor = UNCUED_DENSE_FLOOR if dense else UNCUED_LEXICAL_FLOOR
            ratio = UNCUED_RATIO
        if best < floor:
            return False
        return len(matches) == 1 or best >= ratio * max(matches[1][1], 1e-9)

    def off_topic(self, need: str) -> bool:
        if not self.search.dense or not need.strip():
            return False  # BM25 scores cannot tell small talk from a rare need
        words = search_text(need)
        found = match_owners(
            self.search.indexes.members,
            words.dense,
            top_k=1,
            where=SOLVER_FILTER,
            lexical_query=words.lexical,
        )
        if not found:
            # Nothing indexed to compare with (an index still being built) says nothing
            # about the question: it is answered, with the line saying the index is behind.
            return not self.search.behind
        return found[0].score < OFF_TOPIC_DENSE


def read_question(
    *,
    engine: Engine,
    search: SolverSearch,
    viewer: Viewer,
    text: str,
    earlier: Sequence[str] = (),
    vocabulary: Vocabulary | None = None,
    llm: LanguageModel | None = None,
) -> Understood:
    """What ``text`` asks, with the thread's ``earlier`` messages (oldest first) as memory.

    A language model reads the message only when the offline reading is a guess (a pasted
    brief, a bare phrase, what looked off-topic): asking words and record names decide the
    rest at no cost. Its reading is resolved against the records, the offline one kept on any
    failure."""
    search.catch_up()
    vocabulary = vocabulary or VOCABULARIES.get(engine)
    recognizer = SearchRecognizer(search, vocabulary)
    today = clock.today()
    previous: Understood | None = None
    for message in earlier[-THREAD_MEMORY:]:
        previous = understand(
            message,
            vocabulary=vocabulary,
            recognizer=recognizer,
            today=today,
            earlier=previous,
            asker_member_id=viewer.member_id,
            is_staff=viewer.is_staff,
        )
    offline = understand(
        text,
        vocabulary=vocabulary,
        recognizer=recognizer,
        today=today,
        earlier=previous,
        asker_member_id=viewer.member_id,
        is_staff=viewer.is_staff,
    )
    if llm is None or offline.settled:
        return offline
    return read_with_model(
        llm,
        offline,
        message=clean(text),
        earlier=[clean(e) for e in earlier],
        vocabulary=vocabulary,
        recognizer=recognizer,
        today=today,
        person_id=viewer.person_id,
        asker_member_id=viewer.member_id,
        is_staff=viewer.is_staff,
    )


def thread_memory(*, engine: Engine, thread: Thread | None) -> list[str]:
    """The questions already asked in ``thread``, oldest first."""
    if thread is None:
        return []
    with session_scope(engine) as session:
        return earlier_questions(
            session=session, channel_id=thread.channel_id, thread_ts=thread.thread_ts
        )


def find(
    *,
    engine: Engine,
    search: SolverSearch,
    viewer: Viewer,
    text: str,
    earlier: Sequence[str] = (),
    llm: LanguageModel | None = None,
    shared: bool = False,
    operator_slug: str = "scic",
    need_only: bool = False,
) -> Answer:
    """The template answer to ``text`` (no model writing), with its sources numbered.

    ``need_only``: ``text`` is a need to find solvers for (`/solvers`), not a message to read.
    """
    search.catch_up()
    vocabulary = VOCABULARIES.get(engine)
    if need_only:
        asked = clean(text)
        understood = Understood("solvers", detect_language(asked), asked, need=asked)
    else:
        understood = read_question(
            engine=engine,
            search=search,
            viewer=viewer,
            text=text,
            earlier=earlier,
            vocabulary=vocabulary,
            llm=llm,
        )
    searched = _searched(understood, llm=llm, viewer=viewer, english_only=search.english_only)
    with session_scope(engine) as session:
        answer = find_answer(
            session=session,
            search=search,
            viewer=viewer,
            understood=understood,
            vocabulary=vocabulary,
            searched=searched,
            operator_slug=operator_slug,
            shared=shared,
        )
        answer = with_sources(
            session, answer, asked=clean(text), earlier=[clean(e) for e in earlier]
        )
    return replace(answer, index_behind=search.behind)


def _searched(
    understood: Understood, *, llm: LanguageModel | None, viewer: Viewer, english_only: bool
) -> SearchText | None:
    """How a need is searched, the model's translation asked before any session opens."""
    if understood.intent not in ("solvers", "team") or not understood.need:
        return None
    filters = understood.filters
    need = understood.need if filters.local else without_place(understood.need, filters.place)
    return translated_search(
        need,
        llm=llm,
        person_id=viewer.person_id,
        english_only=english_only,
        asked=understood.text,
    )


def reply_to(
    *,
    engine: Engine,
    search: SolverSearch,
    viewer: Viewer,
    text: str,
    thread: Thread | None = None,
    earlier: Sequence[str] | None = None,
    llm: LanguageModel | None = None,
    operator_slug: str = "scic",
    on_draft: Callable[[str], None] | None = None,
    need_only: bool = False,
    write: bool = True,
    shared: bool = False,
) -> Reply:
    """Answer ``text`` and log it: the written answer when the model writes one that passes
    every check, else the template answer. ``earlier`` overrides the thread's memory (tests
    and benchmarks); ``on_draft`` hears "" when the model starts writing, then the written
    answer as it grows. ``shared``: others will read it (besides a channel's thread), so it
    holds only what all may see."""
    memory = list(earlier) if earlier is not None else thread_memory(engine=engine, thread=thread)
    # One wall-clock budget for every model call the question makes: reading, translation,
    # the written answer and their retries.
    with llm.question() if llm is not None else nullcontext():
        answer = find(
            engine=engine,
            search=search,
            viewer=viewer,
            text=text,
            earlier=memory,
            llm=llm,
            shared=shared or (thread.shared if thread else False),
            operator_slug=operator_slug,
            need_only=need_only,
        )
        written = (
            write_answer_text(answer, llm=llm, viewer=viewer, on_draft=on_draft) if write else None
        )
    question_id = remember(
        engine=engine, viewer=viewer, thread=thread, text=text, answer=answer, written=written
    )
    return Reply(answer, written, question_id)


def write_answer_text(
    answer: Answer,
    *,
    llm: LanguageModel | None,
    viewer: Viewer,
    on_draft: Callable[[str], None] | None = None,
) -> WrittenAnswer | None:
    """The model's text for ``answer`` when it writes one that passes every check; None
    (the template answer stands) otherwise."""
    if llm is None or not answer.worth_writing:
        return None
    text = ""
    try:
        if on_draft is not None:
            on_draft("")  # the model starts writing
        for text in stream_written_answer(llm=llm, answer=answer, viewer=viewer):
            if on_draft is not None:
                on_draft(text)
        return written_answer(text, answer)
    except LanguageModelError as exc:
        # Dropped by a check or failed: the template answer, members and all, stands alone.
        log.info("written answer not used, template instead: %s", exc)
        return None
    except Exception:
        log.exception("writing an answer failed, template instead")
        return None


def remember(
    *,
    engine: Engine,
    viewer: Viewer,
    thread: Thread | None,
    text: str,
    answer: Answer,
    written: WrittenAnswer | None,
) -> int | None:
    """Log the question with what was said; None (and the answer still goes out) on failure."""
    if thread is None:
        return None
    said = written.text if written is not None else summary_line(answer)
    try:
        with session_scope(engine) as session:
            return log_question(
                session=session,
                person_id=viewer.person_id,
                slack_user_id=viewer.slack_user_id,
                channel_id=thread.channel_id,
                thread_ts=thread.thread_ts,
                question=text,
                answer=said,
                answered_members=list(answer.members_listed),
            )
    except Exception:
        log.exception("logging a question failed")
        return None


def summary_line(answer: Answer) -> str:
    """What the log keeps of a template answer: the intent and what was listed."""
    listed = [*answer.members_listed, *(c.slug for c in answer.challenges_listed)]
    if answer.person is not None:
        listed.append(answer.person.email)
    return f"{answer.intent}: {', '.join(listed) or 'nothing listed'}"


def reply_json(reply: Reply, text: str) -> dict[str, Any]:
    """What was understood and shown, for `scic ask --json` and the benchmarks."""
    answer = reply.answer
    understood = answer.question
    return {
        "intent": understood.intent,
        "language": understood.language,
        "understood": {
            "text": understood.text,
            "need": understood.need,
            "follows_up": understood.follows_up,
            "other": understood.other,
            "aspect": understood.aspect,
            "place": understood.filters.place,
            "statuses": list(understood.filters.statuses),
            "deadline_to": understood.filters.deadline_to.isoformat()
            if understood.filters.deadline_to
            else None,
        },
        "members": list(answer.members_listed),
        # A pasted brief's needs, each with the members covering it (slugs, best first).
        "needs": [
            {"need": need, "members": [m.member_slug for m in cover.by_need.get(need, ())]}
            for cover in (answer.brief or answer.team,)
            if cover is not None and (answer.brief is not None or understood.needs)
            for need in cover.needs
        ],
        "own_organisation_fits": answer.own_fit.member_slug if answer.own_fit else None,
        "challenges": [{"slug": c.slug, "id": c.id} for c in answer.challenges_listed],
        "related_challenges": [{"slug": c.slug, "id": c.id} for c in answer.related],
        "person": answer.person.email if answer.person else None,
        "written": reply.written is not None,
        "text": text,
    }


def asked_in_thread(*, engine: Engine, thread: Thread) -> bool:
    """Whether a question was already asked (and answered) in ``thread``."""
    return bool(thread_memory(engine=engine, thread=thread))

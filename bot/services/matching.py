"""Who can solve this: ranked member organisations with evidence and contacts, and teams.

The Slack listeners, the CLI, the App Home and the digests all call these functions; they know
nothing of Slack. The ranking itself lives in `retrieval/`; this module adds what only the
store knows: names, contact people, visibility and earlier feedback.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.services.briefs import split_needs
from bot.services.identity import Viewer
from bot.services.language import SearchText, search_text, with_finnish_terms
from bot.services.llm import LanguageModel
from bot.services.renderings import ModelRenderings, glossary_renderings
from bot.settings import Settings
from retrieval.embedding import Embedder, OpenAIEmbedder, load_embedder
from retrieval.fulltext import FullTextSearch
from retrieval.index import PassageIndex, Renderer
from retrieval.passages import split_sentences
from retrieval.profiles import member_owner, owner_id, record_owner
from retrieval.ranking import Evidence as RankedEvidence
from retrieval.ranking import OwnerMatch, match_owners, score_owners
from retrieval.sync import Indexes, pending_changes, queue_unwritten_index, sync_index
from storage import challenges as challenge_store
from storage import clock
from storage import members as member_store
from storage import suggestions as suggestion_store
from storage.db import session_scope
from storage.lexical import CHALLENGES, MEMBERS
from storage.models import (
    Challenge,
    Member,
    MemberKind,
    MembershipStatus,
    SuggestionFeedback,
)
from storage.questions import question_asked_by, set_question_feedback
from storage.suggestions import rejected_member_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evidence:
    """One passage of a member's profile that matched: a capability, a reference..."""

    kind: str
    title: str
    text: str
    matched_terms: tuple[str, ...] = ()
    score: float = 0.0


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    role: str
    slack_user_id: str | None


@dataclass(frozen=True)
class SolverMatch:
    member_slug: str
    member_name: str
    kind: str
    city: str
    country: str
    score: float
    reason: str
    evidence: tuple[Evidence, ...] = ()
    contacts: tuple[Contact, ...] = ()
    #: what the score lost to a Finnish need's lean towards term lists (`OwnerMatch.lean`)
    lean: float = 0.0

    @property
    def unaligned(self) -> float:
        """The score the relevance floor reads (`OwnerMatch.unaligned`)."""
        return self.score + self.lean


# How many members outside a suggested team an answer names as able to cover a need too.
ALTERNATIVES = 3


@dataclass(frozen=True)
class TeamSuggestion:
    """Members that together cover a challenge's needs, and the needs nobody covers.

    ``covered_by``: for every need, the suggested members (slugs) who cover it, best first (none
    for a need the current team covers); ``team_covers``: the needs the current team already
    covers, and which of its members (slugs) do; ``by_need``: for every need, every member
    that counts as covering it (not only those the cover picked), best first, each with the
    passages that matched that need: what a brief's answer and a challenge's card show.
    """

    needs: tuple[str, ...]
    members: tuple[SolverMatch, ...]
    covered_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uncovered: tuple[str, ...] = ()
    team_covers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_need: dict[str, tuple[SolverMatch, ...]] = field(default_factory=dict)

    def alternatives(self, limit: int = ALTERNATIVES) -> tuple[tuple[SolverMatch, str], ...]:
        """Members the team left out who also cover a need, each with the need it covers
        best, best match first: the choice whoever builds the team has besides the cover."""
        picked = {m.member_slug for m in self.members}
        best: dict[str, tuple[SolverMatch, str]] = {}
        for need in self.needs:
            for match in self.by_need.get(need, ()):
                if match.member_slug in picked:
                    continue
                known = best.get(match.member_slug)
                if known is None or match.score > known[0].score:
                    best[match.member_slug] = (match, need)
        return tuple(sorted(best.values(), key=lambda item: -item[0].score)[:limit])


@dataclass(frozen=True)
class ChallengeFit:
    """How well one challenge fits a member organisation, for digests and the App Home."""

    challenge_id: int
    slug: str
    title: str
    score: float
    reason: str
    #: the member's place among the challenge's best solvers (1: the best placed)
    rank: int = 0
    #: the member's passage the reason quotes, for answers that name it in the asker's language
    evidence: Evidence | None = None
    #: every passage of the member's profile that matched, best first (``evidence`` is the
    #: first): a digest says why it fits from the best two
    supporting: tuple[Evidence, ...] = ()


KIND_LABELS = {
    "capability": "Capability",
    "technology": "Technologies",
    "reference": "Reference",
    "description": "Profile",
    "person": "Expertise",
}
# Former and pending members are not offered as solvers: the cluster cannot vouch for them.
# Cities and regions bring challenges; they are the buyers, not the solvers.
SOLVER_FILTER = {
    "$and": [
        {"membership": MembershipStatus.ACTIVE.value},
        {"org_kind": {"$nin": [MemberKind.CITY.value, MemberKind.REGION.value]}},
    ]
}


FitScores = dict[str, dict[str, float]]
# How many fit matrices a process keeps (one per set of challenges its askers may see).
FIT_SCORES_KEPT = 8


# While the index is behind, a process indexes on the question path at most this often
# (seconds), so a question that searches several times still waits for one budget only.
QUESTION_RETRY = 1.0


#: Needs understood once at start (`SolverSearch._load_understanding`), one per language.
_WARM_UP_NEEDS = (
    "Who can cut heat losses in our district heating network?",
    "Kaukolämpöverkon hukkalämmön hyödyntäminen",
)


#: After the records a process read ahead were dropped (see `SolverSearch.read_ahead_again`),
#: how long the index must go unwritten before they are read again (seconds): an import writes
#: batch after batch, and each write would stop the read-ahead part way.
READ_AHEAD_QUIET = 30.0


class SolverSearch:
    """The indexes and the matcher, opened once per process and shared by every caller.

    ``question_budget``: how many seconds of queued indexing a question may do before it is
    answered from what is indexed (None: all of it, for tests and benchmarks that load records
    and ask at once). ``behind`` is how many changed records the index still lacks.
    """

    def __init__(
        self, indexes: Indexes, engine: Engine, *, question_budget: float | None = None
    ) -> None:
        self.indexes = indexes
        self.engine = engine
        self.question_budget = question_budget
        self.behind = 0
        self._sync_lock = threading.Lock()
        self._last_try = -1e9
        # Fit matrices per set of challenges (see _fit_scores), dropped when the index changes.
        self._fit_scores: dict[tuple[tuple[int, str], ...], FitScores] = {}
        self._fit_lock = threading.Lock()
        self._indexer: BackgroundIndexer | None = None
        self._unwritten_checked = False
        #: the read-ahead's thread (None: not asked for, as outside `scic serve`)
        self._warm_up: threading.Thread | None = None
        self.read_ahead_quiet = READ_AHEAD_QUIET
        #: the index's revision as the background indexer last saw it, and since when
        self._quiet: tuple[str, float] | None = None

    @classmethod
    def open(cls, settings: Settings, engine: Engine, *, catch_up: bool = True) -> SolverSearch:
        """The process's search, caught up as far as one question's budget allows: a long
        backlog is left to `index_all` (the import, the background indexer, `scic reindex`)."""
        client = chroma_client(settings)
        embedder = make_embedder(settings)
        # Records are indexed in both languages (see renderings.py): with the language model's
        # English for Finnish texts when one is configured, else the glossary's terms.
        llm = LanguageModel.from_settings(settings, engine)
        renderer: Renderer = ModelRenderings(llm) if llm is not None else glossary_renderings
        indexes = Indexes(
            members=PassageIndex(
                client,
                embedder,
                name="members",
                fulltext=FullTextSearch(engine, MEMBERS),
                renderer=renderer,
                owner_of=record_owner,
            ),
            challenges=PassageIndex(
                client,
                embedder,
                name="challenges",
                fulltext=FullTextSearch(engine, CHALLENGES),
                renderer=renderer,
                owner_of=record_owner,
            ),
        )
        search = cls(indexes, engine, question_budget=settings.index_wait_ms / 1000)
        search.queue_if_unwritten()
        if catch_up:
            search.catch_up()
        return search

    @property
    def dense(self) -> bool:
        return self.indexes.members.dense

    @property
    def english_only(self) -> bool:
        """Whether a Finnish query must be searched in English (MiniLM, or BM25 alone)."""
        return not isinstance(self.indexes.members.embedder, OpenAIEmbedder)

    def queue_if_unwritten(self) -> int:
        """Queue every record if this index was never written (`queue_unwritten_index`);
        checked once per process. Returns how many were queued."""
        if self._unwritten_checked:
            return 0
        self._unwritten_checked = True
        return queue_unwritten_index(engine=self.engine, indexes=self.indexes)

    def catch_up(self) -> int:
        """Apply changes queued in the store, for at most ``question_budget`` seconds; cheap
        (one small query) when there are none. Never waits for another thread or process
        that is indexing: the answer then comes from what is indexed, and ``behind`` says how
        much is missing."""
        budget = self.question_budget
        pending = pending_changes(engine=self.engine)
        applied = 0
        due = budget is None or (budget > 0 and time.monotonic() - self._last_try >= QUESTION_RETRY)
        if pending and due and self._sync_lock.acquire(blocking=budget is None):
            self._last_try = time.monotonic()
            if budget is None:
                applied = self._apply_queued(None)
            else:
                applied = self._apply_queued_within(budget)
            pending = pending_changes(engine=self.engine)
        self.behind = pending
        return applied

    def _apply_queued(self, budget: float | None) -> int:
        """`sync_index` for ``budget`` seconds (None: all), the sync lock held by the caller
        and released here."""
        try:
            applied = sync_index(engine=self.engine, indexes=self.indexes, budget=budget)
        except SQLAlchemyError as exc:
            if budget is None:
                raise
            # A writer holding the store (a long import on SQLite): answer from the index.
            log.warning("could not catch the index up now (%s); answering from it", exc)
            return 0
        except Exception:
            if budget is None:
                raise
            log.exception("catching the index up failed; answering from it")
            return 0
        finally:
            self._sync_lock.release()
        if applied:
            self._forget_fit_scores()
        return applied

    def _apply_queued_within(self, budget: float) -> int:
        """A question's own indexing: it waits for it at most ``budget`` seconds. The batch
        under way then finishes in its thread while the question is answered from what is
        indexed (at 100,000 members on a Chroma server one record's batch took ~0.4 s, its
        deletes by owner scanning the collection's metadata). Not a daemon thread: a process
        that ends after answering (`scic ask`) finishes the batch first rather than leave an
        owner deleted and not yet written back (the outbox would redo it, but only later)."""
        done: list[int] = []
        worker = threading.Thread(
            target=lambda: done.append(self._apply_queued(budget)), name=QUESTION_INDEXING
        )
        worker.start()
        worker.join(timeout=budget)
        return done[0] if done else 0

    def index_all(self, on_progress: Callable[[int, int], None] | None = None) -> int:
        """Apply everything queued, however long it takes (an import, `scic init --demo`,
        `scic reindex`), waiting for another process that holds the index lease.
        ``on_progress(done, total)`` counts records; returns the number refreshed."""
        self.queue_if_unwritten()
        total = pending_changes(engine=self.engine)
        applied = 0

        def progress(done: int) -> None:
            if on_progress:
                on_progress(applied + done, max(total, applied + done))

        while total:
            with self._sync_lock:
                applied += sync_index(
                    engine=self.engine, indexes=self.indexes, on_progress=progress
                )
            if not pending_changes(engine=self.engine):
                break
            time.sleep(0.5)  # another process holds the lease: it is indexing these
        self.behind = pending_changes(engine=self.engine)
        if applied:
            self._forget_fit_scores()
        return applied

    def start_indexer(self, interval: float = 2.0) -> BackgroundIndexer:
        """Apply the outbox in a background thread every ``interval`` seconds (`scic serve`)."""
        if self._indexer is None:
            self._indexer = BackgroundIndexer(self, interval)
            self._indexer.start()
        return self._indexer

    def start_warm_up(self) -> threading.Thread:
        """Read the members' records into the process in a background thread (`scic serve`:
        `PassageIndex.warm`), so questions after the first minute or so do not read them from
        Chroma; the process answers meanwhile, reading what it needs as before. Before them,
        what the first question would otherwise load (`_load_understanding`)."""
        return self._start_read_ahead(understanding=True)

    def read_ahead_again(self) -> threading.Thread | None:
        """Read the members' records ahead again (the background indexer asks between rounds)
        if what the warm-up read is lost: a write too large to log by owner (an import of
        more than `CHANGE_OWNERS` members, in any process) drops every record each process
        kept, or a write stopped the warm-up part way. Once the index has gone unwritten for
        ``read_ahead_quiet`` seconds; nothing before `start_warm_up`. Returns the thread
        started, if any."""
        if self._warm_up is None or self._warm_up.is_alive():
            return None
        members = self.indexes.members
        revision, now = members.revision(), time.monotonic()
        if self._quiet is None or self._quiet[0] != revision:
            self._quiet = (revision, now)
        if now - self._quiet[1] < self.read_ahead_quiet or not members.read_ahead_lost(revision):
            return None
        log.info("the members' records read ahead are gone (a large write); reading them again")
        return self._start_read_ahead(understanding=False)

    def _start_read_ahead(self, *, understanding: bool) -> threading.Thread:
        thread = threading.Thread(
            target=self._read_ahead, args=(understanding,), name="search-warm-up", daemon=True
        )
        self._warm_up = thread
        thread.start()
        return thread

    def _read_ahead(self, understanding: bool) -> None:
        if understanding:
            try:
                self._load_understanding()
            except Exception:  # the first question loads it: only slower
                log.exception("loading the question path's vocabulary and word lists failed")
        started = time.monotonic()
        try:
            read = self.indexes.members.warm()
        except Exception:  # questions read what they need: only slower
            log.exception("reading the members' records into the process failed")
            return
        log.info("kept %d member records in %.1f s", read, time.monotonic() - started)

    def _load_understanding(self) -> None:
        """Load what the first question of a process would wait for: the store's vocabulary
        (2.0 s at 10,000 members; `VOCABULARIES`, loaded again only when names change) and
        understanding's word lists, English and Finnish (0.4 s with the word frequencies
        mapped, 1.3 s before; the first Finnish question of a process took 1,034 ms against
        ~200 ms for the next)."""
        from bot.services.questions.vocabulary import VOCABULARIES

        VOCABULARIES.get(self.engine)
        for need in _WARM_UP_NEEDS:
            search_text(need, typed=True)

    def _forget_fit_scores(self) -> None:
        with self._fit_lock:
            self._fit_scores.clear()


#: The name of the thread a question's own indexing runs in (`_apply_queued_within`).
QUESTION_INDEXING = "scic-question-indexing"


class BackgroundIndexer(threading.Thread):
    """Applies what writers queued (another process's import, a Slack modal...) between
    questions, so a question finds the index caught up instead of doing the work itself."""

    def __init__(self, search: SolverSearch, interval: float) -> None:
        super().__init__(name="search-indexer", daemon=True)
        self.search = search
        self.interval = interval
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                with self.search._sync_lock:
                    applied = sync_index(engine=self.search.engine, indexes=self.search.indexes)
                if applied:
                    self.search._forget_fit_scores()
                    log.info("background indexer applied %d changed records", applied)
                self.search.read_ahead_again()
            except Exception:  # the next round retries: the outbox keeps the changes
                log.exception("background indexing failed; retrying")
            self._stopped.wait(self.interval)

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=30)


def _full_text_alone(search: SolverSearch, words: SearchText) -> SearchText:
    """``words`` as searched without an embedding model: an English request also with its
    Finnish glossary terms, unless the store's full-text table holds the records' renderings
    (then the English rendering of a Finnish profile matches it, and `_Query.renderings` reads
    none for words that carry both languages)."""
    fulltext = search.indexes.members.fulltext
    if search.dense or fulltext is None or fulltext.renderings:
        return words
    return with_finnish_terms(words)


def chroma_client(settings: Settings) -> Any:
    return open_chroma(settings.chroma_url, Path(settings.chroma_path))


def open_chroma(url: str, path: Path) -> Any:
    """A client of the Chroma server at ``url``, or, without one, of an embedded Chroma
    storing in ``path``."""
    import chromadb

    if url:
        parts = urlparse(url)
        return chromadb.HttpClient(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
        )
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path))


def make_embedder(settings: Settings) -> Embedder | None:
    if settings.embeddings == "openai":
        return OpenAIEmbedder(
            base_url=settings.openai_base_url or None,
            api_key=settings.openai_api_key,
            model=settings.openai_embedding_model,
        )
    return load_embedder(settings.embedding_model_dir)


def challenge_query(challenge: Challenge) -> str:
    """The text a challenge is matched by: what it is, what it asks for, where."""
    parts = [challenge.title, challenge.description]
    if challenge.needs:
        parts.append("Needs: " + "; ".join(challenge.needs) + ".")
    return "\n".join(p for p in parts if p)


def _evidence(found: RankedEvidence) -> Evidence:
    return Evidence(
        kind=found.kind,
        title=found.title,
        text=found.snippet,
        matched_terms=tuple(found.matched_terms),
        score=found.score,
    )


def _snippet(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "…"


def match_reason(evidence: Sequence[Evidence]) -> str:
    """One line a member can check: the strongest piece of evidence, named by its kind."""
    if not evidence:
        return "Its profile is the closest match in the cluster."
    best = evidence[0]
    label = KIND_LABELS.get(best.kind, "Profile")
    if best.kind == "reference" and best.title:
        return f"{label}: {best.title}"
    return f"{label}: {_snippet(best.text)}"


def contacts_of(member: Member) -> tuple[Contact, ...]:
    """A member's people as contacts, those reachable on Slack first."""
    return tuple(
        Contact(name=p.name, email=p.email, role=p.role, slack_user_id=p.slack_user_id)
        for p in sorted(member.people, key=lambda p: (p.slack_user_id is None, p.name))
    )


def _to_solver_match(member: Member, found: OwnerMatch) -> SolverMatch:
    evidence = tuple(_evidence(e) for e in found.evidence)
    return SolverMatch(
        member_slug=member.slug,
        member_name=member.name,
        kind=member.kind.value,
        city=member.city,
        country=member.country,
        score=round(found.score, 4),
        reason=match_reason(evidence),
        evidence=evidence,
        contacts=contacts_of(member),
        lean=round(found.lean, 4),
    )


def members_left_out(*, session: Session, challenge: Challenge) -> set[int]:
    """Never suggested for a challenge: its owner and the members marked *Not a fit* for it."""
    excluded = suggestion_store.rejected_member_ids(session=session, challenge_id=challenge.id)
    if challenge.owner_member_id is not None:
        excluded.add(challenge.owner_member_id)
    return excluded


def suggest_solvers(
    *,
    session: Session,
    search: SolverSearch,
    query: str | Challenge,
    k: int = 5,
    exclude_member_ids: Collection[int] = (),
    searched: SearchText | None = None,
    based_in: str = "",
) -> list[SolverMatch]:
    """The k member organisations best placed to solve ``query``, best first, with evidence.

    For a challenge, its owner and the members marked *Not a fit* for it are left out. A
    Finnish query is searched in English too (`search_text`); ``searched`` overrides how
    (the model's translation, or the benchmark's as-is variant). ``based_in``: only members
    whose city or country that is (as the records spell it).
    """
    search.catch_up()
    where: dict[str, Any] = SOLVER_FILTER
    if based_in:
        where = {
            "$and": [
                *SOLVER_FILTER["$and"],
                {"$or": [{"city": based_in}, {"country": based_in}]},
            ]
        }
    excluded = set(exclude_member_ids)
    if isinstance(query, Challenge):
        excluded |= members_left_out(session=session, challenge=query)
        text = challenge_query(query)
    else:
        text = query
    words = _full_text_alone(
        search,
        searched
        if searched is not None
        else search_text(text, typed=not isinstance(query, Challenge)),
    )
    found = match_owners(
        search.indexes.members,
        words.dense,
        top_k=k + len(excluded),
        where=where,
        lexical_query=words.lexical,
        language=words.language,
        rendered_query=words.rendered or None,
    )
    found = [f for f in found if owner_id(f.owner) not in excluded][:k]
    members = member_store.members_with_people(
        session=session, ids=[owner_id(f.owner) for f in found]
    )
    return [
        _to_solver_match(members[owner_id(f.owner)], f)
        for f in found
        if owner_id(f.owner) in members
    ]


def rank_solvers(
    *,
    engine: Engine,
    search: SolverSearch,
    text: str,
    k: int = 5,
    operator_slug: str = "",
    floor: bool = True,
) -> list[SolverMatch]:
    """`scic match`: the k members best placed to solve ``text``, best first, with evidence.

    ``text`` is read as the bot reads a need (`read_need`): spelt right, without asking words
    or the places it names, unless it asks for members based there; the operator
    (``operator_slug``, the cluster itself) is never a solver. Matches below the relevance
    floor (`is_relevant`) are left out unless ``floor`` is False (the floor's benchmark).
    """
    from bot.services.questions.needs import read_need
    from bot.services.questions.vocabulary import VOCABULARIES

    vocabulary = VOCABULARIES.get(engine)
    need = read_need(text, vocabulary)
    left_out = {m.id for m in vocabulary.members if operator_slug and m.slug == operator_slug}
    with session_scope(engine) as session:
        found = suggest_solvers(
            session=session,
            search=search,
            query=need.text,
            k=k,
            exclude_member_ids=left_out,
            based_in=need.place if need.local else "",
        )
    return [m for m in found if not floor or is_relevant(search, m.unaligned)]


# A brief's needs are covered by up to this many members, or one per need when it has more.
BRIEF_MEMBERS = 4


def cover_brief(
    *, engine: Engine, search: SolverSearch, text: str, operator_slug: str = ""
) -> TeamSuggestion | None:
    """`scic match` on a pasted brief: which members cover which of its needs (`cover_needs`,
    the cover a challenge's card shows); None when ``text`` is a question, or a brief stating
    fewer than two needs (`brief_needs`)."""
    from bot.services.questions.needs import brief_needs
    from bot.services.questions.vocabulary import VOCABULARIES

    vocabulary = VOCABULARIES.get(engine)
    needs = brief_needs(text, vocabulary)
    if not needs:
        return None
    left_out = {m.id for m in vocabulary.members if operator_slug and m.slug == operator_slug}
    with session_scope(engine) as session:
        return cover_needs(
            session=session,
            search=search,
            needs=needs,
            excluded=left_out,
            max_members=max(BRIEF_MEMBERS, len(needs)),
        )


def record_suggestions(
    *, session: Session, challenge: Challenge, matches: Sequence[SolverMatch]
) -> None:
    """Keep what was suggested for a challenge (the pipeline starts here); feedback stays."""
    suggestion_store.keep_suggestions(
        session=session,
        challenge_id=challenge.id,
        suggested={
            m.member_slug: (
                m.score,
                {"reason": m.reason, "evidence": [e.title or e.text for e in m.evidence]},
            )
            for m in matches
        },
    )


class NotAFit(enum.StrEnum):
    """What a *Not a fit* did."""

    #: Left out of the challenge's later suggestions (and noted on the question, if any).
    CHALLENGE = "challenge"
    #: Noted on the clicker's own question; the challenge's suggestions are not theirs to change.
    QUESTION = "question"
    #: Nothing written: a hidden challenge, or another person's question.
    REFUSED = "refused"
    #: Nothing written: only staff, the challenge's owner or the member itself change its
    #: suggestions for everyone, and there was no question of the clicker's to note it on.
    NOT_YOURS = "not_yours"


def mark_not_a_fit(
    *,
    engine: Engine,
    viewer: Viewer,
    member_slug: str,
    challenge_id: int | None,
    question_id: int | None,
) -> NotAFit:
    """*Not a fit* on a suggested member: kept on the challenge's suggestion, so later rankings
    of that challenge leave the member out, and on the logged question it answered.

    Rights first, before anything is written: the challenge must be one the viewer may see, and
    the question the viewer's own (staff: any). Leaving a member out of a challenge's
    suggestions changes them for everyone (the card, "who is missing?"), so only staff, the
    challenge's owner and the member itself may; anyone else's click is noted on their own
    question only (NOT_YOURS without one), never to take a competitor off a challenge.
    """
    with session_scope(engine) as session:
        challenge = None
        if challenge_id is not None:
            challenge = challenge_store.challenge_by_key(
                session=session,
                key=str(challenge_id),
                member_id=viewer.member_id,
                is_staff=viewer.is_staff,
            )
            if challenge is None:
                return NotAFit.REFUSED
        if question_id is not None and not viewer.is_staff:
            asker = question_asked_by(session=session, question_id=question_id)
            if asker != viewer.person_id:
                return NotAFit.REFUSED
        marked = member_store.member_by_slug(session=session, slug=member_slug)
        own = viewer.member_id is not None and viewer.member_id in (
            challenge.owner_member_id if challenge else None,
            marked.id if marked else None,
        )
        for_everyone = challenge is not None and (viewer.is_staff or own)
        if challenge is not None and not for_everyone and question_id is None:
            return NotAFit.NOT_YOURS
        if challenge is not None and for_everyone:
            set_feedback(
                session=session,
                challenge_id=challenge.id,
                member_slug=member_slug,
                feedback=SuggestionFeedback.NOT_A_FIT,
                person_id=viewer.person_id,
            )
        if question_id is not None:
            set_question_feedback(
                session=session, question_id=question_id, feedback=f"not_a_fit:{member_slug}"
            )
        return NotAFit.CHALLENGE if for_everyone else NotAFit.QUESTION


def set_feedback(
    *,
    session: Session,
    challenge_id: int,
    member_slug: str,
    feedback: SuggestionFeedback,
    person_id: int | None,
) -> None:
    """Record *Introduce me* or *Not a fit* on a suggestion (creating it if it was ad hoc)."""
    suggestion_store.set_suggestion_feedback(
        session=session,
        challenge_id=challenge_id,
        member_slug=member_slug,
        feedback=feedback,
        person_id=person_id,
    )


def challenge_needs(challenge: Challenge, limit: int = 6) -> list[str]:
    """The distinct capabilities a challenge asks for: its ``needs``; for a pasted call or
    e-mail stored as it is (no model read it into needs), the needs it states; else its
    sentences."""
    if challenge.needs:
        return list(challenge.needs)
    stated = split_needs(challenge.description, challenge.language or "en")
    if len(stated) >= 2:
        return list(stated[:limit])
    sentences = split_sentences(challenge.description) or [challenge.title]
    return sentences[:limit]


# A need counts as covered by a member whose score for it is this close to the best one...
COVER_RATIO = 0.85
# ...and the best must itself be a real match. Dense scores are on the scale of a passage
# plus a sentence cosine (`RankingConfig.scale`); with MiniLM, small talk ("hello") reaches
# about 0.7 against any profile and real problems 0.95 and up. `bench/floor.py` measures the
# floor on the labelled questions: 0.8 passes every held-out real need and stops 2 in 3 of the
# rest. Lexical-only scores are BM25 z-scores and use their own floor.
DENSE_FLOOR = 0.8
LEXICAL_FLOOR = 1.0


# Challenges are fewer and longer than member passages: a real match to one scores lower.
CHALLENGE_DENSE_FLOOR = 0.75
CHALLENGE_LEXICAL_FLOOR = 1.0


def is_relevant(
    search: SolverSearch, score: float, *, against: Literal["members", "challenges"] = "members"
) -> bool:
    """Whether a score means a real match rather than the least bad of poor ones."""
    if against == "challenges":
        return score >= (CHALLENGE_DENSE_FLOOR if search.dense else CHALLENGE_LEXICAL_FLOOR)
    return score >= (DENSE_FLOOR if search.dense else LEXICAL_FLOOR)


def suggest_team(
    *,
    session: Session,
    search: SolverSearch,
    challenge: Challenge,
    team_member_ids: Collection[int] = (),
    max_members: int = 4,
) -> TeamSuggestion:
    """Members that together cover the challenge's needs (greedy set cover), and the gaps.

    Needs the current team (``team_member_ids``) already covers are not asked for again.
    """
    return cover_needs(
        session=session,
        search=search,
        needs=challenge_needs(challenge),
        excluded=members_left_out(session=session, challenge=challenge),
        team_member_ids=team_member_ids,
        max_members=max_members,
    )


def cover_needs(
    *,
    session: Session,
    search: SolverSearch,
    needs: Sequence[str],
    excluded: Collection[int] = (),
    team_member_ids: Collection[int] = (),
    max_members: int = 4,
) -> TeamSuggestion:
    """Members that together cover ``needs`` (greedy set cover), and the needs nobody covers.

    A need counts as covered by a member scoring within COVER_RATIO of the need's best match
    (itself a real match); members in ``excluded`` are never picked. The cover is chosen the
    same way whoever is on the team already, so a need gets the same best member on the
    challenge's card (no team yet) and in "who is missing?" later: the current team
    (``team_member_ids``) only takes off what it covers itself, and the members who then
    cover nothing still missing.
    """
    search.catch_up()
    needs = list(needs)
    team = {member_owner(i) for i in team_member_ids}
    coverers: dict[str, dict[str, OwnerMatch]] = {}
    by_team: dict[str, list[str]] = {}
    for need in needs:
        # A Finnish need is read in English by the embedding model, as a question is.
        words = _full_text_alone(search, search_text(need))
        found = match_owners(
            search.indexes.members,
            words.dense,
            top_k=12,
            where=SOLVER_FILTER,
            lexical_query=words.lexical,
            language=words.language,
            rendered_query=words.rendered or None,
        )
        eligible = [f for f in found if owner_id(f.owner) not in excluded]
        coverers[need] = {}
        if eligible and is_relevant(search, eligible[0].unaligned):
            best = eligible[0].score
            coverers[need] = {f.owner: f for f in eligible if f.score >= COVER_RATIO * best}
        # The team's own members count for the team even when they are left out of
        # suggestions (the challenge's owner on its team, say).
        ours = [f for f in found if f.owner in team]
        if ours and is_relevant(search, found[0].unaligned):
            by_team[need] = [f.owner for f in ours if f.score >= COVER_RATIO * found[0].score]
        by_team[need] = [*by_team.get(need, []), *(o for o in coverers[need] if o in team)]
    chosen = _greedy_cover(coverers, needs, max_members)
    team_covered = {n for n in needs if by_team.get(n)}
    still_open = [n for n in needs if n not in team_covered]
    wanted = [o for o in chosen if o not in team and any(o in coverers[n] for n in still_open)]
    able = [o for need in still_open for o in coverers[need] if o not in team]
    members = member_store.members_with_people(
        session=session,
        ids=[owner_id(o) for o in dict.fromkeys([*wanted, *team, *able])],
    )
    slug_of = {member_owner(m.id): m.slug for m in members.values()}
    best_match: dict[str, OwnerMatch] = {}
    for need in still_open:
        for owner, hit in coverers[need].items():
            if owner in wanted and (owner not in best_match or hit.score > best_match[owner].score):
                best_match[owner] = hit
    suggestions = tuple(
        _to_solver_match(members[owner_id(o)], best_match[o])
        for o in wanted
        if owner_id(o) in members
    )
    covered_by = {
        need: tuple(
            slug_of[o]
            for o in sorted(coverers[need], key=lambda o: -coverers[need][o].score)
            if o in wanted and o in slug_of
        )
        if need in still_open
        else ()
        for need in needs
    }
    team_covers = {
        need: tuple(dict.fromkeys(slug_of[o] for o in by_team[need] if o in slug_of))
        for need in needs
        if need in team_covered
    }
    uncovered = tuple(n for n in still_open if not covered_by[n])
    by_need = {
        need: tuple(
            _to_solver_match(members[owner_id(o)], hit)
            for o, hit in sorted(coverers[need].items(), key=lambda item: -item[1].score)
            if o not in team and owner_id(o) in members
        )
        if need in still_open
        else ()
        for need in needs
    }
    return TeamSuggestion(
        needs=tuple(needs),
        members=suggestions,
        covered_by=covered_by,
        uncovered=uncovered,
        team_covers=team_covers,
        by_need=by_need,
    )


def _greedy_cover(
    coverers: dict[str, dict[str, OwnerMatch]], needs: Sequence[str], max_members: int
) -> list[str]:
    """Up to ``max_members`` owners, each the one covering most of the needs still open (ties:
    the higher total score), until every need that anyone covers is covered."""
    open_needs = [n for n in needs if coverers[n]]
    chosen: list[str] = []
    while open_needs and len(chosen) < max_members:
        candidates: dict[str, tuple[int, float]] = {}
        for need in open_needs:
            for owner, hit in coverers[need].items():
                if owner in chosen:
                    continue
                count, total = candidates.get(owner, (0, 0.0))
                candidates[owner] = (count + 1, total + hit.score)
        if not candidates:
            break
        pick = max(candidates, key=lambda o: candidates[o])
        chosen.append(pick)
        open_needs = [n for n in open_needs if pick not in coverers[n]]
    return chosen


def related_challenges(
    *, search: SolverSearch, text: str, ids: Collection[int]
) -> list[tuple[int, float, Evidence | None]]:
    """Challenges among ``ids`` that are about ``text``, best first: (id, score, the passage of
    the challenge that matched best).

    Only real matches: a need unlike any challenge gets none.
    """
    if not ids or not text.strip():
        return []
    search.catch_up()
    wanted = set(ids)
    words = search_text(text)
    found = match_owners(
        search.indexes.challenges,
        words.dense,
        top_k=max(10, len(wanted)),
        lexical_query=words.lexical,
        language=words.language,
    )
    out = []
    for match in found:
        cid = owner_id(match.owner)
        if cid in wanted and is_relevant(search, match.unaligned, against="challenges"):
            best = _evidence(match.evidence[0]) if match.evidence else None
            out.append((cid, round(match.score, 4), best))
    return out


# A challenge fits a member when the member is among the best few solvers for it: the same
# ranking, read the other way, that suggests solvers on the challenge's card.
FIT_RANK = 5
# ...or among the best NEED_FIT_RANK for one of its needs.
NEED_FIT_RANK = 2


def _place(mine: dict[str, float], rivals: Sequence[dict[str, float]], query: str) -> int:
    """The member's place (1: the best) for ``query`` among ``rivals``."""
    score = mine.get(query, 0.0)
    return 1 + sum(1 for by_query in rivals if by_query.get(query, 0.0) > score)


def _fit_scores(search: SolverSearch, challenges: Sequence[Challenge]) -> FitScores:
    """``{member owner: {query id: score}}`` for each challenge (its id) and each of its needs
    ("id:n"): one matrix a digest run or a burst of "what fits us?" computes once. It is kept
    until the index changes (``catch_up``) or the challenges do."""
    key = tuple((c.id, str(c.updated_at)) for c in challenges)
    with search._fit_lock:
        cached = search._fit_scores.get(key)
    if cached is not None:
        return cached
    queries = {str(c.id): search_text(challenge_query(c), typed=False).dense for c in challenges}
    # Each need too: a member who is among the very best for one need of a challenge fits it,
    # as a team is made of members covering one need each.
    for c in challenges:
        for n, need in enumerate(challenge_needs(c)):
            queries[f"{c.id}:{n}"] = search_text(need, typed=False).dense
    scores = score_owners(search.indexes.members, queries, where=SOLVER_FILTER)
    with search._fit_lock:
        if len(search._fit_scores) >= FIT_SCORES_KEPT:
            search._fit_scores.pop(next(iter(search._fit_scores)))
        search._fit_scores[key] = scores
    return scores


def challenges_for_member(
    *,
    session: Session,
    search: SolverSearch,
    member_id: int,
    viewer: Viewer | None,
    limit: int = 10,
    within: int | None = FIT_RANK,
) -> list[ChallengeFit]:
    """Open challenges that fit a member organisation, among those the viewer may see: the
    ones whose best ``within`` solvers include the member, best placed first (``within``
    None: every open challenge, best placed first, for browsing).

    Every open challenge is scored against every member in one pass (`score_owners`), so a
    challenge written in Finnish is read in English (the glossary) as on its card.
    """
    search.catch_up()
    visible = [
        c
        for c in challenge_store.visible_challenges(
            session=session,
            member_id=viewer.member_id if viewer else member_id,
            is_staff=viewer.is_staff if viewer else False,
            open_on=clock.today(),
            limit=10_000,
        )
        if c.owner_member_id != member_id
    ]
    if not visible:
        return []
    scores = _fit_scores(search, visible)
    me = member_owner(member_id)
    mine = scores.get(me, {})
    placed: list[tuple[int, float, Challenge, str]] = []
    for challenge in visible:
        qid = str(challenge.id)
        rejected = rejected_member_ids(session=session, challenge_id=challenge.id)
        rivals = [
            by_query
            for owner, by_query in scores.items()
            if owner != me
            and owner_id(owner) not in rejected
            and owner_id(owner) != challenge.owner_member_id
        ]
        rank = _place(mine, rivals, qid)
        needs = challenge_needs(challenge)
        by_need = sorted(
            (_place(mine, rivals, f"{qid}:{n}"), need)
            for n, need in enumerate(needs)
            if is_relevant(search, mine.get(f"{qid}:{n}", 0.0))
        )
        whole = challenge_query(challenge)
        if within is None or (is_relevant(search, mine.get(qid, 0.0)) and rank <= within):
            placed.append((rank, mine.get(qid, 0.0), challenge, whole))
        elif by_need and by_need[0][0] <= NEED_FIT_RANK:
            # Fits through one need: placed after the whole-challenge fits, quoting that need.
            placed.append((within + by_need[0][0], mine.get(qid, 0.0), challenge, by_need[0][1]))
    placed.sort(key=lambda p: (p[0], -p[1]))
    fits = []
    for rank, score, challenge, matched in placed[:limit]:
        evidence = match_owners(
            search.indexes.members,
            search_text(matched, typed=False).dense,
            top_k=1,
            where={"member_id": member_id},
        )
        quoted = tuple(_evidence(e) for e in evidence[0].evidence) if evidence else ()
        reason = match_reason(quoted) if evidence else ""
        fits.append(
            ChallengeFit(
                challenge_id=challenge.id,
                slug=challenge.slug,
                title=challenge.title,
                score=round(score, 4),
                reason=reason,
                rank=rank,
                evidence=quoted[0] if quoted else None,
                supporting=quoted,
            )
        )
    return fits

"""A challenge's thread as a team's workspace: what is asked there ("who is missing?",
"summarize"), the needs nobody on the team covers yet, and summaries of the discussion."""

from __future__ import annotations

import enum
import html
import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.identity import Viewer
from bot.services.language import detect_language, language_name
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import SolverMatch, SolverSearch, TeamSuggestion, suggest_team
from bot.services.teams.rosters import challenge_for_thread, roster_of_team
from bot.services.text import clip, one_line, sentences
from prompts import as_data
from prompts.thread_summary import PROMPT as THREAD_SUMMARY
from storage import teams as store
from storage.db import session_scope
from storage.models import Challenge, Team, TeamStatus

log = logging.getLogger(__name__)

# (session, challenge, the current team's member ids) -> the matching service's suggestion.
TeamSuggester = Callable[[Session, Challenge, Collection[int]], TeamSuggestion]


@dataclass(frozen=True)
class MissingNeed:
    need: str
    candidates: tuple[SolverMatch, ...]


@dataclass(frozen=True)
class MissingReport:
    challenge_title: str
    team_label: str
    team_members: tuple[str, ...]
    needs: tuple[str, ...]
    covered: tuple[tuple[str, tuple[str, ...]], ...]  # need, and who covers it (may be unknown)
    missing: tuple[MissingNeed, ...]


def _team_for_question(session: Session, viewer: Viewer, challenge: Challenge) -> Team | None:
    """The asker's own team, else the largest one still in the running."""
    if viewer.member_id is not None:
        own = store.membership_in_challenge(
            session=session, challenge_id=challenge.id, member_id=viewer.member_id
        )
        if own is not None:
            return store.team_by_id(session=session, team_id=own.team_id)
    teams = [
        t
        for t in store.teams_of_challenge(session=session, challenge_id=challenge.id)
        if t.status is not TeamStatus.DISSOLVED
    ]
    sizes = {t.id: len(store.roster_lines(session=session, team_id=t.id)) for t in teams}
    return max(teams, key=lambda t: (sizes[t.id], -t.id), default=None)


def who_is_missing(
    *,
    session: Session,
    viewer: Viewer,
    challenge: Challenge,
    suggest_team_fn: TeamSuggester,
) -> MissingReport:
    """The challenge's needs the current team does not cover, and who could cover them."""
    team = _team_for_question(session, viewer, challenge)
    shown = roster_of_team(session, team) if team is not None else None
    entries = shown.entries if shown else ()
    suggestion = suggest_team_fn(session, challenge, [e.member_id for e in entries])
    needs = suggestion.needs or tuple(challenge.needs)
    team_names = {e.member_slug: e.member_name for e in entries}
    suggested = {m.member_slug: m for m in suggestion.members}
    covered: list[tuple[str, tuple[str, ...]]] = []
    missing: list[MissingNeed] = []
    for need in needs:
        ours = tuple(team_names.get(s, s) for s in suggestion.team_covers.get(need, ()))
        if need in suggestion.team_covers:
            covered.append((need, ours))
            continue
        # The same cover as the challenge's card, best member first.
        candidates = tuple(
            suggested[slug] for slug in suggestion.covered_by.get(need, ()) if slug in suggested
        )
        missing.append(MissingNeed(need, candidates))
    return MissingReport(
        challenge_title=challenge.title,
        team_label=shown.label if shown else "Team",
        team_members=tuple(e.member_name for e in entries),
        needs=tuple(needs),
        covered=tuple(covered),
        missing=tuple(missing),
    )


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if len(w) > 2}


def default_team_suggester(search: Callable[[], SolverSearch]) -> TeamSuggester:
    """The matching service's `suggest_team` over the search index ``search`` gives (opened
    when first needed)."""

    def suggest(
        session: Session, challenge: Challenge, team_member_ids: Collection[int]
    ) -> TeamSuggestion:
        return suggest_team(
            session=session,
            search=search(),
            challenge=challenge,
            team_member_ids=list(team_member_ids),
            max_members=4,
        )

    return suggest


class ThreadIntent(enum.StrEnum):
    WHO_IS_MISSING = "who_is_missing"
    SUMMARY = "summary"


_MENTION = re.compile(r"<[@!#][^>]*>")


_MISSING = re.compile(
    r"\b(who|what)\s*(?:'s|’s|is|are)?\s+missing\b|\b(kuka|ketä|keitä|mitä|mikä)\s+puuttuu\b",
    re.IGNORECASE,
)


_SUMMARY = re.compile(r"\bsummari[sz]e\b|\bsummary\b|\btiivistä\b|\byhteenveto\b", re.IGNORECASE)


def thread_intent(text: str) -> ThreadIntent | None:
    """What a mention in a challenge's thread asks the team service for, if anything."""
    plain = _MENTION.sub(" ", text)
    if _MISSING.search(plain):
        return ThreadIntent.WHO_IS_MISSING
    if _SUMMARY.search(plain):
        return ThreadIntent.SUMMARY
    return None


@dataclass(frozen=True)
class ThreadMessage:
    user: str
    text: str
    ts: str
    from_bot: bool = False


@dataclass(frozen=True)
class SummaryItem:
    user: str
    text: str


@dataclass(frozen=True)
class ThreadSummary:
    messages: int
    people: tuple[str, ...]
    decisions: tuple[SummaryItem, ...]
    questions: tuple[SummaryItem, ...]
    actions: tuple[SummaryItem, ...]
    #: One or two sentences on where the discussion stands; only a written summary has one.
    overview: str = ""
    #: Written by the language model (rephrased), rather than picked from the messages.
    written: bool = False
    language: str = "en"


SUMMARY_ITEMS_MAX = 10


_DECISION = re.compile(
    r"\b(decided|decide we|agreed|agree that|decision|we(?:'ll| will) go with|let'?s go with|"
    r"päätettiin|päätimme|päätetty|päätös|sovittiin|sovimme|sovittu)\b",
    re.IGNORECASE,
)


_ACTION = re.compile(
    r"\b(I will|I'll|I’ll|we will|we'll|we’ll|I can take|I'?m on it|will do|"
    r"teen|hoidan|hoidamme|teemme|otan|lupaan|selvitän|kirjoitan|lähetän)\b"
    r"|(<@[A-Z0-9]+>|\b[A-ZÅÄÖ][\w-]+) will\b",
    re.IGNORECASE,
)


_ACTION_NAME = re.compile(r"(<@[A-Z0-9]+>|\b[A-ZÅÄÖ][\w-]+) will\b")


def _is_action(sentence: str) -> bool:
    if _ACTION_NAME.search(sentence):
        return True
    # The case-insensitive pattern also matches "x will"; only the first-person forms count.
    return bool(_ACTION.search(_ACTION_NAME.sub("", sentence)))


def discussion(messages: Sequence[ThreadMessage]) -> list[ThreadMessage]:
    """The people's messages: the bot's own posts (card, roster) and requests to it are not
    the discussion."""
    # The bot posts with its own user id too; a message mentioning that id is asking the bot.
    bots = {m.user for m in messages if m.from_bot and m.user}
    return [
        m
        for m in messages
        if not m.from_bot
        and m.user
        and not thread_intent(m.text)
        and not bots & mentioned_users(m.text)
    ]


_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def mentioned_users(text: str) -> set[str]:
    """The user ids a Slack message mentions (``<@U123>`` or ``<@U123|name>``)."""
    return set(_USER_MENTION.findall(text))


def people_in(messages: Sequence[ThreadMessage]) -> tuple[str, ...]:
    """The authors of ``messages``, in the order they first spoke."""
    return tuple(dict.fromkeys(m.user for m in messages))


def pick_summary(messages: Sequence[ThreadMessage], *, language: str = "en") -> ThreadSummary:
    """Decisions, open questions and who does what, picked from people's own sentences, each
    whole (a sentence splitter that knows both languages' abbreviations reads the messages).

    ``language``: the request's, for the headings; each message is split by its own language.
    """
    decisions: list[SummaryItem] = []
    questions: list[SummaryItem] = []
    actions: list[SummaryItem] = []
    said = discussion(messages)
    for message in said:
        for sentence in sentences(message.text, detect_language(message.text)):
            if len(sentence) < 3:
                continue
            item = SummaryItem(message.user, sentence)
            if sentence.endswith("?"):
                questions.append(item)
            elif _DECISION.search(sentence):
                decisions.append(item)
            elif _is_action(sentence):
                actions.append(item)
    return ThreadSummary(
        messages=len(said),
        people=people_in(said),
        decisions=tuple(decisions[-SUMMARY_ITEMS_MAX:]),
        questions=tuple(questions[-SUMMARY_ITEMS_MAX:]),
        actions=tuple(actions[-SUMMARY_ITEMS_MAX:]),
        language=language,
    )


# A long thread is summarised from its latest messages: the current state is what matters.
THREAD_MESSAGES_SENT = 150


THREAD_CHARS_SENT = 12_000


SUMMARY_ITEM_MAX = 280


OVERVIEW_MAX = 500


class Point(BaseModel):
    """A decision or an open question, with the user id of who stated or asked it."""

    author: str
    text: str


class Action(BaseModel):
    """A task, with the user id of who will do it."""

    owner: str
    text: str


class WrittenSummary(BaseModel):
    overview: str
    decisions: list[Point]
    open_questions: list[Point]
    actions: list[Action]


_SLACK_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def plain_text(text: str) -> str:
    """A Slack message's text with its markup simplified: ``<@U123>`` -> ``@U123``,
    ``<url|label>`` -> ``label``, ``<#C1|general>`` -> ``#general``, ``<!here>`` -> ``@here``."""

    def simple(found: re.Match[str]) -> str:
        target, label = found.group(1), found.group(2)
        if target.startswith("@"):
            return target.split("|")[0]
        if target.startswith("#"):
            return f"#{label}" if label else target
        if target.startswith("!"):
            return label or "@" + target[1:].split("^")[0]
        return label or target

    return html.unescape(_SLACK_LINK.sub(simple, text)).strip()


def messages_for_model(messages: Sequence[ThreadMessage]) -> list[dict[str, str]]:
    """The latest messages, at most ~150 and ~12 000 characters, oldest first."""
    kept: list[dict[str, str]] = []
    total = 0
    for message in reversed(messages):
        text = plain_text(message.text)
        if not text:
            continue
        if len(kept) >= THREAD_MESSAGES_SENT or (kept and total + len(text) > THREAD_CHARS_SENT):
            break
        text = clip(text, THREAD_CHARS_SENT)
        kept.append({"author": message.user, "text": text})
        total += len(text)
    return kept[::-1]


def _user_id(text: str) -> str:
    """A user id however the model wrote it: ``U123``, ``@U123`` or ``<@U123>``."""
    return text.strip().strip("<>").lstrip("@").split("|")[0].strip()


def _items(
    found: Sequence[tuple[str, str]], people: set[str], limit: int = SUMMARY_ITEMS_MAX
) -> tuple[SummaryItem, ...]:
    items = []
    for who, text in found:
        user, said = _user_id(who), one_line(text)
        # Someone who neither wrote in the thread nor was mentioned there is made up (or was
        # put there by a message asking for it): the item goes. So does an "item" too long to
        # be one: it is never shown cut.
        if user in people and said and len(said) <= SUMMARY_ITEM_MAX:
            items.append(SummaryItem(user, said))
    return tuple(items[:limit])


def write_summary(
    llm: LanguageModel,
    messages: Sequence[ThreadMessage],
    *,
    challenge_title: str,
    language: str,
    person_id: int | None,
) -> ThreadSummary:
    """The model's summary of the discussion; raises LanguageModelError when there is none."""
    said = discussion(messages)
    variables = {
        "language": language_name(language),
        "challenge": as_data({"title": challenge_title}),
        "messages": as_data(messages_for_model(said)),
    }
    answer = llm.extract(THREAD_SUMMARY, WrittenSummary, variables, person_id=person_id)
    overview = one_line(answer.overview)
    if len(overview) > OVERVIEW_MAX:
        # Shown whole or not at all: the picked summary stands in.
        raise LanguageModelError(f"the summary's overview is {len(overview)} characters long")
    people = {m.user for m in said} | {u for m in said for u in mentioned_users(m.text)}
    return ThreadSummary(
        messages=len(said),
        people=people_in(said),
        decisions=_items([(p.author, p.text) for p in answer.decisions], people),
        questions=_items([(p.author, p.text) for p in answer.open_questions], people),
        actions=_items([(a.owner, a.text) for a in answer.actions], people),
        overview=overview,
        written=True,
        language=language,
    )


def summarize_thread(
    llm: LanguageModel | None,
    messages: Sequence[ThreadMessage],
    *,
    challenge_title: str,
    language: str,
    person_id: int | None,
) -> ThreadSummary:
    """The model's summary when there is a model and it answers; else the extractive one."""
    if llm is None or not discussion(messages):
        return pick_summary(messages, language=language)
    try:
        return write_summary(
            llm,
            messages,
            challenge_title=challenge_title,
            language=language,
            person_id=person_id,
        )
    except LanguageModelError as exc:
        log.warning("thread summary picked from the messages: %s", exc)
        return pick_summary(messages, language=language)


class ThreadUnreadable(Exception):
    """The thread's messages could not be read (the bot may not read the channel's history)."""


TeamAnswer = MissingReport | ThreadSummary


def answer_team_request(
    *,
    engine: Engine,
    viewer: Viewer,
    text: str,
    channel_id: str,
    thread_ts: str,
    open_search: Callable[[], SolverSearch],
    llm: LanguageModel | None,
    read_thread: Callable[[], Sequence[ThreadMessage]],
) -> TeamAnswer | None:
    """A team request in a challenge card's thread ("who is missing?", "summarize"): the
    report or the summary; None when ``text`` is no team request or the thread is no card's.

    Raises TeamNotVisible for a restricted challenge the viewer may not see, and
    ThreadUnreadable when ``read_thread`` cannot read the messages to summarise.
    """
    intent = thread_intent(text)
    if intent is None:
        return None
    with session_scope(engine) as session:
        challenge = challenge_for_thread(
            session=session, viewer=viewer, channel_id=channel_id, thread_ts=thread_ts
        )
        if challenge is None:
            return None
        if intent is ThreadIntent.WHO_IS_MISSING:
            return who_is_missing(
                session=session,
                viewer=viewer,
                challenge=challenge,
                suggest_team_fn=default_team_suggester(open_search),
            )
        title = challenge.title
    # No session is open while the thread is read and the model writes.
    return summarize_thread(
        llm,
        read_thread(),
        challenge_title=title,
        # "tiivistä" asks for a Finnish summary (Slack markup is not read as words).
        language=detect_language(text),
        person_id=viewer.person_id,
    )

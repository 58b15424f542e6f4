"""A challenge thread's discussion summarised by the language model: an overview, decisions,
questions still open and who does what, checked against the thread before anyone sees it.

Without a model, or when the call fails, the summary is the extractive one
(bot.services.teams.summarize_thread), exactly as before.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence

from pydantic import BaseModel

from bot.services.language import language_name
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.teams import (
    SUMMARY_ITEMS_MAX,
    SummaryItem,
    ThreadMessage,
    ThreadSummary,
    discussion,
    mentioned_users,
    people_in,
    summarize_thread,
)
from bot.services.text import clip, one_line
from prompts import as_data
from prompts.thread_summary import PROMPT as THREAD_SUMMARY

log = logging.getLogger(__name__)

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
        user, said = _user_id(who), clip(one_line(text), SUMMARY_ITEM_MAX)
        # Someone who neither wrote in the thread nor was mentioned there is made up (or was
        # put there by a message asking for it): the item goes.
        if user in people and said:
            items.append(SummaryItem(user, said))
    return tuple(items[:limit])


def write_thread_summary(
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
    people = {m.user for m in said} | {u for m in said for u in mentioned_users(m.text)}
    return ThreadSummary(
        messages=len(said),
        people=people_in(said),
        decisions=_items([(p.author, p.text) for p in answer.decisions], people),
        questions=_items([(p.author, p.text) for p in answer.open_questions], people),
        actions=_items([(a.owner, a.text) for a in answer.actions], people),
        overview=clip(one_line(answer.overview), OVERVIEW_MAX),
        written=True,
        language=language,
    )


def summarize_discussion(
    llm: LanguageModel | None,
    messages: Sequence[ThreadMessage],
    *,
    challenge_title: str,
    language: str,
    person_id: int | None,
) -> ThreadSummary:
    """The model's summary when there is a model and it answers; else the extractive one."""
    if llm is None or not discussion(messages):
        return summarize_thread(messages)
    try:
        return write_thread_summary(
            llm,
            messages,
            challenge_title=challenge_title,
            language=language,
            person_id=person_id,
        )
    except LanguageModelError as exc:
        log.warning("thread summary picked from the messages: %s", exc)
        return summarize_thread(messages)

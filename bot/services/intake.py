"""Challenge intake from free text: a pasted call for proposals or e-mail pre-fills the form.

With a language model the text is read into `ChallengeExtract` (structured output) and mapped
onto the intake form; without one, or when the call fails, the form gets the text itself, so
the person always gets a form to finish and never an error.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.services.challenges import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    ChallengeForm,
    NotStaff,
    split_list,
)
from bot.services.identity import Viewer
from bot.services.llm import LanguageModel, LanguageModelError
from prompts import as_data
from prompts.intake import PROMPT
from storage.db import session_scope
from storage.members import find_member

log = logging.getLogger(__name__)

# What the model reads at most: a long e-mail thread costs tokens and adds nothing the first
# pages do not say.
TEXT_MAX = 12_000
OWNER_MAX = 200
PLACE_MAX = 100
NEEDS_MAX = 2000
TAGS_MAX = 500


class ChallengeExtract(BaseModel):
    """The intake form as the model reads it from the text (strict structured output)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="Short title, in the text's language.")
    description: str = Field(description="Clean summary in two to five sentences.")
    owner: str | None = Field(description="The organisation bringing the challenge, as written.")
    city: str | None
    country: str | None
    needs: list[str] = Field(description="What solvers must bring, short phrases.")
    tags: list[str]
    deadline: str | None = Field(description="YYYY-MM-DD, or null.")
    budget_min: int | None = Field(description="Whole euros, or null.")
    budget_max: int | None = Field(description="Whole euros, or null.")
    language: Literal["fi", "en"]


@dataclass(frozen=True)
class Prefill:
    """The pre-filled form, and whether the model read the text (else the text is in it raw)."""

    form: ChallengeForm
    by_model: bool
    language: Literal["fi", "en"] | None = None


def prefill_from_text(
    *,
    llm: LanguageModel | None,
    text: str,
    today: date,
    engine: Engine,
    person_id: int | None,
) -> Prefill:
    """The intake form pre-filled from ``text``; offline (the text as it is) when the model
    is off or fails. The store is read only once the model has answered: no connection waits
    on it."""
    if llm is None or not text.strip():
        return Prefill(offline_form(text), by_model=False)
    variables = {"today": today.isoformat(), "text": as_data(text.strip()[:TEXT_MAX])}
    try:
        extract = llm.extract(PROMPT, ChallengeExtract, variables, person_id=person_id)
    except LanguageModelError as exc:
        log.info("intake: the model could not read the text, pre-filling offline: %s", exc)
        return Prefill(offline_form(text), by_model=False)
    if not extract.title.strip():
        # A model that found no challenge in the text: the person reads it themselves.
        return Prefill(offline_form(text), by_model=False)
    with session_scope(engine) as session:
        return Prefill(form_of(extract, today=today, session=session), True, extract.language)


def prefill_for(
    *, viewer: Viewer, llm: LanguageModel | None, text: str, today: date, engine: Engine
) -> Prefill:
    """`prefill_from_text` for someone in Slack: staff only, since only staff post challenges,
    checked before the model is asked (its tokens are counted against the person in the
    store). Raises NotStaff for anyone else."""
    if not viewer.is_staff:
        raise NotStaff("Only cluster staff can post challenges.")
    return prefill_from_text(
        llm=llm, text=text, today=today, engine=engine, person_id=viewer.person_id
    )


def with_typed(prefill: Prefill, typed: ChallengeForm) -> ChallengeForm:
    """The pre-filled form merged with what the person had already typed in the modal.

    The model's reading wins over typed values and typed values fill its gaps; the offline
    guess (first line, whole text) only fills fields left empty. Who sees the challenge is
    never read from a text: the person's choice stays.
    """
    first, then = (prefill.form, typed) if prefill.by_model else (typed, prefill.form)
    values = {
        name: getattr(first, name) or getattr(then, name)
        for name in ChallengeForm.__dataclass_fields__
    }
    return ChallengeForm(**(values | {"visibility": typed.visibility}))


SUBJECT = re.compile(r"^(?:subject|aihe|otsikko)\s*:\s*", re.IGNORECASE)


def offline_form(text: str) -> ChallengeForm:
    """The form without a model: the first line as the title, the text as the description."""
    lines = [line.strip() for line in text.splitlines()]
    # A pasted e-mail's subject says what it is about; its first line is only who sent it.
    subject = next((SUBJECT.sub("", line) for line in lines if SUBJECT.match(line)), "")
    first = subject.strip() or next((line for line in lines if line), "")
    return ChallengeForm(
        title=_field(first, TITLE_MAX), description=_field(text.strip(), DESCRIPTION_MAX)
    )


def form_of(extract: ChallengeExtract, *, today: date, session: Session) -> ChallengeForm:
    """The model's reading mapped onto the form, leaving out what the form would refuse."""
    budget_min = _amount(extract.budget_min)
    budget_max = _amount(extract.budget_max)
    if budget_min is not None and budget_max is not None and budget_min > budget_max:
        budget_min = budget_max = None
    return ChallengeForm(
        title=_field(extract.title, TITLE_MAX),
        description=_field(extract.description, DESCRIPTION_MAX),
        owner=_field(_owner(extract.owner, session), OWNER_MAX),
        city=_field(extract.city, PLACE_MAX),
        country=_field(extract.country, PLACE_MAX),
        needs=_field("\n".join(_items(extract.needs)), NEEDS_MAX),
        tags=_field(", ".join(_items(extract.tags)), TAGS_MAX),
        deadline=_deadline(extract.deadline, today),
        budget_min=None if budget_min is None else str(budget_min),
        budget_max=None if budget_max is None else str(budget_max),
    )


def _owner(owner: str | None, session: Session) -> str:
    """A member's own name when the owner is a member, so the posted challenge links it."""
    written = (owner or "").strip()
    if not written:
        return ""
    member = find_member(session=session, text=written)
    return member.name if member is not None else written


def _items(values: list[str]) -> tuple[str, ...]:
    # Read back as the form reads them: an item with a comma in it is two items.
    return split_list("\n".join(" ".join(value.split()) for value in values))


def _deadline(value: str | None, today: date) -> str | None:
    try:
        deadline = date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return deadline.isoformat() if deadline >= today else None


def _amount(value: int | None) -> int | None:
    return value if value is not None and value >= 0 else None


def _field(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()[:limit].rstrip()
    return text or None

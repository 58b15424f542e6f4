"""A language model's reading of a message: it chooses one of the same operations the offline
reader chooses among, and the records are looked up here, never by the model.

Any failure (no model, a timeout, an answer of the wrong shape, a name no record carries)
leaves the offline reading in place: the model can only choose among the bot's operations.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.questions.understanding import (
    OtherKind,
    Recognizer,
    Understood,
    find_members,
    find_people,
    find_place,
)
from bot.services.questions.vocabulary import Vocabulary
from prompts import as_data
from prompts.question_reading import PROMPT

log = logging.getLogger(__name__)
STATUSES = ("open", "teams_forming", "proposal_submitted", "won", "lost", "closed")


class ModelReading(BaseModel):
    """The question_reading prompt's structured answer."""

    model_config = ConfigDict(extra="forbid")

    operation: Literal[
        "solvers", "challenge", "challenges", "fit", "member", "person", "team", "other"
    ]
    need: str = ""
    challenge: str = Field(default="", description="the challenge's name or description")
    organisation: str = ""
    person: str = ""
    place: str = ""
    statuses: list[str] = Field(default_factory=list)
    deadline_within_days: int | None = None
    other: Literal["greeting", "thanks", "help", "bye", "off_topic"] | None = None
    follows_up: bool = False


def read_with_model(
    llm: LanguageModel,
    offline: Understood,
    *,
    message: str,
    earlier: Sequence[str],
    vocabulary: Vocabulary,
    recognizer: Recognizer,
    today: date,
    person_id: int | None,
    asker_member_id: int | None,
    is_staff: bool,
) -> Understood:
    """The model's reading resolved against the records; ``offline`` when anything fails."""
    try:
        reading = llm.extract(
            PROMPT,
            ModelReading,
            {
                "today": today.isoformat(),
                "earlier": as_data(list(earlier[-4:])),
                "message": as_data(message),
            },
            person_id=person_id,
        )
    except LanguageModelError as exc:
        log.info("question read offline: %s", exc)
        return offline
    resolved = _resolve(reading, offline, vocabulary, recognizer, today, asker_member_id, is_staff)
    if resolved is None:
        log.info("question read offline: the model named no record for %s", reading.operation)
        return offline
    return resolved


def _resolve(
    reading: ModelReading,
    offline: Understood,
    vocabulary: Vocabulary,
    recognizer: Recognizer,
    today: date,
    asker_member_id: int | None,
    is_staff: bool,
) -> Understood | None:
    if reading.follows_up and offline.follows_up:
        return offline  # the offline reader merged the thread already
    place = find_place(reading.place, vocabulary) if reading.place else offline.filters.place
    filters = replace(
        offline.filters,
        place=place,
        statuses=tuple(s for s in reading.statuses if s in STATUSES) or offline.filters.statuses,
        deadline_from=today if reading.deadline_within_days else offline.filters.deadline_from,
        deadline_to=today + timedelta(days=reading.deadline_within_days)
        if reading.deadline_within_days
        else offline.filters.deadline_to,
    )
    # The model reads one need; a brief's separate needs stay as the offline reading found them.
    base = Understood(
        reading.operation,
        offline.language,
        offline.text,
        need=reading.need,
        filters=filters,
        needs=offline.needs,
    )
    operation = reading.operation
    if operation == "other":
        kind: OtherKind = reading.other or "off_topic"
        return replace(base, other=kind)
    if operation in ("member", "fit") and reading.organisation:
        found = find_members(reading.organisation, vocabulary)
        if not found:
            return None
        return replace(base, member_id=found[0].id)
    if operation == "fit":
        return replace(base, member_id=asker_member_id, for_asker=True)
    if operation == "person":
        people = find_people(reading.person, vocabulary) if reading.person else []
        if not people:
            return None if offline.intent != "person" else offline
        return replace(base, person_id=people[0].id)
    if operation in ("challenge", "team") and reading.challenge:
        # The asker's rights decide which challenges may be meant, whatever the model says.
        matches = [
            (cid, score)
            for cid, score in recognizer.challenge_matches(reading.challenge)
            if (c := vocabulary.challenge(cid)) is not None
            and (is_staff or c.visible_to(asker_member_id))
        ]
        if not matches or not recognizer.is_specific(matches, cued=True):
            return None if operation == "challenge" else replace(base, need=reading.need)
        challenge = vocabulary.challenge(matches[0][0])
        if challenge is None:
            return None
        return replace(base, challenge_id=challenge.id, need=reading.need or challenge.title)
    if operation in ("solvers", "team") and not reading.need:
        return (
            None
            if not (filters.place and operation == "solvers")
            else replace(base, filters=replace(filters, local=True))
        )
    return base if operation != "challenge" else None

"""What Slack's assistant container needs to know about the person who opened it: the
language to greet them and suggest prompts in, and the organisation and place the prompts
are about. The answers themselves come from the question service, as in a DM."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from bot.services.digests.choosing import reading_language
from bot.services.identity import Viewer
from bot.services.language import detect_language
from storage import members as member_store
from storage.db import session_scope
from storage.questions import latest_question_by


@dataclass(frozen=True)
class Welcome:
    """Who opened an assistant thread, as the greeting and the suggested prompts use it."""

    language: str
    first_name: str
    #: Their organisation's name; "" for someone with none.
    organisation: str
    #: Where their organisation is (its city, else its country); "" when the records say
    #: nothing.
    place: str


def welcome(*, engine: Engine, viewer: Viewer) -> Welcome:
    """The person's language is the one they last asked in; before any question, Finnish
    when their organisation works in Finnish only, else English (the cluster's common one)."""
    with session_scope(engine) as session:
        member = (
            member_store.member_by_id(session=session, member_id=viewer.member_id)
            if viewer.member_id is not None
            else None
        )
        last = latest_question_by(session=session, person_id=viewer.person_id)
        language = (
            detect_language(last) if last else reading_language(member.languages if member else [])
        )
        return Welcome(
            language=language,
            first_name=viewer.name.split()[0] if viewer.name.strip() else "",
            organisation=member.name if member else "",
            place=(member.city or member.country) if member else "",
        )

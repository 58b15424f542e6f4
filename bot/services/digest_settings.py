"""How often a person wants the opportunity digest (`/digest`, the Home tab)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.services.identity import Viewer
from storage.models import DigestFrequency
from storage.slack_queries import set_digest_frequency


class UnknownFrequency(ValueError):
    """Not weekly, daily or off; the message says what is allowed."""


def parse_frequency(text: str) -> DigestFrequency:
    try:
        return DigestFrequency(text.strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in DigestFrequency)
        raise UnknownFrequency(f"Unknown digest setting {text!r}. Use one of: {allowed}.") from None


def change_digest_frequency(*, session: Session, viewer: Viewer, text: str) -> DigestFrequency:
    frequency = parse_frequency(text)
    set_digest_frequency(session=session, person_id=viewer.person_id, frequency=frequency)
    return frequency

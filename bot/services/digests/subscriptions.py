"""How often a person wants the opportunity digest (`/digest`, the Home tab)."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.services.identity import Viewer
from storage import digests
from storage.db import session_scope

# Re-exported: the digest settings are the service's vocabulary for its callers too.
from storage.models import DigestFrequency as DigestFrequency
from storage.people import set_digest_frequency


class UnknownFrequency(ValueError):
    """Not weekly, daily or off; the message says what is allowed."""


def parse_frequency(text: str) -> DigestFrequency:
    try:
        return DigestFrequency(text.strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in DigestFrequency)
        raise UnknownFrequency(f"Unknown digest setting {text!r}. Use one of: {allowed}.") from None


def change_digest_frequency(*, engine: Engine, viewer: Viewer, text: str) -> DigestFrequency:
    with session_scope(engine) as session:
        frequency = parse_frequency(text)
        set_digest_frequency(session=session, person_id=viewer.person_id, frequency=frequency)
        return frequency


# --- subscriptions: `/digest subscribe|unsubscribe`, for a person (DM) or a channel ----------


def subscribe_person(*, engine: Engine, viewer: Viewer) -> DigestFrequency:
    """Turn the person's digest on (weekly unless they chose daily); returns the setting."""
    with session_scope(engine) as session:
        frequency = viewer.digest_frequency
        if frequency is DigestFrequency.OFF:
            frequency = DigestFrequency.WEEKLY
            set_digest_frequency(session=session, person_id=viewer.person_id, frequency=frequency)
        digests.subscriber_of_person(session=session, person_id=viewer.person_id)
        return frequency


def unsubscribe_person(*, engine: Engine, viewer: Viewer) -> bool:
    """Turn the person's digest off; False when it was off already."""
    with session_scope(engine) as session:
        set_digest_frequency(
            session=session, person_id=viewer.person_id, frequency=DigestFrequency.OFF
        )
        return viewer.digest_frequency is not DigestFrequency.OFF


def subscribe_channel(
    *, engine: Engine, channel_id: str, frequency: DigestFrequency = DigestFrequency.WEEKLY
) -> bool:
    """The channel gets the digest (public challenges only); True when it did not before."""
    with session_scope(engine) as session:
        return digests.subscribe_channel(
            session=session, channel_id=channel_id, frequency=frequency
        )


def unsubscribe_channel(*, engine: Engine, channel_id: str) -> bool:
    """Stop the channel's digest; False when it did not get one.

    The subscription stays with frequency 'off' so its delivery log is kept: subscribing again
    in the same week does not send that week's digest twice.
    """
    with session_scope(engine) as session:
        current = digests.channel_frequency(session=session, channel_id=channel_id)
        if current in (None, DigestFrequency.OFF):
            return False
        digests.subscribe_channel(
            session=session, channel_id=channel_id, frequency=DigestFrequency.OFF
        )
        return True


def channel_frequency(*, engine: Engine, channel_id: str) -> DigestFrequency:
    with session_scope(engine) as session:
        found = digests.channel_frequency(session=session, channel_id=channel_id)
        return found or DigestFrequency.OFF

"""What a member says of a digest item: *Not relevant* takes the challenge out of its digests."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import Engine

from bot.services.challenges import (
    ChallengeNotFound,
    ChallengeSummary,
    challenge_seen_by,
)
from bot.services.identity import Viewer
from storage import digests as store
from storage.db import session_scope


class FeedbackOutcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    NO_ORGANISATION = "no_organisation"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class FeedbackResult:
    outcome: FeedbackOutcome
    challenge: ChallengeSummary | None


def mark_not_relevant(*, engine: Engine, viewer: Viewer, challenge_id: int) -> FeedbackResult:
    """The viewer's organisation does not want this challenge: it leaves their digests.

    Kept per organisation (digest_feedback), like interest; matching can read the same rows
    (storage.digests.not_relevant_ids) to rank such challenges down for the organisation.
    """
    with session_scope(engine) as session:
        try:
            challenge = challenge_seen_by(session=session, viewer=viewer, key=str(challenge_id))
        except ChallengeNotFound:
            return FeedbackResult(FeedbackOutcome.NOT_FOUND, None)
        if viewer.member_id is None:
            return FeedbackResult(FeedbackOutcome.NO_ORGANISATION, challenge)
        added = store.add_not_relevant(
            session=session,
            member_id=viewer.member_id,
            challenge_id=challenge.id,
            person_id=viewer.person_id,
        )
        return FeedbackResult(
            FeedbackOutcome.RECORDED if added else FeedbackOutcome.ALREADY, challenge
        )

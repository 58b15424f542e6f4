"""Digest test helpers: the moment digests are tested at, a poster that crashes, fixed fits.

The small cluster and the Slack stand-in that remembers digests are in `standins.cluster` and
`standins.digests`, which the digest benchmark uses too. Tests that need a particular moment
set the clock (`tests.conftest.clock`, at NOW).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.digest_delivery import SlackDigestPoster
from bot.services.digests.choosing import Digest
from bot.services.identity import Viewer
from bot.services.matching import ChallengeFit, Evidence
from storage.digests import Subscriber
from storage.models import Challenge
from tests.conftest import NOW

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = NOW.date()
WEEK = "2026-W48"  # NOW's ISO week


class Crash(BaseException):
    """Stands for the process being killed: nothing in the sender catches it."""


@dataclass
class CrashingPoster:
    """Dies once, just before or just after Slack takes one subscriber's digest."""

    inner: SlackDigestPoster
    before: int | None = None
    after: int | None = None

    def post(self, subscriber: Subscriber, digest: Digest) -> str:
        if subscriber.subscription_id == self.before:
            raise Crash()
        ts = self.inner.post(subscriber, digest)
        if subscriber.subscription_id == self.after:
            raise Crash()
        return ts

    def find_posted(self, subscriber: Subscriber, period: str, since: datetime) -> str | None:
        return self.inner.find_posted(subscriber, period, since)


@dataclass
class FakeRanker:
    """Deterministic fits per organisation (by member id), best first."""

    fits: dict[int, list[ChallengeFit]] = field(default_factory=dict)

    def add(self, member_id: int, challenge: Challenge, reason: str, score: float = 1.0) -> None:
        """``reason``: the organisation's capability that matched, as the matcher quotes it."""
        matched = (Evidence(kind="capability", title="", text=reason),)
        fit = ChallengeFit(
            challenge.id,
            challenge.slug,
            challenge.title,
            score,
            f"Capability: {reason}",
            evidence=matched[0],
            supporting=matched,
        )
        self.fits.setdefault(member_id, []).append(fit)

    def __call__(
        self, session: Session, member_id: int, viewer: Viewer, limit: int
    ) -> list[ChallengeFit]:
        return self.fits.get(member_id, [])[:limit]

"""Digest test helpers: a small cluster, and a Slack stand-in that remembers.

Tests that need a particular moment set the clock (`tests.conftest.clock`, at NOW); records
are dated from the clock, so they are as new or old as the test says on any day.

`DigestSlack` is the shared Slack stand-in plus what digest delivery needs: per-recipient
failures (a user gone, an archived channel) and conversations.open / conversations.history
answered from the messages it accepted, so a retry can find a digest that already went out.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.app import build_web_client
from bot.digest_delivery import ChannelPacer, SlackDigestPoster
from bot.services.digests.choosing import Digest
from bot.services.identity import Viewer
from bot.services.matching import ChallengeFit
from storage import clock
from storage.db import session_scope
from storage.digests import Subscriber
from storage.models import (
    Challenge,
    ChallengeAccess,
    ChallengeStatus,
    DigestFrequency,
    DigestSubscription,
    Member,
    MemberKind,
    Person,
    Visibility,
)
from tests.bot.slack_harness import FakeSlack, bot_settings
from tests.conftest import NOW

HELSINKI = ZoneInfo("Europe/Helsinki")
TODAY = NOW.date()
WEEK = "2026-W48"  # NOW's ISO week


@dataclass
class DigestSlack(FakeSlack):
    failing: dict[str, str] = field(default_factory=dict)
    posted: list[dict[str, Any]] = field(default_factory=list)
    _posted_lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_recipient(self, channel: str, error: str) -> None:
        """chat.postMessage to ``channel`` (a user id for a DM) answers ok=false, ``error``."""
        self.failing[channel] = error

    def heal(self, channel: str) -> None:
        self.failing.pop(channel, None)

    def digests(self) -> list[dict[str, Any]]:
        """The digests Slack accepted, as {channel, ts, text, blocks, metadata}."""
        with self._posted_lock:
            return list(self.posted)

    def digests_per_recipient(self) -> Counter[str]:
        return Counter(p["channel"] for p in self.digests())

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            channel = str(args.get("channel"))
            if channel in self.failing:
                return {"ok": False, "error": self.failing[channel]}
            answer = super()._answer(method, args)
            with self._posted_lock:
                self.posted.append(
                    {
                        "channel": channel,
                        "ts": answer["ts"],
                        "text": args.get("text"),
                        "blocks": args.get("blocks"),
                        "metadata": args.get("metadata"),
                    }
                )
            return answer
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users"))}}
        if method == "conversations.history":
            channel = str(args.get("channel"))
            # A DM's history holds what was posted to the user id as well as to the D id.
            wanted = {channel, channel[1:]} if channel.startswith("D") else {channel}
            messages = [
                {"type": "message", "ts": p["ts"], "text": p["text"], "metadata": p["metadata"]}
                for p in reversed(self.digests())
                if p["channel"] in wanted
            ]
            return {"ok": True, "messages": messages, "has_more": False}
        return super()._answer(method, args)


def slack_poster(fake: FakeSlack, *, pacer: ChannelPacer | None = None) -> SlackDigestPoster:
    """The real poster with the bot's real Web client (retry rules included) aimed at ``fake``."""
    return SlackDigestPoster(build_web_client(bot_settings(fake)), pacer)


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
        fit = ChallengeFit(challenge.id, challenge.slug, challenge.title, score, reason)
        self.fits.setdefault(member_id, []).append(fit)

    def __call__(
        self, session: Session, member_id: int, viewer: Viewer, limit: int
    ) -> list[ChallengeFit]:
        return self.fits.get(member_id, [])[:limit]


def add_member(session: Session, slug: str, **fields: Any) -> Member:
    member = Member(slug=slug, name=fields.pop("name", slug.title()), kind=MemberKind.COMPANY)
    for key, value in fields.items():
        setattr(member, key, value)
    session.add(member)
    session.flush()
    return member


def add_person(
    session: Session,
    email: str,
    member: Member | None,
    slack_user_id: str | None,
    frequency: DigestFrequency = DigestFrequency.WEEKLY,
) -> Person:
    person = Person(
        email=email,
        name=email.split("@")[0].title(),
        member_id=member.id if member else None,
        slack_user_id=slack_user_id,
        digest_frequency=frequency,
    )
    session.add(person)
    session.flush()
    return person


def add_challenge(
    session: Session,
    slug: str,
    *,
    created_at: datetime | None = None,
    status: ChallengeStatus = ChallengeStatus.OPEN,
    visibility: Visibility = Visibility.PUBLIC,
    deadline: date | None = None,
    allowed: tuple[Member, ...] = (),
    **fields: Any,
) -> Challenge:
    challenge = Challenge(
        slug=slug,
        title=fields.pop("title", slug.replace("-", " ").capitalize()),
        status=status,
        visibility=visibility,
        deadline=deadline,
        # A day old, by default: new to this week's digest.
        created_at=created_at or clock.now() - timedelta(days=1),
        **fields,
    )
    session.add(challenge)
    session.flush()
    for member in allowed:
        session.add(ChallengeAccess(challenge_id=challenge.id, member_id=member.id))
    session.flush()
    return challenge


def add_channel(session: Session, channel_id: str) -> int:
    subscription = DigestSubscription(slack_channel_id=channel_id)
    session.add(subscription)
    session.flush()
    return subscription.id


def crowd(engine: Engine, people: int, channels: int = 0) -> list[str]:
    """``people`` subscribers in one organisation and ``channels`` channels, all with news.

    Returns every recipient's Slack address (user or channel id).
    """
    with session_scope(engine) as session:
        member = add_member(session, "crowd-oy", capabilities=["snow"])
        add_challenge(session, "snow-ploughing", needs=["snow"], title="Snow ploughing")
        addresses = []
        for n in range(people):
            user = f"U{n:09d}"
            add_person(session, f"p{n}@crowd.example", member, user)
            addresses.append(user)
        for n in range(channels):
            channel = f"C{n:09d}"
            add_channel(session, channel)
            addresses.append(channel)
    return addresses

"""Text the language model writes around the bot's own results: why each suggested solver fits a
challenge and the opening lines of a digest (a thread's summary is in bot.services.thread_summary).

Each function fills one template from `prompts/` with records or messages as data, checks what
comes back against what it sent, and never stands in the way: with no model, or when a call
fails, the caller gets exactly the template result it had before.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from bot.services.language import LANGUAGE_NAMES, language_name
from bot.services.llm import LanguageModel, LanguageModelError
from bot.services.matching import SolverMatch
from bot.services.text import clip, one_line
from prompts import as_data
from prompts.digest_intro import PROMPT as DIGEST_INTRO
from prompts.match_reasons import PROMPT as MATCH_REASONS
from storage.models import Challenge

if TYPE_CHECKING:
    from bot.services.digests import Digest, DigestItem

log = logging.getLogger(__name__)


# --- why each suggested solver fits a challenge ----------------------------------------------

# Staff read five of these on a card; the template reason is about as long.
REASON_MAX = 200
EVIDENCE_PER_MEMBER = 4
DESCRIPTION_SENT = 2000


class MemberReason(BaseModel):
    """Why one suggested member fits the challenge."""

    member: str
    reason: str


class MatchReasons(BaseModel):
    """One sentence per suggested member, by the member's slug."""

    reasons: list[MemberReason]


def _challenge_data(challenge: Challenge) -> dict[str, Any]:
    place = ", ".join(p for p in (challenge.city, challenge.region, challenge.country) if p)
    return {
        "title": challenge.title,
        "description": clip(challenge.description, DESCRIPTION_SENT),
        "needs": list(challenge.needs),
        "place": place,
    }


def _member_data(match: SolverMatch) -> dict[str, Any]:
    return {
        "slug": match.member_slug,
        "name": match.member_name,
        "kind": match.kind,
        "place": ", ".join(p for p in (match.city, match.country) if p),
        "evidence": [
            {"kind": e.kind, "title": e.title, "text": e.text}
            for e in match.evidence[:EVIDENCE_PER_MEMBER]
        ],
    }


def write_match_reasons(
    llm: LanguageModel | None, challenge: Challenge, matches: Sequence[SolverMatch]
) -> list[SolverMatch]:
    """``matches`` with the model's reason for each member; the template reason wherever the
    model gave none, a wrong one or failed. One call for the whole card, counted for nobody."""
    if llm is None or not matches:
        return list(matches)
    language = challenge.language if challenge.language in LANGUAGE_NAMES else "en"
    variables = {
        "language": language_name(language),
        "challenge": as_data(_challenge_data(challenge)),
        "members": as_data([_member_data(m) for m in matches]),
    }
    try:
        answer = llm.extract(MATCH_REASONS, MatchReasons, variables, person_id=None)
    except LanguageModelError as exc:
        log.warning("match reasons for %s from the templates: %s", challenge.slug, exc)
        return list(matches)
    suggested = {m.member_slug for m in matches}
    written: dict[str, str] = {}
    for item in answer.reasons:
        slug, reason = item.member.strip(), one_line(item.reason)
        # Members the matcher did not suggest are not the model's to add; an over-long reason
        # would not fit the card, and the template one still says something true.
        if slug in suggested and slug not in written and 0 < len(reason) <= REASON_MAX:
            written[slug] = reason
    return [replace(m, reason=written.get(m.member_slug, m.reason)) for m in matches]


# --- a digest's opening lines -----------------------------------------------------------------

INTRO_MAX = 500
READERS = {
    True: "a member organisation of the cluster (named in the data) and its people",
    False: "a cluster-wide Slack channel read by people from every member organisation",
}


def _digest_item(item: DigestItem) -> dict[str, Any]:
    challenge = item.challenge
    return {
        "title": challenge.title,
        "place": ", ".join(p for p in (challenge.city, challenge.country) if p),
        "deadline": challenge.deadline.isoformat() if challenge.deadline else None,
        "needs": list(challenge.needs),
        "why_it_fits": item.reason or None,
        "description": clip(challenge.description, 400),
    }


def _digest_data(digest: Digest) -> dict[str, Any]:
    return {
        "for": digest.organisation or "the whole cluster",
        "period": digest.period,
        "new_challenges": [_digest_item(i) for i in digest.fits],
        "deadlines_in_the_next_two_weeks": [_digest_item(i) for i in digest.deadlines],
        "team_news": [
            {
                "what": event.kind,
                "challenge": event.challenge_title,
                "team": event.team_name,
                "member": event.member_name or None,
                "role": event.role or None,
                "from_status": event.from_status.value if event.from_status else None,
                "to_status": event.to_status.value if event.to_status else None,
            }
            for event in digest.team_news
        ],
    }


def write_digest_intro(
    llm: LanguageModel, digest: Digest, *, language: str, person_id: int | None = None
) -> str:
    """One or two sentences opening the digest; raises LanguageModelError when there are none.

    ``person_id``: who asked for it (a person's own preview counts against their daily limit);
    None for the scheduled digests, sent to no one in particular's request.
    """
    variables = {
        "reader": READERS[bool(digest.organisation)],
        "language": language_name(language),
        "today": digest.today.isoformat(),
        "digest": as_data(_digest_data(digest)),
    }
    intro = one_line(llm.write(DIGEST_INTRO, variables, person_id=person_id))
    if len(intro) > INTRO_MAX:
        raise LanguageModelError(f"the digest introduction is {len(intro)} characters long")
    return intro

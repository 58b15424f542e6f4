"""The profile nudge DM: what the bot says about the organisation in three lines, and *Still
true* / *Edit* / *Not now*, in the organisation's language."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.common import Block, button, context, escape, message, section
from bot.services.nudges import Nudge

NUDGE_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "ask": "When members ask who can help, this is what I say about *{member}*. "
        "Is it still true?",
        "still_true": "Still true",
        "edit": "Edit",
        "not_now": "Not now",
        "why": "At most once every {days} days. Turn these reminders off on my Home tab.",
        "fallback": "Is this still true of {member}?",
    },
    "fi": {
        "ask": "Kun jäsenet kysyvät, kuka voisi auttaa, kerron *{member}*: tästä näin. "
        "Pitääkö se yhä paikkansa?",
        "still_true": "Pitää paikkansa",
        "edit": "Muokkaa",
        "not_now": "Ei nyt",
        "why": "Enintään kerran {days} päivässä. Voit kytkeä muistutukset pois "
        "Koti-välilehdeltäni.",
        "fallback": "{member}: pitääkö profiili yhä paikkansa?",
    },
}


def build_nudge(nudge: Nudge) -> dict[str, Any]:
    words = NUDGE_PHRASES.get(nudge.language, NUDGE_PHRASES["en"])
    member = escape(nudge.member_name)
    value = str(nudge.member_id)
    blocks: list[Block] = [
        section(words["ask"].format(member=member)),
        section("\n".join(f"> {escape(line)}" for line in nudge.summary)),
        {
            "type": "actions",
            "block_id": "profile_nudge",
            "elements": [
                button(words["still_true"], ids.PROFILE_STILL_TRUE, value, style="primary"),
                button(words["edit"], ids.PROFILE_EDIT, value),
                button(words["not_now"], ids.PROFILE_NOT_NOW, value),
            ],
        },
        context(words["why"].format(days=nudge.days)),
    ]
    return message(words["fallback"].format(member=nudge.member_name), blocks)

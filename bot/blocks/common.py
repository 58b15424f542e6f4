"""Small pieces every builder uses: escaping, Block Kit's length limits, plain text objects."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.services.text import clip as clip  # re-exported: every builder clips with it

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
MESSAGE_TEXT_MAX = 4000


def escape(text: str) -> str:
    """Slack's mrkdwn treats &, < and > as markup; records are shown as typed, never as links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts if t][:10]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def message(text: str, blocks: list[Block] | None = None) -> dict[str, Any]:
    """A message payload: ``text`` is the notification and screen-reader fallback."""
    payload: dict[str, Any] = {"text": clip(text, MESSAGE_TEXT_MAX)}
    if blocks is not None:
        payload["blocks"] = blocks
    return payload


def format_day(day: date | None) -> str:
    return day.isoformat() if day else "no deadline"


def format_budget(low: int | None, high: int | None, currency: str) -> str:
    def amount(value: int) -> str:
        return f"{value:,}".replace(",", " ")

    if low is None and high is None:
        return "not given"
    if low is not None and high is not None:
        return f"{amount(low)}–{amount(high)} {currency}"
    if low is not None:
        return f"from {amount(low)} {currency}"
    return f"up to {amount(high or 0)} {currency}"


def format_place(city: str, country: str) -> str:
    return ", ".join(part for part in (city, country) if part) or "anywhere"

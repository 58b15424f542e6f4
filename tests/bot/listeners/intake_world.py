"""The pasted call for proposals, the model's reading of it, and how the intake tests read
the modal the bot shows."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.blocks.challenge_modal import field_of

DEADLINE = (date.today() + timedelta(days=45)).isoformat()

CALL = (
    "Call for proposals: Smart snow removal for Espoo\n"
    "\n"
    "The City of Espoo invites companies to propose sensor-based planning of snow removal on "
    "cycle routes. Solutions must bring road-weather sensors and route optimisation.\n"
    f"Proposals are due {DEADLINE}. Budget: 80 000 – 120 000 €.\n"
    "\n"
    "Best regards, Pekka Planner"
)

READING = {
    "title": "Smart snow removal for Espoo's cycle routes",
    "description": "The City of Espoo wants sensor-based planning of snow removal.",
    "owner": "The City of Espoo",
    "city": "Espoo",
    "country": "Finland",
    "needs": ["road-weather sensors", "route optimisation"],
    "tags": ["mobility"],
    "deadline": DEADLINE,
    "budget_min": 80000,
    "budget_max": 120000,
    "language": "en",
}


def fields(view: dict[str, Any]) -> dict[str, Any]:
    """What the person sees in each input of the modal, by field name."""
    shown: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = element.get("initial_value", element.get("initial_date"))
        if "initial_option" in element:
            value = element["initial_option"]["value"]
        shown[field_of(block["block_id"])] = value
    return shown


def note(view: dict[str, Any]) -> str:
    first = view["blocks"][0]
    return str(first["elements"][0]["text"]) if first["type"] == "context" else ""

"""A small hand-written cluster of smart-city members, as passages."""

from __future__ import annotations

from retrieval.passages import Passage

MEMBERS: dict[str, list[tuple[str, str, str]]] = {
    "heatwise": [
        ("description", "Heatwise Oy", "Energy engineering consultancy."),
        (
            "capability",
            "Heat networks",
            "We optimise the heat distribution pipes that warm whole city blocks and recover "
            "waste heat from data centres.",
        ),
    ],
    "parkly": [
        ("description", "Parkly", "Smart parking for cities."),
        ("capability", "Parking guidance", "Parking sensors and guidance apps for drivers."),
    ],
    "arcticmove": [
        ("description", "Arctic Move", "Mobility services for northern towns."),
        ("capability", "Autonomous buses", "Self-driving shuttle buses for public transport."),
        (
            "reference",
            "Kirkenes pilot 2023",
            "Robotic snow clearing of pedestrian streets in Kirkenes during the polar night.",
        ),
    ],
    "brightstreet": [
        ("description", "BrightStreet", "Street lighting company."),
        (
            "capability",
            "Adaptive lighting",
            "LED street lights that dim when nobody is around, saving electricity.",
        ),
    ],
    "aquasense": [
        ("description", "AquaSense", "Water utilities analytics."),
        ("capability", "Leak detection", "Acoustic leak detection in drinking water mains."),
    ],
}


def member_passages() -> list[Passage]:
    return [
        Passage(f"{owner}/{n}", owner, kind, title, text, {"member": owner})
        for owner, rows in MEMBERS.items()
        for n, (kind, title, text) in enumerate(rows)
    ]

"""Plain-text shaping shared by the services and the block builders: clipping and one-lining."""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """Fit ``text`` into ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space."""
    return " ".join(text.split())

"""Block Kit checks with slack_sdk.models: every block is known to the SDK and within limits."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100


def assert_valid_blocks(blocks: list[dict[str, Any]], *, limit: int = MESSAGE_BLOCKS_MAX) -> None:
    assert 0 < len(blocks) <= limit, f"{len(blocks)} blocks"
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, f"slack_sdk does not know block {raw.get('type')!r}"
        block.validate_json()  # raises SlackObjectFormationError past a limit
        assert block.to_dict() == raw, f"slack_sdk reads {raw} differently"
        if raw["type"] == "section" and "text" in raw:
            assert len(raw["text"]["text"]) <= 3000


def assert_valid_message(message: dict[str, Any]) -> None:
    assert message.get("text"), "a message needs fallback text for notifications"
    assert_valid_blocks(message["blocks"])


def assert_valid_view(view: dict[str, Any]) -> None:
    parsed = View(**view)
    parsed.validate_json()
    assert_valid_blocks(view["blocks"], limit=VIEW_BLOCKS_MAX)

"""Answers to /challenge list, show and status."""

from __future__ import annotations

from bot.blocks.challenge_list import (
    LISTED_MAX,
    build_challenge_detail,
    build_challenge_list,
    build_status_changed,
)
from bot.blocks.messages import CHALLENGE_USAGE, build_not_staff, build_unknown_person, build_usage
from bot.services.challenges import ChallengePage
from storage.models import ChallengeStatus
from tests.bot.block_kit import assert_valid_message
from tests.bot.blocks.test_challenge_card import summary


def test_list_is_capped_and_says_how_many_there_are() -> None:
    many = tuple(summary(id=i, slug=f"c{i}") for i in range(40))
    answer = build_challenge_list(ChallengePage(many, 40, "all"))
    assert_valid_message(answer)
    assert str(answer).count("`c") == LISTED_MAX
    assert f"Showing {LISTED_MAX} of 40." in str(answer)


def test_empty_open_list_points_to_all() -> None:
    answer = build_challenge_list(ChallengePage((), 0, "open"))
    assert_valid_message(answer)
    assert "no open challenges" in answer["text"] and "/challenge list all" in answer["text"]


def test_detail_and_status_change() -> None:
    detail = build_challenge_detail(summary(channel_id="C0CHALLENGE"))
    assert_valid_message(detail)
    assert "ice monitoring, maritime logistics" in str(detail) and "<#C0CHALLENGE>" in str(detail)
    changed = build_status_changed(
        summary(status=ChallengeStatus.CLOSED), previous=ChallengeStatus.OPEN
    )
    assert_valid_message(changed)
    assert "from open to *closed*" in changed["text"]


def test_polite_messages_are_valid() -> None:
    for payload in (
        build_usage(CHALLENGE_USAGE, problem="I don't know `/challenge <b>`."),
        build_not_staff(what="post challenges"),
        build_unknown_person(staff_channel=""),
    ):
        assert_valid_message(payload)
    assert "&lt;b&gt;" in build_usage(CHALLENGE_USAGE, problem="<b>")["text"]

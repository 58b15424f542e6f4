"""The /challenge grammar; every garbled or empty input gets usage, never an error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.listeners.commands.parsing import ChallengeRequest, parse_challenge_text


@pytest.mark.parametrize(
    ("text", "request_"),
    [
        ("", ChallengeRequest("new")),
        ("  New ", ChallengeRequest("new")),
        ("help", ChallengeRequest("help")),
        ("list", ChallengeRequest("list", which="open")),
        ("list ALL", ChallengeRequest("list", which="all")),
        ("show kirkenes-ice", ChallengeRequest("show", key="kirkenes-ice")),
        ("status 7 teams forming", ChallengeRequest("status", key="7", status="teams forming")),
    ],
)
def test_commands(text: str, request_: ChallengeRequest) -> None:
    assert parse_challenge_text(text) == request_


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("list closed", "`/challenge list` takes `open` or `all`."),
        ("show", "Say which one: `/challenge show <id or slug>`."),
        ("show a b", "Say which one: `/challenge show <id or slug>`."),
        ("status 7", "Say which and to what: `/challenge status <id or slug> <status>`."),
        ("new please", "I don't know `/challenge new please`."),
        ("frobnicate", "I don't know `/challenge frobnicate`."),
    ],
)
def test_garbage_gets_usage_with_the_problem(text: str, problem: str) -> None:
    assert parse_challenge_text(text) == ChallengeRequest("usage", problem=problem)


@given(st.text(max_size=300))
def test_any_text_parses_to_a_request(text: str) -> None:
    request = parse_challenge_text(text)
    assert request.action in (
        "new",
        "intake",
        "list",
        "show",
        "status",
        "team_status",
        "team_new",
        "help",
        "usage",
    )
    assert len(request.problem) < 200
    if request.action == "intake":
        assert request.text and request.text in text


PASTED = "The City of Espoo seeks sensor-based snow removal planning."


@pytest.mark.parametrize(
    ("text", "pasted"),
    [
        (PASTED, PASTED),  # one long sentence
        ("Snow removal\nEspoo", "Snow removal\nEspoo"),  # several lines, however short
        (f"new {PASTED}", PASTED),
        (f"new\n{PASTED}\nDeadline 1.4.", f"{PASTED}\nDeadline 1.4."),
        ("New York City seeks partners for a smart kerb pilot", None),  # kept whole
        ("show me what Espoo needs for snow removal", None),  # a verb, but not a command
        ("List of needs: sensors, routing, a data platform", None),
    ],
)
def test_pasted_text_is_intake(text: str, pasted: str | None) -> None:
    assert parse_challenge_text(text) == ChallengeRequest("intake", text=pasted or text)


@pytest.mark.parametrize(
    "text",
    ["frobnicate the thing", "new please", "show a b", "status 7 teams forming", "list all"],
)
def test_short_text_stays_a_command_or_a_usage_error(text: str) -> None:
    assert parse_challenge_text(text).action != "intake"

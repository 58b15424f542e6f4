"""Slack settings: optional for the CLI, checked when `scic serve` starts, one message per setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, require_slack_settings, slack_settings_problems
from standins.slack import BOT_TOKEN, SIGNING_SECRET


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


GOOD = {
    "slack_bot_token": BOT_TOKEN,
    "slack_signing_secret": SIGNING_SECRET,
    "challenges_channel": "C0123456789",
}


def test_the_cli_loads_settings_without_any_slack_token() -> None:
    loaded = settings()
    assert loaded.slack_bot_token == "" and loaded.port == 3000
    assert loaded.slack_api_url == "https://slack.com/api/"


def test_good_settings_pass_and_the_api_url_gets_its_slash() -> None:
    good = settings(**GOOD, slack_api_url="http://127.0.0.1:9999/api")
    assert require_slack_settings(good) is good
    assert good.slack_api_url == "http://127.0.0.1:9999/api/"
    assert not good.socket_mode
    assert (
        slack_settings_problems(
            settings(**GOOD, slack_app_token="xapp-1-A0123-4567-abcdef0123456789")
        )
        == []
    )


def test_missing_settings_are_named() -> None:
    with pytest.raises(SettingsError) as error:
        require_slack_settings(settings())
    message = str(error.value)
    for name in (
        "SLACK_BOT_TOKEN is required",
        "SLACK_SIGNING_SECRET is required",
        "CHALLENGES_CHANNEL is required",
    ):
        assert name in message


def test_socket_mode_needs_no_signing_secret() -> None:
    values = GOOD | {
        "slack_signing_secret": "",
        "slack_app_token": "xapp-1-A0123-4567-abcdef0123456789",
    }
    assert slack_settings_problems(settings(**values)) == []


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("slack_bot_token", "xoxb-your-bot-token", "SLACK_BOT_TOKEN still holds a placeholder"),
        ("slack_bot_token", "xoxb-...", "SLACK_BOT_TOKEN still holds a placeholder"),
        (
            "slack_bot_token",
            "xoxp-1234567890-1234567890-abcdefghijkl",
            "SLACK_BOT_TOKEN must be the Bot User OAuth Token: it starts with 'xoxb-'",
        ),
        (
            "slack_app_token",
            "xoxb-1234567890-1234567890-abcdefghijkl",
            "SLACK_APP_TOKEN must be an app-level token: it starts with 'xapp-'",
        ),
        ("slack_app_token", "xapp-changeme", "SLACK_APP_TOKEN still holds a placeholder"),
        ("slack_signing_secret", "changeme", "SLACK_SIGNING_SECRET still holds a placeholder"),
        ("slack_signing_secret", "0" * 32, "SLACK_SIGNING_SECRET still holds a placeholder"),
        (
            "slack_signing_secret",
            "abc123",
            "SLACK_SIGNING_SECRET must be the 32 hexadecimal characters",
        ),
        ("slack_api_url", "slack.com/api", "SLACK_API_URL must be an http(s) URL"),
        ("challenges_channel", "#challenges", "CHALLENGES_CHANNEL must be a channel ID"),
        ("staff_channel", "staff", "STAFF_CHANNEL must be a channel ID"),
        ("port", 70000, "PORT must be between 1 and 65535"),
    ],
)
def test_malformed_values_are_refused_naming_the_setting(
    name: str, value: object, problem: str
) -> None:
    problems = slack_settings_problems(settings(**(GOOD | {name: value})))
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_a_real_looking_random_token_is_never_a_placeholder() -> None:
    # Words like "your" or "xxx" can occur inside random tokens; only the start counts.
    token = "xoxb-1234567890-1234567890123-yourXXXtodoExampleAbc"
    assert slack_settings_problems(settings(**(GOOD | {"slack_bot_token": token}))) == []


def test_the_readme_lists_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(" `") for line in readme.splitlines() if line.startswith("| `")
    }
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in rows]
    assert not missing, f"settings missing from the README's configuration table: {missing}"

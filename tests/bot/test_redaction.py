"""No secret in the output: distinctive secrets in every setting, failure paths run for real
(`scic` in its own process, LOG_LEVEL=DEBUG), and all of stdout and stderr searched."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from bot.redaction import RedactingFilter, redact, secrets_of
from bot.settings import Settings
from tests.bot.cli.running import EXAMPLES, scic, url_of

BOT_TOKEN = "xoxb-7777777777-8888888888888-SeCrEtBoTtOkEnVaLuE1"
APP_TOKEN = "xapp-1-A0SECRET-9999999999-SeCrEtApPtOkEnVaLuE2"
SIGNING_SECRET = "5ec2e75161" + "0" * 22
OPENAI_KEY = "sk-SeCrEtOpEnAiKeYvAlUe3"
DB_PASSWORD = "SeCrEtDbPaSsWoRd4"
SECRETS = (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, OPENAI_KEY, DB_PASSWORD)


def secret_env(**more: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "OPENAI_API_KEY": OPENAI_KEY,
        "LOG_LEVEL": "DEBUG",
        **more,
    }


def assert_no_secret(*outputs: str) -> None:
    for output in outputs:
        for secret in SECRETS:
            assert secret not in output, (secret, output[-2000:])


def test_secrets_and_url_passwords_are_masked_even_in_urls_no_parser_takes() -> None:
    settings = Settings(
        _env_file=None,
        openai_api_key=OPENAI_KEY,
        database_url=f"postgresql+psycopg://scic:{DB_PASSWORD}@db:5432/scic",
    )
    found = secrets_of(settings)
    assert OPENAI_KEY in found and DB_PASSWORD in found
    text = f"key {OPENAI_KEY}; url postgresql+psycopg://scic:{DB_PASSWORD}@[::1:bad/db?x"
    assert redact(text, found) == "key ***; url postgresql+psycopg://scic:***@[::1:bad/db?x"
    assert redact(f"http://u:{DB_PASSWORD}@h%zz") == "http://u:***@h%zz"


def test_the_filter_masks_arguments_and_tracebacks() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "using %s", (OPENAI_KEY,), None)
    try:
        raise RuntimeError(f"refused {OPENAI_KEY}")
    except RuntimeError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    RedactingFilter([OPENAI_KEY]).filter(record)
    handler = logging.StreamHandler()
    text = handler.format(record)
    assert "using ***" in text and "refused ***" in text
    assert_no_secret(text)


def test_failing_commands_never_print_a_secret(engine: Engine, tmp_path: Path) -> None:
    unparseable = f"postgresql+psycopg://scic:{DB_PASSWORD}@[::1:5432/scic"
    unreachable = f"postgresql+psycopg://scic:{DB_PASSWORD}@127.0.0.1:1/scic"
    runs = [
        scic("stats", url=unparseable, cwd=tmp_path, **secret_env()),
        scic("stats", url=unreachable, cwd=tmp_path, **secret_env()),
        scic("serve", url=unreachable, cwd=tmp_path, **secret_env(CHALLENGES_CHANNEL="bad")),
    ]
    for run in runs:
        assert run.returncode != 0
        assert_no_secret(run.stdout, run.stderr)
    assert "scic:***@" in runs[0].stderr  # the URL is still named, its password masked


def test_a_failing_language_model_never_prints_its_key(engine: Engine, tmp_path: Path) -> None:
    url = url_of(engine)
    scic("import", "members", str(EXAMPLES / "members.csv"), url=url, cwd=tmp_path)
    scic("import", "people", str(EXAMPLES / "people.csv"), url=url, cwd=tmp_path)
    asked = scic(
        "ask",
        "who can do snow load sensing on roofs?",
        "--as",
        "mikko.laine@espoo.example",
        url=url,
        cwd=tmp_path,
        **secret_env(
            DATA_DIR=str(tmp_path / "data"),
            EMBEDDING_MODEL_DIR="",
            LLM_MODEL="test-model",
            OPENAI_BASE_URL="http://127.0.0.1:9/v1",  # nothing listens: every call fails
            LLM_TIMEOUT="2",
            LLM_MAX_RETRIES="1",
        ),
    )
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert "DEBUG" in asked.stderr  # the debug output was there to search
    assert_no_secret(asked.stdout, asked.stderr)

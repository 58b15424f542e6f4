"""No secret in the output: every configured secret, and the password of any URL, is masked in
every log line and every error the command line prints, at any level and whatever failed.

`RedactingFilter` goes on the root logger's handlers (`install`), so it sees the records of
every library (uvicorn, httpx, openai, Bolt) as they are written; `redact` is for text that
does not pass through logging (the CLI's one-line errors).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.settings import Settings
from storage.db import mask_url_passwords

MASK = "***"
# Secrets shorter than this are not masked (they would mask ordinary words).
_SHORTEST = 6


def secrets_of(settings: Settings) -> list[str]:
    """The configured secrets: tokens, keys, and the passwords inside configured URLs."""
    values = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.openai_api_key,
    ]
    for url in (settings.database_url, settings.chroma_url, settings.openai_base_url):
        match = re.search(r"://[^\s:/@]*:([^\s@]+)@", url or "")
        if match:
            values.append(match.group(1))
    return sorted({v for v in values if v and len(v) >= _SHORTEST}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return mask_url_passwords(text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and its traceback) with the secrets masked."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, masked
            message = str(record.msg)
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = redact(text, self.secrets), None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


# The secrets `install` was given: what `redact_output` masks in text printed directly.
_installed: list[str] = []


def install(secrets: Iterable[str]) -> RedactingFilter:
    """Mask ``secrets`` in everything the root logger's handlers write (call after the handlers
    are set up; every library's records reach them through the root logger)."""
    found = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(found)
    _installed[:] = found.secrets
    return found


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    """Logging for this process, once: the level and format from the settings, every secret
    masked. The command line calls it at start, and so does each of `SERVE_WORKERS`' worker
    processes (a fresh interpreter, which otherwise loses its INFO lines and writes its
    warnings bare, secrets and all)."""
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    # Before anything can log: no token, key or password reaches the output, at any level.
    install(secrets_of(settings))
    # Alembic narrates every migration step at INFO; the CLI says what matters itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def redact_output(text: str) -> str:
    """``text`` with the installed secrets and every URL's password masked."""
    return redact(text, _installed)

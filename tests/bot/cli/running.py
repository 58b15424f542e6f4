"""`scic` as staff run it: a real process, real files, a real store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def scic(*args: str, url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **env}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)

"""`scic usage` in a real process: the language model's calls per day and task."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from storage.db import session_scope
from storage.llm_usage import record_model_call
from tests.bot.cli.running import scic, url_of


def test_usage_shows_the_language_models_calls_per_day_and_task(
    engine: Engine, tmp_path: Path
) -> None:
    url = url_of(engine)
    assert "No language model calls" in scic("usage", url=url, cwd=tmp_path).stdout
    with session_scope(engine) as session:
        calls = [("shown", ""), ("dropped", "names"), ("dropped", "names"), ("dropped", "links")]
        calls += [("failed", ""), ("skipped", "")]
        for outcome, check in calls:
            record_model_call(
                session=session,
                person_id=None,
                task="answer",
                model="gpt-4o-mini",
                prompt_version="1",
                input_tokens=500,
                output_tokens=60,
                outcome=outcome,
                duration_ms=900,
                dropped_by=check,
            )
    done = scic("usage", "--json", url=url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert (row["task"], row["calls"], row["input_tokens"]) == ("answer", 6, 3000)
    assert (row["shown"], row["dropped"], row["failed"], row["skipped"]) == (1, 3, 1, 1)
    assert row["dropped_by"] == {"links": 1, "names": 2}
    table = scic("usage", url=url, cwd=tmp_path, COLUMNS="200").stdout
    assert "3 (links 1, names 2)" in table

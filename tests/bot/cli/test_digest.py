"""`scic digest preview|send --dry-run`: readable digests in the terminal, nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.pool import QueuePool
from typer.testing import CliRunner

from bot.cli import app
from standins.cluster import add_challenge, add_member, add_person
from standins.openai_server import ChatRequest, FakeOpenAI
from storage import clock
from storage.db import make_engine, session_scope
from storage.llm_usage import model_calls
from storage.models import DigestDelivery


@pytest.fixture(autouse=True)
def store_url(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))  # a fresh search index for every test


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["digest", *args])
    return result.exit_code, result.output


def test_preview_and_dry_run_print_the_digest_and_send_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        member = add_member(session, "arctic", name="Arctic Oy", capabilities=["ice sensors"])
        add_person(session, "aino@arctic.example", member, "U0AINO")
        add_challenge(
            session, "kirkenes-ice", title="Ice sensors in Kirkenes", created_at=clock.now()
        )
    code, output = run("preview")
    assert code == 0 and "The cluster's weekly opportunity digest" in output
    assert "Ice sensors in Kirkenes [kirkenes-ice]" in output
    code, output = run("preview", "--person", "AINO@arctic.example")
    assert code == 0 and "New challenges that fit Arctic Oy" in output
    # Why it fits, from the organisation's own profile: its capability that matched.
    assert "Why it fits: your capability “ice sensors”" in output
    code, output = run("send", "--dry-run")
    assert code == 0 and "weekly: 1 of 1 due subscribers would get a digest" in output
    assert "→ U0AINO: 1 new, 0 deadlines, 0 team updates" in output
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(DigestDelivery)) == 0


def test_an_unknown_person_is_one_clear_line() -> None:
    code, output = run("preview", "--person", "nobody@nowhere.example")
    assert code == 2 and "no person with the email 'nobody@nowhere.example'" in output


def test_with_a_language_model_the_preview_opens_with_its_lines(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    intro = "Ice sensors in Kirkenes is this week's one new challenge, and it fits Arctic Oy."
    with session_scope(engine) as session:
        member = add_member(session, "arctic", name="Arctic Oy", capabilities=["ice sensors"])
        add_person(session, "aino@arctic.example", member, "U0AINO")
        add_challenge(
            session, "kirkenes-ice", title="Ice sensors in Kirkenes", created_at=clock.now()
        )
    with FakeOpenAI() as server:
        monkeypatch.setenv("LLM_MODEL", "test-model")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        server.reply(intro)
        code, output = run("preview", "--person", "aino@arctic.example")
        assert code == 0
        assert output.splitlines()[1:3] == ["", intro]
        assert "Arctic Oy" in server.requests[0].user
        # The model down: the same digest, without the opening, and no error shown.
        server.fail(500, times=3)
        code, output = run("preview", "--person", "aino@arctic.example")
        assert code == 0 and intro not in output and "error" not in output.lower()
        assert "Ice sensors in Kirkenes [kirkenes-ice]" in output


def test_no_store_connection_is_held_while_the_model_writes_the_previews_opening(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(engine) as session:
        member = add_member(session, "arctic", name="Arctic Oy", capabilities=["ice sensors"])
        add_person(session, "aino@arctic.example", member, "U0AINO")
        add_challenge(
            session, "kirkenes-ice", title="Ice sensors in Kirkenes", created_at=clock.now()
        )
    engines: list[Engine] = []

    def remembered(url: str) -> Engine:
        engines.append(make_engine(url))
        return engines[-1]

    monkeypatch.setattr("bot.cli.store.make_engine", remembered)
    held: list[int] = []

    def opening(request: ChatRequest) -> str:
        # Asked while the CLI waits: what its store has checked out right now.
        pool = engines[-1].pool
        assert isinstance(pool, QueuePool)  # what make_engine builds for SQLite files and PG
        held.append(pool.checkedout())
        return "Ice sensors in Kirkenes is new this week."

    with FakeOpenAI(responder=opening) as server:
        monkeypatch.setenv("LLM_MODEL", "test-model")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        for args in (["preview"], ["preview", "--person", "aino@arctic.example"]):
            code, output = run(*args)
            assert code == 0 and "Ice sensors in Kirkenes is new this week." in output
    assert held == [0, 0]
    with session_scope(engine) as session:
        # Staff at the terminal asked, not Aino: counted against nobody's daily limit.
        assert [c.person_id for c in model_calls(session=session)] == [None, None]

"""The contract every `scic` command keeps: empty or garbled input gets one polite line.

Whatever is wrong (a missing or empty argument, a garbled option, a bad file, a bad setting,
a store that cannot be reached or was never set up, a person nobody knows), the command says
why in one line on stderr, `Error: <reason>`, and exits with code 2: never a traceback. Every
command of the app must have its cases below, so a new command cannot skip the contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.core import TyperGroup
from typer.testing import CliRunner, Result

from bot.cli import app
from standins.cluster import add_cast
from storage import migrate
from storage.db import make_engine
from tests.bot.cli.running import EXAMPLES, scic, url_of

UNKNOWN = "nobody@nowhere.example"

EXTRA = "unexpected extra argument"
NOT_INT = "Input should be a valid integer"

# Per command: empty or garbled arguments, and words its one-line reason must hold. The files
# named here are written by `workdir`: garbled bytes, broken JSON, text of no known format.
GARBLED: dict[tuple[str, ...], list[tuple[list[str], str]]] = {
    ("init",): [(["now"], EXTRA), (["--demo=maybe"], "'--demo' does not take a value")],
    ("import",): [
        ([], "Missing argument 'kind'. Choose from: members, people, challenges"),
        (["members"], "Missing argument 'file'"),
        (["members", ""], "give the file to import"),
        (["planets", "members.csv"], "'planets' is not one of"),
        (["members", "garbled.csv"], "garbled.csv: line 1: byte 0xFF is not UTF-8 text"),
        (["members", "garbled.json"], "garbled.json: not valid JSON at line 1"),
        (["members", "notes.txt"], "notes.txt: cannot tell the format from the name"),
        (["members", "members.csv", "--format", "yaml"], "'yaml' is not one of 'csv', 'json'"),
    ],
    ("export",): [
        ([], "Missing argument 'kind'"),
        (["members", ""], "give the file to write"),
        (["members", "out.txt"], "out.txt: cannot tell the format from the name"),
        (["members", "out.csv", "--format"], "'--format' requires an argument"),
    ],
    ("stats",): [(["everything"], EXTRA)],
    ("usage",): [(["--days", "0"], "greater than or equal to 1"), (["--days", "a week"], NOT_INT)],
    ("reindex",): [(["--check", "now"], EXTRA)],
    ("match",): [
        ([], "Missing argument 'text'"),
        ([""], "give the problem to match"),
        (["   "], "give the problem to match"),
        (["snow on roofs", "--k", "many"], NOT_INT),
    ],
    ("ask",): [
        ([], "Missing argument 'text'"),
        ([""], "give a question"),
        (["who can solve snow?", "--as", ""], "--as needs an email"),
        (["who can solve snow?", "--as", UNKNOWN], f"no person with the email '{UNKNOWN}'"),
    ],
    ("console",): [
        (["hello"], EXTRA),
        (["--as", ""], "--as needs an email"),
        (["--as", UNKNOWN], f"no person with the email '{UNKNOWN}'"),
    ],
    ("serve",): [(["now"], EXTRA), ([], "cannot start the Slack bot: SLACK_BOT_TOKEN is required")],
    ("report",): [
        (["busy-harbour"], "'busy-harbour' is not one of 'pipeline', 'members'"),
        (["members", "busy-harbour"], EXTRA),
        (["--active=yes"], "does not take a value"),
    ],
    ("digest", "preview"): [
        (["--person"], "'--person' requires an argument"),
        (["--person", ""], "--person needs an email"),
        (["--person", UNKNOWN], f"no person with the email '{UNKNOWN}'"),
    ],
    ("digest", "send"): [
        (["--dry-run", "now"], EXTRA),
        ([], "cannot send digests: SLACK_BOT_TOKEN is required"),
    ],
    ("bench", "expertise"): [
        ([], "Missing option '--dataset'"),
        (["--dataset", "nowhere"], "nowhere is not an expertise dataset folder"),
    ],
    ("bench", "speed"): [(["fast"], EXTRA)],
    ("bench", "load"): [
        (["fast"], EXTRA),
        (["--only", "outage"], "--only outage needs --outage-postgres"),
        (["--only", "all"], "--only must be load, restart or outage"),
    ],
    ("bench", "ack"): [(["--requests", "0"], "greater than or equal to 1")],
    ("bench", "digest"): [(["--subscribers", "all"], NOT_INT)],
    ("bench", "scale"): [
        (["--size", "0"], "greater than or equal to 1"),
        (["--store", "oracle"], "--store must be sqlite or postgresql"),
        (["--chroma", "cloud"], "--chroma must be embedded or server"),
        ([], "the scale benchmark needs the MiniLM files"),
    ],
    ("bench", "answers"): [
        (["--set", "nowhere.json"], "nowhere.json is not a question set"),
        (["--worst", "some"], NOT_INT),
    ],
    ("bench", "llm"): [
        ([], "give --base-url and --model"),
        (["--model", "smollm2"], "give --base-url and --model"),
        (["--stand-in", "lazy"], "--stand-in is one of"),
        (["--stand-in", "hang", "--set", "nowhere.json"], "nowhere.json is not a question set"),
    ],
}

# Per command that opens the store: arguments that would work on a good store.
SOUND: dict[tuple[str, ...], list[str]] = {
    ("init",): [],
    ("import",): ["members", str(EXAMPLES / "members.csv")],
    ("export",): ["members", "out.csv"],
    ("stats",): [],
    ("usage",): [],
    ("reindex",): ["--check"],
    ("match",): ["snow load on school roofs"],
    ("ask",): ["who can solve snow load on school roofs?"],
    ("console",): [],
    ("report",): [],
    ("digest", "preview"): [],
    ("digest", "send"): ["--dry-run"],
}


def leaf_commands(group: TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if isinstance(command, TyperGroup):
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name)


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store with the cast in it: sound enough that only the bad input can fail."""
    url = f"sqlite:///{tmp_path_factory.mktemp('contract') / 'scic.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    add_cast(engine)  # a staff member to speak as, when `--as` is left out
    engine.dispose()
    return url


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Path:
    # No .env of the developer's, no Slack settings: `serve` and `digest send` must refuse.
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "LLM_MODEL"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EMBEDDING_MODEL_DIR", "")
    (tmp_path / "garbled.csv").write_bytes(b"\xff\xfe\x00sl\x81ug,\x9fname\n\x00\x00")
    (tmp_path / "garbled.json").write_text('[{"slug": "half-written', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("members, maybe", encoding="utf-8")
    (tmp_path / "members.csv").write_bytes((EXAMPLES / "members.csv").read_bytes())
    return tmp_path


def case_id(value: object) -> str | None:
    # `import ['members', '']`: the command, then its arguments with the empty ones visible.
    if isinstance(value, tuple):
        return " ".join(value)
    return repr(value) if isinstance(value, list) else None


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def one_polite_line(result: Result) -> str:
    """The reason, after checking it is the only one, on one line, with exit code 2."""
    assert result.exit_code == 2, result.output
    # SystemExit is how a refusal leaves; anything else is a crash the runner caught.
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    reasons = [line for line in lines if line.startswith("Error:")]
    assert len(reasons) == 1 and reasons[0] == lines[-1], result.stderr
    assert len(reasons[0].removeprefix("Error:").strip()) >= 10, "a reason, not a bare 'Error:'"
    return reasons[0]


def test_every_command_has_its_garbled_cases() -> None:
    commands = set(leaf_commands(typer.main.get_group(app)))
    assert commands == set(GARBLED), "give each new command its cases here"
    assert set(SOUND) <= commands


@pytest.mark.parametrize(
    ("command", "args", "reason"),
    [(command, *case) for command, cases in GARBLED.items() for case in cases],
    ids=case_id,
)
def test_empty_or_garbled_input_gets_one_line_and_exit_code_2(
    workdir: Path, command: tuple[str, ...], args: list[str], reason: str
) -> None:
    assert reason in one_polite_line(run(*command, *args))


@pytest.mark.parametrize("command", [*SOUND, ("serve",)], ids=" ".join)
def test_a_bad_setting_is_named(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("LLM_TIMEOUT", "soon")
    assert "LLM_TIMEOUT" in one_polite_line(run(*command, *SOUND.get(command, [])))


@pytest.mark.parametrize("command", list(SOUND), ids=" ".join)
def test_an_unreachable_store_is_one_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")
    assert "cannot reach the store" in one_polite_line(run(*command, *SOUND[command]))


@pytest.mark.parametrize("command", [c for c in SOUND if c != ("init",)], ids=" ".join)
def test_a_store_without_tables_says_to_run_init(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{workdir / 'empty.db'}")
    assert "scic init" in one_polite_line(run(*command, *SOUND[command]))


@pytest.mark.parametrize("group", [(), ("digest",), ("bench",)], ids=["scic", "digest", "bench"])
def test_a_group_without_a_command_shows_its_commands(group: tuple[str, ...]) -> None:
    result = run(*group)
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert f"Usage: scic {' '.join(group)}".strip() in result.output
    assert "Commands:" in result.output


# --- the installed entry point: a real process, so `main` and its logging set-up too ------


def test_unreachable_store_is_one_clear_line(tmp_path: Path) -> None:
    result = scic("stats", url="postgresql+psycopg://postgres@127.0.0.1:1/none", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot reach the store at DATABASE_URL=" in result.stderr
    assert "Traceback" not in result.stderr


def test_uninitialised_store_says_to_run_init(tmp_path: Path) -> None:
    result = scic("stats", url=f"sqlite:///{tmp_path / 'empty.db'}", cwd=tmp_path)
    assert result.returncode == 2
    assert "run `scic init`" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "members", "missing.csv"), "cannot read"),
        (("import", "members", "notes.txt"), "use a .csv or .json file"),
        (("import", "planets", "x.csv"), "Invalid value for 'kind'"),
    ],
)
def test_bad_command_lines_get_a_message_not_a_traceback(
    engine: Engine, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    result = scic(*args, url=url_of(engine), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_malformed_setting_is_named(tmp_path: Path) -> None:
    result = scic("stats", url="sqlite://", cwd=tmp_path, LOG_LEVEL="LOUD")
    assert result.returncode == 2
    assert "LOG_LEVEL" in result.stderr

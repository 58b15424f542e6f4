"""`scic match|ask|reindex` in a real process: ranked solvers, an answer, drift found and mended."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, text

from tests.bot.cli.running import EXAMPLES, scic, url_of


def test_match_ask_and_reindex_check_find_drift_and_repair_it(
    engine: Engine, tmp_path: Path
) -> None:
    url = url_of(engine)
    lexical = {"DATA_DIR": str(tmp_path / "data"), "EMBEDDING_MODEL_DIR": ""}
    for kind, name in (("members", "members.csv"), ("people", "people.csv")):
        scic("import", kind, str(EXAMPLES / name), url=url, cwd=tmp_path, **lexical)

    found = scic("match", "snow load sensing on roofs", "--json", url=url, cwd=tmp_path, **lexical)
    assert found.returncode == 0, found.stderr
    first = json.loads(found.stdout)[0]
    assert first["member_slug"] == "arctic-sense"
    assert first["contacts"][0]["email"] == "aino.virtanen@arcticsense.example"
    assert "LEXICAL-ONLY" in found.stderr  # said loudly when the model is missing

    asker = ("--as", "mikko.laine@espoo.example")
    asked = scic("ask", "what does ArcticSense do?", *asker, url=url, cwd=tmp_path, **lexical)
    assert asked.returncode == 0 and "Roof sensors for Oulu schools" in asked.stdout

    assert scic("reindex", "--check", url=url, cwd=tmp_path, **lexical).returncode == 0
    with engine.begin() as connection:  # a change that bypasses the ORM, so no outbox row
        connection.execute(text("UPDATE member SET description = 'Changed behind our back.'"))
    drift = scic("reindex", "--check", url=url, cwd=tmp_path, **lexical)
    assert drift.returncode == 1 and "stale in the index" in drift.stdout
    rebuilt = scic("reindex", url=url, cwd=tmp_path, **lexical)
    assert rebuilt.returncode == 0 and "Indexed" in rebuilt.stdout
    assert scic("reindex", "--check", url=url, cwd=tmp_path, **lexical).returncode == 0


def test_a_corrupted_index_is_reported_by_check_and_rebuilt_by_reindex(
    engine: Engine, tmp_path: Path
) -> None:
    url = url_of(engine)
    lexical = {"DATA_DIR": str(tmp_path / "data"), "EMBEDDING_MODEL_DIR": ""}
    scic("import", "members", str(EXAMPLES / "members.csv"), url=url, cwd=tmp_path)
    assert scic("reindex", url=url, cwd=tmp_path, **lexical).returncode == 0
    index_file = tmp_path / "data" / "chroma" / "chroma.sqlite3"
    with index_file.open("r+b") as file:
        file.write(b"\x00garbage" * 1024)

    checked = scic("reindex", "--check", url=url, cwd=tmp_path, **lexical)
    assert checked.returncode == 1
    assert "the search index cannot be read" in checked.stderr
    assert "Traceback" not in checked.stderr

    rebuilt = scic("reindex", url=url, cwd=tmp_path, **lexical)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "could not be read" in rebuilt.stdout and "Indexed" in rebuilt.stdout
    assert scic("reindex", "--check", url=url, cwd=tmp_path, **lexical).returncode == 0
    assert list((tmp_path / "data").glob("chroma.unreadable-*"))  # kept aside, not deleted


def test_match_json_on_a_pasted_brief_says_which_member_covers_which_need(
    engine: Engine, tmp_path: Path
) -> None:
    from tests.bot.services.brief_texts import TAMPERE_EMAIL, TAMPERE_NEEDS

    url = url_of(engine)
    lexical = {"DATA_DIR": str(tmp_path / "data"), "EMBEDDING_MODEL_DIR": ""}
    assert scic("init", "--demo", url=url, cwd=tmp_path, **lexical).returncode == 0

    found = scic("match", TAMPERE_EMAIL, "--json", url=url, cwd=tmp_path, **lexical)
    assert found.returncode == 0, found.stderr
    rows = json.loads(found.stdout)
    covers = {row["member_slug"]: [c["need"] for c in row["covers"]] for row in rows}
    snow_load, heating, indoor_air, work_orders = TAMPERE_NEEDS
    assert heating in covers["lampoverkko"]
    assert indoor_air in covers["sisailma-sense"]
    assert work_orders in covers["huoltovuoro"]
    assert snow_load in covers["kantava-structural"]
    # Each covered need quotes the member's passage that matched it.
    heat = next(r for r in rows if r["member_slug"] == "lampoverkko")["covers"][0]
    assert "kysyntäjousto" in heat["evidence"][0]["text"]
    assert "Needs no member covers" not in found.stderr

    question = scic("match", "district heating demand response", "--json", url=url, cwd=tmp_path,
                    **lexical)  # fmt: skip
    assert question.returncode == 0
    assert all("covers" not in row for row in json.loads(question.stdout))

    table = scic("match", TAMPERE_EMAIL, url=url, cwd=tmp_path, **lexical)
    assert "Who covers which need" in table.stdout and "Lämpöverkko" in table.stdout

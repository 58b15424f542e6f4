"""`scic export profile-changes`: the profiles' audit trail as staff take it out of the store."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from bot.services import profiles
from bot.services.identity import viewer_of
from standins.cluster import MEMBER_USER, add_cast
from storage.db import session_scope
from storage.models import Member, Person
from tests.bot.cli.running import scic, url_of


def test_the_audit_trail_is_exported_as_json_and_csv(engine: Engine, tmp_path: Path) -> None:
    cast = add_cast(engine)
    with session_scope(engine) as session:
        aino = viewer_of(session.get_one(Person, cast.member_person_id), MEMBER_USER)
    draft = profiles.open_profile(engine=engine, viewer=aino)
    profiles.save_profile(
        engine=engine,
        viewer=aino,
        member_id=draft.member_id,
        version=draft.version,
        seen=draft.fingerprint,
        values=replace(draft.values, technologies=("LoRaWAN", "NB-IoT")),
    )
    url = url_of(engine)
    written = scic(
        "export", "profile-changes", str(tmp_path / "changes.json"), url=url, cwd=tmp_path
    )
    assert written.returncode == 0 and "Wrote 1 profile changes" in written.stdout
    [row] = json.loads((tmp_path / "changes.json").read_text(encoding="utf-8"))
    assert row["member"] == "arctic-sense" and row["person"] == "aino.virtanen@arcticsense.example"
    assert row["fields"] == ["technologies"]
    assert (row["before"], row["after"]) == (
        {"technologies": ["LoRaWAN"]},
        {"technologies": ["LoRaWAN", "NB-IoT"]},
    )
    scic("export", "profile-changes", str(tmp_path / "changes.csv"), url=url, cwd=tmp_path)
    with (tmp_path / "changes.csv").open(encoding="utf-8") as opened:
        [line] = list(csv.DictReader(opened))
    assert (
        line["fields"] == "technologies"
        and json.loads(line["after"])["technologies"][-1] == "NB-IoT"
    )


def test_a_formula_in_the_audit_trail_is_neutralised_in_csv(engine: Engine, tmp_path: Path) -> None:
    """The trail names people by e-mail and members by slug; either may begin with what a
    spreadsheet runs as a formula (here an imported member's slug)."""
    cast = add_cast(engine)
    with session_scope(engine) as session:
        session.get_one(Member, cast.arctic_id).slug = '=HYPERLINK("http://evil.example")'
        aino = viewer_of(session.get_one(Person, cast.member_person_id), MEMBER_USER)
    draft = profiles.open_profile(engine=engine, viewer=aino)
    profiles.save_profile(
        engine=engine,
        viewer=aino,
        member_id=draft.member_id,
        version=draft.version,
        seen=draft.fingerprint,
        values=replace(draft.values, technologies=("-LoRaWAN",)),
    )
    done = scic(
        "export", "profile-changes", str(tmp_path / "c.csv"), url=url_of(engine), cwd=tmp_path
    )
    assert done.returncode == 0
    with (tmp_path / "c.csv").open(encoding="utf-8") as opened:
        [line] = list(csv.DictReader(opened))
    assert line["member"] == '\'=HYPERLINK("http://evil.example")'
    assert json.loads(line["after"]) == {"technologies": ["-LoRaWAN"]}  # JSON cells start with {

"""The outage journal: what was acknowledged while the store was away is on disk, handed over
once, kept when it cannot be handed over yet, and taken over from a replayer that died."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.journal import KEPT, REPLAYING, OutageJournal


def test_kept_deliveries_are_handed_over_once_in_order(tmp_path: Path) -> None:
    journal = OutageJournal(tmp_path / "journal")
    journal.keep("Ev1", '{"n": 1}')
    journal.keep("Ev2", '{"n": 2}')
    journal.keep("Ev1", '{"n": 1}')  # Slack's copy of the same event: one entry
    assert journal.waiting() == 2
    handed: list[str] = []
    assert journal.replay(handed.append) == 2
    assert sorted(handed) == ['{"n": 1}', '{"n": 2}']
    assert journal.waiting() == 0
    assert journal.replay(handed.append) == 0


def test_a_delivery_that_cannot_be_handed_over_stays_for_the_next_replay(
    tmp_path: Path,
) -> None:
    journal = OutageJournal(tmp_path)
    journal.keep("Ev1", "first")

    def store_still_down(body: str) -> None:
        raise ConnectionError("store down")

    assert journal.replay(store_still_down) == 0
    assert journal.waiting() == 1
    handed: list[str] = []
    assert journal.replay(handed.append) == 1
    assert handed == ["first"]


def test_an_entry_a_dead_replayer_left_is_replayed_and_a_live_ones_is_not(
    tmp_path: Path,
) -> None:
    journal = OutageJournal(tmp_path)
    journal.keep("Ev1", "left by a dead process")
    journal.keep("Ev2", "being replayed by a live one")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    host = socket.gethostname()
    os.rename(tmp_path / f"Ev1{KEPT}", tmp_path / f"Ev1{KEPT}{REPLAYING}{host}-{dead}")
    os.rename(tmp_path / f"Ev2{KEPT}", tmp_path / f"Ev2{KEPT}{REPLAYING}{host}-{os.getppid()}")
    handed: list[str] = []
    assert journal.replay(handed.append) == 1
    assert handed == ["left by a dead process"]


@pytest.mark.parametrize("event_id", ["../../etc/passwd", "Ev 1/2", ""])
def test_an_odd_event_id_stays_inside_the_journal_folder(tmp_path: Path, event_id: str) -> None:
    journal = OutageJournal(tmp_path / "journal")
    journal.keep(event_id, "body")
    assert [p.parent for p in (tmp_path / "journal").iterdir()] == [tmp_path / "journal"]
    assert journal.replay(lambda body: None) == 1

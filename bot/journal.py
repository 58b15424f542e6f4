"""Questions that arrive while the store is away: written to a local journal and acknowledged,
then handed to the app again once the store is back (`bot.recovery`).

Slack must have its acknowledgement within 3 seconds, and an acknowledged question must
outlive the process; with the store down, a file under DATA_DIR is what outlives it. Each
delivery is one file, written whole (fsynced, then renamed into place) before the ack. A
replay first renames the file to mark it as its own (only one process can), hands the delivery
to the app as Slack sent it, and removes the file; the store's receipt still makes the question
answered once, whichever process (or Slack's own retry) gets there first. A file a replaying
process left behind when it died is replayed again.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

from bot.settings import Settings

log = logging.getLogger(__name__)

KEPT = ".json"
# A file being replayed: "<event>.json.replaying-<host>-<pid>".
REPLAYING = ".replaying-"


class OutageJournal:
    """The deliveries acknowledged without the store, one file each, under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def of(cls, settings: Settings) -> OutageJournal:
        """The process's journal: `outage-journal/` under DATA_DIR."""
        return cls(settings.data_dir / "outage-journal")

    def keep(self, event_id: str, body: str) -> None:
        """Write one delivery down for good (on disk, whole) before it is acknowledged."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_-]", "_", event_id)[:100] or uuid.uuid4().hex
        final = self.folder / f"{name}{KEPT}"
        draft = self.folder / f".{name}.{uuid.uuid4().hex}.tmp"
        with open(draft, "w", encoding="utf-8") as file:
            json.dump({"event_id": event_id, "body": body}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(draft, final)
        _sync_folder(self.folder)

    def waiting(self) -> int:
        """How many deliveries wait in the journal."""
        return len(self._kept()) + len(self._orphaned())

    def replay(self, hand_over: Callable[[str], object]) -> int:
        """Hand each kept delivery to ``hand_over``, oldest first, and forget it; one that
        raises is kept for the next replay. Returns how many were handed over."""
        done = 0
        for path in sorted(self._kept() + self._orphaned(), key=_age):
            mine = path.with_name(
                f"{path.name.split(REPLAYING)[0]}{REPLAYING}{socket.gethostname()}-{os.getpid()}"
            )
            try:
                os.rename(path, mine)
            except FileNotFoundError:
                continue  # another process is replaying it
            try:
                body = str(json.loads(mine.read_text(encoding="utf-8"))["body"])
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("an unreadable outage journal entry is set aside: %s", mine.name)
                mine.rename(mine.with_name(f"{mine.name}.unreadable"))
                continue
            try:
                hand_over(body)
            except Exception:
                log.warning("a journalled question could not be handed over yet; kept")
                os.rename(mine, path.with_name(path.name.split(REPLAYING)[0]))
                break
            mine.unlink()
            done += 1
        return done

    def _kept(self) -> list[Path]:
        return list(self.folder.glob(f"*{KEPT}")) if self.folder.is_dir() else []

    def _orphaned(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return [p for p in self.folder.glob(f"*{KEPT}{REPLAYING}*") if not _replayer_alive(p)]


def _age(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _replayer_alive(path: Path) -> bool:
    host, _, pid = path.name.split(REPLAYING)[1].rpartition("-")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's: not ours to take over
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

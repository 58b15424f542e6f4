"""A private PostgreSQL cluster that a benchmark may crash and restart: a real store outage.

`private_cluster` runs `initdb` in a temporary folder and `pg_ctl start` on a free loopback
port; `stop_immediately` is `pg_ctl stop -m immediate` (every backend killed, no checkpoint:
what a crashed or killed server leaves), and `start` brings it back through crash recovery.
Only this cluster is ever stopped, never a shared server. PostgreSQL refuses to run as root,
so as root the cluster runs as the `postgres` OS user (`runuser`) in a folder it owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Where Debian and Ubuntu install the server's binaries, one folder per major version.
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
SERVICE_USER = "postgres"
START_TIMEOUT = 60


class ClusterUnavailable(Exception):
    """No private cluster can run here; the message says why."""


def find_binaries(bin_dir: str = "") -> Path:
    """The folder with `initdb` and `pg_ctl`: ``bin_dir``, else the newest Debian install,
    else the folder of an `initdb` on PATH."""
    candidates = [Path(bin_dir)] if bin_dir else []
    if not bin_dir and DEBIAN_BINARIES.is_dir():
        versions = [p for p in DEBIAN_BINARIES.iterdir() if p.name.split(".")[0].isdigit()]
        versions.sort(key=lambda p: float(p.name), reverse=True)
        candidates += [v / "bin" for v in versions]
    on_path = shutil.which("initdb")
    if not bin_dir and on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    where = bin_dir or f"{DEBIAN_BINARIES}/*/bin or PATH"
    raise ClusterUnavailable(f"no initdb and pg_ctl in {where} (install postgresql)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateCluster:
    """One cluster in ``folder`` on 127.0.0.1:``port``, run by ``user`` (None: this user)."""

    def __init__(self, binaries: Path, folder: Path, port: int, user: str | None) -> None:
        self.binaries, self.folder, self.port, self.user = binaries, folder, port, user
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.stops = 0

    @property
    def url(self) -> str:
        """The cluster's `postgres` database (trust authentication, user postgres)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        argv = [str(self.binaries / command[0]), *command[1:]]
        if self.user is not None:
            argv = ["runuser", "-u", self.user, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=self.folder)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            raise ClusterUnavailable(
                f"{command[0]} failed: {said[-1] if said else done.returncode}"
            )

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        """Start (again): waits until it accepts connections, crash recovery included."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", str(START_TIMEOUT), "start",
        )  # fmt: skip

    def stop_immediately(self) -> None:
        """Kill the server as a crash does: backends gone, no shutdown checkpoint."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.stops += 1

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextmanager
def private_cluster(bin_dir: str = "") -> Iterator[PrivateCluster]:
    """A running private cluster, stopped and removed afterwards; ClusterUnavailable (with
    the reason) when the binaries are missing or it cannot start."""
    binaries = find_binaries(bin_dir)
    user: str | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise ClusterUnavailable(
                f"initdb will not run as root and there is no {SERVICE_USER!r} user"
            ) from None
        if shutil.which("runuser") is None:
            raise ClusterUnavailable("initdb will not run as root and runuser is missing")
        user = SERVICE_USER
    folder = Path(tempfile.mkdtemp(prefix="scic-private-pg-"))
    try:
        if user is not None:
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        cluster = PrivateCluster(binaries, folder, free_port(), user)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            # Already down (a scenario that failed mid-outage): nothing to stop.
            with contextlib.suppress(ClusterUnavailable):
                cluster.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

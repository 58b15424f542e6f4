"""The private PostgreSQL cluster of the load bench's restart scenario: it really goes down
(`pg_ctl stop -m immediate`) and comes back with what was committed; where it cannot run,
it says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from bench import load
from standins.postgres_cluster import ClusterUnavailable, find_binaries, private_cluster
from storage.db import make_engine


def test_a_killed_cluster_refuses_connections_and_comes_back_with_its_data() -> None:
    try:
        find_binaries()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    with private_cluster() as cluster:
        engine = make_engine(cluster.url)
        try:
            with engine.begin() as connection:
                connection.execute(text("CREATE TABLE kept (n int)"))
                connection.execute(text("INSERT INTO kept VALUES (17)"))
            cluster.stop_immediately()
            with pytest.raises(OperationalError), engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            cluster.start()
            with engine.connect() as connection:
                assert connection.execute(text("SELECT n FROM kept")).scalar() == 17
        finally:
            engine.dispose()
        folder = cluster.folder
    assert not folder.exists()


def test_without_the_binaries_the_restart_scenario_says_why_and_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ClusterUnavailable, match="no initdb and pg_ctl"):
        find_binaries(str(tmp_path))
    load.restart_scenario(str(tmp_path))
    said = capsys.readouterr().out
    assert "restart scenario skipped" in said and "no initdb and pg_ctl" in said

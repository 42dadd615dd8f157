"""The dashboards' test world: a copy of the `small` demo company (tests/conftest.py
small_demo_db, which stays untouched for the tests that compare it) and a warehouse
published from it by the real refresh (qm.refresh_commands.refresh: extract, dbt build +
tests, atomic publish). Signing in writes a session row into the world's copy; tests that
write documents or decisions (planner decisions, planning runs) get their own copy."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import duckdb
import pytest

from tests.dashboards.helpers import World


@pytest.fixture(scope="session")
def world(request, tmp_path_factory) -> World:
    """The small demo, published by the real refresh into a private warehouse file.

    QM_TEST_DASHBOARD_WORLD=<dir> reuses a world built before (oltp.sqlite and
    warehouse.duckdb in <dir>) — only to iterate on the pages without waiting for the
    demo and a refresh; CI never sets it."""
    reuse = os.environ.get("QM_TEST_DASHBOARD_WORLD")
    if reuse:
        return _reused(Path(reuse))
    from qm.refresh_commands import refresh

    root = tmp_path_factory.mktemp("dashboards")
    url = copy_sqlite(request.getfixturevalue("small_demo_db"), root / "oltp.sqlite")
    path = root / "warehouse.duckdb"
    summary = refresh(full=True, oltp_url=url, warehouse_path=path)
    assert summary["success"], "refresh failed: " + "\n".join(summary["failures"][:5])
    return World(url, path, summary["run_id"])


def copy_sqlite(url: str, target: Path) -> str:
    """A consistent copy of a SQLite database (the backup API); its URL."""
    src, dst = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return f"sqlite:///{target}"


def _reused(root: Path) -> World:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        run_id = con.execute(
            "select run_id from meta.publish_log order by published_at desc limit 1"
        ).fetchone()[0]
    finally:
        con.close()
    return World(f"sqlite:///{root / 'oltp.sqlite'}", root / "warehouse.duckdb", run_id)


@pytest.fixture
def env(world: World, monkeypatch, tmp_path) -> World:
    """Point the app at the world; no planning output unless a test writes one."""
    monkeypatch.setenv("QM_DATABASE_URL", world.oltp_url)
    monkeypatch.setenv("QM_WAREHOUSE_PATH", str(world.warehouse))
    monkeypatch.setenv("QM_PLANNING_PATH", str(tmp_path / "planning.duckdb"))
    return world


@pytest.fixture
def writable(env: World, monkeypatch, tmp_path) -> World:
    """The world with a private copy of the OLTP database (the demo stays untouched); the
    published warehouse is the same, so the copy matches it."""
    # the backup API: consistent even with a WAL file beside the source
    url = copy_sqlite(env.oltp_url, tmp_path / "oltp.sqlite")
    monkeypatch.setenv("QM_DATABASE_URL", url)
    return World(url, env.warehouse, env.run_id)

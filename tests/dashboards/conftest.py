"""The dashboards' test world: an OLTP database with history and one user per role, and a
warehouse published from it by the real refresh (pipelines.commands.refresh: extract,
dbt build + tests, atomic publish). The pages are driven with Streamlit's AppTest."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.dashboards.helpers import World
from tests.dashboards.tiny_history import build_tiny_history
from transactional.migrate import upgrade


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    """Tiny company with fifteen months of history, published by the real refresh.

    QM_TEST_DASHBOARD_WORLD=<dir> reuses a world built before (oltp.sqlite and
    warehouse.duckdb in <dir>, e.g. by a previous run) — only to iterate on the pages
    without waiting for a refresh; CI never sets it."""
    reuse = os.environ.get("QM_TEST_DASHBOARD_WORLD")
    if reuse:
        return _reused(Path(reuse))
    from pipelines.commands import refresh
    root = tmp_path_factory.mktemp("dashboards")
    url = f"sqlite:///{root / 'oltp.sqlite'}"
    upgrade(url)
    build_tiny_history(url)
    summary = refresh(full=True, oltp_url=url, warehouse_path=root / "warehouse.duckdb")
    assert summary["success"], "refresh failed: " + "\n".join(summary["failures"][:5])
    return World(url, root / "warehouse.duckdb", summary["run_id"], "tiny")


def _reused(root: Path) -> World:
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        run_id = con.execute("select run_id from meta.publish_log order by published_at "
                             "desc limit 1").fetchone()[0]
    finally:
        con.close()
    return World(f"sqlite:///{root / 'oltp.sqlite'}", root / "warehouse.duckdb", run_id,
                 "tiny")


@pytest.fixture
def env(world: World, monkeypatch, tmp_path) -> World:
    """Point the app at the world; no planning output unless a test writes one."""
    monkeypatch.setenv("QM_DATABASE_URL", world.oltp_url)
    monkeypatch.setenv("QM_WAREHOUSE_PATH", str(world.warehouse))
    monkeypatch.setenv("QM_PLANNING_PATH", str(tmp_path / "planning.duckdb"))
    return world



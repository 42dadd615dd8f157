"""The Dagster code location: one graph from OLTP tables to marts, checks, schedules;
and a fresh clone (no dbt manifest yet) loads and refreshes from the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.extract import TABLES
from pipelines.publish import DBT_PROJECT_DIR
from tests.pipelines.scenario import batch_1
from transactional.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
MINI = Path(__file__).parent / "dbt_mini"


@pytest.mark.skipif(not (DBT_PROJECT_DIR / "dbt_project.yml").exists(),
                    reason="dbt_project/ is not there yet")
def test_one_asset_graph_with_checks_and_schedules(tmp_path, monkeypatch):
    monkeypatch.delenv("QM_DBT_PROJECT_DIR", raising=False)
    from pipelines.definitions import make_definitions
    defs = make_definitions(f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path / "w.duckdb")
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    extract_keys = {dg.AssetKey(["oltp", t]) for t in TABLES}
    assert extract_keys <= keys
    # every dbt source is one of the extract assets: nothing upstream is left dangling
    dbt_node = defs.resolve_assets_def(dg.AssetKey(["warehouse", "published"]))
    assert dbt_node is not None
    for key in keys:
        node = graph.get(key)
        if key.path[0] == "oltp":
            assert node.is_materializable and key in extract_keys, key
    # dbt tests are asset checks; the published warehouse has a freshness check
    checks = graph.asset_check_keys
    assert any(c.asset_key.path[0] == "marts" for c in checks)
    assert any(c.asset_key == dg.AssetKey(["warehouse", "published"]) for c in checks)
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["refresh_nightly_full"].cron_schedule == "0 2 * * *"
    assert schedules["refresh_hourly_incremental"].cron_schedule == "30 * * * *"
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING
               for s in schedules.values())
    assert defs.resolve_job_def("refresh").tags["quartermaster/warehouse_writer"] == "true"


def test_fresh_clone_refreshes_from_the_command_line(tmp_path):
    """No manifest yet: loading the definitions runs dbt parse; `qm refresh` publishes."""
    shutil.copytree(MINI, tmp_path / "dbt")
    assert not (tmp_path / "dbt" / "target").exists()
    url = f"sqlite:///{tmp_path / 'qm.sqlite'}"
    upgrade(url)
    batch_1(url)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home)
    env = {**os.environ, "QM_DBT_PROJECT_DIR": str(tmp_path / "dbt"),
           "DAGSTER_HOME": str(home)}
    warehouse = tmp_path / "w.duckdb"
    proc = subprocess.run([sys.executable, "-m", "pipelines", "refresh", "--full",
                           "--oltp-url", url, "--warehouse", str(warehouse)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("refresh: published (full):") and "4 tests passed" in last
    assert "extract:" in proc.stdout and "dbt build:" in proc.stdout
    assert (tmp_path / "dbt" / "target" / "manifest.json").exists()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.publish_log").fetchone() == (1,)
    # the run is recorded in the instance of DAGSTER_HOME (the UI's run history)
    assert (home / "history").exists() or (home / "storage").exists()

"""The Dagster code location: one graph from OLTP tables to marts, checks, schedules.
(A fresh clone's `qm refresh` is covered by test_publish.py.)"""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.extract import TABLES
from pipelines.publish import DBT_PROJECT_DIR


@pytest.mark.skipif(
    not (DBT_PROJECT_DIR / "dbt_project.yml").exists(), reason="dbt_project/ is not there yet"
)
def test_one_asset_graph_with_checks_and_schedules(tmp_path, monkeypatch):
    monkeypatch.delenv("QM_DBT_PROJECT_DIR", raising=False)
    from pipelines.defs.definitions import make_definitions

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
    assert schedules["backup_nightly"].cron_schedule == "30 1 * * *"
    assert defs.resolve_job_def("backup_job") is not None
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in schedules.values())
    assert defs.resolve_job_def("refresh").tags["quartermaster/warehouse_writer"] == "true"

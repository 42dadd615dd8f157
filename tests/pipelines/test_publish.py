"""Publishing: atomic swaps readers never notice, failed builds never published.

Runs the real Dagster `refresh` job (pipelines/definitions.py) in-process against the
small dbt project in dbt_mini/ (same sources and profile as dbt_project/, seconds per
build); test_refresh_real.py covers the real models.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from sqlalchemy import text

from pipelines.commands import refresh, summary_line
from tests.pipelines.scenario import batch_1, batch_2, batch_3
from transactional.db import make_engine
from transactional.migrate import upgrade

MINI = Path(__file__).parent / "dbt_mini"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """A published warehouse (full refresh) of the scenario's first batch."""
    root = tmp_path_factory.mktemp("publish")
    shutil.copytree(MINI, root / "dbt")  # dbt writes target/ inside the project
    old = os.environ.get("QM_DBT_PROJECT_DIR")
    os.environ["QM_DBT_PROJECT_DIR"] = str(root / "dbt")
    url = f"sqlite:///{root / 'qm.sqlite'}"
    upgrade(url)
    company = batch_1(url)
    warehouse = root / "warehouse.duckdb"
    first = refresh(full=True, oltp_url=url, warehouse_path=warehouse)
    yield SimpleNamespace(url=url, company=company, warehouse=warehouse, first=first)
    if old is None:
        os.environ.pop("QM_DBT_PROJECT_DIR", None)
    else:
        os.environ["QM_DBT_PROJECT_DIR"] = old


def publish_log(path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT run_id, mode, checks_passed, tests_passed, tests_failed, "
                           "oltp_url_kind FROM meta.publish_log ORDER BY published_at"
                           ).fetchall()


def test_full_refresh_publishes_and_logs(mini):
    s = mini.first
    assert s["success"], s["failures"]
    assert s["published"] == str(mini.warehouse.resolve())
    # 2 staging views + 2 marts; 2 not_null + 2 reconciliation tests
    assert (s["mode"], s["models"], s["tests_passed"], s["tests_failed"]) == ("full", 4, 4, 0)
    assert publish_log(mini.warehouse) == [(s["run_id"], "full", True, 4, 0, "sqlite")]
    assert not list(mini.warehouse.parent.glob("warehouse.build-*"))
    assert summary_line(s).startswith("refresh: published (full):")


def test_reader_sees_only_complete_builds_during_refresh(mini, tmp_path):
    batch_2(mini.company)
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-m", "tests.pipelines.reader",
                               str(mini.warehouse), str(stop)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        second = refresh(oltp_url=mini.url, warehouse_path=mini.warehouse)
        batch_3(mini.company)
        third = refresh(oltp_url=mini.url, warehouse_path=mini.warehouse)
        time.sleep(2)  # let the reader open the newest file at least once
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    assert second["success"] and third["success"], (second, third)
    assert (second["mode"], third["mode"]) == ("incremental", "incremental")
    reads = [json.loads(line) for line in out.splitlines()]
    errors = [r for r in reads if "error" in r]
    assert not errors, errors[:3]
    assert len(reads) > 20
    # every read saw one complete build: its run and counts belong together
    assert all(r["movements"] == r["ledger"] for r in reads)
    seen = {r["run_id"] for r in reads}
    runs = {mini.first["run_id"], second["run_id"], third["run_id"]}
    assert seen <= runs and third["run_id"] in seen
    log = publish_log(mini.warehouse)
    assert [row[0] for row in log] == [mini.first["run_id"], second["run_id"], third["run_id"]]


def test_failed_build_is_not_published(mini):
    before = publish_log(mini.warehouse)
    inode = mini.warehouse.stat().st_ino
    engine = make_engine(mini.url)
    # corrupt one stock ledger row: stock value no longer equals GL 1200+1210
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock_ledger SET value = value + 1 WHERE id = 1"))
    try:
        failed = refresh(full=True, oltp_url=mini.url, warehouse_path=mini.warehouse)
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE stock_ledger SET value = value - 1 WHERE id = 1"))
        engine.dispose()
    assert not failed["success"] and failed["published"] is None
    assert failed["tests_failed"] == 1
    assert any("assert_stock_value_matches_gl" in f for f in failed["failures"])
    assert summary_line(failed).startswith("refresh: FAILED, not published")
    # the old file still serves, untouched; the failed build stays for inspection
    assert mini.warehouse.stat().st_ino == inode and publish_log(mini.warehouse) == before
    leftover = mini.warehouse.with_name(f"warehouse.build-{failed['run_id']}.duckdb")
    assert leftover.exists()
    again = refresh(oltp_url=mini.url, warehouse_path=mini.warehouse)
    assert again["success"] and not leftover.exists()
    assert len(publish_log(mini.warehouse)) == len(before) + 1

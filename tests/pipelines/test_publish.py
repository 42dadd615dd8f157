"""Publishing: atomic swaps readers never notice, failed builds never published.

Runs the real Dagster `refresh` job (pipelines/defs/definitions.py) — first through `qm
refresh` from a fresh copy, then in-process — against the
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

import dagster as dg
import duckdb
import pytest
from sqlalchemy import text

from qm.refresh_commands import refresh, summary_line
from tests.pipelines.scenario import batch_1, batch_2, batch_3
from transactional.db import make_engine
from transactional.migrate import upgrade

MINI = Path(__file__).parent / "dbt_mini"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    """A fresh clone's first refresh: `qm refresh --full` in a subprocess, with no dbt
    manifest yet (loading the definitions must run dbt parse) and a DAGSTER_HOME."""
    root = tmp_path_factory.mktemp("publish")
    shutil.copytree(MINI, root / "dbt")  # dbt writes target/ inside the project
    old = os.environ.get("QM_DBT_PROJECT_DIR")
    os.environ["QM_DBT_PROJECT_DIR"] = str(root / "dbt")
    url = f"sqlite:///{root / 'qm.sqlite'}"
    upgrade(url)
    company = batch_1(url)
    warehouse = root / "warehouse.duckdb"
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home)
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "qm",
            "refresh",
            "--full",
            "--oltp-url",
            url,
            "--warehouse",
            str(warehouse),
        ],
        cwd=ROOT,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    yield SimpleNamespace(
        url=url, company=company, warehouse=warehouse, cli=cli, project=root / "dbt", home=home
    )
    if old is None:
        os.environ.pop("QM_DBT_PROJECT_DIR", None)
    else:
        os.environ["QM_DBT_PROJECT_DIR"] = old


def publish_log(path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT run_id, mode, checks_passed, tests_passed, tests_failed, "
            "oltp_url_kind FROM meta.publish_log ORDER BY published_at"
        ).fetchall()


def test_fresh_clone_full_refresh_from_the_command_line(mini):
    cli = mini.cli
    assert cli.returncode == 0, cli.stdout[-3000:] + cli.stderr[-3000:]
    assert "extract:" in cli.stdout and "dbt build:" in cli.stdout
    # progress lines and the summary; dbt's own lines go to the dbt log beside the file
    assert len(cli.stdout.splitlines()) <= 20 and "Done. PASS=" not in cli.stdout
    assert "Done. PASS=" in mini.warehouse.with_name("warehouse.dbt.log").read_text()
    last = cli.stdout.strip().splitlines()[-1]
    # 2 staging views + 2 marts; 2 not_null + 2 reconciliation tests
    assert last.startswith("refresh: published (full):")
    assert "4 models built, 4 tests passed, 0 failed" in last
    assert last.endswith(f"→ {mini.warehouse.resolve()}")
    assert (mini.project / "target" / "manifest.json").exists()
    [(run_id, *rest)] = publish_log(mini.warehouse)
    assert rest == ["full", True, 4, 0, "sqlite"]
    assert not list(mini.warehouse.parent.glob("warehouse.build*"))
    # the run is in the instance of DAGSTER_HOME (the UI's run history)
    instance = dg.DagsterInstance.from_config(str(mini.home))
    assert instance.get_run_by_id(run_id).is_success
    instance.dispose()


def test_failed_build_is_not_published(mini, capfd):
    before = publish_log(mini.warehouse)
    inode = mini.warehouse.stat().st_ino
    engine = make_engine(mini.url)
    # corrupt one stock ledger row: stock value no longer equals GL 1200+1210
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock_ledger SET value = value + 1 WHERE id = 1"))
    try:
        failed = refresh(full=True, oltp_url=mini.url, warehouse_path=mini.warehouse, verbose=True)
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE stock_ledger SET value = value - 1 WHERE id = 1"))
        engine.dispose()
    assert not failed["success"] and failed["published"] is None
    assert failed["tests_failed"] == 1
    assert any("assert_stock_value_matches_gl" in f for f in failed["failures"])
    assert summary_line(failed).startswith("refresh: FAILED, not published")
    assert "Done. PASS=" in capfd.readouterr().out  # verbose: dbt's own lines on stdout
    # the old file still serves, untouched; the failed build stays for inspection
    assert mini.warehouse.stat().st_ino == inode and publish_log(mini.warehouse) == before
    leftover = mini.warehouse.with_name(f"warehouse.build-{failed['run_id']}.duckdb")
    assert leftover.exists()
    mini.leftover = leftover  # the next refresh removes it


def test_reader_sees_only_complete_builds_during_refresh(mini, tmp_path):
    """A dashboard-like process reads while an incremental refresh publishes."""
    batch_2(mini.company)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.pipelines.reader", str(mini.warehouse), str(stop)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    batch_3(mini.company)
    try:
        done = refresh(oltp_url=mini.url, warehouse_path=mini.warehouse)
        time.sleep(2)  # let the reader open the newest file at least once
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    assert done["success"] and done["mode"] == "incremental", done
    reads = [json.loads(line) for line in out.splitlines()]
    errors = [r for r in reads if "error" in r]
    assert not errors, errors[:3]
    assert len(reads) > 20
    # every read saw one complete build: its run and counts belong together
    assert all(r["movements"] == r["ledger"] for r in reads)
    seen = {r["run_id"] for r in reads}
    log = [row[0] for row in publish_log(mini.warehouse)]
    assert len(log) == 2 and log[1] == done["run_id"]  # the failed build never published
    assert seen == set(log)  # the old build, then (after the swap) the new one
    with duckdb.connect(str(mini.warehouse), read_only=True) as con:
        # views were built in the build file; they resolve in the published one
        assert (
            con.execute("SELECT count(*) FROM staging.stg_oltp__stock_ledger").fetchone()
            == con.execute("SELECT count(*) FROM raw.stock_ledger").fetchone()
        )
    assert not mini.leftover.exists()  # the failed build of the previous test is gone


def test_one_writer_per_warehouse_across_processes(tmp_path):
    """A run's lock (taken by its first step) keeps other writers out until it publishes;
    re-entering it in the same thread (refresh() then the publish step) does not block."""
    from pipelines.publish import lock_for_run, release_run_lock, writer_lock

    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from pipelines.publish import lock_for_run; "
                f"lock_for_run({str(warehouse)!r}); print('held', flush=True); time.sleep(30)"
            ),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(TimeoutError), writer_lock(warehouse, timeout=0.5):
            pass
    finally:
        holder.kill()  # the process ends: the OS lets go of its lock
        holder.wait()
    with writer_lock(warehouse, timeout=5):
        lock_for_run(warehouse)  # re-enters
        with writer_lock(warehouse, timeout=0.5):
            pass
        release_run_lock(warehouse)

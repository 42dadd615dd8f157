"""A refresh killed with `kill -9` at any step leaves nothing that blocks the next one.

`qm refresh` runs in a subprocess with a DAGSTER_HOME instance (the pools of
dagster_home/dagster.yaml: one `warehouse_writer` slot) against the small dbt project in
dbt_mini/, and is killed while loading its definitions, mid-extract, mid-dbt and between
the dbt build and the publish. Before the fix, a run killed inside a step kept the pool
slot and every later refresh waited for it forever. After each kill the next refresh
must run unattended; the last one publishes marts identical to an uninterrupted build's
and leaves no build file behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.pipelines.marts import mart_rows
from tests.pipelines.scenario import batch_1, batch_2
from transactional.migrate import upgrade

pytestmark = pytest.mark.slow

MINI = Path(__file__).parent / "dbt_mini"
ROOT = Path(__file__).resolve().parents[2]
# (line of `qm refresh` output to wait for, seconds to wait after it, then kill -9)
KILL_POINTS = [
    ("refresh: loading definitions", 0.5),  # while loading definitions (dbt parse)
    ("extract:", 0.0),  # mid-extract: the build file is being written
    ("dbt build: against", 1.0),  # mid-dbt: the step holds the warehouse_writer slot
    ("dbt build: 4 models", 0.0),  # between the dbt build and the publish
]


def _qm_refresh(url: str, warehouse: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "qm",
        "refresh",
        "--oltp-url",
        url,
        "--warehouse",
        str(warehouse),
        *extra,
    ]


def _kill_at(cmd: list[str], env: dict, line_start: str, delay: float) -> list[str]:
    """Start `cmd`, kill -9 it once a line containing `line_start` was printed (+ delay);
    the lines it printed."""
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line.rstrip())
        if line_start in line:
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, seen  # killed, not finished on its own
    return seen


def test_kill_9_at_every_step_never_blocks_the_next_refresh(tmp_path):
    shutil.copytree(MINI, tmp_path / "dbt")
    url = f"sqlite:///{tmp_path / 'qm.sqlite'}"
    upgrade(url)
    company = batch_1(url)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "QM_DBT_PROJECT_DIR": str(tmp_path / "dbt"),
    }
    warehouse = tmp_path / "warehouse.duckdb"
    cmd = _qm_refresh(url, warehouse)

    def refresh_to_the_end(*extra: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            _qm_refresh(url, warehouse, *extra),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,  # the bug this guards against: waiting forever for the slot
            check=False,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    # the first refresh (full: nothing published yet), killed at each step in turn
    for line_start, delay in KILL_POINTS[:3]:
        _kill_at(cmd, env, line_start, delay)
    first = refresh_to_the_end()
    assert "died unfinished; slots freed" in first.stdout
    assert first.stdout.strip().splitlines()[-1].startswith("refresh: published (full)")

    # more documents, then an incremental refresh killed between dbt and the publish
    # (it may have published already: either way the next one must run and publish)
    batch_2(company)
    _kill_at(cmd, env, *KILL_POINTS[3])
    last = refresh_to_the_end()
    assert last.stdout.strip().splitlines()[-1].startswith("refresh: published")
    assert not list(tmp_path.glob("warehouse.build*")), "a build file was left behind"

    # the marts equal an uninterrupted full build's of the same documents
    reference = tmp_path / "reference.duckdb"
    subprocess.run(
        _qm_refresh(url, reference, "--full"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=240,
        check=True,
    )
    assert mart_rows(warehouse) == mart_rows(reference) and mart_rows(reference)

    # the instance: every killed run is failed, none is left running or holding a slot
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name="refresh"))
        statuses = [r.status for r in runs]
        assert statuses.count(dg.DagsterRunStatus.FAILURE) >= 3
        finished = {
            dg.DagsterRunStatus.SUCCESS,
            dg.DagsterRunStatus.FAILURE,
            dg.DagsterRunStatus.CANCELED,
        }
        assert set(statuses) <= finished, statuses
    finally:
        instance.dispose()

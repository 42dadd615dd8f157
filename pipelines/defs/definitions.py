"""The Dagster code location:
`DAGSTER_HOME=dagster_home dagster dev -m pipelines.defs.definitions`.

One `Definitions` (`defs`): extract assets `oltp/<table>`, the dbt project's models with
their tests as asset checks, the published warehouse with a freshness check, the
`refresh` job and its nightly (full) and hourly (incremental) schedules, and the
`backup_job` with its nightly schedule (`transactional.backup.backup_rotating`).

Loading runs `dbt parse` when the manifest is missing or older than the project files
(dagster-dbt's `prepare_if_dev` only does so under `dagster dev`), so a fresh clone,
the tests and `qm refresh` load without a manual step.
"""

from __future__ import annotations

import fcntl
import os
import sys
import warnings
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from pipelines.defs.assets import (
    PUBLISHED_KEY,
    _environ,
    freshness_checks,
    make_dbt_assets,
    make_publish_asset,
    oltp_extract,
)
from pipelines.defs.backup import backup_job, backup_schedule
from pipelines.defs.planning_assets import make_planning_defs
from pipelines.defs.resources import OltpResource, WarehouseResource
from pipelines.publish import dbt_env, dbt_link_path, dbt_project_dir
from transactional.config import database_url, settings, warehouse_path

WRITER_TAG = {"quartermaster/warehouse_writer": "true"}  # run-queue limit 1 (dagster.yaml)
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".py", ".md"}


def dbt_target() -> str:
    """`QM_DBT_TARGET` (duckdb by default; postgres is the scale-out target)."""
    return settings().dbt_target


def _manifest_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    root = Path(project.project_dir)
    skip = {root / "target", root / "logs", root / "dbt_packages"}
    for path in root.rglob("*"):
        if (
            path.suffix in _PROJECT_SUFFIXES
            and not any(s in path.parents for s in skip)
            and path.stat().st_mtime > built
        ):
            return True
    return False


def prepare_dbt_project(
    project_dir: str | Path | None = None, warehouse: str | Path | None = None
) -> DbtProject:
    """The dbt project with a current manifest (runs `dbt deps`/`dbt parse` if needed).

    Parsing sees the same DuckDB path as the builds of `warehouse` will (its dbt link),
    so the partial-parse cache it leaves stays valid for them."""
    project = DbtProject(project_dir=Path(project_dir or dbt_project_dir()), target=dbt_target())
    # dagster-dbt's preparer calls plain `dbt`: make the venv's one findable
    bindir = str(Path(sys.executable).parent)
    if (Path(bindir) / "dbt").exists() and bindir not in os.environ.get("PATH", "").split(":"):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    # one preparer at a time (two processes loading the definitions at once would both
    # run `dbt parse` into the same target/manifest.json)
    lock_file = Path(project.project_dir) / "target" / ".prepare.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            project.prepare_if_dev()
            if _manifest_stale(project):
                link = dbt_link_path(Path(warehouse or warehouse_path()).resolve())
                with _environ(dbt_env(link, dbt_target())):
                    project.preparer.prepare(project)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return project


def _freshness_sensor(fresh) -> dg.SensorDefinition:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # superseded API, still the way to run the check
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=fresh,
            default_status=dg.DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=600,
        )


def dbt_executable() -> str:
    """The venv's dbt when the venv is not on PATH (`.venv/bin/qm refresh`)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def make_definitions(
    oltp_url: str | None = None, warehouse: str | Path | None = None
) -> dg.Definitions:
    """The code location; `oltp_url` / `warehouse` default to QM_DATABASE_URL /
    QM_WAREHOUSE_PATH (transactional/config.py)."""
    project = prepare_dbt_project(warehouse=warehouse)
    dbt_defs = make_dbt_assets(project)
    publish_def = make_publish_asset(dbt_defs)
    fresh = freshness_checks()
    planning_assets, planning_job, planning_schedule = make_planning_defs(dbt_defs)
    refresh_job = dg.define_asset_job(
        "refresh",
        selection=(
            dg.AssetSelection.all()
            - dg.AssetSelection.checks(*fresh)
            - dg.AssetSelection.assets(*planning_assets)
        ),
        description="Extract the OLTP, build and test the dbt models, publish atomically.",
        executor_def=dg.in_process_executor,  # three sequential steps: no process spawns
        tags=WRITER_TAG,
    )
    full_config = {"ops": {"oltp_extract": {"config": {"full": True}}}}
    schedules = [
        dg.ScheduleDefinition(
            name="refresh_nightly_full",
            job=refresh_job,
            cron_schedule="0 2 * * *",
            run_config=full_config,
            default_status=dg.DefaultScheduleStatus.RUNNING,
            tags={**WRITER_TAG, "quartermaster/mode": "full"},
        ),
        dg.ScheduleDefinition(
            name="refresh_hourly_incremental",
            job=refresh_job,
            cron_schedule="30 * * * *",
            default_status=dg.DefaultScheduleStatus.RUNNING,
            tags={**WRITER_TAG, "quartermaster/mode": "incremental"},
        ),
    ]
    schedules.append(backup_schedule)
    return dg.Definitions(
        assets=[oltp_extract, dbt_defs, publish_def, *planning_assets],
        asset_checks=fresh,
        jobs=[refresh_job, planning_job, backup_job],
        schedules=[*schedules, planning_schedule],
        sensors=[_freshness_sensor(fresh)],
        resources={
            "oltp": OltpResource(url=oltp_url or database_url()),
            "warehouse": WarehouseResource(path=str(warehouse or warehouse_path())),
            "dbt": DbtCliResource(
                project_dir=project, target=dbt_target(), dbt_executable=dbt_executable()
            ),
        },
    )


defs = make_definitions()

__all__ = ["PUBLISHED_KEY", "defs", "make_definitions", "prepare_dbt_project"]

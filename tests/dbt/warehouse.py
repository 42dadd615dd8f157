"""Helpers of the warehouse tests: run dbt as a subprocess against a throwaway target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")


@dataclass
class DbtRun:
    """Outcome of one dbt invocation: per-status counts of run_results.json."""

    command: str
    seconds: float
    statuses: dict[str, int]
    results: list[dict]
    log: str

    def failed(self) -> set[str]:
        """Names of the nodes that failed or errored."""
        return {
            r["unique_id"].split(".")[2] for r in self.results if r["status"] in ("fail", "error")
        }

    def count(self, resource_type: str, status: str | None = None) -> int:
        return sum(
            1
            for r in self.results
            if r["unique_id"].split(".")[0] == resource_type
            and (status is None or r["status"] == status)
        )


def run_dbt(args: list[str], env: dict[str, str], work_dir: Path, check: bool = True) -> DbtRun:
    """Run `dbt <args>` on dbt_project/ with artefacts and logs under `work_dir`;
    raise AssertionError with the tail of the log when dbt fails (unless not `check`)."""
    full_env = {**os.environ, **env}
    cmd = [
        str(DBT),
        *args,
        "--profiles-dir",
        str(DBT_PROJECT),
        "--project-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, check=False, env=full_env, capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    seconds = time.perf_counter() - started
    log = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({proc.returncode}):\n"
            + "\n".join(log.splitlines()[-60:])
        )
    results_path = work_dir / "target" / "run_results.json"
    results = json.loads(results_path.read_text())["results"] if results_path.exists() else []
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return DbtRun(" ".join(args), seconds, statuses, results, log)


def duckdb_env(duckdb_path: Path) -> dict[str, str]:
    """Environment selecting the DuckDB target on `duckdb_path`."""
    return {"QM_DBT_TARGET": "duckdb", "QM_DBT_DUCKDB_PATH": str(duckdb_path)}


def postgres_env(url: str, schema: str = "qm") -> dict[str, str]:
    """Environment selecting the PostgreSQL target on the database of `url`."""
    u = make_url(url)
    return {
        "QM_DBT_TARGET": "postgres",
        "QM_PG_HOST": u.host or "127.0.0.1",
        "QM_PG_PORT": str(u.port or 5432),
        "QM_PG_USER": u.username or "postgres",
        "QM_PG_PASSWORD": u.password or "",
        "QM_PG_DBNAME": u.database or "postgres",
        "QM_PG_SCHEMA": schema,
    }

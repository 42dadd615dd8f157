"""Build a warehouse file beside the published one, test it, and swap it in atomically.

Readers (dashboards, planning) open the published file read-only with short-lived
connections; a refresh never writes to that file. It writes
`<stem>.build-<run_id>.duckdb` (a copy of the published file for an incremental
refresh, an empty file for a full one), runs `dbt build` (models + tests) against it,
appends to `meta.publish_log` and only then `os.replace`s it over the published path — an
atomic rename, so a reader sees either the old complete build or the new one. A failed
build is never renamed: the old file keeps serving and the build file stays for
inspection until the next refresh removes it.

Plain functions, no Dagster: the Dagster assets (pipelines/defs/assets.py) and the benchmark
call them step by step.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from transactional.config import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def dbt_project_dir() -> Path:
    """The dbt project: `dbt_project/` of the repository (QM_DBT_PROJECT_DIR overrides it
    for development against another checkout)."""
    return Path(settings().dbt_project_dir).resolve()


def build_path_for(published: str | Path, run_id: str) -> Path:
    """`data/warehouse.duckdb` → `data/warehouse.build-<run_id>.duckdb`."""
    published = Path(published)
    return published.with_name(f"{published.stem}.build-{run_id}{published.suffix}")


_HELD: dict[tuple[str, int], int] = {}  # (lock path, thread) → depth (re-entrant)
_HELD_GUARD = threading.Lock()


@contextmanager
def writer_lock(published: str | Path, timeout: float = 3600) -> Iterator[None]:
    """One writer per published warehouse across processes (an flock on `<path>.lock`).

    Re-entrant within a thread, so `refresh()` can hold it around a whole run while the
    publish step takes it again around the rename.
    """
    lock_path = str(Path(f"{published}.lock").resolve())
    key = (lock_path, threading.get_ident())
    with _HELD_GUARD:
        if _HELD.get(key):
            _HELD[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _HELD_GUARD:
                if key in _HELD:  # the outermost holder may have let go already
                    _HELD[key] -= 1
        return
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another refresh holds {lock_path}") from None
                time.sleep(0.2)
        with _HELD_GUARD:
            _HELD[key] = 1
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD.pop(key, None)
            fcntl.flock(handle, fcntl.LOCK_UN)


_RUN_LOCKS: dict[str, ExitStack] = {}


def lock_for_run(published: str | Path) -> None:
    """Hold the writer lock from a run's first step to its publish (`release_run_lock`).

    The refresh job runs in one process (in-process executor), so a daemon-launched run
    holds it until it publishes or its process ends; inside `refresh()` it re-enters the
    lock that call already holds. Runs therefore never share build files or the dbt link.
    """
    key = str(Path(published).resolve())
    if key not in _RUN_LOCKS:
        stack = ExitStack()
        stack.enter_context(writer_lock(published))
        _RUN_LOCKS[key] = stack


def release_run_lock(published: str | Path) -> None:
    """Let go of the lock taken by `lock_for_run` (no-op when not held)."""
    stack = _RUN_LOCKS.pop(str(Path(published).resolve()), None)
    if stack is not None:
        stack.close()


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        p.unlink(missing_ok=True)


def prepare_build(published: str | Path, run_id: str, full: bool) -> Path:
    """Create the build file for `run_id`: a copy of the published file (incremental) or
    nothing yet (full). Leftover builds of earlier runs are removed (runs are serialized,
    so no other build is in progress)."""
    published = Path(published)
    published.parent.mkdir(parents=True, exist_ok=True)
    build = build_path_for(published, run_id)
    for stale in published.parent.glob(f"{published.stem}.build-*{published.suffix}*"):
        if stale.name not in (build.name, f"{build.name}.wal"):
            stale.unlink(missing_ok=True)
    _remove(build)
    if not full and published.exists():
        # the published file is only ever replaced whole, never written in place, so a
        # plain file copy is a consistent snapshot
        shutil.copyfile(published, build)
    return build


@dataclass
class DbtSummary:
    """What a dbt invocation did, from its run_results.json."""

    success: bool
    models: int = 0
    tests_passed: int = 0
    tests_failed: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)  # seconds per resource type


def summarize_run_results(run_results: dict, success: bool | None = None) -> DbtSummary:
    """Count models built and tests passed/failed in a dbt run_results.json blob."""
    s = DbtSummary(success=True, seconds=float(run_results.get("elapsed_time", 0.0)))
    for r in run_results.get("results", []):
        kind = r["unique_id"].split(".", 1)[0]
        s.timing[kind] = s.timing.get(kind, 0.0) + float(r.get("execution_time") or 0.0)
        status = r.get("status")
        if kind in ("test", "unit_test"):
            if status in ("pass", "warn"):
                s.tests_passed += 1
            elif status in ("fail", "error"):
                s.tests_failed += 1
                s.failures.append(r["unique_id"])
        elif kind in ("model", "seed", "snapshot"):
            if status == "success":
                s.models += kind == "model"
            elif status in ("error", "skipped"):
                s.failures.append(f"{r['unique_id']} ({status})")
    s.success = (not s.failures) if success is None else (success and not s.failures)
    return s


def dbt_link_path(published: str | Path) -> Path:
    """The one path dbt always sees, `<stem>.build<suffix>`: a symlink to the current
    run's build file. A constant profile keeps dbt's partial parsing valid between runs
    (the profile hash includes the DuckDB path); the catalog name DuckDB derives from it
    (`<stem>`) is the published file's too, so views resolve after the rename."""
    published = Path(published)
    return published.with_name(f"{published.stem}.build{published.suffix}")


def link_build(build_path: str | Path, published: str | Path) -> Path:
    """Point the dbt path at `build_path` (runs are serialized: one link at a time)."""
    link = dbt_link_path(published)
    tmp = link.with_name(link.name + ".tmp")
    tmp.unlink(missing_ok=True)
    Path(f"{link}.wal").unlink(missing_ok=True)
    os.symlink(Path(build_path).resolve(), tmp)
    os.replace(tmp, link)
    return link


def unlink_build(published: str | Path) -> None:
    """Remove the dbt path's symlink once dbt is done with it."""
    dbt_link_path(published).unlink(missing_ok=True)


NO_COLOUR = {"DBT_USE_COLORS": "false"}  # logs carry no colour codes


def dbt_env(duckdb_path: str | Path, target: str = "duckdb") -> dict[str, str]:
    """Environment variables the dbt profile reads (see dbt_project/profiles.yml)."""
    return {
        "QM_DBT_DUCKDB_PATH": str(Path(duckdb_path).absolute()),
        "QM_DBT_TARGET": target,
        **NO_COLOUR,
    }


def save_partial_parse(invocation_target: str | Path, project_dir: str | Path) -> None:
    """Keep the partial-parse cache a build wrote in its own target dir for the next run
    (dagster-dbt copies the project's one into each invocation's target dir)."""
    src = Path(invocation_target) / "partial_parse.msgpack"
    if src.exists():
        dest = Path(project_dir) / "target" / "partial_parse.msgpack"
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f"partial_parse.{os.getpid()}.tmp")
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)


def run_dbt(
    command: Sequence[str],
    build_path: str | Path | None = None,
    published: str | Path | None = None,
    target: str = "duckdb",
    extra_env: dict[str, str] | None = None,
    quiet: bool = True,
) -> DbtSummary:
    """Run `dbt <command>` in a subprocess against `build_path` (through the dbt link of
    `published` when given) and summarize it."""
    project = dbt_project_dir()
    env = {**os.environ, **(extra_env or {})}
    if build_path is not None:
        path = link_build(build_path, published) if published else build_path
        env.update(dbt_env(path, target))
    env["QM_DBT_TARGET"] = target
    env.update(NO_COLOUR)
    dbt = Path(sys.executable).with_name("dbt")
    with tempfile.TemporaryDirectory(prefix="qm-dbt-") as tmp:
        cache = project / "target" / "partial_parse.msgpack"
        if cache.exists():
            shutil.copyfile(cache, Path(tmp) / cache.name)
        args = [
            str(dbt) if dbt.exists() else "dbt",
            *command,
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            tmp,
            "--target",
            target,
        ]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(args, env=env, capture_output=quiet, text=True, check=False)
        finally:
            if build_path is not None and published:
                unlink_build(published)
        results_file = Path(tmp) / "run_results.json"
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        if proc.returncode == 0:
            save_partial_parse(tmp, project)
    summary = summarize_run_results(results, proc.returncode == 0)
    summary.seconds = time.perf_counter() - t0
    if proc.returncode != 0 and not summary.failures:
        tail = (proc.stdout or "")[-2000:] + (proc.stderr or "")[-2000:]
        summary.failures.append(f"dbt exited {proc.returncode}: {tail.strip()}")
    return summary


PUBLISH_LOG_DDL = """CREATE TABLE IF NOT EXISTS meta.publish_log (
    run_id VARCHAR, published_at TIMESTAMP, mode VARCHAR, checks_passed BOOLEAN,
    tests_passed INTEGER, tests_failed INTEGER, oltp_url_kind VARCHAR)"""


def extract_mode(build_path: str | Path) -> str:
    """'full' when this build's extract rebuilt the documents, else 'incremental'."""
    with duckdb.connect(str(build_path), read_only=True) as con:
        row = con.execute(
            "SELECT mode FROM raw._extract_state WHERE table_name = 'document'"
        ).fetchone()
    return row[0] if row else "full"


def publish(
    build_path: str | Path,
    published: str | Path,
    run_id: str,
    mode: str,
    tests_passed: int,
    tests_failed: int,
    oltp_url_kind: str,
) -> Path:
    """Append the publish_log row to the build and rename it over the published file.

    The caller has checked that dbt build succeeded; the log of earlier publishes is
    carried over from the published file on a full rebuild.
    """
    build_path, published = Path(build_path), Path(published)
    with duckdb.connect(str(build_path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS meta")
        has_log = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE "
            "table_schema = 'meta' AND table_name = 'publish_log'"
        ).fetchone()[0]
        con.execute(PUBLISH_LOG_DDL)
        if not has_log and published.exists():
            con.execute(f"ATTACH '{published}' AS previous (READ_ONLY)")
            has_prev = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' "
                "AND schema_name = 'meta' AND table_name = 'publish_log'"
            ).fetchone()[0]
            if has_prev:
                con.execute("INSERT INTO meta.publish_log SELECT * FROM previous.meta.publish_log")
            con.execute("DETACH previous")
        con.execute(
            "INSERT INTO meta.publish_log VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
                mode,
                tests_failed == 0,
                tests_passed,
                tests_failed,
                oltp_url_kind,
            ],
        )
        con.execute("CHECKPOINT")
    with writer_lock(published):
        os.replace(build_path, published)  # atomic on POSIX: readers see old or new
    Path(f"{build_path}.wal").unlink(missing_ok=True)
    return published


def discard(build_path: str | Path) -> None:
    """Delete a build file that will not be published."""
    _remove(Path(build_path))

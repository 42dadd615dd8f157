"""`qm refresh [--full]` and `qm scheduler`, plus `refresh()` for code and tests.

`refresh()` runs the Dagster `refresh` job in this process (no daemon needed) while
holding the warehouse writer lock; `qm scheduler` starts the Dagster daemon (schedules,
sensors, run queue) and the webserver with DAGSTER_HOME=dagster_home.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pipelines.publish import PROJECT_ROOT, DbtSummary, release_run_lock, writer_lock

DAGSTER_HOME = PROJECT_ROOT / "dagster_home"


def _progress_logger(say):
    """A Dagster logger printing only the assets' `qm …` progress lines."""
    import dagster as dg

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", None) or {}
            msg = meta.get("orig_message") or record.getMessage()
            if isinstance(msg, str) and msg.startswith("qm "):
                say(f"  {msg[3:]}")

    @dg.logger(None, description="Quartermaster progress lines")
    def qm_progress(_init_context):
        log = logging.getLogger("quartermaster.refresh")
        log.setLevel(logging.INFO)
        log.propagate = False
        log.handlers = [_Handler()]
        return log

    return qm_progress


def refresh(
    full: bool = False,
    oltp_url: str | None = None,
    warehouse_path: str | Path | None = None,
    progress=None,
    instance=None,
    verbose: bool = False,
) -> dict:
    """Extract, build + test with dbt and publish the warehouse, in this process.

    Returns a summary: success, published (path or None), mode, rows_extracted, models,
    tests_passed, tests_failed, seconds, run_id, failures. A failed build is not
    published (the previous warehouse keeps serving). `instance` defaults to the one of
    DAGSTER_HOME when set (runs then show in the Dagster UI), else an ephemeral one.
    dbt's own log lines go to `<warehouse stem>.dbt.log` beside the warehouse, or to
    stdout with `verbose`.
    """
    import dagster as dg

    from pipelines.defs.assets import VERBOSE_TAG
    from pipelines.defs.definitions import make_definitions
    from transactional.config import warehouse_path as default_warehouse

    say = progress or (lambda _msg: None)
    warehouse = Path(warehouse_path or default_warehouse()).resolve()
    t0 = time.perf_counter()
    with writer_lock(warehouse):
        say("refresh: loading definitions (dbt parse when the project changed)")
        defs = make_definitions(oltp_url, warehouse)
        job = defs.resolve_job_def("refresh").with_logger_defs(
            {"qm_progress": _progress_logger(say)}
        )
        if instance is None:
            instance = (
                dg.DagsterInstance.get()
                if os.environ.get("DAGSTER_HOME")
                else dg.DagsterInstance.ephemeral()
            )
        for dead in clear_dead_runs(instance, warehouse):
            say(f"refresh: run {dead} of this warehouse had died unfinished; slots freed")
        result = job.execute_in_process(
            run_config={
                "ops": {"oltp_extract": {"config": {"full": full}}},
                "loggers": {"qm_progress": {}},
            },
            instance=instance,
            raise_on_error=False,
            tags={
                WAREHOUSE_TAG: str(warehouse),
                "quartermaster/mode": "full" if full else "incremental",
                VERBOSE_TAG: "true" if verbose else "false",
            },
        )
        release_run_lock(warehouse)  # a run that stopped between its steps
    summary: dict[str, Any] = {
        "success": result.success,
        "run_id": result.run_id,
        "published": None,
        "mode": "full" if full else "incremental",
        "rows_extracted": 0,
        "models": 0,
        "tests_passed": 0,
        "tests_failed": 0,
        "failures": [],
    }
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        meta: dict[str, Any] = {k: v.value for k, v in mat.metadata.items()}
        if mat.asset_key.path[0] == "oltp":
            summary["rows_extracted"] += int(meta.get("rows_copied", 0))
        elif mat.asset_key.path == ["warehouse", "published"]:
            summary.update(
                published=meta["path"],
                mode=meta["mode"],
                models=meta["models"],
                tests_passed=meta["tests_passed"],
                tests_failed=meta["tests_failed"],
            )
    if not result.success:
        from pipelines.defs.assets import summary_path
        from pipelines.publish import build_path_for

        sidecar = summary_path(build_path_for(warehouse, result.run_id))
        if sidecar.exists():
            import json

            dbt_summary = DbtSummary(**json.loads(sidecar.read_text()))
            summary.update(
                models=dbt_summary.models,
                tests_passed=dbt_summary.tests_passed,
                tests_failed=dbt_summary.tests_failed,
                failures=dbt_summary.failures,
            )
        for event in result.all_events:
            if event.is_step_failure and event.step_failure_data.error:
                summary["failures"].append(event.step_failure_data.error.message.strip())
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    return summary


WAREHOUSE_TAG = "quartermaster/warehouse"  # the published file a refresh() run writes


def clear_dead_runs(instance, warehouse: Path) -> list[str]:
    """Runs of `refresh()` for `warehouse` that the instance still shows unfinished, while
    the caller holds the warehouse's writer lock, died with their process (kill -9, a
    power cut): such a run held that lock from its start, and the OS released it when the
    process ended. Mark each failed and free the pool slots it claimed — else the
    `warehouse_writer` slot stays taken and every later refresh waits for it forever.
    Returns their run ids."""
    import dagster as dg

    unfinished = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
    ]
    runs = instance.get_runs(
        filters=dg.RunsFilter(
            job_name="refresh", statuses=unfinished, tags={WAREHOUSE_TAG: str(warehouse)}
        )
    )
    for run in runs:
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        instance.report_run_failed(run, "its process died before the run finished")
    return [run.run_id for run in runs]


def summary_line(s: dict) -> str:
    """The one-line summary `qm refresh` prints."""
    head = "refresh: published" if s["success"] else "refresh: FAILED, not published"
    return (
        f"{head} ({s['mode']}): {s['rows_extracted']} rows extracted, {s['models']} "
        f"models built, {s['tests_passed']} tests passed, {s['tests_failed']} failed, "
        f"{s['seconds']} s" + (f" → {s['published']}" if s["published"] else "")
    )


def _cmd_refresh(args) -> int:
    os.environ.setdefault("DAGSTER_HOME", str(DAGSTER_HOME))
    s = refresh(
        full=args.full,
        oltp_url=args.oltp_url,
        warehouse_path=args.warehouse,
        progress=print,
        verbose=args.verbose,
    )
    for failure in s["failures"][:10]:
        print(f"  failure: {failure.splitlines()[0] if failure else failure}")
    print(summary_line(s))
    return 0 if s["success"] else 1


def _cmd_scheduler(args) -> int:
    """Run dagster-daemon and dagster-webserver until Ctrl-C, then stop both."""
    env = {**os.environ, "DAGSTER_HOME": str(Path(args.dagster_home).resolve())}
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    bindir = Path(sys.executable).parent
    exe = lambda name: str(bindir / name) if (bindir / name).exists() else name
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    module = ["-m", "pipelines.defs.definitions"]
    procs = [
        subprocess.Popen([exe("dagster-daemon"), "run", *module], env=env, cwd=PROJECT_ROOT),
        subprocess.Popen(
            [exe("dagster-webserver"), *module, "-h", args.host, "-p", str(args.port)],
            env=env,
            cwd=PROJECT_ROOT,
        ),
    ]
    print(
        f"scheduler: daemon pid {procs[0].pid}, webserver pid {procs[1].pid}; "
        f"DAGSTER_HOME={env['DAGSTER_HOME']}"
    )
    print(f"scheduler: Dagster UI at http://{args.host}:{args.port} (Ctrl-C stops both)")
    code = 0
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        code = next(p.returncode for p in procs if p.poll() is not None) or 1
        print("scheduler: a process exited; stopping the other")
    except KeyboardInterrupt:
        print("scheduler: stopping")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    print("scheduler: stopped")
    return code


def register(sub) -> None:
    """Add `refresh` and `scheduler` to the `qm` command line."""
    p = sub.add_parser("refresh", help="extract the OLTP, build + test the warehouse, publish")
    p.add_argument("--full", action="store_true", help="rebuild everything from scratch")
    p.add_argument("--oltp-url", help="OLTP database URL (default QM_DATABASE_URL)")
    p.add_argument("--warehouse", help="published DuckDB file (default QM_WAREHOUSE_PATH)")
    p.add_argument(
        "--verbose",
        action="store_true",
        help="print dbt's own log lines (else they go to <warehouse>.dbt.log)",
    )
    p.set_defaults(func=_cmd_refresh)
    s = sub.add_parser("scheduler", help="run the Dagster daemon + UI (schedules headless)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=3000)
    s.add_argument("--dagster-home", default=str(DAGSTER_HOME))
    s.set_defaults(func=_cmd_scheduler)

"""`qm demo serve`: bring the whole demo up — refresh the warehouse, run planning once,
then serve the API and the dashboards as child processes until Ctrl-C; in the background
re-forecast past weekly plans (`qm plan backfill`) and replay the policies (`qm plan
simulate --sweep`).

A step that fails (a refresh on an empty database, planning without a warehouse) is
reported and skipped, so the demo serves whatever exists.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

STOP_TIMEOUT = 10  # seconds a child gets to exit after SIGTERM before it is killed
BACKFILL_WEEKS = 8  # past weekly plans re-forecast for the planning page's realised accuracy
BACKGROUND = "background jobs"


def _say(msg: str) -> None:
    print(f"qm demo serve: {msg}", flush=True)


def available_commands() -> set[str]:
    """The `qm` sub-commands present in this build."""
    from qm.cli import build_parser

    parser = build_parser()
    for action in parser._actions:  # the sub-command table of argparse
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict):
            return set(choices)
    return set()


def run_refresh() -> bool:
    """Refresh the warehouse (`qm.refresh_commands.refresh`); True when published."""
    from qm import refresh_commands

    started = time.perf_counter()
    try:
        result = refresh_commands.refresh(progress=lambda m: _say(m.strip()))
    except Exception as exc:  # noqa: BLE001 - the demo still serves what exists
        _say(
            f"refresh failed ({type(exc).__name__}: {exc}); serving the last published "
            "warehouse, if any"
        )
        return False
    ok = bool(result.get("success", True)) if isinstance(result, dict) else True
    _say(f"refresh {'done' if ok else 'FAILED'} in {time.perf_counter() - started:.0f} s")
    return ok


def run_plan() -> None:
    """Run planning once (it writes draft POs)."""
    from pipelines.planning import run_planning

    started = time.perf_counter()
    try:
        # the policy replay refits forecasting at every weekly review of a year: it runs
        # in the background below instead of delaying the API and the dashboard
        summary = run_planning(progress=lambda m: _say(m), simulate=False)
    except Exception as exc:  # noqa: BLE001
        _say(f"planning failed ({type(exc).__name__}: {exc}); skipped")
        return
    _say(
        f"planning run {summary.get('run_id', '')} done in "
        f"{time.perf_counter() - started:.0f} s: {summary.get('suggestions', '?')} "
        "suggestions"
    )


def background_jobs(weeks: int = BACKFILL_WEEKS) -> int:
    """The demo's background work, one after the other because each rewrites
    planning.duckdb (run at the same time, the later write would drop the other's table):
    `qm plan backfill --weeks N` (past plans for realised accuracy, ~1 min on the medium
    demo; its lines go to data/backfill.log), then `qm plan simulate --sweep` (the policy
    replay, 5–9 min; its lines to this process's output, data/simulate.log)."""
    import contextlib

    from qm.cli import main
    from transactional.config import data_dir

    log = data_dir() / "backfill.log"
    rc = 0
    with open(log, "w") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            rc = main(["plan", "backfill", "--weeks", str(weeks)])
        except Exception as exc:  # noqa: BLE001 - the replay still runs
            print(f"backfill failed: {type(exc).__name__}: {exc}")
            rc = 1
    print(
        f"qm demo serve: backfill of {weeks} past weekly plans "
        f"{'done' if rc == 0 else 'FAILED'} (→ {log}); policy replay next",
        flush=True,
    )
    return main(["plan", "simulate", "--sweep"]) or rc


def _start(name: str, argv: list[str]) -> subprocess.Popen:
    _say(f"starting {name}: {' '.join(argv[2:])}")
    # a session of its own: Ctrl-C reaches only us, and we stop the children in order
    return subprocess.Popen(argv, start_new_session=True, env=os.environ.copy())


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    # an impatient second Ctrl-C must not abandon the children half-way: ignore it while
    # stopping (each child gets SIGTERM, then its process group SIGKILL after STOP_TIMEOUT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            # each child leads its own process group (start_new_session): kill the group,
            # so a grandchild (the dashboard's streamlit server) cannot outlive it
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        _say(f"{name} stopped")


def serve(
    host: str = "127.0.0.1",
    api_port: int = 8000,
    dashboard_port: int = 8501,
    refresh: bool = True,
    plan: bool = True,
) -> int:
    """Refresh, plan, then run the API and the dashboards until Ctrl-C; returns 0."""
    if refresh:
        run_refresh()
    if plan:
        run_plan()
    commands = available_commands()
    procs: dict[str, subprocess.Popen] = {}
    try:
        # everything from the first child on is inside the try: a Ctrl-C at any moment
        # (even while the children are still being started) stops the ones running
        if not _start_children(procs, commands, host, api_port, dashboard_port, plan):
            return 0
        while any(p.poll() is None for n, p in procs.items() if n != BACKGROUND):
            time.sleep(0.5)
        _say("every child process has exited")
    except KeyboardInterrupt:
        _say("stopping")
    finally:
        _stop(procs)
    return 0


def _start_children(
    procs: dict[str, subprocess.Popen],
    commands,
    host: str,
    api_port: int,
    dashboard_port: int,
    plan: bool,
) -> bool:
    """Start the API, the dashboards and the background jobs into `procs`; print the
    addresses and logins. False when there is nothing to serve."""
    from demo import demo_logins

    addresses = []
    if "serve" in commands:
        procs["API"] = _start(
            "API", [sys.executable, "-m", "qm", "serve", "--host", host, "--port", str(api_port)]
        )
        addresses.append(f"API        http://{host}:{api_port}  (OpenAPI at /docs)")
    else:
        _say("API (qm serve) not built yet; skipped")
    if "dashboard" in commands:
        procs["dashboard"] = _start(
            "dashboard",
            [
                sys.executable,
                "-m",
                "qm",
                "dashboard",
                "--port",
                str(dashboard_port),
                "--address",
                host,
            ],
        )
        addresses.append(f"dashboard  http://{host}:{dashboard_port}")
    else:
        _say("dashboards (qm dashboard) not built yet; skipped")
    if plan and "plan" in commands:
        from transactional.config import data_dir

        log = data_dir() / "simulate.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w") as out:
            procs[BACKGROUND] = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys; from qm.demo_serve import "
                    "background_jobs; sys.exit(background_jobs())",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=os.environ.copy(),
            )
        _say(
            f"in the background: {BACKFILL_WEEKS} past weekly plans re-forecast for "
            f"realised accuracy (→ {data_dir() / 'backfill.log'}, about a minute), then "
            f"the policy replay, reorder rules vs planning (→ {log}); the planning page "
            "shows each when it is done"
        )
    for line in addresses:
        _say(line)
    _say("demo logins: " + ", ".join(f"{u} / {p}" for u, p in demo_logins()))
    if not procs:
        _say("nothing to serve")
        return False
    _say(f"serving {len(procs)} process(es); Ctrl-C stops everything")
    return True

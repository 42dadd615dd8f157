"""`qm demo generate` and `qm demo serve` end to end: output, --if-empty, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from qm.cli import main
from qm.demo_serve import available_commands


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('demo_cli') / 'cli.sqlite'}"


def test_generate_prints_summary_and_logins(cli_db, monkeypatch, capsys):
    monkeypatch.setenv("QM_DATABASE_URL", cli_db)
    rc = main(
        [
            "demo",
            "generate",
            "--scale",
            "small",
            "--start",
            "2024-03-01",
            "--months",
            "1",
            "--seed",
            "3",
            "--batch",
            "7",
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    assert "sales_order" in out and "planner / planner-demo" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("qm demo generate: small seed 3, 2024-03-01 … 2024-03-31:")


def test_batch_must_be_at_least_one(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "generate", "--batch", "0"])
    assert exc.value.code == 2
    assert "must be at least 1, not 0" in capsys.readouterr().err


def test_if_empty_leaves_a_filled_database_alone(cli_db, monkeypatch, capsys):
    monkeypatch.setenv("QM_DATABASE_URL", cli_db)
    assert main(["demo", "generate", "--scale", "small", "--if-empty"]) == 0
    assert "nothing to do (--if-empty)" in capsys.readouterr().out
    assert main(["demo", "generate", "--scale", "small"]) == 2
    assert "refused" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def test_serve_starts_api_and_dashboard_and_stops_on_ctrl_c(cli_db, tmp_path):
    if not {"serve", "dashboard"} <= available_commands():
        pytest.skip("the API or the dashboards are not built in this checkout")
    api, dash = _free_port(), _free_port()
    env = {
        **os.environ,
        "QM_DATABASE_URL": cli_db,
        "QM_WAREHOUSE_PATH": str(tmp_path / "none.duckdb"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qm",
            "demo",
            "serve",
            "--no-refresh",
            "--no-plan",
            "--port",
            str(api),
            "--dashboard-port",
            str(dash),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        # as started from a terminal: Ctrl-C's default action, even when this test runs
        # in a background job (where the shell starts every process with SIGINT ignored)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{api}/docs", proc, 90), "API did not come up"
        assert _wait_for(f"http://127.0.0.1:{dash}/", proc, 120), "dashboard did not come up"
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0
    assert f"http://127.0.0.1:{api}" in out and "planner / planner-demo" in out
    assert "API stopped" in out and "dashboard stopped" in out
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{api}/docs", timeout=2)

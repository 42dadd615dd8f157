"""bench/api_load.py at a tiny size on SQLite: it counts the work it did, survives cut
connections and a kill -9 of the server with every document exactly once — and it fails
when a document is doubled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_load(*args: str, timeout: float = 120) -> tuple[int, dict, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "api_load.py"),
            "--engine",
            "sqlite",
            "--no-floor",
            "--json",
            "--progress",
            "2",
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr[-3000:]
    return proc.returncode, json.loads(lines[-1]), proc.stderr


def test_cuts_and_a_kill_leave_every_document_exactly_once():
    rc, result, log = run_load(
        "--clients",
        "8",
        "--docs",
        "40",
        "--chaos",
        "0.2",
        "--cuts",
        "after-send,mid-processing,after-status,timeout",
        "--kill",
        "1",
        "--down",
        "0.2",
    )
    assert rc == 0, log[-3000:]
    assert result["ok"] and result["posted"] == result["created"] == 40
    assert result["lost"] == result["doubled"] == result["failed_5xx"] == 0
    assert result["kills"] == 1 and sum(result["cuts"].values()) > 0
    assert result["statuses"]["201"] >= 40 and result["statuses"]["200"] >= 40
    assert "api_load: ok" in log


def test_a_double_makes_it_fail():
    rc, result, log = run_load(
        "--clients", "4", "--docs", "12", "--in-process", "--inject", "double"
    )
    assert rc == 1
    assert result["doubled"] >= 1 and result["lost"] == 0 and not result["ok"]
    assert "api_load: FAIL doubled" in log


def test_a_connection_cut_mid_request_is_not_a_server_error():
    """A client hanging up mid-body (ClientDisconnect while the body is read for the
    Idempotency-Key fingerprint) was a logged 500 with a traceback; now one info line."""
    rc, result, log = run_load(
        "--clients", "4", "--docs", "8", "--chaos", "1", "--cuts", "mid-request"
    )
    assert result["log_causes"] == {} and result["failed_5xx"] == 0, log[-2000:]
    assert rc == 0


def test_create_and_post_through_the_group_commit_with_cuts_and_a_kill():
    """One request per document (POST …?post=true, grouped): cut connections and a kill
    -9 of the server still leave every document exactly once."""
    rc, result, log = run_load(
        "--clients",
        "8",
        "--docs",
        "40",
        "--create-and-post",
        "--chaos",
        "0.2",
        "--cuts",
        "after-send,mid-processing,timeout",
        "--kill",
        "1",
        "--down",
        "0.2",
    )
    assert rc == 0, log[-3000:]
    assert result["ok"] and result["posted"] == result["created"] == 40
    assert result["lost"] == result["doubled"] == result["failed_5xx"] == 0
    assert set(result["statuses"]) == {"201"}
    assert "group commit:" in log


def test_batches_of_documents():
    rc, result, log = run_load("--clients", "4", "--docs", "40", "--batch", "5")
    assert rc == 0, log[-3000:]
    assert result["ok"] and result["posted"] == result["created"] == 40
    assert result["statuses"] == {"200": 8}

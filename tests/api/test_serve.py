"""`qm serve` as a user runs it: prints its address, answers, and on Ctrl-C prints a
one-line summary of what it served."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def test_qm_serve_prints_its_address_and_a_summary(sqlite_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "qm", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "QM_DATABASE_URL": sqlite_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "qm serve did not come up"
                time.sleep(0.2)
        assert health.json() == {"status": "ok", "database": "sqlite"}
        assert httpx.get(f"{base}/api/v1/items").status_code == 401
        paths = httpx.get(f"{base}/openapi.json").json()["paths"]
        assert "/api/v1/sales-orders" in paths and "/api/v1/reports/balance-sheet" in paths
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert f"qm serve: http://127.0.0.1:{port}" in out.splitlines()[0]
    assert "qm serve: stopped; 4 requests" in out and "(1 refused 4xx, 0 failed 5xx)" in out


def test_qm_serve_with_workers_serves_the_reports(sqlite_url, tmp_path):
    """`qm serve --workers 2` builds each worker's app through qm.api_app's factory: the
    statements are there, read from QM_WAREHOUSE_PATH."""
    from tests.dashboards.hand_books import hand_warehouse
    from transactional.db import session_scope
    from transactional.services.users import create_user, issue_token

    with session_scope(sqlite_url) as s:
        token = issue_token(s, create_user(s, "fin", "finance", None))
    published = hand_warehouse(tmp_path / "warehouse.duckdb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "qm", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, "QM_DATABASE_URL": sqlite_url, "QM_WAREHOUSE_PATH": str(published)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "qm serve did not come up"
                time.sleep(0.2)
        r = httpx.get(
            f"{base}/api/v1/reports/balance-sheet?as_of=2025-12-31",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["total_assets"] == "14700.00"  # tests/dashboards/hand_books.py
        assert r.json()["snapshot"]["run_id"] == "hand-made"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)

"""`/docs` (Swagger UI) and `/redoc` work without internet: their pages reference only the
server's own assets (served from the fastapi-offline package), and Debian's chromium,
with every host but 127.0.0.1 unresolvable, renders the operations."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`qm serve` on a fresh SQLite database and a free port."""
    from transactional.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('docs') / 'qm.sqlite'}"
    upgrade(url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "qm", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "QM_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
    try:
        while True:
            try:
                httpx.get(f"{base}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "qm serve did not come up"
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_pages_load_only_the_servers_own_assets(served, page):
    html = httpx.get(served + page).text
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", html)
    scripts = [a for a in assets if a.endswith(".js")]
    assert scripts, html[:500]
    assert [a for a in assets if "://" in a] == []  # no CDN, no other host
    for asset in assets:
        r = httpx.get(served + asset)
        assert r.status_code == 200, asset
        if asset.endswith(".js"):
            assert len(r.content) > 500_000, asset  # the whole bundle, not a stub


@pytest.mark.parametrize(
    "page, rendered",
    [
        # Swagger UI draws one block per operation, e.g. the health check's
        ("/docs", ['class="opblock', "/api/v1/health", "Quartermaster API"]),
        # ReDoc draws the operations into its menu and body
        ("/redoc", ["Quartermaster API", "/api/v1/health", "redoc-wrap"]),
    ],
)
def test_chromium_renders_them_with_no_internet(served, chromium_exe, tmp_path, page, rendered):
    dom = subprocess.run(
        [
            chromium_exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            # no internet: every name but the server's own address fails to resolve
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
            served + page,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    missing = [marker for marker in rendered if marker not in dom]
    assert missing == [], dom[:2000]

"""A real browser against `qm dashboard`: headless Debian Chromium signs in and opens every
page; no page shows an exception. Screenshots go to artifacts/screenshots/.

Skipped when chromium is absent; QM_REQUIRE_BROWSER=1 (CI) turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from dashboards import access
from tests.dashboards.browser import Browser, serve_dashboard
from tests.dashboards.helpers import APP, PAGES, password

SCREENSHOTS = APP.parents[1] / "artifacts" / "screenshots"
ERROR_MARKERS = ("stException", "Traceback (most recent call last)")

pytestmark = pytest.mark.browser
base_log: dict[str, Path] = {}  # dashboard URL -> its server log, for failure messages


@pytest.fixture(scope="module")
def dashboard(world, chromium_exe, tmp_path_factory):
    """`qm dashboard` on a free localhost port, reading the test world."""
    logs = tmp_path_factory.mktemp("dashboard")
    env = {
        **os.environ,
        "QM_DATABASE_URL": world.oltp_url,
        "QM_WAREHOUSE_PATH": str(world.warehouse),
        "QM_PLANNING_PATH": str(logs / "planning.duckdb"),
    }
    proc, base = serve_dashboard(env, logs / "dashboard.log")
    base_log[base] = logs / "dashboard.log"
    yield base
    proc.stop()


def test_sign_in_page_loads_in_chromium(dashboard, chromium_exe, tmp_path):
    """The plain command line: --dump-dom and --screenshot of the sign-in page."""
    flags = [
        chromium_exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=15000",
        "--window-size=1280,900",
    ]
    dom = subprocess.run(
        [*flags, "--dump-dom", dashboard], capture_output=True, text=True, timeout=120, check=False
    ).stdout
    assert "<html" in dom and "stApp" in dom
    assert not [m for m in ERROR_MARKERS if m in dom]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "sign-in.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        [*flags, f"--screenshot={shot}", dashboard], capture_output=True, timeout=120, check=False
    )
    assert shot.exists() and shot.stat().st_size > 5000


def test_every_page_loads_without_an_error(dashboard, chromium_exe, tmp_path):
    browser = Browser(chromium_exe, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        browser.call("Page.enable")
        browser.open_until(
            dashboard,
            "!!document.querySelector('input[aria-label=\"Username\"]')",
            what="the sign-in form",
            log=base_log.get(dashboard),
        )
        browser.type_into('input[aria-label="Username"]', "admin")
        browser.type_into('input[aria-label="Password"]', password("admin"))
        browser.js(
            "[...document.querySelectorAll('button')]"
            ".find(b => b.innerText.trim() === 'Sign in').click()"
        )
        browser.wait(
            f"document.querySelectorAll('[data-testid=\"stSidebarNav\"] a').length >= {len(PAGES)}",
            what="the page menu after signing in",
        )
        seen = {}
        for page in PAGES:
            title = access.BY_KEY[page].title
            browser.js(
                "[...document.querySelectorAll('[data-testid=\"stSidebarNav\"] a')]"
                f".find(a => a.innerText.trim().endsWith({json.dumps(title)})).click()"
            )
            browser.wait(
                f"[...document.querySelectorAll('h1')].some(h => h.innerText.trim()"
                f" === {json.dumps(title)})",
                what=f"the {title} page",
            )
            browser.idle()
            html = browser.js("document.documentElement.outerHTML")
            seen[page] = [m for m in ERROR_MARKERS if m in html]
            assert "Data published" in html, f"{page}: no freshness line"
            browser.screenshot(SCREENSHOTS / f"{page}.png")
        assert seen == {page: [] for page in PAGES}
    finally:
        browser.close()


def test_a_reload_keeps_the_sign_in_until_sign_out_or_deactivation(world, chromium_exe, tmp_path):
    """The session cookie: a reload (and a bookmark of a page) stays signed in; signing
    out ends it for good; a deactivated user is out at the next reload. Nothing secret
    goes into a URL. Runs on a private copy of the demo database (it writes sessions)."""
    import sqlite3

    from tests.dashboards.conftest import copy_sqlite

    oltp = tmp_path / "oltp.sqlite"
    copy_sqlite(world.oltp_url, oltp)
    env = {
        **os.environ,
        "QM_DATABASE_URL": f"sqlite:///{oltp}",
        "QM_WAREHOUSE_PATH": str(world.warehouse),
        "QM_PLANNING_PATH": str(tmp_path / "planning.duckdb"),
    }
    server, base = serve_dashboard(env, tmp_path / "dashboard.log")
    browser = Browser(chromium_exe, tmp_path / "profile", tmp_path / "chromium.log")
    form = "!!document.querySelector('input[aria-label=\"Username\"]')"
    stock_title = (
        "[...document.querySelectorAll('h1')].some(h => h.innerText.trim() === 'Stock on hand')"
    )

    def sign_in() -> None:
        browser.open_until(base, form, what="the sign-in form", log=tmp_path / "dashboard.log")
        browser.type_into('input[aria-label="Username"]', "warehouse")
        browser.type_into('input[aria-label="Password"]', password("warehouse"))
        browser.js(
            "[...document.querySelectorAll('button')]"
            ".find(b => b.innerText.trim() === 'Sign in').click()"
        )
        browser.wait(stock_title, what="the warehouse keeper's landing page")
        browser.idle()

    def reload_shows(expression: str, what: str) -> None:
        browser.call("Page.reload", ignoreCache=True)
        browser.wait(expression, what=what)

    def sessions() -> list[tuple[str, int]]:
        with sqlite3.connect(oltp) as con:
            return con.execute(
                "select substr(t.token_hash, 1, 8), t.revoked from api_token t "
                "join app_user u on u.id = t.user_id where u.username = 'warehouse'"
            ).fetchall()

    try:
        browser.call("Page.enable")
        sign_in()
        cookie = browser.js("document.cookie")
        assert "qm_session=qms_" in cookie, cookie
        assert "qms_" not in browser.js("location.href")  # never in a URL
        assert [revoked for _, revoked in sessions()] == [0]
        reload_shows(stock_title, "the page again after a reload, still signed in")
        # a bookmark of a page: a fresh navigation to its address
        browser.goto(f"{base}/inventory")
        browser.wait(
            "[...document.querySelectorAll('h1')].some(h => h.innerText.trim() === 'Inventory')",
            what="the bookmarked page, signed in",
        )
        browser.idle()
        browser.js(
            "[...document.querySelectorAll('button')]"
            ".find(b => b.innerText.trim().endsWith('Sign out')).click()"
        )
        browser.wait(form, what="the sign-in form after signing out")
        browser.idle()
        assert [revoked for _, revoked in sessions()] == [1]  # revoked in the database
        reload_shows(form, "the sign-in form after a reload: signing out is final")
        assert "qm_session=qms_" not in browser.js("document.cookie")
        # signed in again, then the user is deactivated: out at the next reload
        sign_in()
        with sqlite3.connect(oltp) as con:
            con.execute("update app_user set active = 0 where username = 'warehouse'")
        reload_shows(form, "the sign-in form: a deactivated user loses access")
    finally:
        browser.close()
        server.stop()

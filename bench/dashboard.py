"""Render time of every dashboard page (Streamlit AppTest), cold and warm.

    python bench/dashboard.py [--warehouse FILE] [--oltp URL] [--runs 7] [--role admin]

Default warehouse: the published one (QM_WAREHOUSE_PATH, else data/warehouse.duckdb);
the OLTP (for users and planning drafts) is QM_DATABASE_URL. For each page: one cold
render after clearing the query cache (every mart read from DuckDB), then `--runs` warm
renders in new sessions (what every later visitor waits for until the next publish);
p50/p95 of the warm runs are printed next to the 1 s floor. Times are whole script runs
under AppTest (its polling included), a little more than a browser's page switch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
APP = ROOT / "dashboards" / "app.py"
PAGES = ("overview", "inventory", "sales", "purchasing", "planning", "finance")
FLOOR_S = 1.0


_COMPONENTS = []


def session(page: str, role: str):
    """AppTest of one page script signed in as `role` (the page draws everything it
    shows itself: ui.page_setup), so no other page is rendered first. Every AppTest would
    scan all installed packages for Streamlit components (~1 s, the harness's cost, once
    per server in real life): they share one scan here."""
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.testing.v1 import AppTest

    if not _COMPONENTS:
        manager = BidiComponentManager()
        manager.discover_and_register_components(start_file_watching=False)
        _COMPONENTS.append(manager)
    at = AppTest.from_file(str(APP.parent / "pages" / f"{page}.py"), default_timeout=120)
    at._bidi_component_manager = _COMPONENTS[0]
    at.session_state["user"] = {"username": f"bench-{role}", "role": role}
    return at


def render(at) -> tuple[float, list[str]]:
    """Seconds for one run of the page script, and any errors it showed."""
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    return seconds, [e.value for e in at.exception] + [e.value for e in at.error]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", help="published DuckDB file")
    parser.add_argument("--oltp", help="OLTP URL (users, planning drafts)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--role", default="admin")
    args = parser.parse_args()
    if args.warehouse:
        os.environ["QM_WAREHOUSE_PATH"] = str(Path(args.warehouse).resolve())
    if args.oltp:
        os.environ["QM_DATABASE_URL"] = args.oltp
    import logging

    import streamlit as st

    logging.getLogger("streamlit").setLevel(logging.ERROR)

    from dashboards import warehouse

    path = warehouse.path_of()
    if not path.exists():
        print(
            f"bench/dashboard: no warehouse at {path}; run `qm refresh` or pass --warehouse",
            file=sys.stderr,
        )
        return 2
    size = path.stat().st_size / 2**20
    rows = warehouse.query("select count(*) from marts.fct_stock_daily").iloc[0, 0]
    print(
        f"bench/dashboard: {path} ({size:.0f} MiB, {rows:,} stock-day rows), role "
        f"{args.role}, {args.runs} warm runs per page",
        flush=True,
    )
    print(f"{'page':<12}{'cold s':>8}{'p50 s':>8}{'p95 s':>8}{'floor':>8}  verdict")
    worst, failures = 0.0, []
    for page in PAGES:  # imports (pandas, altair, the pages' modules) are not the pages' cost
        render(session(page, args.role))
    for page in PAGES:
        st.cache_data.clear()
        cold, errors = render(session(page, args.role))
        warm = []
        for _ in range(args.runs):  # a new visitor each time; the query cache is warm
            seconds, more = render(session(page, args.role))
            warm.append(seconds)
            errors += more
        p50, p95 = statistics.median(warm), pct(warm, 0.95)
        worst = max(worst, p95)
        verdict = "ok" if p95 <= FLOOR_S else "over"
        if errors:
            verdict, failures = "ERROR", failures + [f"{page}: {errors[0][:200]}"]
        print(f"{page:<12}{cold:>8.2f}{p50:>8.2f}{p95:>8.2f}{FLOOR_S:>8.1f}  {verdict}", flush=True)
    for failure in failures:
        print(f"  {failure}")
    print(
        f"bench/dashboard: worst warm p95 {worst:.2f} s against the {FLOOR_S:.1f} s floor "
        f"({'met' if worst <= FLOOR_S else 'not met'}); {len(failures)} page(s) with errors"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

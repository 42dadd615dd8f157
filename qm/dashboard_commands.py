"""`qm dashboard` (serve the Streamlit app) and `qm statements` (export the financial
statements of a month as XLSX, PDF or CSV from the published warehouse)."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"


def streamlit_command(port: int, address: str = "localhost") -> list[str]:
    """The command line that serves the dashboards (also used by the browser tests)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


def cmd_dashboard(args: argparse.Namespace) -> int:
    from transactional.config import database_url, warehouse_path

    warehouse = Path(args.warehouse) if args.warehouse else warehouse_path()
    env = {**os.environ, "QM_WAREHOUSE_PATH": str(warehouse)}
    print(
        f"qm dashboard: serving http://{args.address}:{args.port} — warehouse {warehouse}"
        f"{'' if warehouse.exists() else ' (not published yet: run qm refresh)'}, "
        f"users from {database_url().split('://')[0]}; Ctrl-C stops it",
        flush=True,
    )
    server = subprocess.Popen(streamlit_command(args.port, args.address), env=env)

    def stop(signum, _frame):  # a SIGTERM to qm must not orphan the server
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    started = time.perf_counter()
    try:
        code = server.wait()
    except KeyboardInterrupt:
        server.terminate()
        try:
            code = server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            code = server.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"qm dashboard: stopped after {time.perf_counter() - started:,.0f} s (exit {code})")
    return 0 if code in (0, -signal.SIGTERM) else code


def cmd_statements(args: argparse.Namespace) -> int:
    from dashboards import exports, statements, warehouse

    started = time.perf_counter()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.period or ""):
        print(f"qm statements: --period must be YYYY-MM, got {args.period!r}", file=sys.stderr)
        return 2
    path = warehouse.path_of(args.warehouse)
    if not path.exists():
        print(f"qm statements: no warehouse at {path}; run `qm refresh` first", file=sys.stderr)
        return 2

    def q(sql, params=None):
        return warehouse.query(sql, params, path)

    months = statements.available_months(q)
    month = statements.month_start(args.period)
    if month not in months:
        span = f"{min(months):%Y-%m} … {max(months):%Y-%m}" if months else "none"
        print(
            f"qm statements: no books for {args.period} in {path} (months with data: {span})",
            file=sys.stderr,
        )
        return 2
    print(f"qm statements: building the statements of {args.period} from {path}", flush=True)
    reports = statements.statement_pack(q, month)
    writer = {"xlsx": exports.to_xlsx, "pdf": exports.to_pdf, "csv": exports.reports_to_csv}[
        args.format
    ]
    data = writer(reports)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    income, balance = reports[0], reports[2]
    net = income.frame[income.frame["Line"].str.lower() == "net income"]
    net_text = f"net income {net.iloc[0, 1]:,.2f}, " if len(net) else ""
    assets = balance.total_row("Total assets").iloc[1]
    print(
        f"qm statements: wrote {len(reports)} statements for {args.period} to {out} "
        f"({args.format}, {len(data) / 1024:.1f} kB; {net_text}total assets "
        f"{assets:,.2f}) in {time.perf_counter() - started:.1f} s"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `dashboard` and `statements` to the `qm` parser."""
    dash = sub.add_parser("dashboard", help="serve the Streamlit dashboards")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument(
        "--address",
        default="localhost",
        help="interface to listen on (0.0.0.0 for every interface)",
    )
    dash.add_argument(
        "--warehouse", default=None, help="published DuckDB file (default QM_WAREHOUSE_PATH)"
    )
    dash.set_defaults(func=cmd_dashboard)
    st = sub.add_parser("statements", help="export a month's financial statements")
    st.add_argument("--period", required=True, help="the month, YYYY-MM")
    st.add_argument("--format", choices=("xlsx", "pdf", "csv"), default="xlsx")
    st.add_argument("--out", required=True, help="file to write")
    st.add_argument(
        "--warehouse", default=None, help="published DuckDB file (default QM_WAREHOUSE_PATH)"
    )
    st.set_defaults(func=cmd_statements)

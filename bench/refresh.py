"""Benchmark the warehouse refresh: full and incremental, step by step, beside the floor.

    .venv/bin/python bench/refresh.py [--oltp-url URL] [--scale small|medium|large]

Without --oltp-url it uses data/demo-<scale>.sqlite (large if present, else medium,
else it generates the scale asked for, default small). A SQLite OLTP is copied to a
scratch directory first, so the ~1 % more documents the incremental step needs are
posted into the copy, never into your database.

Printed: a full refresh broken down (extract, dbt models, dbt tests, publish), an
incremental one after ~1 % more documents, the same two through the Dagster `refresh`
job (what `qm refresh` runs), and the floor — DuckDB computing the headline marts
(monthly turnover, monthly P&L) as direct SQL over the raw tables in one process.
Targets: full ≤ 90 s, incremental ≤ 15 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.extract import extract, url_kind
from pipelines.publish import prepare_build, publish, run_dbt

ROOT = Path(__file__).resolve().parent.parent
TESTS_EXCLUDED = ["--exclude", "resource_type:test", "resource_type:unit_test"]

TURNOVER_SQL = """
WITH moves AS (
  SELECT date_trunc('month', posting_date) AS month, item_id, warehouse_id,
         sum(CASE WHEN doc_type = 'delivery' THEN -value ELSE 0 END) AS cogs
  FROM raw.stock_ledger GROUP BY ALL),
closing AS (
  SELECT date_trunc('month', posting_date) AS month, item_id, warehouse_id,
         arg_max(running_value, id) AS closing_value
  FROM raw.stock_ledger GROUP BY ALL)
SELECT m.month, m.item_id, m.warehouse_id, m.cogs, c.closing_value,
       m.cogs / nullif(c.closing_value, 0) AS turnover
FROM moves m JOIN closing c USING (month, item_id, warehouse_id)
"""
PNL_SQL = """
SELECT date_trunc('month', je.posting_date) AS month, a.account_type, a.code,
       sum(jl.credit - jl.debit) AS amount
FROM raw.journal_line jl JOIN raw.journal_entry je ON je.id = jl.entry_id
JOIN raw.account a ON a.code = jl.account_code
WHERE a.account_type IN ('income', 'expense') GROUP BY ALL
"""


def say(msg: str) -> None:
    print(msg, flush=True)


def pick_oltp(args, scratch: Path) -> str:
    """The OLTP to measure: --oltp-url, a demo file under data/, or a fresh demo."""
    if args.oltp_url:
        url = args.oltp_url
    else:
        found = [ROOT / "data" / f"demo-{s}.sqlite" for s in ("large", "medium")]
        path = next((p for p in found if p.exists()), ROOT / "data" / f"demo-{args.scale}.sqlite")
        if not path.exists():
            from demo import generate
            from transactional.migrate import upgrade

            say(f"bench: generating the {args.scale} demo into {path} (once)")
            upgrade(f"sqlite:///{path}")
            generate(f"sqlite:///{path}", scale=args.scale, progress=True)
        url = f"sqlite:///{path}"
    if url_kind(url) == "sqlite":
        src = Path(url.split("sqlite:///", 1)[1])
        copy = scratch / "oltp.sqlite"
        shutil.copyfile(src, copy)
        url = f"sqlite:///{copy}"
    return url


def post_more_documents(url: str, share: float = 0.01, seed: int = 7) -> int:
    """Post ~`share` × documents more: sales orders delivered from stock, on the last day."""
    from sqlalchemy import func, select

    from transactional.db import session_factory
    from transactional.models import Customer, Document, StockBalance
    from transactional.services import Context, create_draft, post_document

    rng = random.Random(seed)
    session = session_factory(url)()
    n_docs = session.execute(select(func.count()).select_from(Document)).scalar_one()
    last = session.execute(select(func.max(Document.doc_date))).scalar_one()
    customers = session.execute(select(Customer.id).where(Customer.active)).scalars().all()
    stock = session.execute(
        select(StockBalance.item_id, StockBalance.warehouse_id).where(StockBalance.qty >= 1)
    ).all()
    session.close()
    wanted, posted = max(2, int(n_docs * share) // 2), 0
    day = last or dt.date.today()
    clock = lambda: dt.datetime.combine(day, dt.time(12))
    for _ in range(wanted):
        item, wh = rng.choice(stock)
        session = session_factory(url)()
        ctx = Context(session, username="bench", role="admin", clock=clock)
        try:
            so = create_draft(
                ctx,
                "sales_order",
                {
                    "doc_date": day,
                    "customer_id": rng.choice(customers),
                    "warehouse_id": wh,
                    "lines": [{"item_id": item, "qty": "1", "unit_price": "10.00"}],
                },
            )
            post_document(ctx, so.id)
            dn = create_draft(
                ctx,
                "delivery",
                {
                    "doc_date": day,
                    "source_document_id": so.id,
                    "lines": [{"source_line_id": so.lines[0].id, "qty": "1"}],
                },
            )
            post_document(ctx, dn.id)
            session.commit()
            posted += 2
        except Exception:  # noqa: BLE001 - credit limits, stock taken meanwhile: skip one
            session.rollback()
        finally:
            session.close()
    return posted


def stepwise(url: str, warehouse: Path, full: bool) -> dict[str, float]:
    """One refresh with the plain helpers, timing each step."""
    t: dict[str, float] = {}
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    t0 = time.perf_counter()
    build = prepare_build(warehouse, run_id, full)
    counts = extract(url, build, full=full)
    t["extract"] = time.perf_counter() - t0
    t["rows"] = sum(counts.values())
    models = run_dbt(["build", *TESTS_EXCLUDED], build_path=build, published=warehouse)
    t["dbt models"] = models.seconds
    tests = run_dbt(["test"], build_path=build, published=warehouse)
    t["dbt tests"] = tests.seconds
    if not (models.success and tests.success):
        raise SystemExit(f"bench: dbt failed: {(models.failures + tests.failures)[:5]}")
    t0 = time.perf_counter()
    publish(
        build,
        warehouse,
        run_id,
        "full" if full else "incremental",
        tests.tests_passed,
        tests.tests_failed,
        url_kind(url),
    )
    t["publish"] = time.perf_counter() - t0
    t["models"], t["tests"] = models.models, tests.tests_passed
    return t


def floor(warehouse: Path) -> tuple[float, int]:
    """Seconds for DuckDB to compute monthly turnover and monthly P&L from raw, in-process."""
    t0 = time.perf_counter()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = len(con.execute(TURNOVER_SQL).fetchall()) + len(con.execute(PNL_SQL).fetchall())
    return time.perf_counter() - t0, rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--oltp-url")
    ap.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    ap.add_argument("--no-dagster", action="store_true", help="skip the Dagster job timings")
    args = ap.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="qm-bench-"))
    try:
        url = pick_oltp(args, scratch)
        warehouse = scratch / "warehouse.duckdb"
        say(f"bench: OLTP {url_kind(url)}, scratch {scratch}")
        full = stepwise(url, warehouse, full=True)
        floor_s, floor_rows = floor(warehouse)
        more = post_more_documents(url)
        say(f"bench: posted {more} more documents")
        inc = stepwise(url, warehouse, full=False)
        job: dict[str, float] = {}
        if not args.no_dagster:
            from qm.refresh_commands import refresh

            job["full"] = refresh(full=True, oltp_url=url, warehouse_path=warehouse)["seconds"]
            post_more_documents(url, seed=8)
            job["incremental"] = refresh(oltp_url=url, warehouse_path=warehouse)["seconds"]
        say(f"\n{'step':<12}{'full s':>10}{'incr. s':>10}")
        for step in ("extract", "dbt models", "dbt tests", "publish"):
            say(f"{step:<12}{full[step]:>10.1f}{inc[step]:>10.1f}")
        tot_f = sum(full[s] for s in ("extract", "dbt models", "dbt tests", "publish"))
        tot_i = sum(inc[s] for s in ("extract", "dbt models", "dbt tests", "publish"))
        say(f"{'total':<12}{tot_f:>10.1f}{tot_i:>10.1f}   (targets 90 / 15)")
        if job:
            say(
                f"{'dagster job':<12}{job['full']:>10.1f}{job['incremental']:>10.1f}"
                "   (qm refresh, end to end)"
            )
        say(
            f"{'floor':<12}{floor_s:>10.2f}{'':>10}   (DuckDB: turnover + P&L from raw, "
            f"{floor_rows} rows)"
        )
        say(
            f"extract: {full['rows']:.0f} rows in {full['extract']:.1f} s = "
            f"{full['rows'] / full['extract']:,.0f} rows/s (full); "
            f"{inc['rows']:.0f} rows in {inc['extract']:.1f} s (incremental)"
        )
        say(
            f"bench refresh: full {tot_f:.1f} s, incremental {tot_i:.1f} s "
            f"({full['models']:.0f} models, {full['tests']:.0f} tests) vs floor "
            f"{floor_s:.2f} s"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

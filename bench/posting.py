"""Posting throughput: N five-line deliveries (fed by receipts) posted in-process through
the service layer, on SQLite and PostgreSQL, with 1 and 8 workers.

Workers are processes. Prints documents/s and p50/p99 latency per configuration, and beside them the floor: the
same stock-ledger and journal rows written as one raw batch insert.

    .venv/bin/python bench/posting.py [--docs 400] [--pg-url postgresql+psycopg://…/test]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from transactional.db import make_engine, session_factory  # noqa: E402
from transactional.migrate import upgrade  # noqa: E402
from transactional.services import Context, create_draft, create_master, post_document  # noqa: E402

DAY = dt.date(2026, 3, 2)
ITEMS = 400  # a mid-sized catalogue: hot rows are rare, as in a real business


def clock():
    return dt.datetime(2026, 3, 2, 12)


def prepare(url: str, docs: int) -> list[int]:
    """Master data, stock for every item, and `docs` delivery drafts of five lines."""
    session = session_factory(url)()
    ctx = Context(session, "bench", "admin", clock)
    items = [create_master(ctx, "item", {"sku": f"B-{i}", "name": f"Bench {i}",
                                         "category": "Bench"}).id for i in range(ITEMS)]
    wh = create_master(ctx, "warehouse", {"code": "BW", "name": "Bench"}).id
    cust = create_master(ctx, "customer", {"code": "BC", "name": "Bench"}).id
    sup = create_master(ctx, "supplier", {"code": "BS", "name": "Bench"}).id
    po = create_draft(ctx, "purchase_order", {"doc_date": DAY, "supplier_id": sup,
                                              "warehouse_id": wh, "lines": [
        {"item_id": i, "qty": str(docs * 5), "unit_price": "3.25"} for i in items]})
    post_document(ctx, po.id)
    gr = create_draft(ctx, "goods_receipt", {"doc_date": DAY, "source_document_id": po.id,
                                             "lines": [{"source_line_id": ln.id, "qty": ln.qty}
                                                       for ln in po.lines]})
    post_document(ctx, gr.id)
    drafts = []
    for n in range(docs):
        chosen = [items[(n * 37 + k * 11) % ITEMS] for k in range(5)]
        so = create_draft(ctx, "sales_order", {"doc_date": DAY, "customer_id": cust,
                                               "warehouse_id": wh, "lines": [
            {"item_id": i, "qty": "2", "unit_price": "9.99"} for i in chosen]})
        post_document(ctx, so.id)
        drafts.append(create_draft(ctx, "delivery", {
            "doc_date": DAY, "source_document_id": so.id, "freight_cost": "4.50",
            "lines": [{"source_line_id": ln.id, "qty": "2"} for ln in so.lines]}).id)
    session.commit()
    session.close()
    return drafts


def _post_chunk(url: str, ids: list[int]) -> list[float]:
    """One worker process: post its share of the drafts, one transaction each."""
    factory = session_factory(url)
    latencies = []
    for doc_id in ids:
        t0 = time.perf_counter()
        session = factory()
        try:
            post_document(Context(session, "bench", "admin", clock), doc_id)
            session.commit()
        finally:
            session.close()
        latencies.append(time.perf_counter() - t0)
    return latencies


def post_all(url: str, drafts: list[int], workers: int) -> tuple[float, list[float]]:
    """Post every draft with `workers` processes (a server runs several worker processes;
    threads in one process would share one interpreter lock)."""
    if workers == 1:
        started = time.perf_counter()
        lat = _post_chunk(url, drafts)
        return time.perf_counter() - started, lat
    chunks = [drafts[i::workers] for i in range(workers)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        list(pool.map(_post_chunk, [url] * workers, [[] for _ in chunks]))  # warm up imports
        started = time.perf_counter()
        results = list(pool.map(_post_chunk, [url] * workers, chunks))
        elapsed = time.perf_counter() - started
    return elapsed, [x for r in results for x in r]


def floor(url: str, docs: int) -> float:
    """Docs/s equivalent of writing the same ledger and journal rows as one batch insert."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_ledger AS SELECT * FROM stock_ledger WHERE 1=0"))
        conn.execute(text("CREATE TABLE bench_jl AS SELECT * FROM journal_line WHERE 1=0"))
    ledger = [dict(id=i + 1, document_id=1, document_line_id=1, doc_type="delivery",
                   item_id=1, warehouse_id=1, posting_date=DAY, qty=-2, unit_cost=3.25,
                   value=-6.5, running_qty=10, running_value=32.5, is_reversal=False,
                   created_at=clock()) for i in range(docs * 5)]
    jl = [dict(id=i + 1, entry_id=1, account_code="5000", debit=6.5, credit=0, rule="x")
          for i in range(docs * 4)]
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bench_ledger (id, document_id, document_line_id, "
                          "doc_type, item_id, warehouse_id, posting_date, qty, unit_cost, "
                          "value, running_qty, running_value, is_reversal, created_at) VALUES "
                          "(:id, :document_id, :document_line_id, :doc_type, :item_id, "
                          ":warehouse_id, :posting_date, :qty, :unit_cost, :value, "
                          ":running_qty, :running_value, :is_reversal, :created_at)"), ledger)
        conn.execute(text("INSERT INTO bench_jl (id, entry_id, account_code, debit, credit, "
                          "rule) VALUES (:id, :entry_id, :account_code, :debit, :credit, "
                          ":rule)"), jl)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return docs / elapsed


def pg_database(admin_url: str) -> tuple[str, callable]:
    name = f"qm_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        from transactional.db import _factory
        _factory.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE datname='{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--pg-url", default=os.environ.get(
        "QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 8])
    args = parser.parse_args()
    rows = []
    engines = ["sqlite"] + ([] if args.skip_pg else ["postgresql"])
    for engine_name in engines:
        for workers in args.workers:
            drop = None
            if engine_name == "sqlite":
                url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
            else:
                url, drop = pg_database(args.pg_url)
            upgrade(url)
            print(f"[{engine_name} × {workers}] preparing {args.docs} deliveries…",
                  file=sys.stderr)
            drafts = prepare(url, args.docs)
            elapsed, lat = post_all(url, drafts, workers)
            lat.sort()
            fl = floor(url, args.docs)
            rows.append((engine_name, workers, args.docs / elapsed,
                         statistics.median(lat) * 1000, lat[int(len(lat) * 0.99) - 1] * 1000,
                         fl))
            if drop:
                drop()
    print(f"{'engine':<11} {'workers':>7} {'docs/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'floor docs/s (raw batch insert)':>32}")
    for e, w, rate, p50, p99, fl in rows:
        print(f"{e:<11} {w:>7} {rate:>8.0f} {p50:>8.1f} {p99:>8.1f} {fl:>32.0f}")
    best = max(r[2] for r in rows)
    print(f"bench/posting: {len(rows)} configurations, {args.docs} five-line deliveries each, "
          f"best {best:.0f} docs/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Posting throughput: N five-line deliveries (fed by a goods receipt) posted in-process
through the service layer, one transaction per document (serial) or per batch
(`post_documents`), on SQLite or PostgreSQL, with 1 or more worker processes. With
`--create` the deliveries are not drafts yet but commands, created and posted in one go:
serial `create_and_post` (batch 1) or `create_and_post_many` (a batch per transaction),
so the figures include writing the drafts.

    .venv/bin/python bench/posting.py --engine postgresql --docs 2000 --batch 1 50 --json
    .venv/bin/python bench/posting.py --engine sqlite --docs 2000 --batch 1 50 --create

For every batch size given (1 = serial `post_document`, one commit each) a fresh database
is prepared and its drafts posted; beside them the floor: the same number of stock-ledger
and journal rows written as one raw batch insert, in the same run. `--json` prints one
line: the figures of the last batch size given at the top level (docs_per_s, p50_ms,
p99_ms, floor_docs_per_s, pct_of_floor, cpu_ms_per_doc, statements_per_doc) and every
configuration under "runs". A document's latency is the time from the start of its
transaction to its commit (in a batch: the batch's), so batching trades latency for
throughput. CPU and statements are the posting process's (workers = 1 only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, event, text  # noqa: E402

from transactional.db import make_engine, session_factory  # noqa: E402
from transactional.migrate import upgrade  # noqa: E402
from transactional.services import (  # noqa: E402
    Context,
    create_and_post,
    create_and_post_many,
    create_draft,
    create_master,
    post_document,
    post_documents,
)

DAY = dt.date(2026, 3, 2)
ITEMS = 400  # a mid-sized catalogue: hot rows are rare, as in a real business


def clock():
    return dt.datetime(2026, 3, 2, 12)


def prepare(url: str, docs: int, create: bool = False) -> list[Any]:
    """Master data, stock for every item, and `docs` delivery drafts of five lines (with
    `create`: the deliveries' commands, their sales orders posted in batches)."""
    session = session_factory(url)()
    ctx = Context(session, "bench", "admin", clock)
    items = [
        create_master(ctx, "item", {"sku": f"B-{i}", "name": f"Bench {i}", "category": "Bench"}).id
        for i in range(ITEMS)
    ]
    wh = create_master(ctx, "warehouse", {"code": "BW", "name": "Bench"}).id
    cust = create_master(ctx, "customer", {"code": "BC", "name": "Bench"}).id
    sup = create_master(ctx, "supplier", {"code": "BS", "name": "Bench"}).id
    po = create_draft(
        ctx,
        "purchase_order",
        {
            "doc_date": DAY,
            "supplier_id": sup,
            "warehouse_id": wh,
            "lines": [{"item_id": i, "qty": str(docs * 5), "unit_price": "3.25"} for i in items],
        },
    )
    post_document(ctx, po.id)
    gr = create_draft(
        ctx,
        "goods_receipt",
        {
            "doc_date": DAY,
            "source_document_id": po.id,
            "lines": [{"source_line_id": ln.id, "qty": ln.qty} for ln in po.lines],
        },
    )
    post_document(ctx, gr.id)
    if create:
        return _prepare_commands(ctx, docs, items, wh, cust)
    drafts = []
    for n in range(docs):
        chosen = [items[(n * 37 + k * 11) % ITEMS] for k in range(5)]
        so = create_draft(
            ctx,
            "sales_order",
            {
                "doc_date": DAY,
                "customer_id": cust,
                "warehouse_id": wh,
                "lines": [{"item_id": i, "qty": "2", "unit_price": "9.99"} for i in chosen],
            },
        )
        post_document(ctx, so.id)
        drafts.append(
            create_draft(
                ctx,
                "delivery",
                {
                    "doc_date": DAY,
                    "source_document_id": so.id,
                    "freight_cost": "4.50",
                    "lines": [{"source_line_id": ln.id, "qty": "2"} for ln in so.lines],
                },
            ).id
        )
    session.commit()
    session.close()
    return drafts


def _prepare_commands(
    ctx: Context, docs: int, items: list[int], wh: int, cust: int
) -> list[tuple[str, dict]]:
    """The sales orders, posted (in batches of 100: the preparation is not measured),
    and one delivery command per order, for all of its lines."""
    orders = []
    for n in range(docs):
        chosen = [items[(n * 37 + k * 11) % ITEMS] for k in range(5)]
        orders.append(
            (
                "sales_order",
                {
                    "doc_date": DAY,
                    "customer_id": cust,
                    "warehouse_id": wh,
                    "lines": [{"item_id": i, "qty": "2", "unit_price": "9.99"} for i in chosen],
                },
            )
        )
    commands = []
    for start in range(0, docs, 100):
        for r in create_and_post_many(ctx, orders[start : start + 100]):
            if not r.ok:
                raise RuntimeError(f"preparing: {r.error}")
            so = r.document
            commands.append(
                (
                    "delivery",
                    {
                        "doc_date": DAY,
                        "source_document_id": so.id,
                        "freight_cost": "4.50",
                        "lines": [{"source_line_id": ln.id, "qty": "2"} for ln in so.lines],
                    },
                )
            )
        ctx.session.commit()
    ctx.session.close()
    return commands


def _post_chunk(url: str, ids: list[Any], batch: int = 1) -> tuple[list[float], float, int]:
    """One worker: post its share of the drafts, one transaction per document (batch 1)
    or per batch of `batch`; returns latencies per document, CPU seconds, statements.
    Commands (doc_type, data) instead of draft ids are created and posted."""
    factory = session_factory(url)
    statements = [0]

    def count(*_args):
        statements[0] += 1

    event.listen(factory.kw["bind"], "before_cursor_execute", count)
    latencies = []
    cpu = time.process_time()
    try:
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            t0 = time.perf_counter()
            session = factory()
            try:
                ctx = Context(session, "bench", "admin", clock)
                create = bool(chunk) and isinstance(chunk[0], tuple)
                if batch == 1 and create:
                    create_and_post(ctx, *chunk[0])
                elif batch == 1:
                    post_document(ctx, chunk[0])
                else:
                    results = (
                        create_and_post_many(ctx, chunk) if create else post_documents(ctx, chunk)
                    )
                    failed = [r.error for r in results if not r.ok]
                    if failed:
                        raise RuntimeError(f"batch refused documents: {failed[:3]}")
                session.commit()
            finally:
                session.close()
            latencies += [time.perf_counter() - t0] * len(chunk)
    finally:
        event.remove(factory.kw["bind"], "before_cursor_execute", count)
    return latencies, time.process_time() - cpu, statements[0]


def post_all(
    url: str, drafts: list[Any], workers: int, batch: int = 1
) -> tuple[float, list[float], float, int]:
    """Post every draft with `workers` processes (a server runs several worker processes;
    threads in one process would share one interpreter lock)."""
    if workers == 1:
        started = time.perf_counter()
        lat, cpu, statements = _post_chunk(url, drafts, batch)
        return time.perf_counter() - started, lat, cpu, statements
    chunks = [drafts[i::workers] for i in range(workers)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        list(pool.map(_post_chunk, [url] * workers, [[] for _ in chunks]))  # warm up imports
        started = time.perf_counter()
        results = list(pool.map(_post_chunk, [url] * workers, chunks, [batch] * workers))
        elapsed = time.perf_counter() - started
    return (
        elapsed,
        [x for r in results for x in r[0]],
        sum(r[1] for r in results),
        sum(r[2] for r in results),
    )


def floor(url: str, docs: int) -> float:
    """Docs/s equivalent of writing the same ledger and journal rows as one batch insert."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_ledger AS SELECT * FROM stock_ledger WHERE 1=0"))
        conn.execute(text("CREATE TABLE bench_jl AS SELECT * FROM journal_line WHERE 1=0"))
    ledger = [
        dict(
            id=i + 1,
            document_id=1,
            document_line_id=1,
            doc_type="delivery",
            item_id=1,
            warehouse_id=1,
            posting_date=DAY,
            qty=-2,
            unit_cost=3.25,
            value=-6.5,
            running_qty=10,
            running_value=32.5,
            is_reversal=False,
            created_at=clock(),
        )
        for i in range(docs * 5)
    ]
    jl = [
        dict(id=i + 1, entry_id=1, account_code="5000", debit=6.5, credit=0, rule="x")
        for i in range(docs * 4)
    ]
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO bench_ledger (id, document_id, document_line_id, "
                "doc_type, item_id, warehouse_id, posting_date, qty, unit_cost, "
                "value, running_qty, running_value, is_reversal, created_at) VALUES "
                "(:id, :document_id, :document_line_id, :doc_type, :item_id, "
                ":warehouse_id, :posting_date, :qty, :unit_cost, :value, "
                ":running_qty, :running_value, :is_reversal, :created_at)"
            ),
            ledger,
        )
        conn.execute(
            text(
                "INSERT INTO bench_jl (id, entry_id, account_code, debit, credit, "
                "rule) VALUES (:id, :entry_id, :account_code, :debit, :credit, "
                ":rule)"
            ),
            jl,
        )
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
            conn.execute(
                text(
                    f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname='{name}' AND pid <> pg_backend_pid()"
                )
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def run(
    engine_name: str, pg_url: str, docs: int, workers: int, batch: int, create: bool = False
) -> dict:
    drop = None
    if engine_name == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    else:
        url, drop = pg_database(pg_url)
    try:
        upgrade(url)
        print(
            f"[{engine_name} × {workers}, batch {batch}] preparing {docs} deliveries…",
            file=sys.stderr,
        )
        drafts = prepare(url, docs, create)
        elapsed, lat, cpu, statements = post_all(url, drafts, workers, batch)
        lat.sort()
        fl = floor(url, docs)
    finally:
        if drop:
            drop()
    rate = docs / elapsed
    return {
        "engine": engine_name,
        "mode": "create_and_post" if create else "post",
        "workers": workers,
        "batch": batch,
        "docs": docs,
        "docs_per_s": round(rate, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 2),
        "p99_ms": round(lat[max(0, int(len(lat) * 0.99) - 1)] * 1000, 2),
        "floor_docs_per_s": round(fl, 1),
        "pct_of_floor": round(100 * rate / fl, 1),
        "cpu_ms_per_doc": round(cpu * 1000 / docs, 3),
        "statements_per_doc": round(statements / docs, 2),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument(
        "--batch",
        type=int,
        nargs="+",
        default=[1],
        help="documents per transaction: 1 = serial; several sizes are "
        "measured one after the other (e.g. --batch 1 50)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--skip-pg", action="store_true", help="same as --engine sqlite")
    parser.add_argument(
        "--create",
        action="store_true",
        help="create and post from commands (create_and_post / create_and_post_many) "
        "instead of posting drafts",
    )
    args = parser.parse_args()
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    if args.skip_pg:
        engines = ["sqlite"]
    runs = [
        run(e, args.pg_url, args.docs, w, b, args.create)
        for e in engines
        for w in args.workers
        for b in args.batch
    ]
    if args.json:
        print(json.dumps({**runs[-1], "runs": runs}))
        return 0
    print(
        f"{'engine':<11} {'workers':>7} {'batch':>5} {'docs/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'cpu ms/doc':>10} {'stmts/doc':>9} {'floor docs/s':>12} "
        f"{'% floor':>7}"
    )
    for r in runs:
        print(
            f"{r['engine']:<11} {r['workers']:>7} {r['batch']:>5} {r['docs_per_s']:>8.0f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['cpu_ms_per_doc']:>10.2f} "
            f"{r['statements_per_doc']:>9.2f} {r['floor_docs_per_s']:>12.0f} "
            f"{r['pct_of_floor']:>7.1f}"
        )
    best = max(r["docs_per_s"] for r in runs)
    print(
        f"bench/posting{' --create' if args.create else ''}: {len(runs)} configurations, "
        f"{args.docs} five-line deliveries each, "
        f"best {best:.0f} docs/s (load average {os.getloadavg()[0]:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""HTTP load: N concurrent clients post goods receipts and deliveries through `qm serve`
(a subprocess on a free localhost port) on a throwaway PostgreSQL database.

Every document is two requests — create the draft, post it — each with its own
Idempotency-Key; a client retries timeouts, connection errors and 5xx with the same key.
At the end every intended document must exist exactly once, posted, and `qm check`'s
invariants must hold. Prints documents/s and p50/p99 per request and per document.

    .venv/bin/python bench/api_load.py [--clients 16] [--docs 800] [--workers 1]
        [--lines 3] [--chaos 0.1] [--in-process] [--pg-url postgresql+psycopg://…/test]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx
from sqlalchemy import create_engine, func, select, text

from transactional.check import run_checks
from transactional.db import session_factory, session_scope
from transactional.migrate import upgrade
from transactional.models import Document
from transactional.services import Context, create_draft, create_master, post_document
from transactional.services.users import create_user, issue_token

RETRIES = 8


def create_database(admin_url: str) -> tuple[str, str]:
    name = f"qm_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def prepare(url: str, clients: int, lines: int, docs: int) -> tuple[str, list[dict]]:
    """Per client: its own items, an approved PO to receive against and a posted SO to
    deliver against (both large), and opening stock; an admin token."""
    session = session_factory(url)()
    ctx = Context(session, "bench", "admin")
    wh = create_master(ctx, "warehouse", {"code": "BW", "name": "Bench"}).id
    cust = create_master(ctx, "customer", {"code": "BC", "name": "Bench"}).id
    sup = create_master(ctx, "supplier", {"code": "BS", "name": "Bench"}).id
    plans, big = [], str(docs * 10)
    for c in range(clients):
        items = [create_master(ctx, "item", {"sku": f"B-{c}-{k}", "name": f"Bench {c}/{k}",
                                             "category": "Bench"}).id for k in range(lines)]
        count = create_draft(ctx, "stock_count", {"warehouse_id": wh, "is_opening": True,
                                                  "lines": [{"item_id": i, "qty": big,
                                                             "unit_cost": "3.00"}
                                                            for i in items]})
        post_document(ctx, count.id)
        po = create_draft(ctx, "purchase_order", {"supplier_id": sup, "warehouse_id": wh,
                                                  "lines": [{"item_id": i, "qty": big,
                                                             "unit_price": "3.25"}
                                                            for i in items]})
        post_document(ctx, po.id)
        so = create_draft(ctx, "sales_order", {"customer_id": cust, "warehouse_id": wh,
                                               "lines": [{"item_id": i, "qty": big,
                                                          "unit_price": "9.99"}
                                                         for i in items]})
        post_document(ctx, so.id)
        plans.append({"po": po.id, "po_lines": [ln.id for ln in po.lines],
                      "so": so.id, "so_lines": [ln.id for ln in so.lines]})
    token = issue_token(session, create_user(session, "bench", "admin"))
    session.commit()
    session.close()
    return token, plans


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "QM_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qm", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"server did not come up:\n{proc.stdout.read()}")


class Stats:
    def __init__(self) -> None:
        self.request_latency: list[float] = []
        self.document_latency: list[float] = []
        self.retries = 0
        self.replays = 0
        self.failures: list[str] = []


async def send(client: httpx.AsyncClient, stats: Stats, path: str, body: dict | None,
               key: str, chaos: float) -> dict:
    """POST with an Idempotency-Key, retrying what may be transient with the same key.
    With `chaos`, that share of first attempts gets a 5 ms timeout: the server still does
    the work, the client never sees the answer and must retry."""
    for attempt in range(RETRIES):
        started = time.perf_counter()
        timeout = 0.005 if attempt == 0 and random.random() < chaos else 30
        try:
            r = await client.post(path, json=body, headers={"Idempotency-Key": key},
                                  timeout=timeout)
        except httpx.TransportError:
            r = None
        stats.request_latency.append(time.perf_counter() - started)
        if r is not None and r.status_code < 500:
            stats.replays += r.headers.get("idempotent-replayed") == "true"
            if r.status_code >= 300:
                raise RuntimeError(f"POST {path} → {r.status_code}: {r.text[:300]}")
            return r.json()
        stats.retries += 1
        await asyncio.sleep(min(0.05 * 2 ** attempt, 2))
    raise RuntimeError(f"POST {path}: still failing after {RETRIES} attempts")


async def run_client(base: str, token: str, plan: dict, n_docs: int, tag: str, index: int,
                     stats: Stats, chaos: float) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        for n in range(n_docs):
            receipt = n % 2 == 0
            memo = f"{tag}:{index}:{n}"
            if receipt:
                path = "/api/v1/goods-receipts"
                body = {"source_document_id": plan["po"], "memo": memo, "lines": [
                    {"source_line_id": ln, "qty": "1"} for ln in plan["po_lines"]]}
            else:
                path = "/api/v1/deliveries"
                body = {"source_document_id": plan["so"], "memo": memo, "lines": [
                    {"source_line_id": ln, "qty": "1"} for ln in plan["so_lines"]]}
            started = time.perf_counter()
            try:
                doc = await send(client, stats, path, body, f"{memo}:create", chaos)
                await send(client, stats, f"{path}/{doc['id']}/post", None, f"{memo}:post",
                           chaos)
            except RuntimeError as exc:
                stats.failures.append(str(exc))
                continue
            stats.document_latency.append(time.perf_counter() - started)


async def load(base: str, token: str, plans: list[dict], docs: int, tag: str,
               stats: Stats, chaos: float) -> float:
    per_client = [docs // len(plans) + (i < docs % len(plans)) for i in range(len(plans))]
    started = time.perf_counter()
    await asyncio.gather(*(run_client(base, token, plan, per_client[i], tag, i, stats, chaos)
                           for i, plan in enumerate(plans)))
    return time.perf_counter() - started


def in_process(url: str, plans: list[dict], docs: int, tag: str, stats: Stats) -> float:
    """The same documents through the service layer in threads (one per client), one
    transaction per call as over HTTP: what the HTTP layer costs is the difference."""
    import threading
    factory = session_factory(url)

    def call(fn):
        started = time.perf_counter()
        session = factory()
        try:
            result = fn(Context(session, "bench", "admin"))
            session.commit()
            return result
        finally:
            session.close()
            stats.request_latency.append(time.perf_counter() - started)

    def client(index: int, plan: dict, n_docs: int) -> None:
        for n in range(n_docs):
            receipt = n % 2 == 0
            doc_type = "goods_receipt" if receipt else "delivery"
            lines = plan["po_lines"] if receipt else plan["so_lines"]
            body = {"source_document_id": plan["po" if receipt else "so"],
                    "memo": f"{tag}:{index}:{n}",
                    "lines": [{"source_line_id": ln, "qty": "1"} for ln in lines]}
            started = time.perf_counter()
            doc_id = call(lambda ctx, b=body, t=doc_type: create_draft(ctx, t, b).id)
            call(lambda ctx, d=doc_id, t=doc_type: post_document(ctx, d, t))
            stats.document_latency.append(time.perf_counter() - started)

    per_client = [docs // len(plans) + (i < docs % len(plans)) for i in range(len(plans))]
    threads = [threading.Thread(target=client, args=(i, plan, per_client[i]))
               for i, plan in enumerate(plans)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def verify(url: str, tag: str, docs: int) -> list[str]:
    """Every intended document exactly once and posted; the invariants hold."""
    problems = []
    with session_scope(url) as s:
        rows = s.execute(select(Document.memo, func.count(), func.min(Document.status),
                                func.max(Document.status))
                         .where(Document.memo.like(f"{tag}:%")).group_by(Document.memo)).all()
        found = {memo: (n, lo, hi) for memo, n, lo, hi in rows}
        if len(found) != docs:
            problems.append(f"{len(found)} distinct documents for {docs} intended")
        for memo, (n, lo, hi) in found.items():
            if n != 1 or lo != "posted" or hi != "posted":
                problems.append(f"{memo}: {n} documents, status {lo}/{hi}")
        for name, violations in run_checks(s).items():
            problems += [f"{name}: {v}" for v in violations[:5]]
    return problems


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--docs", type=int, default=800)
    parser.add_argument("--lines", type=int, default=3, help="lines per document")
    parser.add_argument("--workers", type=int, default=1, help="`qm serve --workers`")
    parser.add_argument("--pg-url", default=os.environ.get(
        "QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--chaos", type=float, default=0.0,
                        help="share of requests cut off client-side and retried (0–1)")
    parser.add_argument("--in-process", action="store_true",
                        help="baseline: the same documents through the services, no HTTP")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    url, name = create_database(args.pg_url)
    server = None
    try:
        upgrade(url)
        token, plans = prepare(url, args.clients, args.lines, args.docs)
        tag, stats, summary = uuid.uuid4().hex[:8], Stats(), []
        if args.in_process:
            print(f"api_load: {args.docs} documents ({args.lines} lines) by {args.clients} "
                  f"threads through the service layer in process (no HTTP), database "
                  f"{name}", flush=True)
            seconds = in_process(url, plans, args.docs, tag, stats)
        else:
            port = free_port()
            server = start_server(url, port, args.workers)
            print(f"api_load: {args.docs} documents ({args.lines} lines) by {args.clients} "
                  f"clients against qm serve --workers {args.workers} on 127.0.0.1:{port}, "
                  f"database {name}", flush=True)
            seconds = asyncio.run(load(f"http://127.0.0.1:{port}", token, plans, args.docs,
                                       tag, stats, args.chaos))
            server.send_signal(signal.SIGINT)
            out, _ = server.communicate(timeout=30)
            server = None
            summary = [ln for ln in out.splitlines() if ln.startswith("qm serve: stopped")]
        problems = stats.failures + verify(url, tag, args.docs)
        done = len(stats.document_latency)
        req = stats.request_latency
        print(f"  documents posted : {done} in {seconds:.1f} s = {done / seconds:.0f} docs/s "
              f"({len(req) / seconds:.0f} requests/s, {stats.retries} retries, "
              f"{stats.replays} answered by replay)")
        print(f"  per request      : p50 {pct(req, .5) * 1000:.0f} ms, "
              f"p99 {pct(req, .99) * 1000:.0f} ms, mean "
              f"{statistics.fmean(req) * 1000 if req else 0:.0f} ms")
        print(f"  per document     : p50 {pct(stats.document_latency, .5) * 1000:.0f} ms, "
              f"p99 {pct(stats.document_latency, .99) * 1000:.0f} ms (create + post)")
        if summary:
            print(f"  server           : {summary[0].removeprefix('qm serve: stopped; ')}")
        for p in problems[:20]:
            print(f"  PROBLEM {p}")
        verdict = "every document exactly once, invariants hold" if not problems else \
            f"{len(problems)} problems"
        print(f"api_load: {done / seconds:.0f} docs/s, p99 {pct(req, .99) * 1000:.0f} ms "
              f"per request — {verdict}")
        return 1 if problems else 0
    finally:
        if server is not None:
            server.kill()
        from transactional.db import _factory
        _factory.cache_clear()
        if not args.keep:
            drop_database(args.pg_url, name)


if __name__ == "__main__":
    sys.exit(main())

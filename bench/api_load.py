"""HTTP load that can fail: N concurrent clients create and post goods receipts and
deliveries through `qm serve` (a subprocess on a free localhost port) on a throwaway
database, then the script counts what landed and exits 1 on any loss, double, 5xx,
deadlock, server traceback, unfinished document or failed `qm check`.

The workload overlaps on purpose: all clients share one catalogue of items and a few
purchase and sales orders, so several clients receive the same items and deliver the same
sales orders' lines at once, each document naming its own random subset of lines (1 to
--lines) in random order. Every document is two requests — create the draft, post it —
each with its own Idempotency-Key, retried with the *same* key after a timeout, a cut
connection, a 503 (after its Retry-After) or a 5xx, until --deadline seconds. With
--create-and-post it is one request, `POST …?post=true` (the group-commit path); with
--batch N each client sends its documents in `POST /batches` of N, one key per batch.

Chaos (--chaos P): that share of attempts is cut client-side on a raw socket, at a random
point — mid-request (headers and half the body sent, then close), right after the request
is sent, a few milliseconds later (mid-processing), or after the status line arrived — or
given a 5–50 ms timeout. --kill K sends SIGKILL to the server's process group K times
mid-run (evenly spaced by progress) and restarts it on the same port.

Counted at the end, from the database and the server log:
  created / posted   documents of this run found in the database, and posted;
  lost               a 2xx the client saw whose work is not there: the acknowledged draft
                     missing (or another id), an acknowledged post not posted, a line with
                     less than asked, a source line with less delivered/received than the
                     posted documents say;
  doubled            more than one document for one Idempotency-Key, a line with more than
                     asked, a posted line with other than one stock-ledger row for its
                     quantity, a source line with more delivered/received than asked;
  5xx                by status: every 5xx answer except 503 *with* Retry-After (those are
                     retried and counted separately, by rule: pool_exhausted, lock_timeout,
                     deadlock, …), plus every "unexpected error" the server logged (a 500
                     the client may never have seen, e.g. on a cut connection);
  deadlocks          "deadlock on" lines in the server log and pg_stat_database.deadlocks;
  unfinished         documents the client gave up on (no 2xx before --deadline);
  qm check           the ledger invariants, run as the operator would.
Throughput is posted documents per second of the load phase (kills and restarts
included); beside it the raw-insert floor of bench/posting.py, measured in the same run.

    python bench/api_load.py [--clients 16] [--docs 800] [--lines 3] [--workers 1]
        [--engine postgresql|sqlite] [--items N] [--orders N] [--chaos 0.1]
        [--cuts after-send,timeout,...] [--kill 1] [--deadline 120] [--seed 1] [--json]
        [--create-and-post] [--batch N] [--in-process] [--keep] [--server-env QM_DB_POOL_SIZE=1 ...] [--server-root DIR]
        [--inject double|lost] [--new-key-retries] [--pg-url postgresql+psycopg://…/test]

To see it fail: --inject double (a second document for one key, written behind the
server's back), --inject lost (a 201/200 recorded for a document never written),
--new-key-retries with --chaos (a naive client retrying a cut request under a fresh key:
real doubles through the server), or --server-root pointing at a tree from before the
lock-order fix (deadlocks). --server-env QM_DB_POOL_SIZE=1 --server-env
QM_DB_POOL_TIMEOUT=0.2 shows the other side: many 503s, retried, and still exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from decimal import Decimal as D
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from transactional.check import run_checks  # noqa: E402
from transactional.db import session_factory, session_scope  # noqa: E402
from transactional.migrate import upgrade  # noqa: E402
from transactional.models import (  # noqa: E402
    Document,
    DocumentLine,
    IdempotencyKey,
    StockLedgerEntry,
)
from transactional.services import (  # noqa: E402
    Context,
    create_and_post,
    create_draft,
    create_master,
    post_document,
)
from transactional.services.users import create_user, issue_token  # noqa: E402

CUTS = ("mid-request", "after-send", "mid-processing", "after-status", "timeout")
MAX_CUTS_PER_REQUEST = 3
out = sys.stdout  # human output; stderr under --json


def say(msg: str) -> None:
    print(msg, file=out, flush=True)


# ---------------------------------------------------------------- database and workload


def create_database(admin_url: str) -> tuple[str, str]:
    name = f"qm_load_{os.getpid()}_{uuid.uuid4().hex[:4]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def pg_deadlocks(admin_url: str, name: str) -> int:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT deadlocks FROM pg_stat_database WHERE datname = :n"), {"n": name}
        ).scalar()
    engine.dispose()
    return int(n or 0)


def prepare(
    url: str,
    n_items: int,
    n_orders: int,
    order_lines: int,
    docs: int,
    max_qty: int,
    rng: random.Random,
) -> tuple[str, dict]:
    """A shared catalogue; `n_orders` approved purchase orders and posted sales orders of
    `order_lines` lines each drawn from it (lines of one order may share an item); each
    line large enough for every document of the run; opening stock to match."""
    session = session_factory(url)()
    ctx = Context(session, "bench", "admin")
    wh = create_master(ctx, "warehouse", {"code": "BW", "name": "Bench"}).id
    cust = create_master(ctx, "customer", {"code": "BC", "name": "Bench"}).id
    sup = create_master(ctx, "supplier", {"code": "BS", "name": "Bench"}).id
    items = [
        create_master(ctx, "item", {"sku": f"B-{k}", "name": f"Bench {k}", "category": "Bench"}).id
        for k in range(n_items)
    ]
    big = str(docs * max_qty + 10)
    count = create_draft(
        ctx,
        "stock_count",
        {
            "warehouse_id": wh,
            "is_opening": True,
            "lines": [
                {"item_id": i, "qty": str(docs * max_qty * order_lines + 10), "unit_cost": "3.00"}
                for i in items
            ],
        },
    )
    post_document(ctx, count.id)
    plan: dict = {"po": [], "so": []}
    for _ in range(n_orders):
        chosen = [rng.choice(items) for _ in range(order_lines)]
        po = create_draft(
            ctx,
            "purchase_order",
            {
                "supplier_id": sup,
                "warehouse_id": wh,
                "lines": [{"item_id": i, "qty": big, "unit_price": "3.25"} for i in chosen],
            },
        )
        post_document(ctx, po.id)
        so = create_draft(
            ctx,
            "sales_order",
            {
                "customer_id": cust,
                "warehouse_id": wh,
                "lines": [{"item_id": i, "qty": big, "unit_price": "9.99"} for i in chosen],
            },
        )
        post_document(ctx, so.id)
        plan["po"].append({"id": po.id, "lines": [ln.id for ln in po.lines]})
        plan["so"].append({"id": so.id, "lines": [ln.id for ln in so.lines]})
    token = issue_token(session, create_user(session, "bench", "admin"))
    session.commit()
    session.close()
    return token, plan


def intents(
    plan: dict, clients: int, docs: int, lines: int, max_qty: int, tag: str, rng: random.Random
) -> list[list[dict]]:
    """What each client will ask for: alternately (at random) a goods receipt against a
    random purchase order or a delivery against a random sales order, naming a random
    subset of its lines in random order, 1–max_qty each. The memo names the document."""
    per_client = [docs // clients + (i < docs % clients) for i in range(clients)]
    work = []
    for c in range(clients):
        mine = []
        for n in range(per_client[c]):
            receipt = rng.random() < 0.5
            order = rng.choice(plan["po"] if receipt else plan["so"])
            chosen = rng.sample(order["lines"], rng.randint(1, min(lines, len(order["lines"]))))
            qty = {ln: rng.randint(1, max_qty) for ln in chosen}
            memo = f"{tag}:{c}:{n}"
            mine.append(
                {
                    "memo": memo,
                    "receipt": receipt,
                    "path": "/api/v1/goods-receipts" if receipt else "/api/v1/deliveries",
                    "body": {
                        "source_document_id": order["id"],
                        "memo": memo,
                        "lines": [{"source_line_id": ln, "qty": str(q)} for ln, q in qty.items()],
                    },
                    "qty": qty,
                    "created": None,
                    "posted": False,
                    "gave_up": None,
                }
            )
        work.append(mine)
    return work


# ---------------------------------------------------------------- the server


class Server:
    """`qm serve` in its own process group, its output appended to one log file; can be
    killed with SIGKILL and started again on the same port."""

    def __init__(self, url: str, workers: int, env: dict, root: Path, log: Path):
        self.url, self.workers, self.root, self.log = url, workers, root, log
        self.port = free_port()
        pythonpath = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p)
        self.env = {**os.environ, "QM_DATABASE_URL": url, "PYTHONPATH": pythonpath, **env}
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.summaries: list[str] = []
        self.cpu_used = 0.0  # CPU seconds of the process group while it answered
        self._cpu_at_ready = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        started = time.perf_counter()
        self.starts += 1
        with open(self.log, "a") as f:
            f.write(f"=== api_load: start {self.starts} of qm serve\n")
        logf = open(self.log, "a")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qm",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=self.root,
            env=self.env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        logf.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.settimeout(30)  # under load the health check queues like the rest
                    s.sendall(
                        b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    )
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        self._cpu_at_ready = self.cpu()
                        return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise SystemExit(f"server did not come up:\n{self.log.read_text()[-3000:]}")

    def cpu(self) -> float:
        """User + system CPU seconds of the live processes of the server's group."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if self.proc is not None and int(fields[2]) == self.proc.pid:
                total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def _account(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.cpu_used += self.cpu() - self._cpu_at_ready

    def kill(self) -> None:
        self._account()
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        """SIGINT, as an operator's Ctrl-C; the closing summary line is kept."""
        if self.proc is None:
            return
        self._account()
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None
        self.summaries = [
            ln.removeprefix("qm serve: stopped; ")
            for ln in self.log.read_text().splitlines()
            if ln.startswith("qm serve: stopped")
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LOG_PATTERNS = {
    "deadlock": re.compile(r"\bdeadlock on (POST|GET|PATCH|DELETE)|deadlock detected", re.I),
    "traceback": re.compile(r"^Traceback \(most recent call last\)"),
    "unexpected error": re.compile(r"unexpected error on"),
    "pool_exhausted": re.compile(r"pool_exhausted on"),
    "lock_timeout": re.compile(r"\block_timeout on"),
    "statement_timeout": re.compile(r"statement_timeout on"),
    "error lines": re.compile(r"^(ERROR|CRITICAL)|\bERROR\b"),
}


def read_log(path: Path) -> tuple[Counter, Counter, list[str]]:
    """Counts of the patterns above; the exceptions behind "unexpected error" (the last
    line of each traceback); an excerpt of the first few incidents."""
    counts: Counter = Counter()
    causes: Counter = Counter()
    excerpts: list[str] = []
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    for i, line in enumerate(lines):
        for name, pattern in LOG_PATTERNS.items():
            if pattern.search(line):
                counts[name] += 1
        if LOG_PATTERNS["unexpected error"].search(line) or LOG_PATTERNS["deadlock"].search(line):
            j = i + 1
            if j < len(lines) and lines[j].startswith("Traceback"):
                j += 1
                while j < len(lines) and (lines[j][:1].isspace() or not lines[j]):
                    j += 1
                cause = lines[j] if j < len(lines) else "?"
                causes[cause.split(":")[0]] += 1
                frames = [ln for ln in lines[i + 1 : j] if ln.lstrip().startswith("File ")]
                excerpt = [line, *frames[-3:], cause]
            else:
                excerpt = [line]
            if len(excerpts) < 3:
                excerpts.append("\n".join(excerpt))
    return counts, causes, excerpts


# ---------------------------------------------------------------- the client


class Cut(Exception):
    """The client closed the connection on purpose."""


class Conn:
    """A minimal HTTP/1.1 keep-alive client on a raw socket, so a request can be cut at
    any byte; cheap enough that the load generator does not compete with the server."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(
        self,
        path: str,
        body: dict | None,
        key: str,
        cut: str | None,
        rng: random.Random,
        timeout: float,
    ) -> tuple[int, dict, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.port), timeout
            )
        payload = json.dumps(body).encode() if body is not None else b""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {self.token}\r\nIdempotency-Key: {key}\r\n"
            + ("Content-Type: application/json\r\n" if body is not None else "")
            + f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        try:
            if cut == "mid-request":
                self.writer.write(head + payload[: len(payload) // 2])
                await self.writer.drain()
                raise Cut(cut)
            self.writer.write(head + payload)
            await self.writer.drain()
            if cut == "after-send":
                raise Cut(cut)
            if cut == "mid-processing":
                await asyncio.sleep(rng.uniform(0.001, 0.03))
                raise Cut(cut)
            if cut == "timeout":
                timeout = rng.uniform(0.005, 0.05)
            return await asyncio.wait_for(self._response(cut), timeout)
        except BaseException:
            await self.close()
            raise

    async def _response(self, cut: str | None) -> tuple[int, dict, bytes]:
        status_line = await self.reader.readuntil(b"\r\n")
        if cut == "after-status":
            raise Cut(cut)
        status = int(status_line.split()[1])
        raw = await self.reader.readuntil(b"\r\n\r\n")
        headers = {}
        for line in raw.decode("latin-1").split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                data += await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data = data[:-2]
        else:
            data = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, data


class Stats:
    def __init__(self) -> None:
        self.request_latency: list[float] = []  # every answered attempt
        self.document_latency: list[float] = []  # create + post, retries included
        self.statuses: Counter = Counter()
        self.retry_503: Counter = Counter()  # 503 with Retry-After, by rule
        self.server_errors: list[str] = []  # 5xx other than 503 + Retry-After
        self.refused: list[str] = []  # 4xx: none is expected
        self.cuts: Counter = Counter()
        self.transport_errors: Counter = Counter()
        self.retries = self.replays = 0
        self.posted = self.unfinished = 0
        self.kills: list[str] = []


async def send(
    conn: Conn, stats: Stats, path: str, body: dict | None, key: str, args, rng: random.Random
) -> dict | None:
    """POST until a 2xx (returned) or a 4xx (None) or --deadline: retry timeouts, cut or
    refused connections, 503 (after its Retry-After) and other 5xx with the same key —
    or, with --new-key-retries, with a fresh key after a cut (the broken client)."""
    deadline = time.monotonic() + args.deadline
    cuts = 0
    attempt_key = key
    while time.monotonic() < deadline:
        cut = None
        if args.chaos and cuts < MAX_CUTS_PER_REQUEST and rng.random() < args.chaos:
            cut = rng.choice(args.cuts)
            cuts += 1
            stats.cuts[cut] += 1
        started = time.perf_counter()
        try:
            status, headers, data = await conn.request(
                path, body, attempt_key, cut, rng, args.timeout
            )
        except Cut:
            if args.new_key_retries:
                attempt_key = f"{key}:{uuid.uuid4().hex[:6]}"
            stats.retries += 1
            continue
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ValueError,
            IndexError,
        ) as exc:
            if cut != "timeout":
                stats.transport_errors[type(exc).__name__] += 1
            elif args.new_key_retries:
                attempt_key = f"{key}:{uuid.uuid4().hex[:6]}"
            stats.retries += 1
            await asyncio.sleep(rng.uniform(0.05, 0.3))  # the server may be restarting
            continue
        stats.request_latency.append(time.perf_counter() - started)
        stats.statuses[status] += 1
        if 200 <= status < 300:
            stats.replays += headers.get("idempotent-replayed") == "true"
            return json.loads(data) if data else {}
        rule = ""
        try:
            rule = re.split(r"[/:]", json.loads(data).get("type", ""))[-1]
        except (ValueError, AttributeError):
            pass
        if status == 503 and "retry-after" in headers:
            stats.retry_503[rule or "?"] += 1
            stats.retries += 1
            await asyncio.sleep(float(headers["retry-after"]) * rng.uniform(0.5, 1.0))
            continue
        if status >= 500:
            stats.server_errors.append(f"POST {path} → {status} {rule}: {data[:200]!r}")
            stats.retries += 1
            await asyncio.sleep(rng.uniform(0.1, 0.5))
            continue
        stats.refused.append(f"POST {path} → {status} {rule}: {data[:300]!r}")
        return None
    return None


async def run_batches(conn: Conn, work: list[dict], stats: Stats, args, rng: random.Random) -> None:
    """--batch N: the client's documents in POST /batches of N, one key per batch."""
    for start in range(0, len(work), args.batch):
        chunk = work[start : start + args.batch]
        started = time.perf_counter()
        body = {
            "documents": [
                {"doc_type": "goods_receipt" if d["receipt"] else "delivery", "document": d["body"]}
                for d in chunk
            ]
        }
        out = await send(
            conn, stats, "/api/v1/batches", body, f"{chunk[0]['memo']}:batch", args, rng
        )
        results = out["results"] if out else [None] * len(chunk)
        for doc, result in zip(chunk, results, strict=True):
            if result is None or result["result"] != "posted":
                stats.unfinished += 1
                doc["gave_up"] = "batch"
                if result is not None:
                    stats.refused.append(f"{doc['memo']} in a batch: {result['problem']}")
                continue
            doc["created"], doc["posted"] = result["id"], True
            stats.posted += 1
            stats.document_latency.append(time.perf_counter() - started)


async def run_client(
    port: int, token: str, work: list[dict], stats: Stats, args, rng: random.Random
) -> None:
    conn = Conn(port, token)
    if args.batch:
        try:
            await run_batches(conn, work, stats, args, rng)
        finally:
            await conn.close()
        return
    try:
        for doc in work:
            started = time.perf_counter()
            if args.create_and_post:  # one request: create and post (group commit)
                made = await send(
                    conn,
                    stats,
                    f"{doc['path']}?post=true",
                    doc["body"],
                    f"{doc['memo']}:create-and-post",
                    args,
                    rng,
                )
                if made is None:
                    stats.unfinished += 1
                    doc["gave_up"] = "create-and-post"
                    continue
                doc["created"] = made["id"]
                doc["posted"] = made.get("status") == "posted"
                stats.posted += 1
                stats.document_latency.append(time.perf_counter() - started)
                continue
            made = await send(
                conn, stats, doc["path"], doc["body"], f"{doc['memo']}:create", args, rng
            )
            if made is None:
                stats.unfinished += 1
                doc["gave_up"] = "create"
                continue
            doc["created"] = made["id"]
            posted = await send(
                conn,
                stats,
                f"{doc['path']}/{made['id']}/post",
                None,
                f"{doc['memo']}:post",
                args,
                rng,
            )
            if posted is None:
                stats.unfinished += 1
                doc["gave_up"] = "post"
                continue
            doc["posted"] = posted.get("status") == "posted"
            stats.posted += 1
            stats.document_latency.append(time.perf_counter() - started)
    finally:
        await conn.close()


async def killer(server: Server, stats: Stats, total: int, kills: int, args) -> None:
    """SIGKILL the server when 1/(K+1), 2/(K+1), … of the documents are posted; restart."""
    for k in range(1, kills + 1):
        while stats.posted < total * k / (kills + 1):
            await asyncio.sleep(0.05)
        pid, at = server.proc.pid, stats.posted
        server.kill()
        await asyncio.sleep(args.down)
        took = await asyncio.get_running_loop().run_in_executor(None, server.start)
        stats.kills.append(
            f"kill -9 of pid {pid} at {at}/{total} posted; answering "
            f"again {args.down + took:.1f} s later"
        )
        say(f"  {stats.kills[-1]}")


async def progress(stats: Stats, total: int, started: float, every: float) -> None:
    last, last_t = 0, started
    while True:
        await asyncio.sleep(every)
        now = time.perf_counter()
        say(
            f"  {now - started:5.0f} s  posted {stats.posted}/{total}  "
            f"{(stats.posted - last) / (now - last_t):.0f} docs/s  "
            f"503 {sum(stats.retry_503.values())}  5xx {len(stats.server_errors)}  "
            f"cuts {sum(stats.cuts.values())}  retries {stats.retries}"
        )
        last, last_t = stats.posted, now


async def load(
    server: Server, token: str, work: list[list[dict]], stats: Stats, args, kills: int
) -> float:
    total = sum(map(len, work))
    started = time.perf_counter()
    side = [asyncio.create_task(progress(stats, total, started, args.progress))]
    if kills:
        side.append(asyncio.create_task(killer(server, stats, total, kills, args)))
    await asyncio.gather(
        *(
            run_client(server.port, token, mine, stats, args, random.Random(f"{args.seed}:{c}"))
            for c, mine in enumerate(work)
        )
    )
    elapsed = time.perf_counter() - started
    side[0].cancel()
    if kills and not side[1].done():
        side[1].cancel()
    return elapsed


def in_process(url: str, work: list[list[dict]], stats: Stats, one_call: bool = False) -> float:
    """The same documents through the service layer in threads (one per client), one
    transaction per call as over HTTP: what the HTTP layer costs is the difference."""
    import threading

    from sqlalchemy.orm import sessionmaker

    from transactional.db import make_engine

    engine = make_engine(
        url, **({"pool_size": len(work), "max_overflow": 0} if not url.startswith("sqlite") else {})
    )
    factory = sessionmaker(engine, expire_on_commit=False)

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

    def client(mine: list[dict]) -> None:
        for doc in mine:
            doc_type = "goods_receipt" if doc["receipt"] else "delivery"
            started = time.perf_counter()
            try:
                if one_call:
                    doc["created"] = call(
                        lambda ctx, b=doc["body"], t=doc_type: create_and_post(ctx, t, dict(b)).id
                    )
                else:
                    doc["created"] = call(
                        lambda ctx, b=doc["body"], t=doc_type: create_draft(ctx, t, dict(b)).id
                    )
                    call(lambda ctx, d=doc["created"], t=doc_type: post_document(ctx, d, t))
            except Exception as exc:  # counted as unfinished; the reason is kept
                stats.refused.append(
                    f"{doc['memo']} in process: {type(exc).__name__}: {str(exc)[:200]}"
                )
                continue
            doc["posted"] = True
            stats.posted += 1
            stats.document_latency.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in work]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


# ---------------------------------------------------------------- counting


def inject(url: str, work: list[list[dict]], what: str) -> str:
    """A deliberate fault behind the server's back, to show the count sees it."""
    docs = [d for mine in work for d in mine if d["posted"]]
    if not docs:
        return "nothing posted to inject a fault into"
    doc = docs[len(docs) // 2]
    session = session_factory(url)()
    try:
        if what == "double":
            ctx = Context(session, "bench", "admin")
            t = "goods_receipt" if doc["receipt"] else "delivery"
            twin = create_draft(ctx, t, dict(doc["body"]))
            post_document(ctx, twin.id, t)
            note = f"posted a second {t} {twin.id} with memo {doc['memo']}"
        else:  # an acknowledgment of work that never happened: what a lost write is
            last = session.execute(select(func.max(Document.id))).scalar_one()
            phantom = {
                **doc,
                "memo": doc["memo"].rsplit(":", 2)[0] + ":phantom:0",
                "created": last + 1000,
            }
            work[0].append(phantom)
            note = (
                f"recorded 201 + 200 for document {last + 1000} ({phantom['memo']}), "
                f"which the server never wrote"
            )
        session.commit()
    finally:
        session.close()
    return note


def count(url: str, work: list[list[dict]], tag: str) -> dict:
    """created / posted / lost / doubled, from the database against what the clients
    asked for and what they were told."""
    intended = {d["memo"]: d for mine in work for d in mine}
    lost, doubled = defaultdict(list), defaultdict(list)  # subject → what is wrong
    with session_scope(url) as s:
        rows = s.execute(
            select(Document.id, Document.memo, Document.status).where(
                Document.memo.like(f"{tag}:%")
            )
        ).all()
        by_memo: dict[str, list] = defaultdict(list)
        for doc_id, memo, status in rows:
            by_memo[memo].append((doc_id, status))
        doc_ids = [r[0] for r in rows]
        lines = defaultdict(dict)  # doc id → {source line: qty}
        ledger = {}
        for chunk in range(0, len(doc_ids), 5000):
            ids = doc_ids[chunk : chunk + 5000]
            for line_id, doc_id, src, qty in s.execute(
                select(
                    DocumentLine.id,
                    DocumentLine.document_id,
                    DocumentLine.source_line_id,
                    DocumentLine.qty,
                ).where(DocumentLine.document_id.in_(ids))
            ):
                lines[doc_id][src] = lines[doc_id].get(src, D(0)) + qty
                ledger[line_id] = (doc_id, qty, [])
            for line_id, n, total in s.execute(
                select(
                    StockLedgerEntry.document_line_id, func.count(), func.sum(StockLedgerEntry.qty)
                )
                .where(StockLedgerEntry.document_id.in_(ids))
                .group_by(StockLedgerEntry.document_line_id)
            ):
                if line_id in ledger:
                    ledger[line_id][2].append((n, total))
        status_of = {doc_id: status for doc_id, _, status in rows}
        for line_id, (doc_id, qty, entries) in ledger.items():
            if status_of[doc_id] == "posted" and (
                len(entries) != 1 or entries[0][0] != 1 or abs(entries[0][1]) != qty
            ):
                doubled[f"document {doc_id}"].append(
                    f"document {doc_id} line {line_id}: stock ledger {entries} for qty {qty}"
                )
        for memo in by_memo.keys() - intended.keys():
            doubled[memo].append(f"{memo}: a document for a key no client used")
        expected = Counter()  # source line → quantity of the posted documents
        created = posted = 0
        for memo, d in intended.items():
            found = by_memo.get(memo, [])
            if len(found) > 1:
                doubled[memo].append(f"{memo}: {len(found)} documents {found} for one key")
            created += bool(found)
            mine = [f for f in found if f[0] == d["created"]] or found[:1]
            if d["created"] is not None and not any(f[0] == d["created"] for f in found):
                lost[memo].append(
                    f"{memo}: the client was told {d['created']}, the "
                    f"database has {found or 'nothing'}"
                )
            if d["posted"] and not (mine and mine[0][1] == "posted"):
                lost[memo].append(f"{memo}: the client was told posted, the database has {mine}")
            if any(status == "posted" for _, status in found):
                for src, q in d["qty"].items():  # asked once, whatever the server did
                    expected[src] += q
            for doc_id, status in found:
                posted += status == "posted"
                got = lines.get(doc_id, {})
                for src, q in d["qty"].items():
                    if got.get(src, D(0)) > q:
                        doubled[memo].append(f"{memo}: line for {src} has {got[src]}, asked {q}")
                    elif got.get(src, D(0)) < q:
                        lost[memo].append(f"{memo}: line for {src} has {got.get(src)}, asked {q}")
        sources = (
            s.execute(
                select(
                    DocumentLine.id, DocumentLine.delivered_qty, DocumentLine.received_qty
                ).where(DocumentLine.id.in_(list(expected)))
            ).all()
            if expected
            else []
        )
        for src, delivered, received in sources:
            have = delivered + received
            what = (
                f"source line {src}: {have} delivered/received, the posted documents "
                f"asked {expected[src]}"
            )
            if have > expected[src]:
                doubled[f"source line {src}"].append(what)
            elif have < expected[src]:
                lost[f"source line {src}"].append(what)
        keys = s.execute(
            select(func.count())
            .select_from(IdempotencyKey)
            .where(IdempotencyKey.key.like(f"{tag}:%"))
        ).scalar_one()
        invariants = [f"{name}: {v}" for name, vs in run_checks(s).items() for v in vs[:3]]
    return {
        "created": created,
        "posted": posted,
        "lost": [m for ms in lost.values() for m in ms],
        "lost_n": len(lost),
        "doubled": [m for ms in doubled.values() for m in ms],
        "doubled_n": len(doubled),
        "keys": keys,
        "invariants": invariants,
    }


def qm_check(url: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "qm", "check"],
        cwd=ROOT,
        env={
            **os.environ,
            "QM_DATABASE_URL": url,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
            ),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc.returncode, (proc.stdout + proc.stderr).strip()


def per_doc(cpu: float | None, docs: int) -> float | None:
    return round(cpu * 1000 / docs, 1) if cpu is not None and docs else None


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def raw_floor(url: str, docs: int) -> float | None:
    """bench/posting.py's floor: the same ledger and journal rows as one batch insert."""
    try:
        from bench.posting import floor

        return floor(url, docs)
    except Exception as exc:  # the floor is a reference figure, never the verdict
        say(f"  (floor not measured: {type(exc).__name__}: {exc})")
        return None


# ---------------------------------------------------------------- main


def main() -> int:
    global out
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--docs", type=int, default=800, help="documents in all")
    parser.add_argument("--lines", type=int, default=3, help="most lines per document")
    parser.add_argument("--workers", type=int, default=1, help="`qm serve --workers`")
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--items",
        type=int,
        default=None,
        help="shared catalogue (default: clients / 4, at least 8)",
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=None,
        help="purchase and sales orders shared by all clients (default: clients / 8, at least 2)",
    )
    parser.add_argument(
        "--order-lines",
        type=int,
        default=None,
        help="lines per order (default: twice --lines, at least 6)",
    )
    parser.add_argument("--max-qty", type=int, default=3, help="most units per line")
    parser.add_argument(
        "--chaos",
        type=float,
        default=0.0,
        help="share of attempts cut client-side at a random point (0–1)",
    )
    parser.add_argument(
        "--cuts",
        default=",".join(CUTS),
        help=f"which cuts --chaos makes (comma-separated; {', '.join(CUTS)})",
    )
    parser.add_argument(
        "--kill",
        type=int,
        default=0,
        help="kill -9 the server this many times mid-run, restarting it",
    )
    parser.add_argument(
        "--down", type=float, default=1.0, help="seconds the killed server stays down"
    )
    parser.add_argument(
        "--deadline", type=float, default=120.0, help="seconds a client keeps retrying one request"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds a client waits for one answer"
    )
    parser.add_argument(
        "--progress", type=float, default=5.0, help="seconds between progress lines"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment for the server, e.g. QM_DB_POOL_SIZE=1",
    )
    parser.add_argument(
        "--server-root",
        type=Path,
        default=ROOT,
        help="run the server from this source tree (e.g. an old commit)",
    )
    parser.add_argument(
        "--inject",
        choices=("double", "lost"),
        help="plant a fault after the run to show the count fails",
    )
    parser.add_argument(
        "--new-key-retries",
        action="store_true",
        help="a broken client: retry a cut request under a fresh key",
    )
    parser.add_argument("--no-floor", dest="floor", action="store_false")
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON line on stdout at the end (the rest on stderr)",
    )
    parser.add_argument(
        "--create-and-post",
        action="store_true",
        help="one request per document, POST …?post=true (create and post; "
        "the group-commit path) instead of create, then /post",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=0,
        metavar="N",
        help="each client sends its documents in POST /api/v1/batches of N "
        "(one Idempotency-Key per batch)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="baseline: the same documents through the services, no HTTP",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the database and the server log (a failed run keeps its log)",
    )
    args = parser.parse_args()
    if args.json:
        out = sys.stderr
    args.cuts = [c for c in args.cuts.split(",") if c]
    if unknown := set(args.cuts) - set(CUTS):
        parser.error(f"unknown cut {sorted(unknown)}; choose from {', '.join(CUTS)}")
    rng = random.Random(args.seed)
    n_items = args.items or max(8, args.clients // 4)
    n_orders = args.orders or max(2, args.clients // 8)
    order_lines = args.order_lines or max(6, 2 * args.lines)
    server_env = dict(kv.split("=", 1) for kv in args.server_env)

    tmp = Path(tempfile.mkdtemp(prefix="qm_load_"))
    if args.engine == "postgresql":
        url, name = create_database(args.pg_url)
    else:
        url, name = f"sqlite:///{tmp}/load.sqlite", str(tmp / "load.sqlite")
    server = None
    log = tmp / "server.log"
    passed = False
    try:
        upgrade(url)
        tag = uuid.uuid4().hex[:8]
        token, plan = prepare(url, n_items, n_orders, order_lines, args.docs, args.max_qty, rng)
        work = intents(plan, args.clients, args.docs, args.lines, args.max_qty, tag, rng)
        deadlocks_before = pg_deadlocks(args.pg_url, name) if args.engine == "postgresql" else 0
        stats = Stats()
        summaries: list[str] = []
        server_cpu = client_cpu = None
        shape = (
            f"{args.docs} documents (1–{args.lines} of {order_lines} lines, {n_orders} "
            f"purchase and {n_orders} sales orders over {n_items} items; "
            + (
                f"in POST /batches of {args.batch}"
                if args.batch
                else "one create-and-post request each"
                if args.create_and_post
                else "create, then post"
            )
            + ")"
        )
        if args.in_process:
            say(
                f"api_load: {shape} by {args.clients} threads through the service layer in "
                f"process (no HTTP), {args.engine} {name}"
            )
            seconds = in_process(url, work, stats, args.create_and_post)
        else:
            server = Server(url, args.workers, server_env, args.server_root.resolve(), log)
            server.start()
            say(
                f"api_load: {shape} by {args.clients} clients against qm serve --workers "
                f"{args.workers} on {server.base}, {args.engine} {name}; chaos "
                f"{args.chaos:g}, {args.kill} kill -9; server log {log}"
                + (f"; server env {server_env}" if server_env else "")
                + (f"; server from {server.root}" if server.root != ROOT else "")
            )
            client_cpu = time.process_time()
            seconds = asyncio.run(load(server, token, work, stats, args, args.kill))
            client_cpu = time.process_time() - client_cpu
            server.stop()
            server_cpu = server.cpu_used
            summaries = server.summaries
            server = None
        injected = inject(url, work, args.inject) if args.inject else None
        counted = count(url, work, tag)
        check_rc, check_out = qm_check(url)
        deadlocks_db = (
            pg_deadlocks(args.pg_url, name) - deadlocks_before if args.engine == "postgresql" else 0
        )
        log_counts, log_causes, log_excerpts = read_log(log)
        floor = raw_floor(url, args.docs) if args.floor else None
        load_avg = os.getloadavg()

        five = Counter({s: n for s, n in stats.statuses.items() if s >= 500})
        five_fail = Counter(int(e.split("→ ")[1].split()[0]) for e in stats.server_errors)
        unseen_500 = max(0, log_counts["unexpected error"] - five_fail[500])
        failures = {
            "lost": counted["lost_n"],
            "doubled": counted["doubled_n"],
            "5xx": len(stats.server_errors) + unseen_500,
            "deadlocks": max(log_counts["deadlock"], deadlocks_db),
            "tracebacks": log_counts["traceback"],
            "refused 4xx": len(stats.refused),
            "unfinished": sum(not d["posted"] for mine in work for d in mine),
            "invariants": len(counted["invariants"]) + (check_rc != 0),
        }
        req, doc_lat = stats.request_latency, stats.document_latency
        rate = counted["posted"] / seconds if seconds else 0.0
        result = {
            "engine": args.engine,
            "clients": args.clients,
            "docs": args.docs,
            "workers": args.workers,
            "chaos": args.chaos,
            "kills": len(stats.kills),
            "create_and_post": args.create_and_post,
            "batch": args.batch,
            "seconds": round(seconds, 2),
            "created": counted["created"],
            "posted": counted["posted"],
            "acknowledged_posted": stats.posted,
            "lost": failures["lost"],
            "doubled": failures["doubled"],
            "status_5xx": {str(k): v for k, v in sorted(five.items())},
            "failed_5xx": failures["5xx"],
            "unseen_500_in_log": unseen_500,
            "retried_503": dict(stats.retry_503),
            "deadlocks": failures["deadlocks"],
            "deadlocks_log": log_counts["deadlock"],
            "deadlocks_pg_stat": deadlocks_db,
            "tracebacks": log_counts["traceback"],
            "log_causes": dict(log_causes),
            "refused_4xx": len(stats.refused),
            "unfinished": failures["unfinished"],
            "qm_check_rc": check_rc,
            "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
            "cuts": dict(stats.cuts),
            "transport_errors": dict(stats.transport_errors),
            "retries": stats.retries,
            "replays": stats.replays,
            "docs_per_s": round(rate, 1),
            "requests_per_s": round(len(req) / seconds, 1) if seconds else 0.0,
            "p50_ms": round(pct(req, 0.5) * 1000, 1),
            "p99_ms": round(pct(req, 0.99) * 1000, 1),
            "doc_p50_ms": round(pct(doc_lat, 0.5) * 1000, 1),
            "doc_p99_ms": round(pct(doc_lat, 0.99) * 1000, 1),
            "floor_docs_per_s": round(floor, 0) if floor else None,
            "server_cpu_ms_per_doc": per_doc(server_cpu, counted["posted"]),
            "client_cpu_ms_per_doc": per_doc(client_cpu, counted["posted"]),
            "load_average": [round(x, 2) for x in load_avg],
            "injected": injected,
            "ok": not any(failures.values()),
        }

        say(
            f"  documents        : {counted['created']} created, {counted['posted']} posted "
            f"of {args.docs} ({counted['keys']} idempotency keys stored)"
        )
        say(f"  lost / doubled   : {failures['lost']} / {failures['doubled']}")
        say(
            f"  answers          : {dict(sorted(stats.statuses.items()))}; 503 retried "
            f"{dict(stats.retry_503) or 0}; 5xx failures {failures['5xx']}"
            + (f" ({unseen_500} only in the server log)" if unseen_500 else "")
        )
        say(
            f"  client side      : {stats.retries} retries, {stats.replays} answered by "
            f"replay, cuts {dict(stats.cuts) or 0}, transport errors "
            f"{dict(stats.transport_errors) or 0}, {failures['unfinished']} unfinished, "
            f"{len(stats.refused)} refused"
        )
        for k in stats.kills:
            say(f"  server           : {k}")
        say(
            f"  server log       : {dict(log_counts) or 'clean'}"
            + (f", unexpected errors were {dict(log_causes)}" if log_causes else "")
            + f"; pg_stat deadlocks "
            f"{deadlocks_db}" + (f"; qm serve: {summaries[-1]}" if summaries else "")
        )
        say(
            f"  qm check         : exit {check_rc}"
            + (f" — {check_out.splitlines()[0]}" if check_out else "")
        )
        say(
            f"  throughput       : {rate:.0f} docs/s ({result['requests_per_s']:.0f} "
            f"requests/s) in {seconds:.1f} s; raw-insert floor "
            f"{result['floor_docs_per_s'] or '–'} docs/s; load average "
            f"{' '.join(f'{x:.2f}' for x in load_avg)}"
        )
        if server_cpu is not None:
            say(
                f"  CPU per document : server {result['server_cpu_ms_per_doc']} ms (from "
                f"ready to stop), load generator {result['client_cpu_ms_per_doc']} ms"
            )
        say(
            f"  per request      : p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms;"
            f" per document p50 {result['doc_p50_ms']:.0f} ms, p99 "
            f"{result['doc_p99_ms']:.0f} ms (create + post, retries included)"
        )
        if injected:
            say(f"  injected         : {injected}")
        problems = (
            counted["lost"]
            + counted["doubled"]
            + stats.server_errors
            + stats.refused
            + counted["invariants"]
            + ([check_out] if check_rc else [])
        )
        for p in problems[:15]:
            say(f"  PROBLEM {p}")
        for excerpt in log_excerpts[:2]:
            say("  SERVER LOG " + excerpt.replace("\n", "\n    "))
        bad = {k: v for k, v in failures.items() if v}
        verdict = "ok" if not bad else "FAIL " + ", ".join(f"{k} {v}" for k, v in bad.items())
        say(
            f"api_load: {verdict} — {args.clients} clients, {counted['posted']}/{args.docs} "
            f"posted, lost {failures['lost']}, doubled {failures['doubled']}, 5xx "
            f"{failures['5xx']}, deadlocks {failures['deadlocks']}, 503 retried "
            f"{sum(stats.retry_503.values())}, {rate:.0f} docs/s, p50 {result['p50_ms']:.0f} "
            f"ms, p99 {result['p99_ms']:.0f} ms"
        )
        if args.json:
            print(json.dumps(result), flush=True)
        passed = not bad
        return 0 if passed else 1
    finally:
        if server is not None:
            server.kill()
        from transactional.db import _factory

        _factory.cache_clear()
        if not args.keep and args.engine == "postgresql":
            drop_database(args.pg_url, name)
        if passed and not args.keep:  # a failed run keeps its server log (and SQLite file)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

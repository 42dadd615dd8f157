"""One lock order (docs/ledger.md, "Concurrency"): eight clients deliver parts of the same
sales order at once over HTTP, each with its own subset of lines, the lines sharing items.
Before the order's header and all its lines were locked up front, two partial deliveries
locked the order's lines in opposite orders (the named lines, then every line through the
change cursor) and PostgreSQL broke the cycle with a deadlock → 503."""

from __future__ import annotations

import random
import threading
import warnings
from collections import Counter
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from tests.api.conftest import make_api
from tests.core.company import build_company
from transactional.check import run_checks
from transactional.db import session_scope
from transactional.models import Document, DocumentLine, StockBalance, StockLedgerEntry

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

THREADS, ROUNDS = 8, 6


def _deliver(api, client, order, rng, barrier, outcomes, lock):
    barrier.wait()
    headers = {"Authorization": f"Bearer {api.tokens['admin']}"}
    for _ in range(ROUNDS):
        lines = rng.sample(order["lines"], rng.randint(2, len(order["lines"])))
        rng.shuffle(lines)  # the subsets name their lines in different orders
        body = {
            "source_document_id": order["id"],
            "lines": [{"source_line_id": ln["id"], "qty": str(rng.randint(1, 3))} for ln in lines],
        }
        r = client.post("/api/v1/deliveries", json=body, headers=headers)
        if r.status_code != 201:
            with lock:
                outcomes.append(("create", r.status_code, r.json().get("type")))
            continue
        r = client.post(f"/api/v1/deliveries/{r.json()['id']}/post", headers=headers)
        with lock:
            outcomes.append(("post", r.status_code, r.json().get("type")))


@pytest.mark.postgres
def test_eight_partial_deliveries_of_one_order_neither_deadlock_nor_lose_a_unit(pg_url):
    c = build_company(pg_url)
    api = make_api(pg_url, c)
    c.purchase([(c.item, "1000", "10.00"), (c.item2, "1000", "20.00")])
    items = [c.item, c.item2, c.item, c.item2, c.item, c.item2]  # lines share items
    order = api.ok(
        "POST",
        "/sales-orders",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": i, "qty": "40", "unit_price": "30.00"} for i in items],
        },
    )
    api.ok("POST", f"/sales-orders/{order['id']}/post")
    outcomes: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)
    clients = [TestClient(api.client.app, raise_server_exceptions=False) for _ in range(THREADS)]
    threads = [
        threading.Thread(
            target=_deliver,
            args=(api, clients[n], order, random.Random(n), barrier, outcomes, lock),
        )
        for n in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not any(t.is_alive() for t in threads), "a client is still waiting: a freeze"
    statuses = Counter((what, status) for what, status, _ in outcomes)
    print("outcomes:", dict(statuses))
    server_errors = [o for o in outcomes if o[1] >= 500]
    assert not server_errors, f"{len(server_errors)} 5xx: {Counter(server_errors)}"
    # every refusal is the open quantity running out (or the draft no longer fitting)
    refused = [o for o in outcomes if o[1] >= 400]
    assert all(status in (409, 422) for _, status, _ in refused), refused
    assert statuses[("post", 200)] > 0
    with session_scope(pg_url) as s:
        so_lines = (
            s.execute(select(DocumentLine).where(DocumentLine.document_id == order["id"]))
            .scalars()
            .all()
        )
        posted = dict(
            s.execute(
                select(DocumentLine.source_line_id, func.sum(DocumentLine.qty))
                .join(Document, Document.id == DocumentLine.document_id)
                .where(Document.doc_type == "delivery", Document.status == "posted")
                .group_by(DocumentLine.source_line_id)
            ).all()
        )
        for ln in so_lines:
            assert ln.delivered_qty == posted.get(ln.id, D(0)), ln.id
            assert ln.delivered_qty <= ln.qty
        for item in (c.item, c.item2):
            out = s.execute(
                select(func.sum(StockLedgerEntry.qty)).where(
                    StockLedgerEntry.item_id == item, StockLedgerEntry.warehouse_id == c.wh
                )
            ).scalar_one()
            delivered = sum((ln.delivered_qty for ln in so_lines if ln.item_id == item), D(0))
            assert out == D(1000) - delivered
            assert s.get(StockBalance, (item, c.wh)).qty == out
        assert not any(run_checks(s).values()), run_checks(s)

"""Idempotency-Key: a retried request never writes twice, keys survive a restart, and of
concurrent requests with the same key exactly one executes."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

import transactional.api.routes.documents as document_routes
from tests.api.conftest import make_api
from transactional.db import session_scope
from transactional.models import AuditLog, Document, IdempotencyKey, StockLedgerEntry


def _po(c, qty="5"):
    return {
        "supplier_id": c.supplier,
        "warehouse_id": c.wh,
        "lines": [{"item_id": c.item, "qty": qty, "unit_price": "10.00"}],
    }


def test_same_key_same_body_replays_the_first_response(api):
    c = api.company
    first = api.post("/purchase-orders", _po(c), key="po-1")
    again = api.post("/purchase-orders", _po(c), key="po-1")
    # the same request re-encoded (key order, spacing) is still the same request
    reordered = api.call(
        "POST",
        "/purchase-orders",
        key="po-1",
        content=b'{"lines": [{"unit_price": "10.00", "qty": "5", "item_id": '
        + str(c.item).encode()
        + b'}], "warehouse_id": '
        + str(c.wh).encode()
        + b', "supplier_id": '
        + str(c.supplier).encode()
        + b"}",
        headers={"content-type": "application/json"},
    )
    assert first.status_code == again.status_code == reordered.status_code == 201
    assert first.json() == again.json() == reordered.json()
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert api.count(Document, Document.doc_type == "purchase_order") == 1
    assert api.count(AuditLog, AuditLog.entity == "purchase_order") == 1


def test_same_key_different_body_is_refused_and_writes_nothing(api):
    c = api.company
    assert api.post("/purchase-orders", _po(c), key="k").status_code == 201
    r = api.post("/purchase-orders", _po(c, qty="6"), key="k")
    assert r.status_code == 422
    assert r.json()["errors"][0]["rule"] == "idempotency_key_reused"
    # the same key on another path is another request too
    assert (
        api.post(
            "/supplier-payments", {"supplier_id": c.supplier, "amount": "1"}, key="k"
        ).status_code
        == 422
    )
    assert api.count(Document) == 1
    # keys belong to their user: another user's identical key is a new request
    assert api.post("/purchase-orders", _po(c), key="k", role="purchasing").status_code == 201
    assert api.count(Document) == 2


def test_a_refused_request_is_not_remembered(api):
    c = api.company
    body = _po(c)
    body["lines"][0]["qty"] = "-1"
    assert api.post("/purchase-orders", body, key="retry").status_code == 422
    assert api.count(IdempotencyKey) == 0
    assert api.post("/purchase-orders", _po(c), key="retry").status_code == 201


def test_keys_survive_a_restart(api):
    c = api.company
    first = api.post("/purchase-orders", _po(c), key="durable")
    restarted = make_api(api.url, company=c, tokens=api.tokens)  # new app, same database
    again = restarted.post("/purchase-orders", _po(c), key="durable")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert api.count(Document) == 1


def test_actions_and_deletes_take_keys_too(api):
    c = api.company
    po = api.post("/purchase-orders", _po(c)).json()
    a1 = api.post(f"/purchase-orders/{po['id']}/approve", role="manager", key="approve")
    a2 = api.post(f"/purchase-orders/{po['id']}/approve", role="manager", key="approve")
    assert a1.status_code == a2.status_code == 200 and a1.json() == a2.json()
    draft = api.post("/purchase-orders", _po(c)).json()
    d1 = api.call("DELETE", f"/purchase-orders/{draft['id']}", key="del")
    d2 = api.call("DELETE", f"/purchase-orders/{draft['id']}", key="del")
    assert d1.status_code == d2.status_code == 204
    assert api.count(AuditLog, AuditLog.action == "approve") == 1


def test_bad_keys_are_refused(api):
    c = api.company
    r = api.post("/purchase-orders", _po(c), key="x" * 201)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert api.count(Document) == 0


def test_concurrent_requests_with_one_key_post_exactly_once(api, monkeypatch):
    """Eight threads post the same receipt with the same key at once; the first holds
    the key for a while inside its transaction so the others really overlap it."""
    c = api.company
    po = api.post("/purchase-orders", _po(c, qty="10")).json()
    api.post(f"/purchase-orders/{po['id']}/approve")
    gr = api.post(
        "/goods-receipts",
        {
            "source_document_id": po["id"],
            "lines": [{"source_line_id": po["lines"][0]["id"], "qty": "10"}],
        },
    ).json()
    real_post = document_routes.post_document

    def slow_post(ctx, doc_id, doc_type=None):
        doc = real_post(ctx, doc_id, doc_type)
        time.sleep(0.3)  # still inside the transaction that holds the key
        return doc

    monkeypatch.setattr(document_routes, "post_document", slow_post)
    barrier, results = threading.Barrier(8), []

    def worker():
        barrier.wait()
        r = api.post(f"/goods-receipts/{gr['id']}/post", role="warehouse", key="post-gr")
        results.append((r.status_code, r.text, r.headers.get("idempotent-replayed")))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [s for s, _, _ in results] == [200] * 8, results
    assert len({body for _, body, _ in results}) == 1
    assert [r for _, _, r in results].count("true") == 7
    with session_scope(api.url) as s:
        rows = s.execute(
            select(func.count())
            .select_from(StockLedgerEntry)
            .where(StockLedgerEntry.document_id == gr["id"])
        ).scalar_one()
        posts = s.execute(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "post", AuditLog.entity_id == str(gr["id"]))
        ).scalar_one()
    assert (rows, posts) == (1, 1)

"""Group commit: `POST /<documents>?post=true` creates and posts in one request; requests
arriving together are posted as one batch with one commit, each answered after it with
its own result — idempotency, permissions and per-document errors exactly as one request
at a time (QM_GROUP_COMMIT=false runs the same tests through the per-request path)."""

from __future__ import annotations

import threading
from decimal import Decimal, InvalidOperation

import pytest
from sqlalchemy import select, text

from tests.api.conftest import make_api
from tests.api.test_errors import assert_problem
from tests.core.snapshot import snapshot
from transactional.db import make_engine, session_scope
from transactional.models import AuditLog, Document, IdempotencyKey

GROUPED = pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "per-request"])


def _order(api, qty="50"):
    c = api.company
    so = api.ok(
        "POST",
        "/sales-orders",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": qty, "unit_price": "20.00"}],
        },
        status=201,
    )
    api.ok("POST", f"/sales-orders/{so['id']}/post")
    return so["id"], so["lines"][0]["id"]


def _numbers(value):
    """Decimal strings as numbers, so 0 and 0.00 compare equal."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def _dn(order, line, qty):
    return {"source_document_id": order, "lines": [{"source_line_id": line, "qty": qty}]}


@GROUPED
def test_create_and_post_in_one_request(api, monkeypatch, grouped):
    monkeypatch.setenv("QM_GROUP_COMMIT", str(grouped).lower())
    c = api.company
    c.purchase([(c.item, "10", "4.00")])
    order, line = _order(api, "8")
    r = api.post("/deliveries?post=true", _dn(order, line, "3"), role="warehouse", key="dn-1")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["number"], doc["status"]) == ("DN-2026-00001", "posted")
    assert doc["created_by"] == doc["posted_by"] == "api-warehouse"
    # what a read answers (a create's answer writes defaults as 0, a read as 0.00)
    read = api.ok("GET", f"/deliveries/{doc['id']}")
    assert list(doc) == list(read) and _numbers(doc) == _numbers(read)
    with session_scope(api.url) as s:
        trail = s.execute(
            select(AuditLog.action, AuditLog.username)
            .where(AuditLog.entity == "delivery")
            .order_by(AuditLog.id)
        ).all()
    assert trail == [("create", "api-warehouse"), ("post", "api-warehouse")]
    # the same key and body: the first answer, nothing written
    before = snapshot(api.url)
    again = api.post("/deliveries?post=true", _dn(order, line, "3"), role="warehouse", key="dn-1")
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == doc
    # the same key, another body; a rule broken; a right missing: refused, nothing written
    assert_problem(
        api.post("/deliveries?post=true", _dn(order, line, "4"), role="warehouse", key="dn-1"),
        422,
        "idempotency_key_reused",
    )
    assert_problem(
        api.post("/deliveries?post=true", _dn(order, line, "30"), role="warehouse", key="dn-2"),
        422,
        "delivered_within_ordered",
        "lines[0].qty",
    )
    ret = {
        "source_document_id": doc["id"],
        "lines": [{"source_line_id": doc["lines"][0]["id"], "qty": "1"}],
    }
    assert_problem(
        api.post("/sales-returns?post=true", ret, role="sales", key="sr-1"),
        403,
        "sales_return:post",
        "role",
    )
    assert_problem(
        api.post("/deliveries?post=true", _dn(order, line, "1"), role="sales", key="dn-3"),
        403,
        "delivery:create",
    )
    assert_problem(
        api.post("/deliveries?post=true", _dn(order, line, "1"), role="warehouse", key="x" * 201),
        422,
        "idempotency_key_format",
    )
    assert snapshot(api.url) == before
    # a refused request is not remembered: its key serves the corrected request
    fixed = api.post("/deliveries?post=true", _dn(order, line, "2"), role="warehouse", key="dn-2")
    assert fixed.status_code == 201 and fixed.json()["number"] == "DN-2026-00002"
    grouped_requests = api.client.app.state.group_commit.requests
    assert (grouped_requests > 0) == grouped


@GROUPED
def test_concurrent_requests_each_land_exactly_once(api, monkeypatch, grouped):
    """Thirteen requests at once: ten with their own keys, one asking for more than the
    order holds, two with one key. Each key's document lands once; the bad one fails
    alone. Grouped, the documents share batches (one change number per batch) — each
    request in its own transaction takes its own change numbers."""
    monkeypatch.setenv("QM_GROUP_COMMIT", str(grouped).lower())
    monkeypatch.setenv("QM_GROUP_COMMIT_WINDOW_MS", "400")
    c = api.company
    c.purchase([(c.item, "100", "4.00")])
    order, line = _order(api, "50")
    asks = [(f"k{n}", "1") for n in range(10)] + [("big", "60"), ("same", "1"), ("same", "1")]
    barrier, answers = threading.Barrier(len(asks)), {}

    def client(n: int, key: str, qty: str) -> None:
        barrier.wait()
        r = api.post(
            "/deliveries?post=true",
            {**_dn(order, line, qty), "memo": key},
            role="warehouse",
            key=key,
        )
        answers[n] = (r.status_code, r.json(), r.headers.get("idempotent-replayed"))

    threads = [threading.Thread(target=client, args=(n, *ask)) for n, ask in enumerate(asks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    statuses = [answers[n][0] for n in range(len(asks))]
    assert statuses == [201] * 10 + [422] + [201, 201], answers
    assert answers[10][1]["errors"][0]["rule"] == "delivered_within_ordered"
    assert answers[11][1] == answers[12][1]
    assert sorted(str(answers[n][2]) for n in (11, 12)) == ["None", "true"]
    with session_scope(api.url) as s:
        docs = s.execute(
            select(Document.memo, Document.status, Document.change_seq).where(
                Document.doc_type == "delivery"
            )
        ).all()
        keys = s.execute(select(IdempotencyKey.key)).scalars().all()
    assert sorted(m for m, _, _ in docs) == sorted([f"k{n}" for n in range(10)] + ["same"])
    assert {st for _, st, _ in docs} == {"posted"}
    assert sorted(keys) == sorted([f"k{n}" for n in range(10)] + ["same"])
    so = api.ok("GET", f"/sales-orders/{order}")
    assert so["lines"][0]["delivered_qty"] == "11.0000"
    shared = len({seq for _, _, seq in docs})
    committer = api.client.app.state.group_commit
    if grouped:
        assert shared < len(docs) and committer.largest > 1, (shared, committer.largest)
    else:
        assert shared == len(docs) and committer.requests == 0


def test_a_lock_timeout_fails_only_its_own_request(pg_url, monkeypatch, caplog):
    """A request whose order is locked by someone else past the lock timeout rolls its
    group back; the group is split and run again, the other request lands and only the
    stuck one gets its 503 — and its key is free for the retry."""
    monkeypatch.setenv("QM_DB_LOCK_TIMEOUT_MS", "300")
    monkeypatch.setenv("QM_GROUP_COMMIT_WINDOW_MS", "400")
    api = make_api(pg_url)
    c = api.company
    c.purchase([(c.item, "100", "4.00")])
    (stuck, stuck_line), (free, free_line) = _order(api, "5"), _order(api, "5")
    engine = make_engine(pg_url)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("SELECT id FROM document WHERE id = :id FOR UPDATE"), {"id": stuck})
    barrier, answers = threading.Barrier(2), {}

    def client(key, order, line):
        barrier.wait()
        r = api.post("/deliveries?post=true", _dn(order, line, "2"), role="warehouse", key=key)
        answers[key] = (r.status_code, r.json(), r.headers.get("retry-after"))

    try:
        threads = [
            threading.Thread(target=client, args=a)
            for a in (("stuck", stuck, stuck_line), ("free", free, free_line))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert answers["free"][0] == 201, answers
    assert answers["stuck"][0] == 503, answers
    assert answers["stuck"][1]["type"].endswith(":lock_timeout") and answers["stuck"][2] == "1"
    # they were one group: rolled back, split, and each half run again
    assert "group commit of 2 requests rolled back (OperationalError" in caplog.text
    with session_scope(pg_url) as s:
        assert s.execute(
            select(Document.source_document_id).where(Document.doc_type == "delivery")
        ).scalars().all() == [free]
        assert s.execute(select(IdempotencyKey.key)).scalars().all() == ["free"]
    retry = api.post(
        "/deliveries?post=true", _dn(stuck, stuck_line, "2"), role="warehouse", key="stuck"
    )
    assert retry.status_code == 201 and retry.json()["status"] == "posted"


def test_a_request_queued_past_the_pool_timeout_is_503_and_writes_nothing(pg_url, monkeypatch):
    """The worker is held by a group waiting for a row lock; a request queued behind it
    longer than QM_DB_POOL_TIMEOUT is withdrawn (503 pool_exhausted, Retry-After) and
    never runs; the request already in the group waits on and lands."""
    monkeypatch.setenv("QM_DB_POOL_TIMEOUT", "0.5")
    monkeypatch.setenv("QM_GROUP_COMMIT_WINDOW_MS", "0")
    api = make_api(pg_url)
    c = api.company
    c.purchase([(c.item, "100", "4.00")])
    (held, held_line), (other, other_line) = _order(api, "5"), _order(api, "5")
    engine = make_engine(pg_url)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("SELECT id FROM document WHERE id = :id FOR UPDATE"), {"id": held})
    answers = {}

    def client(key, order, line):
        r = api.post("/deliveries?post=true", _dn(order, line, "2"), role="warehouse", key=key)
        answers[key] = (r.status_code, r.json(), r.headers.get("retry-after"))

    first = threading.Thread(target=client, args=("first", held, held_line))
    try:
        first.start()
        committer = api.client.app.state.group_commit
        for _ in range(200):  # until the worker has taken it and waits for the lock
            if committer._thread is not None and not committer._queue:
                break
            threading.Event().wait(0.01)
        threading.Event().wait(0.2)
        client("queued", other, other_line)
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    first.join(60)
    assert answers["queued"][0] == 503, answers
    assert answers["queued"][1]["type"].endswith(":pool_exhausted")
    assert answers["queued"][2] == "1"
    assert answers["first"][0] == 201, answers
    with session_scope(pg_url) as s:
        assert s.execute(
            select(Document.source_document_id).where(Document.doc_type == "delivery")
        ).scalars().all() == [held]
        assert s.execute(select(IdempotencyKey.key)).scalars().all() == ["first"]

"""POST /api/v1/batches: many documents in one request and one transaction, one result
per document in input order; a document that breaks a rule fails alone with its own
problem (field, value, rule) and the others land; a malformed or oversized request, a
missing or reused key, a role without `batch:create` write nothing. On SQLite and
PostgreSQL (the `api` fixture)."""

from __future__ import annotations

from decimal import Decimal as D

from tests.api.test_errors import assert_problem
from tests.core.snapshot import snapshot
from transactional.models import AuditLog, Document, IdempotencyKey


def _sales_order(c, qty="3"):
    return {
        "customer_id": c.customer,
        "warehouse_id": c.wh,
        "lines": [{"item_id": c.item, "qty": qty, "unit_price": "20.00"}],
    }


def _posted_order(api, qty="8"):
    c = api.company
    so = api.ok("POST", "/sales-orders", _sales_order(c, qty), status=201)
    api.ok("POST", f"/sales-orders/{so['id']}/post")
    return so["id"], so["lines"][0]["id"]


def _delivery(order, line, qty):
    return {
        "doc_type": "delivery",
        "document": {"source_document_id": order, "lines": [{"source_line_id": line, "qty": qty}]},
    }


def _balance(api, item, warehouse):
    rows = api.ok("GET", f"/stock/balances?item_id={item}&warehouse_id={warehouse}")["items"]
    return (D(rows[0]["on_hand"]), D(rows[0]["value"])) if rows else (D(0), D(0))


def _account(api, code):
    tb = api.ok("GET", "/reports/trial-balance")
    return next(D(a["balance"]) for a in tb["accounts"] if a["code"] == code)


def test_a_mixed_batch_lands_with_hand_computed_results(api):
    c = api.company
    c.purchase([(c.item, "10", "4.00")])  # MAIN: 10 WID-1 at 4.00 = 40.00
    body = {
        "documents": [
            {"doc_type": "sales_order", "document": _sales_order(c, "3")},
            {
                "doc_type": "stock_transfer",
                "document": {
                    "warehouse_id": c.wh,
                    "to_warehouse_id": c.wh2,
                    "lines": [{"item_id": c.item, "qty": "4"}],
                },
            },
            {
                "doc_type": "customer_payment",
                "post": False,
                "document": {"customer_id": c.customer, "amount": "50.00"},
            },
            {
                "doc_type": "journal_entry",
                "document": {
                    "memo": "rent",
                    "lines": [
                        {"account_code": "6110", "debit": "100.00"},
                        {"account_code": "1000", "credit": "100.00"},
                    ],
                },
            },
        ]
    }
    r = api.post("/batches", body, key="mixed-1")
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["documents"], out["created"], out["posted"], out["failed"]) == (4, 1, 3, 0)
    assert [
        (x["index"], x["doc_type"], x["result"], x["number"], x["status"], x["problem"])
        for x in out["results"]
    ] == [
        (0, "sales_order", "posted", "SO-2026-00001", "posted", None),
        (1, "stock_transfer", "posted", "ST-2026-00001", "posted", None),
        (2, "customer_payment", "created", "CP-2026-00001", "draft", None),
        (3, "journal_entry", "posted", "JE-2026-00001", "posted", None),
    ]
    so = api.ok("GET", f"/sales-orders/{out['results'][0]['id']}")
    # 3 × 20.00 = 60.00 net, VAT 20 % = 12.00, gross 72.00
    assert (so["net_total"], so["vat_total"], so["gross_total"]) == ("60.00", "12.00", "72.00")
    # the transfer took 4 of the 10 at 4.00 out of MAIN into transit
    assert _balance(api, c.item, c.wh) == (D("6"), D("24.00"))
    assert _account(api, "1210") == D("16.00")  # goods in transit
    assert _account(api, "6110") == D("100.00")
    payment = api.ok("GET", f"/customer-payments/{out['results'][2]['id']}")
    assert (payment["status"], payment["amount"]) == ("draft", "50.00")
    # the same audit trail as one document at a time: create (+ post) per document
    mine = AuditLog.entity.in_(
        ["sales_order", "stock_transfer", "customer_payment", "journal_entry"]
    )
    assert api.count(AuditLog, AuditLog.action == "create", mine) == 4
    assert api.count(AuditLog, AuditLog.action == "post", mine) == 3
    assert api.count(Document) == 2 + 4


def test_a_document_that_breaks_a_rule_fails_alone(api):
    c = api.company
    c.purchase([(c.item, "10", "4.00")])
    order, line = _posted_order(api, "8")
    body = {
        "documents": [
            _delivery(order, line, "3"),
            _delivery(order, line, "30"),  # more than the 5 left on the order
            _delivery(order, line, "2"),
            {
                "doc_type": "delivery",
                "document": {
                    "source_document_id": 999_999,
                    "lines": [{"source_line_id": line, "qty": "1"}],
                },
            },
        ]
    }
    r = api.post("/batches", body, key="one-bad")
    assert r.status_code == 200, r.text
    out = r.json()
    assert [x["result"] for x in out["results"]] == ["posted", "failed", "posted", "failed"]
    assert (out["posted"], out["failed"]) == (2, 2)
    bad = out["results"][1]["problem"]
    assert bad["status"] == 422 and bad["type"].endswith(":delivered_within_ordered")
    assert bad["errors"] == [
        {
            "field": "lines[0].qty",
            "value": "30",
            "rule": "delivered_within_ordered",
            "message": bad["errors"][0]["message"],
        }
    ]
    assert bad["instance"] == "/api/v1/batches#/documents/1"
    unknown = out["results"][3]["problem"]
    assert unknown["errors"][0]["field"] == "source_document_id"
    assert unknown["errors"][0]["value"] == 999_999
    assert unknown["errors"][0]["rule"] == "must_exist"
    # numbered without gaps: the failed ones took no number
    assert [x["number"] for x in out["results"]] == ["DN-2026-00001", None, "DN-2026-00002", None]
    so = api.ok("GET", f"/sales-orders/{order}")
    assert D(so["lines"][0]["delivered_qty"]) == D("5")
    assert _balance(api, c.item, c.wh) == (D("5"), D("20.00"))
    assert api.count(Document, Document.doc_type == "delivery") == 2


def test_malformed_and_oversized_batches_are_422_and_write_nothing(api, monkeypatch):
    c = api.company
    c.purchase([(c.item, "10", "4.00")])
    order, line = _posted_order(api, "8")
    monkeypatch.setenv("QM_BATCH_MAX_DOCUMENTS", "2")
    before = snapshot(api.url)
    three = {"documents": [_delivery(order, line, "1")] * 3}
    body = assert_problem(
        api.post("/batches", three, key="too-many"), 422, "max_documents", "documents"
    )
    assert body["errors"][0]["value"] == 3
    assert "at most 2 documents" in body["errors"][0]["message"]
    assert "QM_BATCH_MAX_DOCUMENTS" in body["errors"][0]["message"]
    assert_problem(
        api.call(
            "POST",
            "/batches",
            key="bad-json",
            content=b'{"documents": [',
            headers={"content-type": "application/json"},
        ),
        422,
    )
    assert_problem(api.post("/batches", {"documents": []}, key="empty"), 422, None, "documents")
    assert_problem(
        api.post(
            "/batches", {"documents": [{"doc_type": "invoice-ish", "document": {}}]}, key="tag"
        ),
        422,
        "union_tag_invalid",
        "documents[0]",
    )
    # one malformed document is a malformed request: the good one is not written either
    shape = {"documents": [_delivery(order, line, "1"), _delivery(order, line, "lots")]}
    assert_problem(
        api.post("/batches", shape, key="shape"),
        422,
        "decimal_parsing",
        "documents[1].delivery.document.lines[0].qty",
    )
    assert_problem(
        api.post("/batches", {"documents": [_delivery(order, line, "1")], "extra": 1}, key="extra"),
        422,
        "extra_forbidden",
    )
    # no Idempotency-Key: a batch is never sent without one
    assert_problem(
        api.post("/batches", {"documents": [_delivery(order, line, "1")]}),
        422,
        "missing",
        "header.Idempotency-Key",
    )
    assert snapshot(api.url) == before
    monkeypatch.setenv("QM_BATCH_MAX_DOCUMENTS", "3")
    assert api.post("/batches", three, key="too-many").json()["posted"] == 3


def test_replay_answers_the_first_results_and_another_body_is_refused(api):
    c = api.company
    c.purchase([(c.item, "10", "4.00")])
    order, line = _posted_order(api, "8")
    body = {"documents": [_delivery(order, line, "2"), _delivery(order, line, "20")]}
    first = api.post("/batches", body, key="sync-42")
    assert first.status_code == 200 and "idempotent-replayed" not in first.headers
    before = snapshot(api.url)
    again = api.post("/batches", body, key="sync-42")
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert snapshot(api.url) == before
    other = {"documents": [_delivery(order, line, "3")]}
    assert_problem(
        api.post("/batches", other, key="sync-42"),
        422,
        "idempotency_key_reused",
        "header.Idempotency-Key",
    )
    assert snapshot(api.url) == before
    assert api.count(IdempotencyKey) == 1
    assert api.count(Document, Document.doc_type == "delivery") == 1


def test_each_document_is_checked_as_its_own_endpoint_checks_it(api):
    c = api.company
    c.purchase([(c.item, "10", "4.00")])
    order, line = _posted_order(api, "8")
    dn = api.ok("POST", "/batches", {"documents": [_delivery(order, line, "3")]}, key="dn")[
        "results"
    ][0]
    ret = {
        "doc_type": "sales_return",
        "document": {
            "source_document_id": dn["id"],
            "lines": [
                {
                    "source_line_id": api.ok("GET", f"/deliveries/{dn['id']}")["lines"][0]["id"],
                    "qty": "1",
                }
            ],
        },
    }
    # sales may create a return but not post it; it may not create a delivery at all
    body = {
        "documents": [
            ret,
            {**ret, "post": False},
            _delivery(order, line, "1"),
            {"doc_type": "sales_order", "document": _sales_order(c, "1")},
        ]
    }
    out = api.ok("POST", "/batches", body, role="sales", key="as-sales")
    assert [x["result"] for x in out["results"]] == ["failed", "created", "failed", "posted"]
    assert [x["problem"]["errors"][0]["rule"] for x in out["results"] if x["problem"]] == [
        "sales_return:post",
        "delivery:create",
    ]
    assert {x["problem"]["status"] for x in out["results"] if x["problem"]} == {403}
    assert out["results"][1]["status"] == "draft"
    # a role without batch:create sends no batch at all
    before = snapshot(api.url)
    assert_problem(
        api.post("/batches", body, role="manager", key="as-manager"), 403, "batch:create", "role"
    )
    assert snapshot(api.url) == before

"""Make-to-order needs raised when a sales order is posted (services/mto.py), over HTTP on
SQLite and PostgreSQL: one draft purchase order per uncovered line, from the fastest
supplier, rounded to its pack and MOQ, naming the order; a second order raises only its
own shortfall; cancelling removes an untouched draft and keeps a touched one; a refused
post writes nothing.

The numbers (desk, make to order; 2 on hand at MAIN; supplier terms S1 200.00 / 10 d and
S2 250.00 / 5 d, pack 2, MOQ 3):

* SO-A desk 5 (line 2): 5 ordered − 2 on hand − 0 on order = 3 short → 4 (two packs of 2,
  ≥ MOQ 3 = two packs) from S2 (5 d beats 10 d, price second).
* SO-B desk 4: 9 ordered − 2 on hand − 4 on SO-A's draft = 3 short of its 4 → 4.
  (Counting SO-A's need again would make it short 4.)
* SO-C desk 1: 10 − 2 − 8 = 0 → nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from tests.api.test_errors import assert_problem
from tests.core.company import DAY0
from tests.core.snapshot import snapshot
from transactional.db import session_scope
from transactional.models import AuditLog, Document

D = Decimal


def _setup(api):
    c = api.company
    desk = api.ok(
        "POST",
        "/items",
        {
            "sku": "DESK-1",
            "name": "Custom desk",
            "category": "Desks",
            "list_price": "500.00",
            "supply_mode": "make_to_order",
        },
        role="purchasing",
        status=201,
    )["id"]
    s2 = api.ok(
        "POST",
        "/suppliers",
        {"code": "S2", "name": "Quick Desks", "default_lead_time_days": 5},
        role="purchasing",
        status=201,
    )["id"]
    api.ok(
        "POST",
        "/supplier-items",
        {"supplier_id": c.supplier, "item_id": desk, "price": "200.00", "lead_time_days": 10},
        role="purchasing",
        status=201,
    )
    api.ok(
        "POST",
        "/supplier-items",
        {
            "supplier_id": s2,
            "item_id": desk,
            "price": "250.00",
            "lead_time_days": 5,
            "pack_size": "2",
            "moq": "3",
        },
        role="purchasing",
        status=201,
    )
    c.purchase([(desk, "2", "200.00")])  # 2 on hand, nothing on order
    return desk, s2


def _sell(api, lines, role="sales", customer=None):
    c = api.company
    so = api.ok(
        "POST",
        "/sales-orders",
        {
            "customer_id": customer or c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": i, "qty": q, "unit_price": "500.00"} for i, q in lines],
        },
        role=role,
        status=201,
    )
    return so, api.ok("POST", f"/sales-orders/{so['id']}/post", role=role)


def _mto_orders(api, desk):
    rows = api.ok("GET", f"/purchase-orders?item_id={desk}&limit=500")["items"]
    return sorted((r for r in rows if r["origin"] == "mto"), key=lambda r: r["id"])


def test_posting_raises_one_draft_and_a_second_order_only_its_own_shortfall(api):
    c = api.company
    desk, s2 = _setup(api)
    _, so_a = _sell(api, [(c.item, "1"), (desk, "5")])
    assert so_a["status"] == "posted"
    (po_a,) = _mto_orders(api, desk)
    assert (
        po_a["status"],
        po_a["supplier_id"],
        po_a["warehouse_id"],
        po_a["demand_document_id"],
        po_a["created_by"],
    ) == ("draft", s2, c.wh, so_a["id"], "mto")
    assert po_a["doc_date"] == str(DAY0)
    assert po_a["expected_date"] == str(DAY0 + dt.timedelta(days=5))
    assert [(ln["item_id"], D(ln["qty"]), D(ln["unit_price"])) for ln in po_a["lines"]] == [
        (desk, 4, D("250.00"))
    ]
    why = (
        f"Make to order for {so_a['number']} line 2: 5 ordered and not delivered, 2 on "
        f"hand, 0 on order (0 approved + 0 on make-to-order drafts) → short 3 of this "
        f"line's 5, buy 4 from S2 (pack 2, MOQ 3, 5 d lead time)"
    )
    assert po_a["memo"] == why and po_a["lines"][0]["memo"] == why
    # the make-to-stock widget line raised nothing: one make-to-order draft in all
    assert (
        api.count(Document, Document.doc_type == "purchase_order", Document.status == "draft") == 1
    )

    _, so_b = _sell(api, [(desk, "4")])
    po_a2, po_b = _mto_orders(api, desk)
    assert po_a2 == po_a  # untouched by the second order
    assert (po_b["demand_document_id"], po_b["supplier_id"]) == (so_b["id"], s2)
    assert [D(ln["qty"]) for ln in po_b["lines"]] == [4]
    assert po_b["memo"].startswith(
        f"Make to order for {so_b['number']} line 1: 9 ordered "
        f"and not delivered, 2 on hand, 4 on order (0 approved + "
        f"4 on make-to-order drafts) → short 3 of this line's 4"
    )

    _sell(api, [(desk, "1")])  # 10 − 2 − 8 = 0: covered by the drafts' rounding
    assert len(_mto_orders(api, desk)) == 2


def test_cancel_removes_the_untouched_draft_and_keeps_a_touched_one(api):
    desk, _ = _setup(api)
    _, so_a = _sell(api, [(desk, "5")])
    _, so_b = _sell(api, [(desk, "4")])
    po_a, po_b = _mto_orders(api, desk)
    # a planner edits SO-B's draft: it is theirs now
    api.ok(
        "PATCH",
        f"/purchase-orders/{po_b['id']}",
        {"memo": "call the customer first"},
        role="planner",
    )
    api.ok(
        "POST", f"/sales-orders/{so_a['id']}/cancel", {"reason": "customer withdrew"}, role="sales"
    )
    assert [p["id"] for p in _mto_orders(api, desk)] == [po_b["id"]]
    with session_scope(api.url) as s:
        deleted = (
            s.execute(
                select(AuditLog.username).where(
                    AuditLog.entity == "purchase_order",
                    AuditLog.entity_id == str(po_a["id"]),
                    AuditLog.action == "delete",
                )
            )
            .scalars()
            .all()
        )
    assert deleted == ["mto"]
    api.ok("POST", f"/sales-orders/{so_b['id']}/cancel", role="sales")
    (kept,) = _mto_orders(api, desk)
    assert (kept["id"], kept["status"], kept["memo"]) == (
        po_b["id"],
        "draft",
        "call the customer first",
    )
    # an approved make-to-order order stays too: it is a real order now
    _, so_c = _sell(api, [(desk, "9")])
    po_c = _mto_orders(api, desk)[-1]
    assert po_c["demand_document_id"] == so_c["id"]
    api.ok("POST", f"/purchase-orders/{po_c['id']}/approve", role="planner")
    api.ok("POST", f"/sales-orders/{so_c['id']}/cancel", role="sales")
    assert [(p["id"], p["status"]) for p in _mto_orders(api, desk)] == [
        (po_b["id"], "draft"),
        (po_c["id"], "approved"),
    ]


def test_a_refused_post_raises_nothing(api):
    c = api.company
    desk, _ = _setup(api)
    tight = api.ok(
        "POST",
        "/customers",
        {"code": "C2", "name": "Tight Ltd", "credit_limit": "1000.00"},
        role="sales",
        status=201,
    )["id"]
    so = api.ok(
        "POST",
        "/sales-orders",
        {
            "customer_id": tight,
            "warehouse_id": c.wh,
            "lines": [{"item_id": desk, "qty": "5", "unit_price": "500.00"}],
        },
        role="sales",
        status=201,
    )
    before = snapshot(api.url)
    assert_problem(
        api.post(f"/sales-orders/{so['id']}/post", role="sales"), 409, "credit_limit", "customer_id"
    )
    assert snapshot(api.url) == before
    assert _mto_orders(api, desk) == []
    # a draft sales order raises nothing either; the same order posts once a manager
    # overrides the limit, and raises its need then
    api.ok("POST", f"/sales-orders/{so['id']}/credit-override", role="manager")
    api.ok("POST", f"/sales-orders/{so['id']}/post", role="sales")
    assert [
        (p["demand_document_id"], [D(ln["qty"]) for ln in p["lines"]])
        for p in _mto_orders(api, desk)
    ] == [(so["id"], [4])]

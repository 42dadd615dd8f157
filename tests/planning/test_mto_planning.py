"""Make-to-order needs end to end (SQLite OLTP → refresh → planning): a short open sales
order raises one planning suggestion naming it, a rerun does not duplicate it, and a
draft raised when an order was posted is not doubled by planning.

On top of the 13-week history of tests/planning/history.py, on its last day (DAY0 + 91;
a later day would add a day without sales to every series):

* chair (make to stock when sold, switched to make to order afterwards; S1 40.00, 7 d,
  pack 1; nothing on hand): SO-chair 3 posted → no draft at posting (make to stock
  then); planning: 3 open − 0 − 0 − 0 = 3 short → suggest 3 from S1, naming SO-chair.
* desk (make to order; S2 250.00, 5 d, pack 2; 1 on hand): SO-desk-1 4 posted → draft at
  posting 4 − 1 = 3 → 4 (pack 2); planning: 4 − 1 − 0 − 4 = −1 → nothing. Then SO-desk-2
  3 posted → draft 7 − 1 − 4 = 2 → 2; after a refresh planning: 7 − 1 − 6 = 0 → nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest
from sqlalchemy import select

from pipelines.planning import run_planning
from tests.core.company import DAY0
from tests.planning.history import build_history
from transactional.db import session_factory
from transactional.models import Document
from transactional.services import create_master, update_master

D = Decimal
DAY = DAY0 + dt.timedelta(days=91)  # the last day of the history


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from tests.planning.warehouse import publish_marts

    base = tmp_path_factory.mktemp("mto_planning")
    url = f"sqlite:///{base / 'qm.sqlite'}"
    from transactional.migrate import upgrade

    upgrade(url)
    co, _bolt, s2 = build_history(url)
    chair = co.run(
        create_master,
        "item",
        {"sku": "CHR-1", "name": "Chair", "category": "Chairs", "list_price": "90.00"},
    ).id
    desk = co.run(
        create_master,
        "item",
        {
            "sku": "DSK-1",
            "name": "Desk",
            "category": "Desks",
            "list_price": "500.00",
            "supply_mode": "make_to_order",
        },
    ).id
    co.run(
        create_master,
        "supplier_item",
        {"supplier_id": co.supplier, "item_id": chair, "price": "40.00", "lead_time_days": 7},
    )
    co.run(
        create_master,
        "supplier_item",
        {
            "supplier_id": s2,
            "item_id": desk,
            "price": "250.00",
            "lead_time_days": 5,
            "pack_size": "2",
        },
    )
    co.purchase([(desk, "1", "250.00")], day=DAY, supplier=s2)
    sell = lambda item, qty: co.post(
        "sales_order",
        {  # noqa: E731
            "customer_id": co.customer,
            "warehouse_id": co.wh,
            "lines": [{"item_id": item, "qty": qty, "unit_price": "100.00"}],
        },
        DAY,
    )
    so_chair = sell(chair, "3")
    co.run(update_master, "item", chair, {"supply_mode": "make_to_order"})
    so_desk = sell(desk, "4")
    warehouse = base / "warehouse.duckdb"
    summary = publish_marts(url, warehouse)
    assert summary["success"], summary["failures"][:3]
    return {
        "url": url,
        "co": co,
        "s2": s2,
        "chair": chair,
        "desk": desk,
        "sell": sell,
        "so_chair": so_chair,
        "so_desk": so_desk,
        "warehouse": warehouse,
        "out": base / "planning.duckdb",
        "refresh": publish_marts,
    }


def _orders(url, origin):
    session = session_factory(url)()
    try:
        docs = (
            session.execute(
                select(Document)
                .where(
                    Document.doc_type == "purchase_order",
                    Document.origin == origin,
                    Document.status == "draft",
                )
                .order_by(Document.id)
            )
            .scalars()
            .all()
        )
        return [
            (
                d.supplier_id,
                d.warehouse_id,
                d.demand_document_id,
                [(ln.item_id, ln.qty, ln.memo) for ln in d.lines],
            )
            for d in docs
        ]
    finally:
        session.close()


def _lines(orders, item):
    return [
        (sup, wh, qty, memo) for sup, wh, _, lines in orders for i, qty, memo in lines if i == item
    ]


def _plan_row(out, item):
    con = duckdb.connect(str(out), read_only=True)
    try:
        return con.execute(
            "select suggested_qty, supplier_id, sales_order_short, "
            "sales_orders, why from replenishment_plan where item_id = ?",
            [item],
        ).fetchall()
    finally:
        con.close()


def test_short_sales_orders_raise_one_need_and_reruns_do_not_duplicate(world):
    url, co, chair, desk = world["url"], world["co"], world["chair"], world["desk"]
    so_chair, so_desk = world["so_chair"], world["so_desk"]
    # posting raised the desk's draft (make to order then), not the chair's
    assert _orders(url, "mto") == [
        (
            world["s2"],
            co.wh,
            so_desk.id,
            [
                (
                    desk,
                    D(4),
                    (
                        f"Make to order for {so_desk.number} line 1: 4 ordered and not delivered, 1 on "
                        f"hand, 0 on order (0 approved + 0 on make-to-order drafts) → short 3 of this "
                        f"line's 4, buy 4 from S2 (pack 2, MOQ 0, 5 d lead time)"
                    ),
                )
            ],
        )
    ]
    run = lambda: run_planning(url, world["warehouse"], output_path=world["out"])  # noqa: E731
    first = run()
    # the four history series (5 from empty each) and the chair's short order
    assert first["suggestions"] == 5
    planned = _orders(url, "planning")
    why = f"{so_chair.number} line 1 (short 3 of 3, ordered {DAY})"
    assert _lines(planned, chair) == [
        (
            co.supplier,
            co.wh,
            D(3),
            f"For open sales orders stock and open supply cannot cover: {why}",
        )
    ]
    assert _lines(planned, desk) == []  # the draft raised at posting covers the desk
    ((qty, sup, short, orders, text),) = _plan_row(world["out"], chair)
    assert (float(qty), sup, float(short), orders) == (3.0, co.supplier, 3.0, why)
    assert text.startswith(
        "Make-to-order item (not stocked): buy what open sales orders "
        "need. Open sales orders 3 − 0 on hand − 0 on order − 0 on "
        "make-to-order drafts already raised = 3 not covered"
    )
    ((qty, _, short, orders, text),) = _plan_row(world["out"], desk)
    assert (float(qty), float(short), orders) == (0.0, 0.0, "")
    assert text.startswith("Make-to-order item (item master data): not stocked")

    second = run()  # same snapshot: the same suggestion, planning's drafts replaced
    assert (second["suggestions"], second["drafts_created"], second["drafts_replaced"]) == (
        5,
        first["drafts_created"],
        first["drafts_created"],
    )
    again = _orders(url, "planning")
    assert [(s, w, sorted((i, q) for i, q, _ in ls)) for s, w, _, ls in again] == [
        (s, w, sorted((i, q) for i, q, _ in ls)) for s, w, _, ls in planned
    ]
    assert len(_orders(url, "mto")) == 1


def test_a_draft_raised_at_posting_is_not_doubled_by_planning(world):
    url, desk = world["url"], world["desk"]
    so2 = world["sell"](desk, "3")  # 7 − 1 − 4 = 2 short → 2 (one pack)
    mto = _orders(url, "mto")
    assert [(d, [q for _, q, _ in ls]) for _, _, d, ls in mto] == [
        (world["so_desk"].id, [D(4)]),
        (so2.id, [D(2)]),
    ]
    summary = world["refresh"](url, world["warehouse"])
    assert summary["success"], summary["failures"][:3]
    for _ in range(2):
        run_planning(url, world["warehouse"], output_path=world["out"])
        assert _lines(_orders(url, "planning"), desk) == []
        ((qty, _, short, _, _),) = _plan_row(world["out"], desk)
        assert float(qty) == 0 and float(short) == 0
    assert len(_orders(url, "mto")) == 2
    con = duckdb.connect(str(world["warehouse"]), read_only=True)
    try:
        open_lines = con.execute(
            "select document_number, line_no, cast(open_qty as double) from "
            "marts.open_sales_order_lines where item_id = ? order by document_number",
            [desk],
        ).fetchall()
    finally:
        con.close()
    assert open_lines == [(world["so_desk"].number, 1, 4.0), (so2.number, 1, 3.0)]

"""forecasting.mto on a hand-computed example: two sales orders, partial stock, an open
purchase order and a make-to-order draft already raised.

Desk (item 1, make to order) at warehouse 10: 2 on hand, 3 on order, 4 on a
make-to-order draft → supply 9. Open lines: SO-A line 1 (Jan 5) 6 and SO-B line 2
(Jan 7) 5 = 11. Supply goes to the oldest first: SO-A fully (6, 3 left), SO-B 3 of 5 →
short 2, need 11 − 9 = 2. Fastest supplier 8 (4 d, beats 7 at 10 d though dearer),
pack 5 → order 5 at 12.00 = 60.00.

Chair (item 2, make to stock) at 10: 1 on hand, nothing on order; SO-A line 2 open 4 →
need 3; the plan's order-up-to suggestion (2, too small here by construction) is raised
to 3 (pack 1). Lamp (item 3) at 10: 5 on hand, SO-B line 1 open 4 → covered, no need.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from forecasting.mto import apply_needs, order_qty, sales_order_needs, short_lines

D = Decimal


def _open_lines():
    rows = [
        ("SO-A", 1, dt.date(2026, 1, 5), 1, 6.0),
        ("SO-B", 2, dt.date(2026, 1, 7), 1, 5.0),
        ("SO-A", 2, dt.date(2026, 1, 5), 2, 4.0),
        ("SO-B", 1, dt.date(2026, 1, 7), 3, 4.0),
    ]
    return pd.DataFrame(
        [
            {
                "document_number": n,
                "line_no": ln,
                "order_date": d,
                "item_id": i,
                "warehouse_id": 10,
                "open_qty": q,
            }
            for n, ln, d, i, q in rows
        ]
    )


def _positions():
    return pd.DataFrame(
        [
            {"item_id": 1, "warehouse_id": 10, "on_hand": 2.0, "on_order": 3.0, "committed": 11.0},
            {"item_id": 2, "warehouse_id": 10, "on_hand": 1.0, "on_order": 0.0, "committed": 4.0},
            {"item_id": 3, "warehouse_id": 10, "on_hand": 5.0, "on_order": 0.0, "committed": 4.0},
        ]
    )


COVER = pd.DataFrame([{"item_id": 1, "warehouse_id": 10, "qty": 4.0}])
TERMS = pd.DataFrame(
    [
        {
            "item_id": 1,
            "supplier_id": 7,
            "unit_price": 9.0,
            "lead_time_days": 10.0,
            "lead_time_std_days": 0.0,
            "moq": 0.0,
            "pack_size": 1.0,
        },
        {
            "item_id": 1,
            "supplier_id": 8,
            "unit_price": 12.0,
            "lead_time_days": 4.0,
            "lead_time_std_days": 0.0,
            "moq": 0.0,
            "pack_size": 5.0,
        },
        {
            "item_id": 2,
            "supplier_id": 7,
            "unit_price": 3.0,
            "lead_time_days": 10.0,
            "lead_time_std_days": 0.0,
            "moq": 0.0,
            "pack_size": 1.0,
        },
    ]
)


def test_supply_goes_to_the_oldest_lines_first():
    lines = short_lines(_open_lines(), _positions(), COVER)
    got = [
        (r["item_id"], r["document_number"], r["line_no"], r["covered_qty"], r["short_qty"])
        for r in lines.to_dict("records")
    ]
    assert got == [
        (1, "SO-A", 1, D(6), D(0)),
        (1, "SO-B", 2, D(3), D(2)),
        (2, "SO-A", 2, D(1), D(3)),
        (3, "SO-B", 1, D(4), D(0)),
    ]


def test_needs_name_the_short_orders():
    needs = sales_order_needs(_open_lines(), _positions(), COVER)
    assert [
        (
            r["item_id"],
            r["warehouse_id"],
            r["open_qty"],
            r["supply"],
            r["need_qty"],
            r["short_lines"],
        )
        for r in needs.to_dict("records")
    ] == [(1, 10, D(11), D(9), D(2), 1), (2, 10, D(4), D(1), D(3), 1)]
    desk = needs.iloc[0]
    assert desk["sales_orders"] == "SO-B line 2 (short 2 of 5, ordered 2026-01-07)"
    assert desk["need_text"] == (
        "Open sales orders 11 − 2 on hand − 3 on order − 4 on make-to-order drafts already "
        "raised = 2 not covered; short, oldest first: SO-B line 2 (short 2 of 5, ordered "
        "2026-01-07)"
    )
    # a make-to-order draft that covers the rest leaves no need (a rerun never doubles)
    assert sales_order_needs(_open_lines(), _positions(), COVER.assign(qty=6.0))[
        "item_id"
    ].tolist() == [2]
    # without the draft the need is 6 and both orders are short, named oldest first
    bare = sales_order_needs(_open_lines(), _positions()).iloc[0]
    assert bare["need_qty"] == D(6) and bare["sales_orders"] == (
        "SO-A line 1 (short 1 of 6, ordered 2026-01-05), SO-B line 2 (short 5 of 5, "
        "ordered 2026-01-07)"
    )


def _plan():
    """What plan_replenishment gives these keys (the columns apply_needs touches)."""
    base = {
        "warehouse_id": 10,
        "lead_time_days": 10.0,
        "lead_time_std_days": 0.0,
        "pack_size": D(1),
        "moq": D(0),
        "raw_qty": D(0),
    }
    return pd.DataFrame(
        [
            {
                **base,
                "item_id": 1,
                "supplier_id": 7,
                "unit_price": D("9.00"),
                "suggested_qty": D(0),
                "line_value": D("0.00"),
                "stocking": "make to order (item)",
                "supplier_rule": "x",
                "why": "Make-to-order item (item master data): not stocked.",
            },
            {
                **base,
                "item_id": 2,
                "supplier_id": 7,
                "unit_price": D("3.00"),
                "suggested_qty": D(2),
                "line_value": D("6.00"),
                "stocking": "stock",
                "supplier_rule": "x",
                "why": "Order-up-to level = 5.",
            },
            {
                **base,
                "item_id": 3,
                "supplier_id": None,
                "unit_price": None,
                "suggested_qty": D(0),
                "line_value": D("0.00"),
                "stocking": "stock",
                "supplier_rule": "no supplier terms",
                "why": "No supplier terms.",
            },
        ]
    )


def test_apply_needs_make_to_order_and_make_to_stock():
    needs = sales_order_needs(_open_lines(), _positions(), COVER)
    out = apply_needs(_plan(), needs, TERMS, made_to_order={1})
    desk, chair, lamp = (out.iloc[i].to_dict() for i in range(3))
    assert (
        desk["supplier_id"],
        desk["raw_qty"],
        desk["suggested_qty"],
        desk["unit_price"],
        desk["line_value"],
        desk["pack_size"],
        desk["sales_order_short"],
    ) == (8, D(2), D(5), D(12), D("60.00"), D(5), D(2))
    assert desk["why"] == (
        "Make-to-order item (not stocked): buy what open sales orders need. Open sales "
        "orders 11 − 2 on hand − 3 on order − 4 on make-to-order drafts already raised = 2 "
        "not covered; short, oldest first: SO-B line 2 (short 2 of 5, ordered 2026-01-07). "
        "Supplier 8, the fastest (4 d lead time at 12/unit); rounded up to whole packs of "
        "5: 5. Order 5."
    )
    assert (
        chair["supplier_id"],
        chair["suggested_qty"],
        chair["line_value"],
        chair["sales_orders"],
    ) == (7, D(3), D("9.00"), "SO-A line 2 (short 3 of 4, ordered 2026-01-05)")
    assert chair["why"].startswith(
        "Order-up-to level = 5. Open sales orders are short: "
        "Open sales orders 4 − 1 on hand − 0 on order"
    )
    assert chair["why"].endswith(
        "Order at least that, in whole packs of 1 and the minimum order: 3."
    )
    assert (
        lamp["suggested_qty"],
        lamp["sales_order_short"],
        lamp["sales_orders"],
        lamp["why"],
    ) == (D(0), D(0), "", "No supplier terms.")
    # a make-to-stock suggestion that already covers the need keeps its quantity
    big = _plan()
    big.at[1, "suggested_qty"] = D(10)
    chair = apply_needs(big, needs, TERMS, made_to_order={1}).iloc[1]
    assert chair["suggested_qty"] == D(10) and chair["why"].endswith("The order of 10 covers them.")


def test_apply_needs_adds_a_row_for_a_key_the_plan_lacks_and_rounds_to_moq():
    needs = sales_order_needs(_open_lines(), _positions(), COVER)
    terms = TERMS.assign(moq=[0.0, 12.0, 0.0])
    out = apply_needs(_plan().iloc[1:], needs, terms, made_to_order={1})
    desk = out[out["item_id"] == 1].iloc[0]
    # 2 → one pack of 5 → MOQ 12 in packs of 5 = 15
    assert (desk["suggested_qty"], desk["line_value"]) == (D(15), D("180.00"))
    assert desk["why"].endswith(
        "rounded up to whole packs of 5: 5; raised to the minimum order of 15. Order 15."
    )


def test_order_qty():
    assert order_qty(D(0), 5, 12) == 0
    assert order_qty(D("0.5"), 2, 1) == 2
    assert order_qty(D(7), 0, 0) == 7
    assert order_qty(D(7), 3, 10) == 12


def test_a_covered_make_to_order_item_is_not_refilled_by_the_order_up_to_rule():
    """S = 0 would refill the desk's negative position (2 + 3 − 11 = −6 → 6) without the
    drafts already raised; with 6 on make-to-order drafts nothing is short: no order."""
    needs = sales_order_needs(_open_lines(), _positions(), COVER.assign(qty=6.0))
    plan = _plan()
    plan.at[0, "suggested_qty"], plan.at[0, "line_value"] = D(6), D("54.00")
    desk = apply_needs(plan, needs, TERMS, made_to_order={1}).iloc[0]
    assert (desk["suggested_qty"], desk["line_value"], desk["sales_order_short"]) == (
        D(0),
        D("0.00"),
        D(0),
    )
    assert desk["why"].endswith(
        "Open sales orders are covered by stock, open purchase "
        "orders and make-to-order drafts already raised."
    )

"""Read models and lists: filters, cursor pages, the stock position (on hand, on order,
committed, available, value), the trial balance as of a date."""

from __future__ import annotations

import datetime as dt

from tests.core.company import DAY0


def test_document_lists_filter_and_page(api):
    c = api.company
    c.purchase([(c.item, "50", "10.00")])
    for n in range(5):
        c.post(
            "sales_order",
            {
                "customer_id": c.customer,
                "warehouse_id": c.wh,
                "lines": [
                    {"item_id": c.item if n % 2 else c.item2, "qty": "1", "unit_price": "20"}
                ],
            },
            day=DAY0 + dt.timedelta(days=n),
        )
    c.draft(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "1"}],
        },
    )
    everything = api.get("/sales-orders").json()
    ids = [d["id"] for d in everything["items"]]
    assert len(ids) == 6 and ids == sorted(ids, reverse=True)
    assert everything["next_cursor"] is None
    pages, cursor = [], None
    while True:
        page = api.get(
            "/sales-orders", params={"limit": 4, "cursor": cursor} if cursor else {"limit": 4}
        ).json()
        pages.append([d["id"] for d in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [ids[:4], ids[4:]]
    assert len(api.get("/sales-orders?status=draft").json()["items"]) == 1
    assert len(api.get(f"/sales-orders?status=posted&item_id={c.item}").json()["items"]) == 2
    window = api.get("/sales-orders?date_from=2026-01-06&date_to=2026-01-07").json()["items"]
    assert sorted(d["doc_date"] for d in window) == ["2026-01-06", "2026-01-07"]
    assert (
        api.get(f"/sales-orders?customer_id={c.customer}&number=SO-2026-00002").json()["items"][0][
            "number"
        ]
        == "SO-2026-00002"
    )
    assert (
        api.get(f"/purchase-orders?supplier_id={c.supplier}").json()["items"][0]["status"]
        == "approved"
    )
    r = api.get("/sales-orders?date_from=2026-02-01&date_to=2026-01-01")
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "from_not_after_to"
    assert api.get("/sales-orders?cursor=abc").status_code == 422


def test_stock_position_and_trial_balance(api):
    c = api.company
    c.purchase([(c.item, "30", "10.00")])  # 30 on hand at 10.00
    open_po = c.post(
        "purchase_order",
        {
            "supplier_id": c.supplier,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "20", "unit_price": "11.00"}],
        },
    )
    c.post(
        "goods_receipt",
        {
            "source_document_id": open_po.id,
            "lines": [{"source_line_id": open_po.lines[0].id, "qty": "5", "rejected_qty": "2"}],
        },
    )
    so = c.post(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "12"}],
        },
    )
    c.post(
        "delivery",
        {"source_document_id": so.id, "lines": [{"source_line_id": so.lines[0].id, "qty": "4"}]},
    )
    rows = api.get(f"/stock/balances?item_id={c.item}", role="planner").json()["items"]
    assert len(rows) == 1
    b = rows[0]
    # on hand 30 + 5 − 4; on order 20 − 5 accepted (rejected stays open); committed 12 − 4
    assert (b["on_hand"], b["on_order"], b["committed"], b["available"]) == (
        "31.0000",
        "15.0000",
        "8.0000",
        "23.0000",
    )
    assert b["value"] == "314.43"  # 300 + 55 = 355 for 35; 4 leave at 4 × 355/35 = 40.57
    # named, not only ids: what a warehouse keeper searches by
    assert (b["sku"], b["item_name"], b["category"], b["unit"]) == (
        "WID-1",
        "Widget",
        "Widgets",
        "pcs",
    )
    assert (b["warehouse_code"], b["warehouse_name"], b["reorder_level"]) == ("MAIN", "Main", None)
    api.ok(
        "POST",
        "/reorder-rules",
        {"item_id": c.item, "warehouse_id": c.wh, "reorder_level": "25", "reorder_qty": "40"},
        key="rule-1",
    )
    for needle in ("wid", "WIDG", "id-1"):
        rows = api.get(f"/stock/balances?search={needle}", role="warehouse").json()["items"]
        assert [(r["sku"], r["reorder_level"]) for r in rows] == [("WID-1", "25.0000")], needle
    # a % is a character, not a wildcard: "w%" would otherwise match WID-1
    assert api.get("/stock/balances?search=w%25", role="warehouse").json()["items"] == []
    ledger = api.get(f"/stock/ledger?item_id={c.item}&limit=2").json()
    assert [r["qty"] for r in ledger["items"]] == ["30.0000", "5.0000"]
    rest = api.get(f"/stock/ledger?item_id={c.item}&cursor={ledger['next_cursor']}").json()
    assert [r["qty"] for r in rest["items"]] == ["-4.0000"]
    before = api.get("/reports/trial-balance?as_of=2026-01-04", role="finance").json()
    assert before == {
        "as_of": "2026-01-04",
        "accounts": [],
        "total_debit": "0",
        "total_credit": "0",
        "balanced": True,
    }
    tb = api.get("/reports/trial-balance", role="finance").json()  # default: today (DAY0)
    assert tb["as_of"] == "2026-01-05" and tb["balanced"]
    assert {a["code"]: a["balance"] for a in tb["accounts"]}["1200"] == "314.43"
    entries = api.get("/journal?account_code=2100", role="finance").json()["items"]
    assert [e["doc_type"] for e in entries] == ["goods_receipt", "goods_receipt"]


def test_unknown_query_parameters_are_422_naming_the_parameter(api):
    """A misspelt filter must not answer with everything (GET /journal?number=nope)."""
    for path in (
        "/journal?number=nope",
        "/sales-orders?nmber=SO-1",
        "/items?colour=red",
        "/stock/balances?item=1",
        "/audit?limit=5&who=me",
        "/reports/trial-balance?asof=2026-01-01",
    ):
        r = api.get(path)
        assert r.status_code == 422, (path, r.text)
        body = r.json()
        assert body["errors"][0]["rule"] == "unknown_query_parameter", body
        name = path.split("?")[1].split("&")[-1].split("=")[0]
        assert body["errors"][0]["field"] == f"query.{name}", body
        assert name in body["detail"]
    # declared parameters still work, on lists and on single reads
    assert api.get("/journal?limit=5").status_code == 200
    assert api.get("/items?active=true&category=Gadgets").status_code == 200
    # a write with an undeclared query parameter is refused before anything is written
    r = api.post("/customers?dry_run=1", {"code": "QP1", "name": "Query"}, role="sales")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.dry_run"
    assert api.get("/customers").json()["items"] and all(
        c["code"] != "QP1" for c in api.get("/customers?limit=500").json()["items"]
    )

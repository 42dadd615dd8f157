"""A full purchase-to-pay and order-to-cash flow over real HTTP, on SQLite and
PostgreSQL, by the roles that do each step; the books and the stock agree afterwards."""

from __future__ import annotations

from decimal import Decimal as D

from transactional.check import run_checks
from transactional.db import session_scope


def test_purchase_to_pay_and_order_to_cash(api):
    c = api.company
    # purchasing drafts a PO, the manager approves it
    po = api.ok(
        "POST",
        "/purchase-orders",
        {
            "supplier_id": c.supplier,
            "warehouse_id": c.wh,
            "lines": [
                {"item_id": c.item, "qty": "100", "unit_price": "10.00"},
                {"item_id": c.item2, "qty": "30", "unit_price": "40.00"},
            ],
        },
        role="purchasing",
        status=201,
    )
    # 1,000 + 20 % VAT and 1,200 + 10 % VAT
    assert (po["status"], po["gross_total"]) == ("draft", "2520.00")
    assert (
        api.ok("POST", f"/purchase-orders/{po['id']}/approve", role="manager")["status"]
        == "approved"
    )
    # the warehouse receives (2 of item2 rejected at QC), finance books the bill (PPV)
    gr = api.ok(
        "POST",
        "/goods-receipts",
        {
            "source_document_id": po["id"],
            "lines": [
                {"source_line_id": po["lines"][0]["id"], "qty": "100"},
                {"source_line_id": po["lines"][1]["id"], "qty": "28", "rejected_qty": "2"},
            ],
        },
        role="warehouse",
    )
    gr = api.ok("POST", f"/goods-receipts/{gr['id']}/post", role="warehouse")
    assert gr["status"] == "posted" and gr["net_total"] == "2120.00"  # 1,000 + 1,120
    bill = api.ok(
        "POST",
        "/supplier-bills",
        {
            "supplier_id": c.supplier,
            "lines": [
                {"source_line_id": gr["lines"][0]["id"], "qty": "100", "unit_price": "10.50"}
            ],
        },
        role="finance",
    )
    bill = api.ok("POST", f"/supplier-bills/{bill['id']}/post", role="finance")
    assert (bill["net_total"], bill["vat_total"], bill["gross_total"]) == (
        "1050.00",
        "210.00",
        "1260.00",
    )
    pay = api.ok(
        "POST",
        "/supplier-payments",
        {
            "supplier_id": c.supplier,
            "amount": "1260.00",
            "lines": [{"allocated_document_id": bill["id"], "amount": "1260.00"}],
        },
        role="finance",
    )
    api.ok("POST", f"/supplier-payments/{pay['id']}/post", role="finance")
    assert (
        api.ok("GET", f"/supplier-bills/{bill['id']}", role="finance")["paid_amount"] == "1260.00"
    )

    # sales takes an order, the warehouse ships it, finance invoices and collects
    so = api.ok(
        "POST",
        "/sales-orders",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "40", "unit_price": "20.00"}],
        },
        role="sales",
    )
    so = api.ok("POST", f"/sales-orders/{so['id']}/post", role="sales")
    balances = api.ok("GET", f"/stock/balances?item_id={c.item}&warehouse_id={c.wh}", role="sales")[
        "items"
    ]
    assert [(b["on_hand"], b["committed"], b["available"]) for b in balances] == [
        ("100.0000", "40.0000", "60.0000")
    ]
    dn = api.ok(
        "POST",
        "/deliveries",
        {
            "source_document_id": so["id"],
            "carrier_id": c.carrier,
            "freight_cost": "12.00",
            "tracking_number": "TRK-1",
            "lines": [{"source_line_id": so["lines"][0]["id"], "qty": "40"}],
        },
        role="warehouse",
    )
    dn = api.ok("POST", f"/deliveries/{dn['id']}/post", role="warehouse")
    inv = api.ok(
        "POST",
        "/sales-invoices",
        {
            "source_document_id": so["id"],
            "lines": [{"source_line_id": so["lines"][0]["id"], "qty": "40"}],
        },
        role="finance",
    )
    inv = api.ok("POST", f"/sales-invoices/{inv['id']}/post", role="finance")
    assert inv["gross_total"] == "960.00"  # 800 + 20 % VAT
    # 4 come back damaged: a credit note of 4 × 20.00 + 20 % VAT = 96.00, which the
    # customer deducts from its payment: 960.00 − 96.00 = 864.00 (allocations +960, −96)
    ret = api.ok(
        "POST",
        "/sales-returns",
        {
            "source_document_id": dn["id"],
            "lines": [{"source_line_id": dn["lines"][0]["id"], "qty": "4"}],
        },
        role="warehouse",
    )
    ret = api.ok("POST", f"/sales-returns/{ret['id']}/post", role="warehouse")
    assert ret["gross_total"] == "96.00"
    cp = api.ok(
        "POST",
        "/customer-payments",
        {
            "customer_id": c.customer,
            "amount": "864.00",
            "lines": [
                {"allocated_document_id": inv["id"], "amount": "960.00"},
                {"allocated_document_id": ret["id"], "amount": "-96.00"},
            ],
        },
        role="finance",
    )
    api.ok("POST", f"/customer-payments/{cp['id']}/post", role="finance")
    assert api.ok("GET", f"/sales-returns/{ret['id']}", role="finance")["paid_amount"] == "-96.00"

    # read models: the stock ledger, the journal of the delivery, the trial balance
    ledger = api.ok("GET", f"/stock/ledger?document_id={dn['id']}", role="warehouse")["items"]
    assert [(r["qty"], r["value"]) for r in ledger] == [("-40.0000", "-400.00")]  # 40 × 10
    journal = api.ok("GET", f"/journal?document_id={dn['id']}", role="finance")["items"]
    lines = sorted(
        (ln["account_code"], ln["debit"], ln["credit"]) for e in journal for ln in e["lines"]
    )
    assert lines == [
        ("1200", "0.00", "400.00"),
        ("2300", "0.00", "12.00"),
        ("5000", "400.00", "0.00"),
        ("6000", "12.00", "0.00"),
    ]
    tb = api.ok("GET", "/reports/trial-balance?as_of=2026-12-31", role="manager")
    assert tb["balanced"] and tb["total_debit"] == tb["total_credit"]
    by_code = {a["code"]: D(a["balance"]) for a in tb["accounts"]}
    # 1200 holds what was received (2,120) less what left (400) plus the 4 back at 10.00;
    # AR (invoice less credit note less payment) and AP are settled
    assert by_code["1200"] == D("1760.00")
    assert by_code.get("1100", D(0)) == 0 and by_code.get("2000", D(0)) == 0
    assert by_code["1000"] == D("864.00") - D("1260.00")
    with session_scope(api.url) as s:
        assert {k: v for k, v in run_checks(s).items() if v} == {}

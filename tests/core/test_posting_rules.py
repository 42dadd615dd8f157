"""One test per posting rule of the ledger (docs/ledger.md), with the exact journal lines and stock rows.
Amounts are worked out by hand in the comments."""

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tests.core.company import DAY0, build_company
from transactional.check import run_checks
from transactional.db import session_scope
from transactional.models import JournalEntry, StockBalance, StockLedgerEntry
from transactional.services import receive_transfer

Z = D("0")


@pytest.fixture
def c(db_url):
    return build_company(db_url)


def journal(url, doc_id, reversal=False):
    with session_scope(url) as s:
        entries = (
            s.execute(
                select(JournalEntry).where(
                    JournalEntry.document_id == doc_id, JournalEntry.is_reversal.is_(reversal)
                )
            )
            .scalars()
            .all()
        )
        out = {}
        for e in entries:
            for ln in e.lines:
                d, cr = out.get(ln.account_code, (Z, Z))
                out[ln.account_code] = (d + ln.debit, cr + ln.credit)
        return out


def stock(url, doc_id):
    with session_scope(url) as s:
        return [
            (r.item_id, r.warehouse_id, r.qty, r.value)
            for r in s.execute(
                select(StockLedgerEntry)
                .where(StockLedgerEntry.document_id == doc_id)
                .order_by(StockLedgerEntry.id)
            ).scalars()
        ]


def assert_clean(url):
    with session_scope(url) as s:
        problems = {k: v for k, v in run_checks(s).items() if v}
    assert problems == {}


def test_purchase_cycle(c):
    po = c.post(
        "purchase_order",
        {
            "supplier_id": c.supplier,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "10", "unit_price": "5.00"}],
        },
    )
    assert po.status == "approved" and po.net_total == D("50.00")
    gr = c.post(
        "goods_receipt",
        {
            "source_document_id": po.id,
            "lines": [{"source_line_id": po.lines[0].id, "qty": "8", "rejected_qty": "2"}],
        },
    )
    # accepted 8 × 5.00 = 40.00 into stock; the 2 rejected never enter it
    assert journal(c.url, gr.id) == {"1200": (D("40.00"), Z), "2100": (Z, D("40.00"))}
    assert stock(c.url, gr.id) == [(c.item, c.wh, D("8"), D("40.00"))]
    bill = c.post(
        "supplier_bill",
        {
            "supplier_id": c.supplier,
            "lines": [{"source_line_id": gr.lines[0].id, "qty": "8", "unit_price": "5.50"}],
        },
    )
    # GRNI cleared at receipt value 40.00; PPV 8 × 0.50 = 4.00; VAT 20 % of 44.00 = 8.80;
    # AP = 44.00 + 8.80 = 52.80
    assert journal(c.url, bill.id) == {
        "2100": (D("40.00"), Z),
        "5100": (D("4.00"), Z),
        "1300": (D("8.80"), Z),
        "2000": (Z, D("52.80")),
    }
    pay = c.post(
        "supplier_payment",
        {
            "supplier_id": c.supplier,
            "amount": "52.80",
            "lines": [{"allocated_document_id": bill.id, "amount": "52.80"}],
        },
    )
    assert journal(c.url, pay.id) == {"2000": (D("52.80"), Z), "1000": (Z, D("52.80"))}
    with session_scope(c.url) as s:
        from transactional.models import Document

        assert s.get(Document, bill.id).paid_amount == D("52.80")
        assert s.get(Document, po.id).fulfilment_status == "partly"  # 8 of 10 received
    assert_clean(c.url)


def test_sales_cycle_with_freight_invoice_payment_and_return(c):
    c.purchase([(c.item, "10", "5.00")])
    so, dn = c.sell([(c.item, "3", "20.00")], freight="7.50")
    # COGS 3 × 5.00 = 15.00; freight 7.50 accrued
    assert journal(c.url, dn.id) == {
        "5000": (D("15.00"), Z),
        "1200": (Z, D("15.00")),
        "6000": (D("7.50"), Z),
        "2300": (Z, D("7.50")),
    }
    inv = c.post(
        "sales_invoice",
        {"source_document_id": so.id, "lines": [{"source_line_id": so.lines[0].id, "qty": "3"}]},
    )
    # 3 × 20.00 = 60.00 net, VAT 20 % = 12.00, AR 72.00
    assert journal(c.url, inv.id) == {
        "1100": (D("72.00"), Z),
        "4000": (Z, D("60.00")),
        "2200": (Z, D("12.00")),
    }
    pay = c.post(
        "customer_payment",
        {
            "customer_id": c.customer,
            "amount": "72.00",
            "lines": [{"allocated_document_id": inv.id, "amount": "72.00"}],
        },
    )
    assert journal(c.url, pay.id) == {"1000": (D("72.00"), Z), "1100": (Z, D("72.00"))}
    ret = c.post(
        "sales_return",
        {"source_document_id": dn.id, "lines": [{"source_line_id": dn.lines[0].id, "qty": "1"}]},
    )
    # goods back at the 5.00 they left with; credit note 20.00 + VAT 4.00 = 24.00
    assert journal(c.url, ret.id) == {
        "1200": (D("5.00"), Z),
        "5000": (Z, D("5.00")),
        "4100": (D("20.00"), Z),
        "2200": (D("4.00"), Z),
        "1100": (Z, D("24.00")),
    }
    assert stock(c.url, ret.id) == [(c.item, c.wh, D("1"), D("5.00"))]
    assert_clean(c.url)


def test_purchase_return_unbilled_billed_and_cost_difference(c):
    _, gr1 = c.purchase([(c.item, "10", "5.00")])
    _, gr2 = c.purchase([(c.item, "10", "7.00")])  # average now 120.00 / 20 = 6.00
    ret = c.post(
        "purchase_return",
        {"source_document_id": gr1.id, "lines": [{"source_line_id": gr1.lines[0].id, "qty": "2"}]},
    )
    # 2 leave at average 6.00 = 12.00; GRNI cleared at receipt price 2 × 5.00 = 10.00;
    # difference 2.00 is price variance
    assert journal(c.url, ret.id) == {
        "2100": (D("10.00"), Z),
        "5100": (D("2.00"), Z),
        "1200": (Z, D("12.00")),
    }
    bill = c.post(
        "supplier_bill",
        {"supplier_id": c.supplier, "lines": [{"source_line_id": gr2.lines[0].id, "qty": "10"}]},
    )
    assert bill.gross_total == D("84.00")  # 70.00 + 20 % VAT
    ret2 = c.post(
        "purchase_return",
        {"source_document_id": gr2.id, "lines": [{"source_line_id": gr2.lines[0].id, "qty": "3"}]},
    )
    # stock 18 @ 108.00 → 3 leave at 18.00; billed goods: debit note 3 × 7.00 = 21.00 + VAT
    # 4.20 against AP; cost difference 18.00 − 21.00 = −3.00 (credit PPV)
    assert journal(c.url, ret2.id) == {
        "2000": (D("25.20"), Z),
        "1300": (Z, D("4.20")),
        "1200": (Z, D("18.00")),
        "5100": (Z, D("3.00")),
    }
    assert_clean(c.url)


def test_transfer_dispatch_and_receive(c):
    c.purchase([(c.item, "10", "5.00")])
    tr = c.post(
        "stock_transfer",
        {
            "warehouse_id": c.wh,
            "to_warehouse_id": c.wh2,
            "lines": [{"item_id": c.item, "qty": "4"}],
        },
    )
    assert journal(c.url, tr.id) == {"1210": (D("20.00"), Z), "1200": (Z, D("20.00"))}
    assert_clean(c.url)
    later = DAY0 + dt.timedelta(days=2)
    c.run(lambda ctx: receive_transfer(ctx, tr.id, later), day=later)
    # dispatch + receive: 1210 in and out, 1200 out of MAIN and into NORTH
    assert journal(c.url, tr.id) == {
        "1210": (D("20.00"), D("20.00")),
        "1200": (D("20.00"), D("20.00")),
    }
    with session_scope(c.url) as s:
        north = s.get(StockBalance, (c.item, c.wh2))
        assert (north.qty, north.value) == (D("4"), D("20.00"))
    assert_clean(c.url)


def test_stock_count_surplus_and_opening_stock(c):
    c.purchase([(c.item, "48", "11.00")])
    count = c.post(
        "stock_count", {"warehouse_id": c.wh, "lines": [{"item_id": c.item, "qty": "50"}]}
    )
    # 2 found × average 11.00 = 22.00 surplus
    assert journal(c.url, count.id) == {"1200": (D("22.00"), Z), "5200": (Z, D("22.00"))}
    opening = c.post(
        "stock_count",
        {
            "warehouse_id": c.wh2,
            "is_opening": True,
            "lines": [{"item_id": c.item2, "qty": "10", "unit_cost": "3.00"}],
        },
    )
    # opening stock 10 × 3.00 = 30.00 against owner's equity
    assert journal(c.url, opening.id) == {"1200": (D("30.00"), Z), "3000": (Z, D("30.00"))}
    assert_clean(c.url)


def test_manual_journal_entry(c):
    je = c.post(
        "journal_entry",
        {
            "memo": "rent",
            "lines": [
                {"account_code": "6110", "debit": "1000.00"},
                {"account_code": "1000", "credit": "1000.00"},
            ],
        },
    )
    assert journal(c.url, je.id) == {"6110": (D("1000.00"), Z), "1000": (Z, D("1000.00"))}


def test_cancel_posts_exact_reversal(c):
    c.purchase([(c.item, "10", "5.00")])
    so, dn = c.sell([(c.item, "3", "20.00")], freight="7.50")
    later = DAY0 + dt.timedelta(days=1)
    c.cancel(dn.id, later)
    assert journal(c.url, dn.id, reversal=True) == {
        "5000": (Z, D("15.00")),
        "1200": (D("15.00"), Z),
        "6000": (Z, D("7.50")),
        "2300": (D("7.50"), Z),
    }
    rows = stock(c.url, dn.id)
    assert rows == [(c.item, c.wh, D("-3"), D("-15.00")), (c.item, c.wh, D("3"), D("15.00"))]
    with session_scope(c.url) as s:
        from transactional.models import Document

        assert s.get(Document, so.id).lines[0].delivered_qty == 0
        assert s.get(Document, dn.id).status == "cancelled"
        assert s.get(StockBalance, (c.item, c.wh)).qty == D("10")
    assert_clean(c.url)


def test_partial_fulfilment_statuses(c):
    c.purchase([(c.item, "10", "5.00")])
    so = c.post(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "5"}],
        },
    )
    assert so.fulfilment_status == "open"
    c.post(
        "delivery",
        {"source_document_id": so.id, "lines": [{"source_line_id": so.lines[0].id, "qty": "2"}]},
    )
    with session_scope(c.url) as s:
        from transactional.models import Document

        assert s.get(Document, so.id).fulfilment_status == "partly"
    c.post(
        "delivery",
        {"source_document_id": so.id, "lines": [{"source_line_id": so.lines[0].id, "qty": "3"}]},
    )
    with session_scope(c.url) as s:
        doc = s.get(Document, so.id)
        assert doc.fulfilment_status == "fully" and doc.lines[0].delivered_qty == D("5")

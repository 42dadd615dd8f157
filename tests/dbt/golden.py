"""The golden company of the warehouse tests: a few documents over two months, posted
through the service layer, whose marts are computed by hand in test_golden_marts.py.

January 2026                                  February 2026
 05 JE   owner puts 5,000 in the bank           03 SO2  2 gadgets @ 50, promised 04
 05 PO1+GR1 100 widgets @ 10 (S1), on time      05 DN2  ships them (late), SI2 invoices
 08 PO3+GR3 12 gadgets @ 30 (S2), on time       10 SP1  pays S1 1,000 (900 to SB1)
 10 PO2  110 widgets @ 12 (S1), due 17          15 CP1  C1 pays 2,100 (2,000 to SI1)
 20 GR2  accepts 100, rejects 10 (3 days late)  16 CP2  50 paid, cancelled on 17
 25 SB1  bills GR1 at 10.50 (PPV 50)            20 SR1  10 widgets come back
 26 SO1  150 widgets @ 20 (+5 lost), promised 28  25 SC1 count finds 58 widgets (2 short)
 27 DN1  ships 150 (freight 30, arrives 28)     26 ST1  8 widgets MAIN → NORTH, in transit
 27 SI1  invoices 150, due on receipt          28 JE   rent 500 paid
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tests.core.company import Company, build_company
from transactional.db import session_scope
from transactional.services import create_master, update_master
from transactional.services.base import Context

D = dt.date


@dataclass
class Golden:
    """Ids of the golden company's records that the assertions name."""

    company: Company
    supplier2: int
    docs: dict[str, int]


def build_golden(url: str) -> Golden:
    """Post the golden scenario into the migrated, empty OLTP at `url`."""
    c = build_company(url)
    with session_scope(url) as s:
        ctx = Context(s, username="setup", role="admin")
        s2 = create_master(
            ctx,
            "supplier",
            {
                "code": "S2",
                "name": "Gadget Works",
                "payment_terms_days": 30,
                "default_lead_time_days": 7,
            },
        ).id
        # widgets are kept in stock at MAIN by a reorder rule; gadgets are made to order
        create_master(
            ctx,
            "reorder_rule",
            {"item_id": c.item, "warehouse_id": c.wh, "reorder_level": "40", "reorder_qty": "100"},
        )
        create_master(
            ctx,
            "reorder_rule",
            {
                "item_id": c.item,
                "warehouse_id": c.wh2,
                "reorder_level": "0",
                "reorder_qty": "10",
                "active": False,
            },
        )
        update_master(ctx, "item", c.item2, {"supply_mode": "make_to_order"})
    docs: dict[str, int] = {}

    def post(key, doc_type, data, day):
        doc = c.post(doc_type, data, day)
        docs[key] = doc.id
        return doc

    def receive(key, po, day, accepted=None, rejected=None):
        lines = [
            {"source_line_id": ln.id, "qty": accepted or ln.qty, "rejected_qty": rejected or "0"}
            for ln in po.lines
        ]
        return post(key, "goods_receipt", {"source_document_id": po.id, "lines": lines}, day)

    post(
        "je_owner",
        "journal_entry",
        {
            "lines": [
                {"account_code": "1000", "debit": "5000"},
                {"account_code": "3000", "credit": "5000"},
            ]
        },
        D(2026, 1, 5),
    )
    po1 = post(
        "po1",
        "purchase_order",
        {
            "supplier_id": c.supplier,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "100", "unit_price": "10"}],
        },
        D(2026, 1, 5),
    )
    gr1 = receive("gr1", po1, D(2026, 1, 5))
    po3 = post(
        "po3",
        "purchase_order",
        {
            "supplier_id": s2,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item2, "qty": "12", "unit_price": "30"}],
        },
        D(2026, 1, 8),
    )
    receive("gr3", po3, D(2026, 1, 8))
    po2 = post(
        "po2",
        "purchase_order",
        {
            "supplier_id": c.supplier,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "110", "unit_price": "12"}],
        },
        D(2026, 1, 10),
    )
    receive("gr2", po2, D(2026, 1, 20), accepted="100", rejected="10")
    sb1 = post(
        "sb1",
        "supplier_bill",
        {
            "supplier_id": c.supplier,
            "lines": [{"source_line_id": gr1.lines[0].id, "qty": "100", "unit_price": "10.50"}],
        },
        D(2026, 1, 25),
    )
    so1 = post(
        "so1",
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "expected_date": D(2026, 1, 28),
            "lines": [{"item_id": c.item, "qty": "150", "unit_price": "20", "lost_qty": "5"}],
        },
        D(2026, 1, 26),
    )
    dn1 = post(
        "dn1",
        "delivery",
        {
            "source_document_id": so1.id,
            "carrier_id": c.carrier,
            "freight_cost": "30",
            "delivered_on": D(2026, 1, 28),
            "lines": [{"source_line_id": so1.lines[0].id, "qty": "150"}],
        },
        D(2026, 1, 27),
    )
    si1 = post(
        "si1",
        "sales_invoice",
        {
            "source_document_id": so1.id,
            "due_date": D(2026, 1, 27),
            "lines": [{"source_line_id": so1.lines[0].id, "qty": "150"}],
        },
        D(2026, 1, 27),
    )
    so2 = post(
        "so2",
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "expected_date": D(2026, 2, 4),
            "lines": [{"item_id": c.item2, "qty": "2", "unit_price": "50"}],
        },
        D(2026, 2, 3),
    )
    post(
        "dn2",
        "delivery",
        {
            "source_document_id": so2.id,
            "carrier_id": c.carrier,
            "lines": [{"source_line_id": so2.lines[0].id, "qty": "2"}],
        },
        D(2026, 2, 5),
    )
    post(
        "si2",
        "sales_invoice",
        {"source_document_id": so2.id, "lines": [{"source_line_id": so2.lines[0].id, "qty": "2"}]},
        D(2026, 2, 5),
    )
    post(
        "sp1",
        "supplier_payment",
        {
            "supplier_id": c.supplier,
            "amount": "1000",
            "lines": [{"allocated_document_id": sb1.id, "amount": "900"}],
        },
        D(2026, 2, 10),
    )
    post(
        "cp1",
        "customer_payment",
        {
            "customer_id": c.customer,
            "amount": "2100",
            "lines": [{"allocated_document_id": si1.id, "amount": "2000"}],
        },
        D(2026, 2, 15),
    )
    cp2 = post(
        "cp2", "customer_payment", {"customer_id": c.customer, "amount": "50"}, D(2026, 2, 16)
    )
    c.cancel(cp2.id, D(2026, 2, 17))
    post(
        "sr1",
        "sales_return",
        {"source_document_id": dn1.id, "lines": [{"source_line_id": dn1.lines[0].id, "qty": "10"}]},
        D(2026, 2, 20),
    )
    post(
        "sc1",
        "stock_count",
        {"warehouse_id": c.wh, "lines": [{"item_id": c.item, "qty": "58"}]},
        D(2026, 2, 25),
    )
    post(
        "st1",
        "stock_transfer",
        {
            "warehouse_id": c.wh,
            "to_warehouse_id": c.wh2,
            "lines": [{"item_id": c.item, "qty": "8"}],
        },
        D(2026, 2, 26),
    )
    post(
        "je_rent",
        "journal_entry",
        {
            "lines": [
                {"account_code": "6110", "debit": "500"},
                {"account_code": "1000", "credit": "500"},
            ]
        },
        D(2026, 2, 28),
    )
    return Golden(c, s2, docs)


def ids(warehouse, *names: str) -> tuple[int, ...]:
    """Ids of the golden company's records by name (supplier2 = the gadget supplier)."""
    g = warehouse.golden
    return tuple(g.supplier2 if n == "supplier2" else getattr(g.company, n) for n in names)

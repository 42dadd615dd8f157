"""A tiny company built through the service layer, shared by core tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from transactional.commands import COMMANDS
from transactional.db import session_factory
from transactional.services import (
    Context,
    cancel_document,
    create_draft,
    create_master,
    post_document,
)

D = Decimal
DAY0 = dt.date(2026, 1, 5)


def fixed_clock(day: dt.date = DAY0):
    return lambda: dt.datetime.combine(day, dt.time(12, 0))


@dataclass
class Company:
    url: str
    item: int
    item2: int
    wh: int
    wh2: int
    customer: int
    supplier: int
    carrier: int

    def ctx(self, session, role="admin", day: dt.date = DAY0) -> Context:
        return Context(session, username=f"test-{role}", role=role, clock=fixed_clock(day))

    def run(self, fn, *args, role="admin", day: dt.date = DAY0, **kwargs):
        """Run one service call in its own transaction (rolled back on error)."""
        session = session_factory(self.url)()
        try:
            result = fn(self.ctx(session, role, day), *args, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def post(self, doc_type: str, data: dict, day: dt.date = DAY0):
        """Create and post a document in one transaction; returns the document."""

        def _do(ctx):
            doc = create_draft(ctx, doc_type, dated(doc_type, data, day))
            return post_document(ctx, doc.id)

        return self.run(_do, day=day)

    def draft(self, doc_type: str, data: dict, day: dt.date = DAY0):
        return self.run(
            lambda ctx: create_draft(ctx, doc_type, dated(doc_type, data, day)), day=day
        )

    def cancel(self, doc_id: int, day: dt.date = DAY0):
        return self.run(lambda ctx: cancel_document(ctx, doc_id, day), day=day)

    # -- business helpers
    def purchase(self, lines: list[tuple[int, str, str]], day=DAY0, supplier=None, wh=None):
        """Approve a PO and receive it fully: lines of (item, qty, price)."""
        po = self.post(
            "purchase_order",
            {
                "supplier_id": supplier or self.supplier,
                "warehouse_id": wh or self.wh,
                "lines": [{"item_id": i, "qty": q, "unit_price": p} for i, q, p in lines],
            },
            day,
        )
        gr = self.post(
            "goods_receipt",
            {
                "source_document_id": po.id,
                "lines": [{"source_line_id": ln.id, "qty": ln.qty} for ln in po.lines],
            },
            day,
        )
        return po, gr

    def sell(self, lines: list[tuple[int, str, str]], day=DAY0, wh=None, freight="0"):
        """Confirm a sales order and deliver it fully: lines of (item, qty, price)."""
        so = self.post(
            "sales_order",
            {
                "customer_id": self.customer,
                "warehouse_id": wh or self.wh,
                "lines": [{"item_id": i, "qty": q, "unit_price": p} for i, q, p in lines],
            },
            day,
        )
        dn = self.post(
            "delivery",
            {
                "source_document_id": so.id,
                "carrier_id": self.carrier,
                "freight_cost": freight,
                "lines": [{"source_line_id": ln.id, "qty": ln.qty} for ln in so.lines],
            },
            day,
        )
        return so, dn


def dated(doc_type: str, data: dict, day: dt.date) -> dict:
    """The command's data dated `day` unless it says otherwise (a year close has no date
    of its own: it is dated 31 December of its year)."""
    if "doc_date" not in COMMANDS[doc_type].model_fields:
        return data
    return {"doc_date": day, **data}


def build_company(url: str) -> Company:
    session = session_factory(url)()
    ctx = Context(session, username="setup", role="admin", clock=fixed_clock())
    item = create_master(
        ctx,
        "item",
        {
            "sku": "WID-1",
            "name": "Widget",
            "category": "Widgets",
            "vat_rate": "0.20",
            "list_price": "20.00",
        },
    )
    item2 = create_master(
        ctx,
        "item",
        {
            "sku": "GAD-1",
            "name": "Gadget",
            "category": "Gadgets",
            "vat_rate": "0.10",
            "list_price": "50.00",
            "pack_size": "6",
            "moq": "12",
        },
    )
    wh = create_master(ctx, "warehouse", {"code": "MAIN", "name": "Main"})
    wh2 = create_master(ctx, "warehouse", {"code": "NORTH", "name": "North"})
    cust = create_master(
        ctx,
        "customer",
        {
            "code": "C1",
            "name": "Acme",
            "region": "West",
            "credit_limit": "0",
            "payment_terms_days": 30,
        },
    )
    sup = create_master(
        ctx,
        "supplier",
        {
            "code": "S1",
            "name": "Supplies Ltd",
            "payment_terms_days": 30,
            "default_lead_time_days": 7,
        },
    )
    car = create_master(ctx, "carrier", {"code": "FAST", "name": "Fast Freight"})
    session.commit()
    company = Company(url, item.id, item2.id, wh.id, wh2.id, cust.id, sup.id, car.id)
    session.close()
    return company

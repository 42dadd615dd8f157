"""A small company whose history arrives in batches, through the service layer.

Each batch exercises a way rows change between two extracts: new documents and ledger
rows, source documents whose tallies move (order lines delivered/invoiced, invoices
paid), drafts edited (lines replaced) and deleted, cancellations (reversal rows), a
transfer received later, master data changed.
"""

from __future__ import annotations

import datetime as dt

from tests.core.company import DAY0, Company, build_company
from transactional.services import (
    create_user,
    delete_draft,
    receive_transfer,
    update_draft,
    update_master,
)


def day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def batch_1(url: str) -> Company:
    """Opening purchases, two sales (one invoiced and half paid), a draft order."""
    c = build_company(url)
    c.run(lambda ctx: create_user(ctx.session, "ann", "planner", "s3cret-pass"))
    c.purchase([(c.item, "40", "5.00"), (c.item2, "24", "12.50")], day=day(0))
    so, _dn = c.sell([(c.item, "6", "20.00"), (c.item2, "2", "49.90")], day=day(1), freight="7.50")
    inv = c.post(
        "sales_invoice",
        {
            "source_document_id": so.id,
            "lines": [{"source_line_id": ln.id, "qty": ln.qty} for ln in so.lines],
        },
        day(2),
    )
    c.post(
        "customer_payment",
        {
            "customer_id": c.customer,
            "amount": "100.00",
            "lines": [{"allocated_document_id": inv.id, "amount": "100.00"}],
        },
        day(3),
    )
    c.sell([(c.item, "3", "21.00")], day=day(3))
    draft = c.draft(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "2", "unit_price": "20.00"}],
        },
        day(4),
    )
    c.extra = {"invoice": inv.id, "draft": draft.id}
    return c


def batch_2(c: Company) -> None:
    """The invoice paid off (an old document changes), the draft edited, a transfer."""
    inv = c.extra["invoice"]
    c.post(
        "customer_payment",
        {
            "customer_id": c.customer,
            "amount": "60.96",
            "lines": [{"allocated_document_id": inv, "amount": "60.96"}],
        },
        day(10),
    )
    c.run(
        lambda ctx: update_draft(
            ctx,
            c.extra["draft"],
            {
                "doc_date": day(10),
                "lines": [
                    {"item_id": c.item2, "qty": "1", "unit_price": "55.00"},
                    {"item_id": c.item, "qty": "4", "unit_price": "19.00"},
                ],
            },
        ),
        day=day(10),
    )
    tr = c.post(
        "stock_transfer",
        {
            "warehouse_id": c.wh,
            "to_warehouse_id": c.wh2,
            "lines": [{"item_id": c.item, "qty": "5"}],
        },
        day(11),
    )
    c.extra["transfer"] = tr.id
    doomed = c.draft(
        "purchase_order",
        {
            "supplier_id": c.supplier,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item, "qty": "9", "unit_price": "4.80"}],
        },
        day(11),
    )
    c.extra["doomed"] = doomed.id


def batch_3(c: Company) -> None:
    """A sale cancelled (reversals), a draft deleted, the transfer received, a price
    change on the item master, more purchases at another cost."""
    _so, dn = c.sell([(c.item, "2", "22.00")], day=day(20))
    c.cancel(dn.id, day=day(21))
    c.run(lambda ctx: delete_draft(ctx, c.extra["doomed"]), day=day(21))
    c.run(lambda ctx: receive_transfer(ctx, c.extra["transfer"], day(22)), day=day(22))
    c.run(lambda ctx: update_master(ctx, "item", c.item, {"list_price": "24.00"}), day=day(22))
    c.purchase([(c.item, "10", "6.20")], day=day(23))
    c.post(
        "sales_order",
        {
            "customer_id": c.customer,
            "warehouse_id": c.wh,
            "lines": [{"item_id": c.item2, "qty": "1", "unit_price": "50.00"}],
        },
        day(24),
    )
    c.post(
        "journal_entry",
        {
            "memo": "rent",
            "lines": [
                {"account_code": "6110", "debit": "300.00"},
                {"account_code": "1000", "credit": "300.00"},
            ],
        },
        day(25),
    )


BATCHES_AFTER_FIRST = (batch_2, batch_3)

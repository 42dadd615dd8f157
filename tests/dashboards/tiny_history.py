"""Fifteen months of trading of the tiny company (tests/core/company.py), posted through
the service layer: purchases (one supplier late), sales with lost demand, invoices,
payments (one customer overdue), a return, a shrinkage count and a dead item.

Used only when the demo generator (`small_demo_db`) is not available."""

from __future__ import annotations

import datetime as dt

from tests.core.company import Company, build_company
from transactional.db import session_scope
from transactional.services import Context, create_master
from transactional.services.users import create_user

FIRST_MONTH = dt.date(2025, 1, 1)
MONTHS = 15  # Jan 2025 .. Mar 2026, so March 2026 has a same-month-last-year
ROLES = ("admin", "manager", "sales", "purchasing", "warehouse", "finance", "planner")


def password(role: str) -> str:
    """The same convention as the demo's users: the role name + '-demo'."""
    return f"{role}-demo"


def _month(i: int) -> dt.date:
    y, m = divmod(FIRST_MONTH.month - 1 + i, 12)
    return dt.date(FIRST_MONTH.year + y, m + 1, 1)


def create_users(url: str) -> None:
    """One user per role, named after it (password: see `password`)."""
    with session_scope(url) as session:
        for role in ROLES:
            create_user(session, role, role, password(role))


def build_tiny_history(url: str) -> Company:
    """Build the company and its history in the (migrated, empty) database at `url`."""
    co = build_company(url)
    with session_scope(url) as session:
        ctx = Context(session, username="setup", role="admin")
        dead = create_master(ctx, "item", {"sku": "OLD-1", "name": "Old lamp",
                                           "category": "Gadgets", "list_price": "40.00"})
        cust2 = create_master(ctx, "customer", {"code": "C2", "name": "Bolt & Co",
                                                "region": "East", "payment_terms_days": 14})
        sup2 = create_master(ctx, "supplier", {"code": "S2", "name": "Slow Parts",
                                               "default_lead_time_days": 10})
        dead_id, cust2_id, sup2_id = dead.id, cust2.id, sup2.id
    create_users(url)
    co.post("journal_entry", {"memo": "opening capital", "lines": [
        {"account_code": "1000", "debit": "50000"},
        {"account_code": "3000", "credit": "50000"}]}, FIRST_MONTH)
    _buy(co, sup2_id, [(dead_id, "20", "25.00")], FIRST_MONTH, late_days=0)
    unpaid: list[int] = []
    for i in range(MONTHS):
        m = _month(i)
        price = "10.00" if i % 3 else "10.50"
        _buy(co, co.supplier, [(co.item, "100", price), (co.item2, "24", "30.00")], m, 0)
        slow_po = None
        if i % 4 == 1:  # the slow supplier: promised on the 13th, arrives on the 25th
            slow_po = co.post("purchase_order", {
                "supplier_id": sup2_id, "warehouse_id": co.wh,
                "lines": [{"item_id": co.item, "qty": "30", "unit_price": "9.80"}]},
                m + dt.timedelta(days=2))
        for week, day in enumerate((8, 15, 22)):
            qty = 20 + (i % 5) + week * 2  # a little trend and noise
            lost = "3" if (i == MONTHS - 1 and week == 2) else "0"
            customer = co.customer if week < 2 else cust2_id
            inv = _sell(co, customer, [(co.item, str(qty), "20.00", lost),
                                       (co.item2, "5", "50.00", "0")],
                        m + dt.timedelta(days=day - 1), freight="12.50")
            if customer == cust2_id and i >= MONTHS - 3:
                unpaid.append(inv.id)
            else:
                co.post("customer_payment", {"customer_id": customer,
                                             "amount": str(inv.gross_total), "lines": [
                                                 {"allocated_document_id": inv.id,
                                                  "amount": str(inv.gross_total)}]},
                        m + dt.timedelta(days=day + 5))
        if slow_po is not None:
            _receive(co, sup2_id, slow_po, m + dt.timedelta(days=24), bill_price="10.00")
        if i == MONTHS - 2:
            _return_last_delivery(co, m + dt.timedelta(days=25))
        if i == 6:
            co.post("stock_count", {"warehouse_id": co.wh, "lines": [
                {"item_id": co.item2, "qty": _on_hand(co, co.item2, m) - 2}]},
                m + dt.timedelta(days=27))
        co.post("journal_entry", {"memo": "rent", "lines": [
            {"account_code": "6100", "debit": "800"},
            {"account_code": "1000", "credit": "800"}]}, m + dt.timedelta(days=27))
    return co


def _on_hand(co: Company, item: int, day: dt.date):
    from sqlalchemy import select

    from transactional.models import StockBalance
    with session_scope(co.url) as session:
        return session.execute(select(StockBalance.qty).where(
            StockBalance.item_id == item, StockBalance.warehouse_id == co.wh)).scalar_one()


def _buy(co: Company, supplier: int, lines, day: dt.date, late_days: int) -> None:
    """Approve a PO and receive it (late_days after its promise, else at once)."""
    po = co.post("purchase_order", {"supplier_id": supplier, "warehouse_id": co.wh,
                                    "lines": [{"item_id": i, "qty": q, "unit_price": p}
                                              for i, q, p in lines]}, day)
    _receive(co, supplier, po, po.expected_date + dt.timedelta(days=late_days)
             if late_days else day)


def _receive(co: Company, supplier: int, po, arrive: dt.date, bill_price=None) -> None:
    """Receive a PO in full on `arrive`, bill it the same day (at `bill_price` when given:
    a price variance) and pay 20 days later."""
    gr = co.post("goods_receipt", {"source_document_id": po.id, "lines": [
        {"source_line_id": ln.id, "qty": ln.qty} for ln in po.lines]}, arrive)
    bill = co.post("supplier_bill", {"supplier_id": supplier, "lines": [
        {"source_line_id": ln.id, "qty": ln.qty,
         **({"unit_price": bill_price} if bill_price else {})} for ln in gr.lines]}, arrive)
    co.post("supplier_payment", {"supplier_id": supplier, "amount": str(bill.gross_total),
                                 "lines": [{"allocated_document_id": bill.id,
                                            "amount": str(bill.gross_total)}]},
            arrive + dt.timedelta(days=20))


def _sell(co: Company, customer: int, lines, day: dt.date, freight: str):
    """Confirm an order, deliver (arrives two days later) and invoice it."""
    so = co.post("sales_order", {"customer_id": customer, "warehouse_id": co.wh,
                                 "expected_date": day + dt.timedelta(days=2),
                                 "lines": [{"item_id": i, "qty": q, "unit_price": p,
                                            "lost_qty": lost} for i, q, p, lost in lines]},
                 day)
    co.post("delivery", {"source_document_id": so.id, "carrier_id": co.carrier,
                         "freight_cost": freight, "delivered_on": day + dt.timedelta(days=2),
                         "lines": [{"source_line_id": ln.id, "qty": ln.qty}
                                   for ln in so.lines]}, day)
    return co.post("sales_invoice", {"source_document_id": so.id, "lines": [
        {"source_line_id": ln.id, "qty": ln.qty} for ln in so.lines]}, day)


def _return_last_delivery(co: Company, day: dt.date) -> None:
    from sqlalchemy import select

    from transactional.models import Document
    with session_scope(co.url) as session:
        dn = session.execute(select(Document).where(Document.doc_type == "delivery",
                                                    Document.doc_date <= day)
                             .order_by(Document.id.desc()).limit(1)).scalar_one()
        line_id = dn.lines[0].id
        dn_id = dn.id
    co.post("sales_return", {"source_document_id": dn_id,
                             "lines": [{"source_line_id": line_id, "qty": "2"}]}, day)

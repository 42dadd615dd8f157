"""The `small` demo company (shared session fixture): the ledger invariants hold, every
document type is there, the books balance, stock never went negative, and the history
carries the features analysts look for."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from demo import demo_logins
from transactional.check import run_checks
from transactional.db import session_scope
from transactional.models import (
    Document,
    DocumentLine,
    JournalEntry,
    JournalLine,
    StockBalance,
    StockLedgerEntry,
    User,
)
from transactional.permissions import DOCUMENT_TYPES
from transactional.services.base import CLOSE_TYPES
from transactional.services.users import authenticate


@pytest.fixture(scope="module")
def s(small_demo_db):
    with session_scope(small_demo_db) as session:
        yield session


def test_all_invariants_hold(s):
    results = run_checks(s)
    assert {k: v[:3] for k, v in results.items() if v} == {}


def test_every_document_type_and_cancellations(s):
    types = Counter(
        dict(s.execute(select(Document.doc_type, func.count()).group_by(Document.doc_type)).all())
    )
    # all but the year close: the six months (September to February) end before
    # December's close on the 10th of March (the 15-month demo has it: test_realism.py)
    assert sorted(types) == sorted(set(DOCUMENT_TYPES) - {"year_close"})
    cancelled = set(
        s.execute(select(Document.doc_type).where(Document.status == "cancelled")).scalars()
    )
    # a few of each kind a real company cancels: orders, shipments, invoices, payments…
    assert {
        "sales_order",
        "delivery",
        "sales_invoice",
        "customer_payment",
        "purchase_order",
        "goods_receipt",
        "supplier_bill",
        "journal_entry",
    } <= cancelled
    assert (
        s.execute(
            select(func.count())
            .select_from(Document)
            .where(Document.doc_type == "purchase_order", Document.status == "rejected")
        ).scalar_one()
        > 0
    )
    assert set(s.execute(select(Document.origin)).scalars()) == {"demo"}


def test_books_balance_and_opening_balances(s):
    debit, credit = s.execute(
        select(func.sum(JournalLine.debit), func.sum(JournalLine.credit))
    ).one()
    assert Decimal(str(debit)).quantize(Decimal("0.01")) == Decimal(str(credit)).quantize(
        Decimal("0.01")
    )
    opening = s.execute(select(Document).where(Document.is_opening.is_(True))).scalars().all()
    assert opening and all(d.doc_type == "stock_count" for d in opening)
    accounts = set(
        s.execute(
            select(JournalLine.account_code)
            .join(JournalEntry)
            .where(JournalEntry.doc_type == "journal_entry")
        ).scalars()
    )
    assert {"1000", "3000", "6110", "6120", "6130", "2300"} <= accounts


def test_stock_never_negative(s):
    assert s.execute(select(func.min(StockLedgerEntry.running_qty))).scalar_one() >= 0
    assert s.execute(select(func.min(StockBalance.qty))).scalar_one() >= 0


def test_lost_demand_recorded_on_order_lines(s):
    qty, lost = s.execute(
        select(func.sum(DocumentLine.qty), func.sum(DocumentLine.lost_qty))
        .join(Document, Document.id == DocumentLine.document_id)
        .where(Document.doc_type == "sales_order")
    ).one()
    assert 0.01 < lost / (qty + lost) < 0.25
    only_lost = s.execute(
        select(func.count())
        .select_from(DocumentLine)
        .join(Document, Document.id == DocumentLine.document_id)
        .where(Document.doc_type == "sales_order", DocumentLine.qty == 0)
    ).scalar_one()
    assert only_lost > 0  # whole lines lost to a stockout still show the demand


def test_deliveries_carry_freight_and_some_arrive_late(s):
    rows = s.execute(
        select(
            Document.carrier_id,
            Document.tracking_number,
            Document.freight_cost,
            Document.delivered_on,
            Document.doc_date,
            Document.source_document_id,
        ).where(Document.doc_type == "delivery")
    ).all()
    assert all(r.carrier_id and r.tracking_number and r.freight_cost > 0 for r in rows)
    assert all(r.delivered_on >= r.doc_date for r in rows)
    promised = dict(
        s.execute(
            select(Document.id, Document.expected_date).where(Document.doc_type == "sales_order")
        ).all()
    )
    late = sum(r.delivered_on > promised[r.source_document_id] for r in rows)
    assert 0.02 < late / len(rows) < 0.6


def test_purchasing_has_partial_deliveries_rejects_and_price_variance(s):
    receipts = Counter(
        s.execute(
            select(Document.source_document_id).where(
                Document.doc_type == "goods_receipt", Document.status == "posted"
            )
        ).scalars()
    )
    assert any(n > 1 for n in receipts.values())  # partial deliveries
    assert s.execute(select(func.sum(DocumentLine.rejected_qty))).scalar_one() > 0
    ppv = s.execute(
        select(func.count()).select_from(JournalLine).where(JournalLine.account_code == "5100")
    ).scalar_one()
    assert ppv > 0


def test_receivables_partly_overdue_at_the_end(s):
    end = s.execute(select(func.max(Document.doc_date))).scalar_one()
    overdue = s.execute(
        select(func.count())
        .select_from(Document)
        .where(
            Document.doc_type == "sales_invoice",
            Document.status == "posted",
            Document.paid_amount < Document.gross_total,
            Document.due_date < end,
        )
    ).scalar_one()
    paid_late = s.execute(
        select(func.count())
        .select_from(Document)
        .where(Document.doc_type == "sales_invoice", Document.paid_amount > 0)
    ).scalar_one()
    assert overdue > 0 and paid_late > 0


def test_credit_notes_are_deducted_from_later_payments(s):
    """Customers take their credit notes off the next payment, so credits do not pile up
    as open items (AR ageing would show them as a negative 90+ bucket)."""
    notes = s.execute(
        select(Document.gross_total, Document.paid_amount).where(
            Document.doc_type == "sales_return", Document.status == "posted"
        )
    ).all()
    applied = [g for g, p in notes if p == -g]
    assert len(notes) > 10
    assert all(p in (0, -g) for g, p in notes)  # the demo applies a note whole
    assert len(applied) / len(notes) > 0.8
    still_open = sum(g for g, p in notes if p == 0)
    assert still_open < Decimal("0.1") * sum(g for g, _ in notes)


def test_periods_older_than_two_months_are_closed(s):
    end = s.execute(
        select(func.max(Document.doc_date)).where(Document.doc_type.notin_(CLOSE_TYPES))
    ).scalar_one()
    closed = s.execute(
        select(func.max(Document.doc_date)).where(
            Document.doc_type.in_(CLOSE_TYPES), Document.status == "posted"
        )
    ).scalar_one()
    assert 55 <= (end - closed).days <= 130


def test_transfers_dispatched_then_received_later(s):
    rows = s.execute(
        select(Document.doc_date, Document.received_on, Document.transfer_state).where(
            Document.doc_type == "stock_transfer", Document.status == "posted"
        )
    ).all()
    received = [r for r in rows if r.transfer_state == "received"]
    assert received and all(r.received_on > r.doc_date for r in received)


def test_demo_users_one_per_role(s):
    users = dict(s.execute(select(User.username, User.role)).all())
    for username, password in demo_logins():
        assert users[username] == username
        assert authenticate(s, username, password) is not None
    assert authenticate(s, "planner", "planner") is None


def test_the_naive_reorder_rule_is_stored_as_data(s):
    """Every item the demo created has a reorder rule per real warehouse with exactly the
    level and quantity of the generator's naive policy, and every purchase order line is
    a whole number of its stored rule's quantity (the review read the stored rules)."""
    from demo.config import make_config
    from demo.engine import plan
    from demo.setup import reorder_policy
    from tests.conftest import SMALL_DEMO
    from transactional.models import Item, ReorderRule, Warehouse

    world, demand, _ = plan(make_config(**SMALL_DEMO))
    level, qty = reorder_policy(world, demand)
    item = {it.sku: it.idx for it in world.items}
    wh = {w.code: w.idx for w in world.warehouses}
    rules = s.execute(
        select(
            Item.sku,
            Warehouse.code,
            ReorderRule.reorder_level,
            ReorderRule.reorder_qty,
            ReorderRule.active,
        )
        .join(Item, Item.id == ReorderRule.item_id)
        .join(Warehouse, Warehouse.id == ReorderRule.warehouse_id)
    ).all()
    created = set(s.execute(select(Item.sku)).scalars())
    assert {(sku, code) for sku, code, *_ in rules} == {
        (sku, code) for sku in created for code in wh
    }
    assert all(
        (Decimal(lv), Decimal(q), active)
        == (int(level[item[sku], wh[code]]), int(qty[item[sku], wh[code]]), True)
        for sku, code, lv, q, active in rules
    )
    stored = {(sku, code): Decimal(q) for sku, code, _, q, _ in rules}
    lines = s.execute(
        select(Item.sku, Warehouse.code, DocumentLine.qty)
        .join(Document, Document.id == DocumentLine.document_id)
        .join(Item, Item.id == DocumentLine.item_id)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .where(Document.doc_type == "purchase_order")
    ).all()
    assert lines and all(Decimal(q) % stored[(sku, code)] == 0 for sku, code, q in lines)
    assert set(s.execute(select(Item.supply_mode)).scalars()) == {"make_to_stock"}

"""`qm check`: the six ledger invariants (docs/ledger.md), verified against the database.

Each check returns human-readable violations; an empty list means the invariant holds.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transactional.chart import INVENTORY_ACCOUNTS
from transactional.ledger import money
from transactional.models import (
    Document,
    JournalEntry,
    JournalLine,
    StockBalance,
    StockLedgerEntry,
    Warehouse,
)
from transactional.services.base import CLOSE_TYPES, filled
from transactional.services.finance import pnl_balances

ZERO = Decimal(0)


def entries_balance(session: Session) -> list[str]:
    rows = session.execute(
        select(
            JournalLine.entry_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit)
        ).group_by(JournalLine.entry_id)
    ).all()
    return [
        f"journal entry {eid} does not balance: debit {money(d)} ≠ credit {money(c)}"
        for eid, d, c in rows
        if money(Decimal(d)) != money(Decimal(c))
    ]


def inventory_agrees(session: Session) -> list[str]:
    problems = []
    gl = session.execute(
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
            JournalLine.account_code.in_(INVENTORY_ACCOUNTS)
        )
    ).scalar_one()
    ledger = session.execute(
        select(func.coalesce(func.sum(StockLedgerEntry.value), 0))
    ).scalar_one()
    if money(Decimal(gl)) != money(Decimal(ledger)):
        problems.append(
            f"GL inventory 1200+1210 = {money(Decimal(gl))} but stock ledger value "
            f"= {money(Decimal(ledger))}"
        )
    for account, transit in (("1200", False), ("1210", True)):
        gl_acc = session.execute(
            select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0)).where(
                JournalLine.account_code == account
            )
        ).scalar_one()
        led = session.execute(
            select(func.coalesce(func.sum(StockLedgerEntry.value), 0))
            .join(Warehouse, Warehouse.id == StockLedgerEntry.warehouse_id)
            .where(Warehouse.is_transit.is_(transit))
        ).scalar_one()
        if money(Decimal(gl_acc)) != money(Decimal(led)):
            problems.append(
                f"GL {account} = {money(Decimal(gl_acc))} but the stock ledger of "
                f"{'in-transit' if transit else 'real'} warehouses = "
                f"{money(Decimal(led))}"
            )
    sums = {
        (i, w): (Decimal(q), Decimal(v))
        for i, w, q, v in session.execute(
            select(
                StockLedgerEntry.item_id,
                StockLedgerEntry.warehouse_id,
                func.sum(StockLedgerEntry.qty),
                func.sum(StockLedgerEntry.value),
            ).group_by(StockLedgerEntry.item_id, StockLedgerEntry.warehouse_id)
        )
    }
    for bal in session.execute(select(StockBalance)).scalars():
        q, v = sums.pop((bal.item_id, bal.warehouse_id), (ZERO, ZERO))
        if bal.qty != q.quantize(Decimal("0.0001")) or bal.value != money(v):
            problems.append(
                f"item {bal.item_id} warehouse {bal.warehouse_id}: balance "
                f"{bal.qty}/{bal.value} ≠ ledger {q}/{money(v)}"
            )
        if bal.qty < 0:
            problems.append(
                f"item {bal.item_id} warehouse {bal.warehouse_id}: negative stock {bal.qty}"
            )
    for key, (q, v) in sums.items():
        if q or v:
            problems.append(f"item-warehouse {key} has ledger rows but no balance row")
    # running balances of the ledger itself, row by row
    last = session.execute(
        select(
            StockLedgerEntry.item_id, StockLedgerEntry.warehouse_id, func.max(StockLedgerEntry.id)
        ).group_by(StockLedgerEntry.item_id, StockLedgerEntry.warehouse_id)
    ).all()
    for item_id, wh_id, max_id in last:
        row = filled(session.get(StockLedgerEntry, max_id))  # the id was just read
        q, v = (
            Decimal(x)
            for x in session.execute(
                select(func.sum(StockLedgerEntry.qty), func.sum(StockLedgerEntry.value)).where(
                    StockLedgerEntry.item_id == item_id, StockLedgerEntry.warehouse_id == wh_id
                )
            ).one()
        )
        if row.running_qty != q.quantize(Decimal("0.0001")) or row.running_value != money(v):
            problems.append(
                f"item {item_id} warehouse {wh_id}: running balance "
                f"{row.running_qty}/{row.running_value} ≠ Σ {q}/{money(v)}"
            )
    return problems


def subledgers_agree(session: Session) -> list[str]:
    problems = []
    for account, party in (("1100", "customer_id"), ("2000", "supplier_id")):
        col = getattr(JournalLine, party)
        sign = 1 if account == "1100" else -1
        gl = defaultdict(lambda: ZERO)
        for pid, d, c in session.execute(
            select(col, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
            .where(JournalLine.account_code == account)
            .group_by(col)
        ):
            gl[pid] = money(sign * (Decimal(d) - Decimal(c)))
        docs = defaultdict(lambda: ZERO)
        dcol = getattr(Document, party)
        for pid, eff in session.execute(
            select(dcol, func.sum(Document.party_balance_effect))
            .where(Document.status == "posted", dcol.isnot(None))
            .group_by(dcol)
        ):
            docs[pid] = money(Decimal(eff))
        for pid in sorted(set(gl) | set(docs), key=lambda x: (x is None, x)):
            if gl[pid] != docs[pid]:
                problems.append(
                    f"{account} for {party} {pid}: GL {gl[pid]} ≠ open documents {docs[pid]}"
                )
    return problems


def cancelled_net_to_zero(session: Session) -> list[str]:
    problems = []
    stock = session.execute(
        select(
            StockLedgerEntry.document_id,
            StockLedgerEntry.item_id,
            StockLedgerEntry.warehouse_id,
            func.sum(StockLedgerEntry.qty),
            func.sum(StockLedgerEntry.value),
        )
        .join(Document, Document.id == StockLedgerEntry.document_id)
        .where(Document.status == "cancelled")
        .group_by(
            StockLedgerEntry.document_id, StockLedgerEntry.item_id, StockLedgerEntry.warehouse_id
        )
    ).all()
    for doc_id, item_id, wh, q, v in stock:
        if Decimal(q) != 0 or money(Decimal(v)) != 0:
            problems.append(
                f"cancelled document {doc_id}: stock of item {item_id} in {wh} nets to {q}/{v}"
            )
    books = session.execute(
        select(
            JournalEntry.document_id,
            JournalLine.account_code,
            func.sum(JournalLine.debit - JournalLine.credit),
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Document, Document.id == JournalEntry.document_id)
        .where(Document.status == "cancelled")
        .group_by(JournalEntry.document_id, JournalLine.account_code)
    ).all()
    for doc_id, account, net in books:
        if money(Decimal(net)) != 0:
            problems.append(f"cancelled document {doc_id}: account {account} nets to {net}")
    return problems


def nothing_in_closed_periods(session: Session) -> list[str]:
    problems = []
    closes = session.execute(
        select(Document.doc_date, Document.posted_at).where(
            Document.doc_type.in_(CLOSE_TYPES), Document.status == "posted"
        )
    ).all()
    for closed_through, closed_at in closes:
        late = session.execute(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.posting_date <= closed_through, JournalEntry.created_at > closed_at)
        ).scalar_one()
        late += session.execute(
            select(func.count())
            .select_from(StockLedgerEntry)
            .where(
                StockLedgerEntry.posting_date <= closed_through,
                StockLedgerEntry.created_at > closed_at,
            )
        ).scalar_one()
        if late:
            problems.append(
                f"{late} rows posted into the period closed through "
                f"{closed_through} after it was closed"
            )
    return problems


def closed_years_net_to_zero(session: Session) -> list[str]:
    """After a year close, every income and expense account of that year — its closing
    entry included — nets to zero: the whole result went to retained earnings."""
    problems = []
    closes = session.execute(
        select(Document.number, Document.doc_date)
        .where(Document.doc_type == "year_close", Document.status == "posted")
        .order_by(Document.doc_date)
    ).all()
    for number, year_end in closes:
        for account, balance in pnl_balances(session, year_end.year, with_closing=True).items():
            problems.append(
                f"{year_end.year}, closed by {number}: account {account} nets to {balance}"
            )
    return problems


INVARIANTS = {
    "1 every journal entry balances": entries_balance,
    "2 GL inventory = stock ledger; balances = Σ ledger": inventory_agrees,
    "3 AR/AP subledgers = control accounts": subledgers_agree,
    "4 cancelled documents net to zero": cancelled_net_to_zero,
    "5 nothing posted into a closed period": nothing_in_closed_periods,
    "6 closed years leave no balance on income and expense accounts": closed_years_net_to_zero,
}


def run_checks(session: Session) -> dict[str, list[str]]:
    """Run every invariant; returns name → violations (empty lists when all hold)."""
    return {name: fn(session) for name, fn in INVARIANTS.items()}

"""Read models: document lists, stock position, stock ledger, journal, trial balance,
audit log and master-data lists. Every list is keyset-paginated: a page holds at most
`limit` rows and an opaque `next_cursor` that continues after its last row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union
from sqlalchemy.orm import selectinload

from transactional.errors import ValidationError
from transactional.ledger.rules import ZERO, money
from transactional.models import (
    Account,
    AuditLog,
    Base,
    Document,
    DocumentLine,
    Item,
    JournalEntry,
    JournalLine,
    ReorderRule,
    StockBalance,
    StockLedgerEntry,
    Warehouse,
)
from transactional.services.base import Context, get_or_404
from transactional.services.master import TABLES

MAX_LIMIT = 500


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(
            f"limit must be between 1 and {MAX_LIMIT}, got {limit}",
            field="limit",
            value=limit,
            rule=f"range_1_{MAX_LIMIT}",
        )
    return limit


def _int_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise ValidationError(
            "cursor is not one this API handed out",
            field="cursor",
            value=cursor[:40],
            rule="valid_cursor",
        )
    return int(cursor)


def _page(rows: list[Any], limit: int, key: Callable[[Any], str]) -> Page:
    """Rows were fetched with limit + 1: the extra row only says there is more."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, key(rows[-1]))
    return Page(rows, None)


def _check_order(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise ValidationError(
            f"date_from {date_from} is after date_to {date_to}",
            field="date_from",
            value=date_from,
            rule="from_not_after_to",
        )


def _date_range(
    column: Any, date_from: dt.date | None, date_to: dt.date | None
) -> list[ColumnElement[bool]]:
    _check_order(date_from, date_to)
    out: list[ColumnElement[bool]] = []
    if date_from:
        out.append(column >= date_from)
    if date_to:
        out.append(column <= date_to)
    return out


# ---------------------------------------------------------------- documents
def list_documents(
    ctx: Context,
    doc_type: str,
    *,
    status: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    customer_id: int | None = None,
    supplier_id: int | None = None,
    warehouse_id: int | None = None,
    item_id: int | None = None,
    number: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page:
    """Documents of one type, newest first, with their lines."""
    ctx.authorize(doc_type, "read")
    limit, after = _limit(limit), _int_cursor(cursor)
    stmt = (
        select(Document)
        .where(Document.doc_type == doc_type)
        .options(selectinload(Document.lines))
        .order_by(Document.id.desc())
        .limit(limit + 1)
    )
    conditions = _date_range(Document.doc_date, date_from, date_to)
    for column, value in (
        (Document.status, status),
        (Document.customer_id, customer_id),
        (Document.supplier_id, supplier_id),
        (Document.number, number),
    ):
        if value is not None:
            conditions.append(column == value)
    if warehouse_id is not None:
        conditions.append(
            or_(Document.warehouse_id == warehouse_id, Document.to_warehouse_id == warehouse_id)
        )
    if item_id is not None:
        conditions.append(
            Document.id.in_(select(DocumentLine.document_id).where(DocumentLine.item_id == item_id))
        )
    if after is not None:
        conditions.append(Document.id < after)
    rows = ctx.session.execute(stmt.where(*conditions)).scalars().all()
    return _page(list(rows), limit, lambda d: str(d.id))


# ---------------------------------------------------------------- stock
def _open_quantities(
    doc_type: str, statuses: tuple[str, ...], done: Any
) -> Select[tuple[int | None, int | None, Decimal]]:
    """Σ (ordered − done) per item-warehouse over open order lines."""
    remaining = DocumentLine.qty - done
    return (
        select(
            DocumentLine.item_id.label("item_id"),
            Document.warehouse_id.label("warehouse_id"),
            func.sum(remaining).label("qty"),
        )
        .join(Document, DocumentLine.document_id == Document.id)
        .where(
            Document.doc_type == doc_type,
            Document.status.in_(statuses),
            or_(Document.fulfilment_status.is_(None), Document.fulfilment_status != "closed"),
            remaining > 0,
        )
        .group_by(DocumentLine.item_id, Document.warehouse_id)
    )


def stock_balances(
    ctx: Context,
    *,
    item_id: int | None = None,
    warehouse_id: int | None = None,
    search: str | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Per item-warehouse: the item's SKU, name, category and unit, the warehouse's code
    and name, on hand, on order (approved purchase orders not yet received), committed
    (posted sales orders not yet delivered), available = on hand − committed, the stock
    value at moving-average cost and the active reorder rule's level (None without one).
    `search` keeps the rows whose SKU or item name contains it (any case)."""
    ctx.authorize("stock", "read")
    limit = _limit(limit)
    # a goods receipt's rejected quantity stays on order (received_qty counts accepted only)
    on_order = _open_quantities(
        "purchase_order", ("approved",), DocumentLine.received_qty
    ).subquery()
    committed = _open_quantities("sales_order", ("posted",), DocumentLine.delivered_qty).subquery()
    keys = union(
        select(StockBalance.item_id, StockBalance.warehouse_id),
        select(on_order.c.item_id, on_order.c.warehouse_id),
        select(committed.c.item_id, committed.c.warehouse_id),
    ).subquery()
    stmt = (
        select(
            keys.c.item_id,
            keys.c.warehouse_id,
            StockBalance.qty,
            StockBalance.value,
            on_order.c.qty,
            committed.c.qty,
            Item.sku,
            Item.name,
            Item.category,
            Item.unit,
            Warehouse.code,
            Warehouse.name,
            ReorderRule.reorder_level,
        )
        .select_from(keys)
        .join(Item, Item.id == keys.c.item_id)
        .join(Warehouse, Warehouse.id == keys.c.warehouse_id)
        .outerjoin(
            ReorderRule,
            and_(
                ReorderRule.item_id == keys.c.item_id,
                ReorderRule.warehouse_id == keys.c.warehouse_id,
                ReorderRule.active.is_(True),
            ),
        )
        .outerjoin(
            StockBalance,
            and_(
                StockBalance.item_id == keys.c.item_id,
                StockBalance.warehouse_id == keys.c.warehouse_id,
            ),
        )
        .outerjoin(
            on_order,
            and_(
                on_order.c.item_id == keys.c.item_id, on_order.c.warehouse_id == keys.c.warehouse_id
            ),
        )
        .outerjoin(
            committed,
            and_(
                committed.c.item_id == keys.c.item_id,
                committed.c.warehouse_id == keys.c.warehouse_id,
            ),
        )
        .order_by(keys.c.item_id, keys.c.warehouse_id)
        .limit(limit + 1)
    )
    if item_id is not None:
        stmt = stmt.where(keys.c.item_id == item_id)
    if warehouse_id is not None:
        stmt = stmt.where(keys.c.warehouse_id == warehouse_id)
    if search:
        needle = search.lower()
        stmt = stmt.where(
            or_(
                func.lower(Item.sku).contains(needle, autoescape=True),
                func.lower(Item.name).contains(needle, autoescape=True),
            )
        )
    if cursor:
        after_item, after_wh = _pair_cursor(cursor)
        stmt = stmt.where(
            or_(
                keys.c.item_id > after_item,
                and_(keys.c.item_id == after_item, keys.c.warehouse_id > after_wh),
            )
        )
    rows = []
    for (
        item,
        wh,
        qty,
        value,
        ordered,
        committed_qty,
        sku,
        item_name,
        category,
        unit,
        wh_code,
        wh_name,
        reorder_level,
    ) in ctx.session.execute(stmt):
        on_hand = Decimal(qty or 0)
        committed_qty = Decimal(committed_qty or 0)
        rows.append(
            {
                "item_id": item,
                "warehouse_id": wh,
                "sku": sku,
                "item_name": item_name,
                "category": category,
                "unit": unit,
                "warehouse_code": wh_code,
                "warehouse_name": wh_name,
                "reorder_level": reorder_level,
                "on_hand": on_hand,
                "on_order": Decimal(ordered or 0),
                "committed": committed_qty,
                "available": on_hand - committed_qty,
                "value": money(value or ZERO),
            }
        )
    return _page(rows, limit, lambda r: f"{r['item_id']}-{r['warehouse_id']}")


def _pair_cursor(cursor: str) -> tuple[int, int]:
    parts = cursor.split("-")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise ValidationError(
            "cursor is not one this API handed out",
            field="cursor",
            value=cursor[:40],
            rule="valid_cursor",
        )
    return int(parts[0]), int(parts[1])


def stock_ledger(
    ctx: Context,
    *,
    item_id: int | None = None,
    warehouse_id: int | None = None,
    document_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Stock ledger rows in the order they were written (oldest first)."""
    ctx.authorize("stock", "read")
    limit, after = _limit(limit), _int_cursor(cursor)
    conditions = _date_range(StockLedgerEntry.posting_date, date_from, date_to)
    for column, value in (
        (StockLedgerEntry.item_id, item_id),
        (StockLedgerEntry.warehouse_id, warehouse_id),
        (StockLedgerEntry.document_id, document_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if after is not None:
        conditions.append(StockLedgerEntry.id > after)
    rows = (
        ctx.session.execute(
            select(StockLedgerEntry)
            .where(*conditions)
            .order_by(StockLedgerEntry.id)
            .limit(limit + 1)
        )
        .scalars()
        .all()
    )
    return _page(list(rows), limit, lambda r: str(r.id))


# ---------------------------------------------------------------- books
def journal(
    ctx: Context,
    *,
    account_code: str | None = None,
    document_id: int | None = None,
    doc_type: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Journal entries with their lines, oldest first."""
    ctx.authorize("journal", "read")
    limit, after = _limit(limit), _int_cursor(cursor)
    conditions = _date_range(JournalEntry.posting_date, date_from, date_to)
    if document_id is not None:
        conditions.append(JournalEntry.document_id == document_id)
    if doc_type is not None:
        conditions.append(JournalEntry.doc_type == doc_type)
    if account_code is not None:
        conditions.append(
            JournalEntry.id.in_(
                select(JournalLine.entry_id).where(JournalLine.account_code == account_code)
            )
        )
    if after is not None:
        conditions.append(JournalEntry.id > after)
    rows = (
        ctx.session.execute(
            select(JournalEntry)
            .where(*conditions)
            .options(selectinload(JournalEntry.lines))
            .order_by(JournalEntry.id)
            .limit(limit + 1)
        )
        .scalars()
        .all()
    )
    return _page(list(rows), limit, lambda r: str(r.id))


def trial_balance(ctx: Context, as_of: dt.date) -> dict[str, Any]:
    """Debit and credit totals and the balance of every account with postings up to and
    including `as_of`; the totals of a sound ledger are equal."""
    ctx.authorize("journal", "read")
    rows = ctx.session.execute(
        select(
            Account.code,
            Account.name,
            Account.account_type,
            func.coalesce(func.sum(JournalLine.debit), 0),
            func.coalesce(func.sum(JournalLine.credit), 0),
        )
        .join(JournalLine, JournalLine.account_code == Account.code)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.posting_date <= as_of)
        .group_by(Account.code, Account.name, Account.account_type)
        .order_by(Account.code)
    ).all()
    accounts, total_debit, total_credit = [], ZERO, ZERO
    for code, name, account_type, debit, credit in rows:
        debit, credit = money(Decimal(debit)), money(Decimal(credit))
        total_debit += debit
        total_credit += credit
        accounts.append(
            {
                "code": code,
                "name": name,
                "account_type": account_type,
                "debit": debit,
                "credit": credit,
                "balance": debit - credit,
            }
        )
    return {
        "as_of": as_of,
        "accounts": accounts,
        "total_debit": total_debit,
        "total_credit": total_credit,
        "balanced": total_debit == total_credit,
    }


# ---------------------------------------------------------------- audit
def changes_since(ctx: Context, change_seq: int) -> dict[str, int]:
    """How far the documents have moved past a warehouse snapshot that includes document
    changes up to `change_seq`: the latest change number, and how many documents that
    are no longer drafts (posted, approved, rejected or cancelled) changed after it —
    what a statement read from that snapshot does not show yet."""
    ctx.authorize("statements", "read")
    latest = ctx.session.execute(select(func.max(Document.change_seq))).scalar_one_or_none()
    changed = ctx.session.execute(
        select(func.count())
        .select_from(Document)
        .where(Document.change_seq > change_seq, Document.status != "draft")
    ).scalar_one()
    return {"latest_change_seq": int(latest or 0), "documents_changed": int(changed)}


def audit_log(
    ctx: Context,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    username: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Audit rows, newest first."""
    ctx.authorize("audit", "read")
    limit, after = _limit(limit), _int_cursor(cursor)
    conditions = []
    _check_order(date_from, date_to)
    if date_from:  # `at` is a timestamp: whole days from midnight to midnight
        conditions.append(AuditLog.at >= dt.datetime.combine(date_from, dt.time()))
    if date_to:
        conditions.append(
            AuditLog.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time())
        )
    for column, value in (
        (AuditLog.entity, entity),
        (AuditLog.entity_id, entity_id),
        (AuditLog.action, action),
        (AuditLog.username, username),
    ):
        if value is not None:
            conditions.append(column == value)
    if after is not None:
        conditions.append(AuditLog.id < after)
    rows = (
        ctx.session.execute(
            select(AuditLog).where(*conditions).order_by(AuditLog.id.desc()).limit(limit + 1)
        )
        .scalars()
        .all()
    )
    return _page(list(rows), limit, lambda r: str(r.id))


# ---------------------------------------------------------------- master data
MASTER_FILTERS = {
    "item": ("category", "supply_mode"),
    "supplier_item": ("supplier_id", "item_id"),
    "reorder_rule": ("item_id", "warehouse_id"),
}


def list_master(
    ctx: Context,
    kind: str,
    *,
    active: bool | None = None,
    filters: dict[str, Any] | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Page:
    """Master-data rows of one kind in key order (id, or code for accounts)."""
    ctx.authorize(kind, "read")
    limit = _limit(limit)
    model = TABLES[kind][0]
    columns = model.__table__.c
    key = columns.code if kind == "account" else columns.id
    stmt = select(model).order_by(key).limit(limit + 1)
    if active is not None and hasattr(model, "active"):
        stmt = stmt.where(columns.active.is_(active))
    for name, value in (filters or {}).items():
        if value is not None:
            stmt = stmt.where(getattr(model, name) == value)
    if cursor:
        stmt = stmt.where(key > (cursor if kind == "account" else _int_cursor(cursor)))
    rows = ctx.session.execute(stmt).scalars().all()
    return _page(list(rows), limit, lambda r: str(r.code if kind == "account" else r.id))


def get_master(ctx: Context, kind: str, key: Any) -> Base:
    """One master-data row, or NotFound."""
    ctx.authorize(kind, "read")
    return get_or_404(ctx.session, TABLES[kind][0], key, kind)


__all__ = [
    "Page",
    "audit_log",
    "get_master",
    "journal",
    "list_documents",
    "list_master",
    "stock_balances",
    "stock_ledger",
    "trial_balance",
]

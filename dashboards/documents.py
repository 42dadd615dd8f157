"""Find a document and see everything it did (no Streamlit here; pages/documents.py draws
it): a searchable list over every document type the role may read — by number, party,
item; by type, status, dates and warehouse; newest first, paged — and one document's
view: header, lines, the documents it came from and that followed it, its audit trail,
and, for roles that may read them, the journal entries and stock movements it posted.

Reads the OLTP database (documents are current there the moment they are posted; the
warehouse is a snapshot), read-only, through SQLAlchemy selects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from transactional.db import session_scope
from transactional.models import (
    Account,
    AuditLog,
    Customer,
    Document,
    DocumentLine,
    Item,
    JournalEntry,
    JournalLine,
    StockLedgerEntry,
    Supplier,
    Warehouse,
)
from transactional.permissions import DOCUMENT_TYPES, allowed

PAGE_SIZE = 50
STATUSES = ("draft", "approved", "posted", "cancelled", "rejected")


def types_for(role: str) -> list[str]:
    """The document types the role may read."""
    return [t for t in DOCUMENT_TYPES if allowed(role, t, "read")]


def label(doc_type: str) -> str:
    return doc_type.replace("_", " ").capitalize()


def _party():
    return func.coalesce(
        Customer.code + " – " + Customer.name, Supplier.code + " – " + Supplier.name, ""
    )


def find(
    url: str,
    role: str,
    doc_types: Sequence[str] = (),
    status: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    search: str = "",
    warehouse_id: int | None = None,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> tuple[pd.DataFrame, int]:
    """(one page of documents newest first, how many match). `search` matches the number,
    the party's code or name, or an item's SKU or name on a line (any case)."""
    readable = types_for(role)
    wanted = [t for t in (doc_types or readable) if t in readable]
    wh = aliased(Warehouse)
    conditions = [Document.doc_type.in_(wanted)]
    if status:
        conditions.append(Document.status == status)
    if date_from:
        conditions.append(Document.doc_date >= date_from)
    if date_to:
        conditions.append(Document.doc_date <= date_to)
    if warehouse_id is not None:
        conditions.append(
            or_(Document.warehouse_id == warehouse_id, Document.to_warehouse_id == warehouse_id)
        )
    needle = search.strip().lower()
    if needle:
        on_lines = (
            select(DocumentLine.document_id)
            .join(Item, Item.id == DocumentLine.item_id)
            .where(
                or_(
                    func.lower(Item.sku).contains(needle, autoescape=True),
                    func.lower(Item.name).contains(needle, autoescape=True),
                )
            )
        )
        conditions.append(
            or_(
                func.lower(Document.number).contains(needle, autoescape=True),
                func.lower(func.coalesce(Customer.code, Supplier.code, "")).contains(
                    needle, autoescape=True
                ),
                func.lower(func.coalesce(Customer.name, Supplier.name, "")).contains(
                    needle, autoescape=True
                ),
                Document.id.in_(on_lines),
            )
        )
    base = (
        select(
            Document.id,
            Document.number.label("Number"),
            Document.doc_type,
            Document.status.label("Status"),
            Document.doc_date.label("Date"),
            _party().label("Party"),
            func.coalesce(wh.code, "").label("Warehouse"),
            Document.gross_total.label("Total"),
            Document.fulfilment_status.label("Fulfilment"),
        )
        .outerjoin(Customer, Customer.id == Document.customer_id)
        .outerjoin(Supplier, Supplier.id == Document.supplier_id)
        .outerjoin(wh, wh.id == Document.warehouse_id)
        .where(*conditions)
    )
    with session_scope(url) as session:
        total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = session.execute(
            base.order_by(Document.doc_date.desc(), Document.id.desc())
            .limit(page_size)
            .offset(page * page_size)
        ).all()
    frame = pd.DataFrame(rows, columns=[c for c in base.selected_columns.keys()])  # noqa: SIM118
    if not frame.empty:
        frame.insert(2, "Type", [label(t) for t in frame.pop("doc_type")])
    else:
        frame = frame.drop(columns=["doc_type"]).assign(Type=[])
    return frame, int(total)


@dataclass
class DocumentView:
    header: dict
    lines: pd.DataFrame
    related: pd.DataFrame
    audit: pd.DataFrame
    journal: pd.DataFrame | None = None  # None: the role may not read the books
    stock: pd.DataFrame | None = None  # None: the role may not read stock
    notes: list[str] = field(default_factory=list)


def view(url: str, role: str, number: str) -> DocumentView | None:
    """Everything about the document with this number (None: none the role may read)."""
    with session_scope(url) as session:
        doc = session.execute(
            select(Document).where(Document.number == number)
        ).scalar_one_or_none()
        if doc is None or doc.doc_type not in types_for(role):
            return None
        names = {
            "customer": session.get(Customer, doc.customer_id) if doc.customer_id else None,
            "supplier": session.get(Supplier, doc.supplier_id) if doc.supplier_id else None,
            "warehouse": session.get(Warehouse, doc.warehouse_id) if doc.warehouse_id else None,
            "to warehouse": session.get(Warehouse, doc.to_warehouse_id)
            if doc.to_warehouse_id
            else None,
        }
        header = {
            "Number": doc.number,
            "Type": label(doc.doc_type),
            "Status": doc.status,
            "Date": doc.doc_date,
            **{k.capitalize(): f"{v.code} – {v.name}" for k, v in names.items() if v is not None},
            "Net": doc.net_total,
            "VAT": doc.vat_total,
            "Total": doc.gross_total,
        }
        for key, value in (
            ("Due", doc.due_date),
            ("Expected", doc.expected_date),
            ("Fulfilment", doc.fulfilment_status),
            ("Amount", doc.amount if doc.amount else None),
            ("Paid", doc.paid_amount if doc.paid_amount else None),
            ("Origin", doc.origin),
            ("Memo", doc.memo),
        ):
            if value not in (None, ""):
                header[key] = value
        lines = pd.DataFrame(
            session.execute(
                select(
                    DocumentLine.line_no.label("Line"),
                    func.coalesce(Item.sku, "").label("SKU"),
                    func.coalesce(Item.name, "").label("Item"),
                    DocumentLine.qty.label("Qty"),
                    DocumentLine.unit_price.label("Unit price"),
                    DocumentLine.vat_rate.label("VAT rate"),
                    DocumentLine.net_amount.label("Net"),
                    DocumentLine.vat_amount.label("VAT"),
                )
                .outerjoin(Item, Item.id == DocumentLine.item_id)
                .where(DocumentLine.document_id == doc.id)
                .order_by(DocumentLine.line_no)
            ).all(),
            columns=["Line", "SKU", "Item", "Qty", "Unit price", "VAT rate", "Net", "VAT"],
        )
        other = aliased(Document)
        related = pd.DataFrame(
            [
                ("came from", d.number, label(d.doc_type), d.status, d.doc_date)
                for d in session.execute(
                    select(other).where(other.id == doc.source_document_id)
                ).scalars()
            ]
            + [
                ("followed by", d.number, label(d.doc_type), d.status, d.doc_date)
                for d in session.execute(
                    select(other)
                    .where(other.source_document_id == doc.id)
                    .order_by(other.doc_date, other.id)
                ).scalars()
            ],
            columns=["Link", "Number", "Type", "Status", "Date"],
        )
        audit = pd.DataFrame(
            session.execute(
                select(AuditLog.at, AuditLog.username, AuditLog.action)
                .where(AuditLog.entity == doc.doc_type, AuditLog.entity_id == str(doc.id))
                .order_by(AuditLog.id)
            ).all(),
            columns=["When", "User", "Action"],
        )
        out = DocumentView(header, lines, related, audit)
        if allowed(role, "journal", "read"):
            out.journal = pd.DataFrame(
                session.execute(
                    select(
                        JournalEntry.id.label("Entry"),
                        JournalEntry.posting_date.label("Date"),
                        JournalLine.account_code.label("Account"),
                        Account.name.label("Account name"),
                        JournalLine.debit.label("Debit"),
                        JournalLine.credit.label("Credit"),
                        JournalEntry.is_reversal.label("Reversal"),
                    )
                    .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                    .join(Account, Account.code == JournalLine.account_code)
                    .where(JournalEntry.document_id == doc.id)
                    .order_by(JournalEntry.id, JournalLine.id)
                ).all(),
                columns=["Entry", "Date", "Account", "Account name", "Debit", "Credit", "Reversal"],
            )
        else:
            out.notes.append(f"The {role} role does not read the books: no journal entries.")
        if allowed(role, "stock", "read"):
            out.stock = pd.DataFrame(
                session.execute(
                    select(
                        StockLedgerEntry.posting_date.label("Date"),
                        Item.sku.label("SKU"),
                        Warehouse.code.label("Warehouse"),
                        StockLedgerEntry.qty.label("Qty"),
                        StockLedgerEntry.unit_cost.label("Unit cost"),
                        StockLedgerEntry.value.label("Value"),
                        StockLedgerEntry.is_reversal.label("Reversal"),
                    )
                    .join(Item, Item.id == StockLedgerEntry.item_id)
                    .join(Warehouse, Warehouse.id == StockLedgerEntry.warehouse_id)
                    .where(StockLedgerEntry.document_id == doc.id)
                    .order_by(StockLedgerEntry.id)
                ).all(),
                columns=["Date", "SKU", "Warehouse", "Qty", "Unit cost", "Value", "Reversal"],
            )
        return out

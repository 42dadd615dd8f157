"""Storage: SQLAlchemy 2 typed models. Money and quantities are NUMERIC / Decimal.

Documents of every type share one header table and one line table (a discriminator
`doc_type` says which), so posting rules, numbering, audit and the warehouse extract
treat them uniformly. Stock ledger and journal rows are append-only: nothing updates
or deletes them; cancelling posts reversing rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.orm.decl_base import _declarative_constructor
from sqlalchemy.sql.schema import ScalarElementColumnDefault

Money = Numeric(18, 2)
Qty = Numeric(18, 4)
UnitCost = Numeric(18, 6)
Rate = Numeric(6, 4)


class Base(DeclarativeBase):
    __table__: ClassVar[Table]  # every model is mapped to a Table (the default: FromClause)

    def __init__(self, **kwargs: Any) -> None:
        # apply scalar column defaults at construction, so new objects compute correctly
        # before they are flushed (Decimal(0) totals, False flags…); the defaults of a class
        # are collected once (constructors run for every document and ledger line)
        defaults = type(self).__dict__.get("_scalar_defaults")
        if defaults is None:
            defaults = {
                col.key: col.default.arg
                for col in self.__table__.columns
                if isinstance(col.default, ScalarElementColumnDefault)
            }
            type(self)._scalar_defaults = defaults
        _declarative_constructor(self, **{**defaults, **kwargs})


# ---------------------------------------------------------------- master data
class Account(Base):
    __tablename__ = "account"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    account_type: Mapped[str] = mapped_column(String(20))  # asset/liability/equity/income/expense
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("account.code"))
    is_control: Mapped[bool] = mapped_column(Boolean, default=False)  # posted only by documents
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(16), default="pcs")
    pack_size: Mapped[Decimal] = mapped_column(Qty, default=Decimal(1))
    moq: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    vat_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.20"))
    list_price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    launched_on: Mapped[dt.date | None] = mapped_column(Date)
    discontinued_on: Mapped[dt.date | None] = mapped_column(Date)
    # make_to_stock: kept in stock and replenished; make_to_order: bought or made against
    # a customer order, no stock target (SUPPLY_MODES)
    supply_mode: Mapped[str] = mapped_column(
        String(20), default="make_to_stock", server_default="make_to_stock"
    )


SUPPLY_MODES = ("make_to_stock", "make_to_order")


class Warehouse(Base):
    __tablename__ = "warehouse"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the virtual warehouse holding goods between dispatch and receipt (GL 1210)
    is_transit: Mapped[bool] = mapped_column(Boolean, default=False)


class Customer(Base):
    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(60), default="")
    credit_limit: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))  # 0 = no limit
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Supplier(Base):
    __tablename__ = "supplier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    default_lead_time_days: Mapped[int] = mapped_column(Integer, default=14)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SupplierItem(Base):
    __tablename__ = "supplier_item"
    __table_args__ = (UniqueConstraint("supplier_id", "item_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    price: Mapped[Decimal] = mapped_column(Money)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    moq: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    pack_size: Mapped[Decimal] = mapped_column(Qty, default=Decimal(1))


class ReorderRule(Base):
    """The reorder rule of an item in a warehouse (a min/max-style order point): when the
    position (on hand + on order + in transit − committed) is at or below reorder_level,
    order multiples of reorder_qty until it rises above the level."""

    __tablename__ = "reorder_rule"
    __table_args__ = (UniqueConstraint("item_id", "warehouse_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    reorder_level: Mapped[Decimal] = mapped_column(Qty)
    reorder_qty: Mapped[Decimal] = mapped_column(Qty)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Carrier(Base):
    __tablename__ = "carrier"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)  # sha256 of the token
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class NumberSeries(Base):
    __tablename__ = "number_series"
    doc_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer, default=1)


# ---------------------------------------------------------------- documents
class Document(Base):
    """Header of every document type; see services/registry.py for the type table."""

    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_type_status", "doc_type", "status"),
        Index("ix_document_change_seq", "change_seq"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    fulfilment_status: Mapped[str | None] = mapped_column(String(20))  # open/partly/fully/closed
    doc_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    expected_date: Mapped[dt.date | None] = mapped_column(Date)  # promised / requested date
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    carrier_id: Mapped[int | None] = mapped_column(ForeignKey("carrier.id"))
    tracking_number: Mapped[str | None] = mapped_column(String(80))
    freight_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    received_on: Mapped[dt.date | None] = mapped_column(Date)  # transfers: arrival date
    transfer_state: Mapped[str | None] = mapped_column(String(20))  # in_transit / received
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)  # opening stock count
    origin: Mapped[str] = mapped_column(String(20), default="manual")  # manual/planning/import/demo
    planning_run_id: Mapped[str | None] = mapped_column(String(40), index=True)
    planner_touched: Mapped[bool] = mapped_column(Boolean, default=False)
    # the sales order whose make-to-order need raised this (draft) purchase order
    # (origin 'mto', services/mto.py); set by the service, never taken from input
    demand_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))  # payments
    net_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    vat_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    gross_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # effect on the party's open balance (AR for customers, AP for suppliers), signed
    party_balance_effect: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))  # invoices/bills
    memo: Mapped[str | None] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    credit_override_by: Mapped[str | None] = mapped_column(String(80))
    credit_override_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    posted_by: Mapped[str | None] = mapped_column(String(80))
    posted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(80))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    cancel_date: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)  # extract cursor

    lines: Mapped[list[DocumentLine]] = relationship(
        back_populates="document",
        order_by="DocumentLine.line_no",
        cascade="all, delete-orphan",
        foreign_keys="DocumentLine.document_id",
    )


class DocumentLine(Base):
    __tablename__ = "document_line"
    __table_args__ = (Index("ix_document_line_change_seq", "change_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    unit_price: Mapped[Decimal] = mapped_column(UnitCost, default=Decimal(0))
    vat_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal(0))
    net_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    vat_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # goods receipts
    rejected_qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    # stock counts: system quantity frozen at posting; unit cost for surplus when empty
    system_qty: Mapped[Decimal | None] = mapped_column(Qty)
    unit_cost: Mapped[Decimal | None] = mapped_column(UnitCost)
    # journal entries
    account_code: Mapped[str | None] = mapped_column(ForeignKey("account.code"))
    debit: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # the line this one fulfils (SO/PO line, receipt/delivery line) or the invoice/bill paid
    source_line_id: Mapped[int | None] = mapped_column(ForeignKey("document_line.id"), index=True)
    allocated_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    # running tallies on order / receipt / delivery lines (derived state, not ledger rows)
    delivered_qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    received_qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    invoiced_qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    billed_qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    returned_qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    lost_qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))  # demand not served
    memo: Mapped[str | None] = mapped_column(Text)
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)

    document: Mapped[Document] = relationship(back_populates="lines", foreign_keys=[document_id])


class PlannerDecision(Base):
    """A planner's action on a planning draft: approve, edit, reject (with reason)."""

    __tablename__ = "planner_decision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    document_line_id: Mapped[int | None] = mapped_column(ForeignKey("document_line.id"))
    # the item decided on: an edit rewrites the draft's lines, and a dropped line is gone
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    planning_run_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))
    suggested_qty: Mapped[Decimal | None] = mapped_column(Qty)
    final_qty: Mapped[Decimal | None] = mapped_column(Qty)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)


# ---------------------------------------------------------------- ledgers (append-only)
class StockBalance(Base):
    """Derived cache of the ledger per item-warehouse; the row we lock when posting."""

    __tablename__ = "stock_balance"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    qty: Mapped[Decimal] = mapped_column(Qty, default=Decimal(0))
    value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    last_posting_date: Mapped[dt.date | None] = mapped_column(Date)


class StockLedgerEntry(Base):
    __tablename__ = "stock_ledger"
    __table_args__ = (Index("ix_stock_ledger_item_wh", "item_id", "warehouse_id", "id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    document_line_id: Mapped[int | None] = mapped_column(ForeignKey("document_line.id"))
    doc_type: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    posting_date: Mapped[dt.date] = mapped_column(Date, index=True)
    qty: Mapped[Decimal] = mapped_column(Qty)
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost)
    value: Mapped[Decimal] = mapped_column(Money)
    running_qty: Mapped[Decimal] = mapped_column(Qty)
    running_value: Mapped[Decimal] = mapped_column(Money)
    is_reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class JournalEntry(Base):
    __tablename__ = "journal_entry"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(30))
    posting_date: Mapped[dt.date] = mapped_column(Date, index=True)
    memo: Mapped[str | None] = mapped_column(Text)
    is_reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entry.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    lines: Mapped[list[JournalLine]] = relationship(back_populates="entry")


class JournalLine(Base):
    __tablename__ = "journal_line"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    account_code: Mapped[str] = mapped_column(ForeignKey("account.code"), index=True)
    debit: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    rule: Mapped[str] = mapped_column(String(40))  # amount kind of the posting rule
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    entry: Mapped[JournalEntry] = relationship(back_populates="lines")


# ---------------------------------------------------------------- cross-cutting
class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(30))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    document_number: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ChangeCounter(Base):
    """Monotonic counter for `change_seq` (the warehouse extract cursor)."""

    __tablename__ = "change_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)

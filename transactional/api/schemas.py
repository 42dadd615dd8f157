"""Pydantic models for the wire: one input schema per document type (its header and line
fields, as the handlers in services/*.py define them), master data, read models.

Decimals travel as strings in responses (never floats) and are accepted as strings or
numbers. The service layer validates the business rules (signs, limits, references);
these models only give the shapes and types, so /docs shows what each document takes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model

from transactional.services.base import MAX_ID

T = TypeVar("T")

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="id of a stored row")]
Num = Annotated[Decimal, Field(description="a decimal number; send it as a string to keep "
                                           "every digit")]
# stored naive, in UTC (services.base.utcnow): said so on the wire, as RFC 3339 wants
UtcDateTime = Annotated[dt.datetime, AfterValidator(
    lambda v: v if v.tzinfo else v.replace(tzinfo=dt.UTC))]
NO_NUL = r"^[^\x00]*$"
SupplyMode = Literal["make_to_stock", "make_to_order"]  # models.SUPPLY_MODES
Text = Annotated[str, StringConstraints(max_length=10_000, pattern=NO_NUL)]


def Str(max_length: int):
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NO_NUL)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` as `cursor` to get the next (null: no more)."""

    items: list[T]
    next_cursor: str | None = None


# ---------------------------------------------------------------- document inputs
class DocumentIn(Input):
    doc_date: dt.date | None = Field(None, description="document date (default: today)")
    memo: Text | None = None


class SalesOrderLine(Input):
    item_id: Id
    qty: Num
    unit_price: Num | None = Field(None, description="default: the item's list price")
    lost_qty: Num | None = Field(None, description="demand that could not be served")


class SalesOrderIn(DocumentIn):
    customer_id: Id
    warehouse_id: Id
    expected_date: dt.date | None = None
    lines: list[SalesOrderLine] = Field(min_length=1)


class SourceLineQty(Input):
    source_line_id: Id = Field(description="the line of the source document it fulfils")
    qty: Num


class DeliveryIn(DocumentIn):
    source_document_id: Id = Field(description="the posted sales order shipped")
    warehouse_id: Id | None = Field(None, description="default: the order's warehouse")
    carrier_id: Id | None = None
    tracking_number: Str(80) | None = None
    freight_cost: Num | None = None
    delivered_on: dt.date | None = None
    lines: list[SourceLineQty] = Field(min_length=1)


class SalesInvoiceIn(DocumentIn):
    source_document_id: Id = Field(description="the posted sales order invoiced")
    due_date: dt.date | None = Field(None, description="default: date + payment terms")
    lines: list[SourceLineQty] = Field(min_length=1)


class Allocation(Input):
    allocated_document_id: Id = Field(
        description="the invoice or bill this pays, or the credit note (sales return) or "
                    "debit note (purchase return) it applies")
    amount: Num = Field(description="positive for an invoice or bill, negative (the credit "
                                    "used) for a credit or debit note")


class CustomerPaymentIn(DocumentIn):
    customer_id: Id
    amount: Num
    lines: list[Allocation] = []


class SalesReturnIn(DocumentIn):
    source_document_id: Id = Field(description="the posted delivery the goods came from")
    lines: list[SourceLineQty] = Field(min_length=1)


class PurchaseOrderLine(Input):
    item_id: Id
    qty: Num
    unit_price: Num | None = Field(None, description="default: the supplier-item price")


class PurchaseOrderIn(DocumentIn):
    supplier_id: Id
    warehouse_id: Id
    expected_date: dt.date | None = Field(None, description="default: date + lead time")
    lines: list[PurchaseOrderLine] = Field(min_length=1)


class GoodsReceiptLine(SourceLineQty):
    qty: Num = Field(description="accepted quantity (enters stock)")
    rejected_qty: Num | None = Field(None, description="refused at quality control")


class GoodsReceiptIn(DocumentIn):
    source_document_id: Id = Field(description="the approved purchase order received")
    warehouse_id: Id | None = Field(None, description="default: the order's warehouse")
    lines: list[GoodsReceiptLine] = Field(min_length=1)


class SupplierBillLine(SourceLineQty):
    source_line_id: Id = Field(description="the goods-receipt line billed")
    unit_price: Num | None = Field(None, description="default: the order price")


class SupplierBillIn(DocumentIn):
    supplier_id: Id
    due_date: dt.date | None = None
    lines: list[SupplierBillLine] = Field(min_length=1)


class SupplierPaymentIn(DocumentIn):
    supplier_id: Id
    amount: Num
    lines: list[Allocation] = []


class PurchaseReturnIn(DocumentIn):
    source_document_id: Id = Field(description="the posted goods receipt returned from")
    lines: list[SourceLineQty] = Field(min_length=1)


class ItemQty(Input):
    item_id: Id
    qty: Num


class StockTransferIn(DocumentIn):
    warehouse_id: Id = Field(description="dispatching warehouse")
    to_warehouse_id: Id = Field(description="receiving warehouse")
    lines: list[ItemQty] = Field(min_length=1)


class StockCountLine(ItemQty):
    qty: Num = Field(description="counted quantity")
    unit_cost: Num | None = Field(None, description="values a surplus when the shelf had "
                                                    "no stock (and opening stock)")


class StockCountIn(DocumentIn):
    warehouse_id: Id
    is_opening: bool = Field(False, description="opening stock: the difference is booked "
                                                "to equity (3000) instead of 5200")
    lines: list[StockCountLine] = Field(min_length=1)


class JournalLineIn(Input):
    account_code: Str(10)
    debit: Num | None = None
    credit: Num | None = None
    memo: Text | None = None


class JournalEntryIn(DocumentIn):
    lines: list[JournalLineIn] = Field(min_length=2)


class PeriodCloseIn(DocumentIn):
    doc_date: dt.date = Field(description="the last day of the period closed")


def patch_model(model: type[Input]) -> type[Input]:
    """The same fields, all optional: a draft update changes only what it names."""
    fields: dict[str, Any] = {
        name: (info.annotation | None, Field(None, description=info.description))
        for name, info in model.model_fields.items()}
    return create_model(model.__name__.removesuffix("In") + "Patch", __base__=Input,
                        **fields)


# ---------------------------------------------------------------- document outputs
class DocumentLineOut(Output):
    id: int
    line_no: int
    item_id: int | None = None
    qty: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    rejected_qty: Decimal
    system_qty: Decimal | None = None
    unit_cost: Decimal | None = None
    account_code: str | None = None
    debit: Decimal
    credit: Decimal
    source_line_id: int | None = None
    allocated_document_id: int | None = None
    delivered_qty: Decimal
    received_qty: Decimal
    invoiced_qty: Decimal
    billed_qty: Decimal
    returned_qty: Decimal
    lost_qty: Decimal
    memo: str | None = None


class DocumentOut(Output):
    id: int
    doc_type: str
    number: str
    status: str
    fulfilment_status: str | None = None
    doc_date: dt.date
    due_date: dt.date | None = None
    expected_date: dt.date | None = None
    customer_id: int | None = None
    supplier_id: int | None = None
    warehouse_id: int | None = None
    to_warehouse_id: int | None = None
    source_document_id: int | None = None
    demand_document_id: int | None = Field(
        None, description="make-to-order purchase orders (origin 'mto'): the sales order "
                          "whose uncovered line raised it")
    carrier_id: int | None = None
    tracking_number: str | None = None
    freight_cost: Decimal
    delivered_on: dt.date | None = None
    received_on: dt.date | None = None
    transfer_state: str | None = None
    is_opening: bool
    origin: str
    amount: Decimal
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    paid_amount: Decimal
    memo: str | None = None
    reject_reason: str | None = None
    credit_override_by: str | None = None
    created_by: str
    created_at: UtcDateTime
    posted_by: str | None = None
    posted_at: UtcDateTime | None = None
    approved_by: str | None = None
    approved_at: UtcDateTime | None = None
    cancelled_by: str | None = None
    cancelled_at: UtcDateTime | None = None
    cancel_date: dt.date | None = None
    updated_at: UtcDateTime
    lines: list[DocumentLineOut]


class CancelIn(Input):
    cancel_date: dt.date | None = Field(None, description="date of the reversal (default: "
                                                          "today)")
    reason: Text | None = None


class RejectIn(Input):
    reason: Text = Field(description="why the order is rejected (required)")


class ReceiveIn(Input):
    received_on: dt.date | None = Field(None, description="arrival date (default: today)")


# ---------------------------------------------------------------- master data
class ItemIn(Input):
    sku: Str(40)
    name: Str(200)
    category: Str(80)
    unit: Str(16) | None = None
    pack_size: Num | None = None
    moq: Num | None = None
    vat_rate: Num | None = Field(None, description="a fraction: 0.20 is 20 %")
    list_price: Num | None = None
    active: bool | None = None
    launched_on: dt.date | None = None
    discontinued_on: dt.date | None = None
    supply_mode: SupplyMode | None = Field(
        None, description="make_to_stock (default: kept in stock, replenished by its "
                          "reorder rules) or make_to_order (bought against customer orders)")


class ItemOut(Output):
    id: int
    sku: str
    name: str
    category: str
    unit: str
    pack_size: Decimal
    moq: Decimal
    vat_rate: Decimal
    list_price: Decimal
    active: bool
    launched_on: dt.date | None = None
    discontinued_on: dt.date | None = None
    supply_mode: str = "make_to_stock"


class WarehouseIn(Input):
    code: Str(20)
    name: Str(120)
    active: bool | None = None


class WarehouseOut(Output):
    id: int
    code: str
    name: str
    active: bool
    is_transit: bool = False


class CustomerIn(Input):
    code: Str(20)
    name: Str(200)
    region: Str(60) | None = None
    credit_limit: Num | None = Field(None, description="0 means no limit")
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    active: bool | None = None


class CustomerOut(Output):
    id: int
    code: str
    name: str
    region: str
    credit_limit: Decimal
    payment_terms_days: int
    active: bool


class SupplierIn(Input):
    code: Str(20)
    name: Str(200)
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    default_lead_time_days: int | None = Field(None, ge=0, le=3650)
    active: bool | None = None


class SupplierOut(Output):
    id: int
    code: str
    name: str
    payment_terms_days: int
    default_lead_time_days: int
    active: bool


class SupplierItemIn(Input):
    supplier_id: Id
    item_id: Id
    price: Num
    lead_time_days: int = Field(ge=0, le=3650)
    moq: Num | None = None
    pack_size: Num | None = None


class SupplierItemOut(Output):
    id: int
    supplier_id: int
    item_id: int
    price: Decimal
    lead_time_days: int
    moq: Decimal
    pack_size: Decimal


class ReorderRuleIn(Input):
    item_id: Id
    warehouse_id: Id = Field(description="a real warehouse (not the in-transit one)")
    reorder_level: Num = Field(description="order when the position (on hand + on order + "
                                           "in transit − committed) is at or below this; ≥ 0")
    reorder_qty: Num = Field(description="order multiples of this quantity until the "
                                         "position rises above the level; > 0")
    active: bool | None = None


class ReorderRuleOut(Output):
    id: int
    item_id: int
    warehouse_id: int
    reorder_level: Decimal
    reorder_qty: Decimal
    active: bool


class CarrierIn(Input):
    code: Str(20)
    name: Str(120)


class CarrierOut(Output):
    id: int
    code: str
    name: str


class AccountIn(Input):
    code: Str(10)
    name: Str(120)
    account_type: Literal["asset", "liability", "equity", "income", "expense"]
    parent_code: Str(10) | None = None
    active: bool | None = None


class AccountOut(Output):
    code: str
    name: str
    account_type: str
    parent_code: str | None = None
    is_control: bool
    active: bool


# ---------------------------------------------------------------- read models
class StockBalanceOut(Output):
    item_id: int
    warehouse_id: int
    on_hand: Decimal
    on_order: Decimal
    committed: Decimal
    available: Decimal = Field(description="on hand − committed")
    value: Decimal = Field(description="at moving-average cost")


class StockLedgerOut(Output):
    id: int
    document_id: int
    document_line_id: int | None = None
    doc_type: str
    item_id: int
    warehouse_id: int
    posting_date: dt.date
    qty: Decimal
    unit_cost: Decimal
    value: Decimal
    running_qty: Decimal
    running_value: Decimal
    is_reversal: bool
    created_at: UtcDateTime


class JournalLineOut(Output):
    id: int
    account_code: str
    debit: Decimal
    credit: Decimal
    rule: str
    customer_id: int | None = None
    supplier_id: int | None = None
    item_id: int | None = None
    warehouse_id: int | None = None


class JournalEntryOut(Output):
    id: int
    document_id: int
    doc_type: str
    posting_date: dt.date
    memo: str | None = None
    is_reversal: bool
    reverses_id: int | None = None
    created_at: UtcDateTime
    lines: list[JournalLineOut]


class TrialBalanceAccount(Output):
    code: str
    name: str
    account_type: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = Field(description="debit − credit")


class TrialBalanceOut(Output):
    as_of: dt.date
    accounts: list[TrialBalanceAccount]
    total_debit: Decimal
    total_credit: Decimal
    balanced: bool


class AuditOut(Output):
    id: int
    at: UtcDateTime
    username: str
    action: str
    entity: str
    entity_id: str | None = None
    document_number: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


# ---------------------------------------------------------------- auth, imports, health
class TokenIn(Input):
    username: Str(80)
    password: Str(1000)


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    username: str
    role: str


class ImportErrorOut(BaseModel):
    line: int = Field(description="line of the file (the header is line 1)")
    column: str | None = None
    rule: str
    message: str
    value: Any = None


class ImportReportOut(BaseModel):
    kind: str
    rows: int
    created: int
    documents: list[str] = Field(description="numbers of the documents posted (opening "
                                             "stock)")


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: str

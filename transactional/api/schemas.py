"""Pydantic models for the wire. The inputs (one per document type and master-data kind)
are the command models of `transactional.commands`, re-exported here; the rest are read
models and the API's own small bodies.

Decimals travel as strings in responses (never floats) and are accepted as strings or
numbers. The service layer validates the business rules (signs, limits, references);
these models only give the shapes and types, so /docs shows what each document takes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic_core import PydanticCustomError

from transactional.commands import (  # noqa: F401 - the request bodies are the commands
    COMMANDS,
    MASTER_COMMANDS,
    MAX_ID,
    NO_NUL,
    AccountIn,
    Allocation,
    CarrierIn,
    CustomerIn,
    CustomerPaymentIn,
    DeliveryIn,
    DocumentIn,
    GoodsReceiptIn,
    GoodsReceiptLine,
    Id,
    Input,
    ItemIn,
    ItemQty,
    JournalEntryIn,
    JournalLineIn,
    Num,
    PeriodCloseIn,
    PurchaseOrderIn,
    PurchaseOrderLine,
    PurchaseReturnIn,
    ReorderRuleIn,
    SalesInvoiceIn,
    SalesOrderIn,
    SalesOrderLine,
    SalesReturnIn,
    SourceLineQty,
    StockCountIn,
    StockCountLine,
    StockTransferIn,
    Str80,
    Str1000,
    SupplierBillIn,
    SupplierBillLine,
    SupplierIn,
    SupplierItemIn,
    SupplierPaymentIn,
    SupplyMode,
    Text,
    WarehouseIn,
    YearCloseIn,
    patch_model,
)

T = TypeVar("T")
# stored naive, in UTC (services.base.utcnow): said so on the wire, as RFC 3339 wants
UtcDateTime = Annotated[
    dt.datetime, AfterValidator(lambda v: v if v.tzinfo else v.replace(tzinfo=dt.UTC))
]


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` as `cursor` to get the next (null: no more)."""

    items: list[T]
    next_cursor: str | None = None


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
        None,
        description="make-to-order purchase orders (origin 'mto'): the sales order "
        "whose uncovered line raised it",
    )
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
    cancel_date: dt.date | None = Field(None, description="date of the reversal (default: today)")
    reason: Text | None = None


class RejectIn(Input):
    reason: Text = Field(description="why the order is rejected (required)")


class ReceiveIn(Input):
    received_on: dt.date | None = Field(None, description="arrival date (default: today)")


# ---------------------------------------------------------------- batches
def _batch_document(doc_type: str, command: type[Input]) -> type[Input]:
    """One document of a batch: its type, whether to post it, and its command — the very
    model the type's own create endpoint takes (the contract is not written twice)."""
    return create_model(
        "Batch" + command.__name__,
        __base__=Input,
        doc_type=(
            Literal[doc_type],  # type: ignore[arg-type] # a Literal of a runtime str
            Field(description="the document type"),
        ),
        post=(bool | None, Field(None, description="post it (default: the batch's `post`)")),
        document=(
            command,
            Field(description=f"the {doc_type.replace('_', ' ')}, as its create endpoint takes it"),
        ),
    )


# a union built from the commands at import time: Any for the type checker
BatchDocumentIn: Any = Annotated[
    Union[
        tuple(  # noqa: UP007
            _batch_document(t, m) for t, m in COMMANDS.items()
        )
    ],
    Field(discriminator="doc_type"),
]


class BatchIn(Input):
    post: bool = Field(
        True, description="post the documents (each may say otherwise); false: create drafts"
    )
    documents: list[BatchDocumentIn] = Field(
        min_length=1,
        description="at most QM_BATCH_MAX_DOCUMENTS (default 500), created "
        "(and posted) in this order",
    )

    @field_validator("documents", mode="before")
    @classmethod
    def _at_most_max_documents(cls, documents: Any) -> Any:
        """At most QM_BATCH_MAX_DOCUMENTS documents, checked before any is read."""
        from transactional.config import settings

        limit = settings().batch_max_documents
        if isinstance(documents, list) and len(documents) > limit:
            raise PydanticCustomError(
                "max_documents",
                "a batch has at most {limit} documents (QM_BATCH_MAX_DOCUMENTS), got {n}",
                {"limit": limit, "n": len(documents)},
            )
        return documents


class BatchProblem(BaseModel):
    """Why one document was refused: the problem details its own endpoint would answer."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] = []


class BatchResultOut(BaseModel):
    index: int = Field(description="position in `documents` (0-based)")
    doc_type: str
    result: Literal["created", "posted", "failed"] = Field(
        description="created: a numbered draft; posted: created and posted (a purchase "
        "order: approved); failed: nothing of it was written, see `problem`"
    )
    id: int | None = None
    number: str | None = None
    status: str | None = Field(None, description="the document's status")
    problem: BatchProblem | None = None


class BatchOut(BaseModel):
    documents: int
    created: int = Field(description="created as drafts")
    posted: int = Field(description="created and posted")
    failed: int
    results: list[BatchResultOut] = Field(description="one per document, in input order")


# ---------------------------------------------------------------- master data
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


class WarehouseOut(Output):
    id: int
    code: str
    name: str
    active: bool
    is_transit: bool = False


class CustomerOut(Output):
    id: int
    code: str
    name: str
    region: str
    credit_limit: Decimal
    payment_terms_days: int
    active: bool


class SupplierOut(Output):
    id: int
    code: str
    name: str
    payment_terms_days: int
    default_lead_time_days: int
    active: bool


class SupplierItemOut(Output):
    id: int
    supplier_id: int
    item_id: int
    price: Decimal
    lead_time_days: int
    moq: Decimal
    pack_size: Decimal


class ReorderRuleOut(Output):
    id: int
    item_id: int
    warehouse_id: int
    reorder_level: Decimal
    reorder_qty: Decimal
    active: bool


class CarrierOut(Output):
    id: int
    code: str
    name: str


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
    sku: str
    item_name: str
    category: str
    unit: str
    warehouse_code: str
    warehouse_name: str
    on_hand: Decimal
    on_order: Decimal
    committed: Decimal
    available: Decimal = Field(description="on hand − committed")
    value: Decimal = Field(description="at moving-average cost")
    reorder_level: Decimal | None = Field(
        None, description="the active reorder rule's level (none without a rule)"
    )


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
    username: Str80
    password: Str1000


class RevokeIn(Input):
    all: bool = Field(
        False,
        description="revoke every live token of the caller, not only the one this request carries",
    )


class RevokeOut(BaseModel):
    username: str
    revoked: int = Field(description="how many tokens were revoked")
    all: bool


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
    documents: list[str] = Field(description="numbers of the documents posted (opening stock)")


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: str

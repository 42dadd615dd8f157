"""The input contract, defined once: one command model per document type and per kind
of master data (header and lines, Decimal money and quantities, `extra="forbid"`).

The service layer takes these (`services.documents.create_draft` validates a plain
mapping through `COMMANDS[doc_type]` first); the API's request bodies are these very
models (`api/schemas.py` re-exports them, so /docs shows them); the CSV/XLSX import, the
demo generator and the dashboards' planning actions build them too. The models give the
shapes, types and sizes; the handlers in services/*.py check what needs the database or
the document's state (signs and decimal places of each column, references, remaining
quantities, balances).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from transactional.errors import ValidationError

MAX_ID = 2_147_483_647  # ids are 32-bit integers in every table that has them
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999  # the years of services.base.EARLIEST/LATEST_DATE
# The VAT rate an item gets when its command names none: the documented setting
# (docs/api.md, "Commands"). Sales lines take the rate of their item.
DEFAULT_VAT_RATE = Decimal("0.20")

Id = Annotated[int, Field(ge=1, le=MAX_ID, description="id of a stored row")]
Num = Annotated[
    Decimal, Field(description="a decimal number; send it as a string to keep every digit")
]
NO_NUL = r"^[^\x00]*$"
SupplyMode = Literal["make_to_stock", "make_to_order"]  # models.SUPPLY_MODES
# Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) can make a name
# display as something else (a supplier "Acme\u202etxt.exe"); control characters have no
# place in names and codes. Ordinary Unicode (CJK, accents, emoji) is accepted.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
LAYOUT = frozenset("\t\n\r")


def _checked(allow_layout: bool) -> AfterValidator:
    def check(value: str) -> str:
        for ch in value:
            if ch in BIDI_CONTROLS:
                raise PydanticCustomError(
                    "no_bidi_control",
                    "must not contain bidirectional control characters (U+{code})",
                    {"code": f"{ord(ch):04X}"},
                )
            if (
                ch != "\x00"
                and (ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0)
                and not (allow_layout and ch in LAYOUT)
            ):
                raise PydanticCustomError(
                    "no_control_character",
                    "must not contain control characters (U+{code})",
                    {"code": f"{ord(ch):04X}"},
                )
        return value

    return AfterValidator(check)


# free text (memos): tabs and line breaks allowed
Text = Annotated[str, StringConstraints(max_length=10_000, pattern=NO_NUL), _checked(True)]


# names, codes and other one-line fields, one alias per column size: no control
# characters at all (spelled out per size, so that type checkers see a `str`)
Str10 = Annotated[str, StringConstraints(max_length=10, pattern=NO_NUL), _checked(False)]
Str16 = Annotated[str, StringConstraints(max_length=16, pattern=NO_NUL), _checked(False)]
Str20 = Annotated[str, StringConstraints(max_length=20, pattern=NO_NUL), _checked(False)]
Str40 = Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL), _checked(False)]
Str60 = Annotated[str, StringConstraints(max_length=60, pattern=NO_NUL), _checked(False)]
Str80 = Annotated[str, StringConstraints(max_length=80, pattern=NO_NUL), _checked(False)]
Str120 = Annotated[str, StringConstraints(max_length=120, pattern=NO_NUL), _checked(False)]
Str200 = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL), _checked(False)]
Str1000 = Annotated[str, StringConstraints(max_length=1000, pattern=NO_NUL), _checked(False)]


def max_document_lines() -> int:
    from transactional.config import settings

    return settings().max_document_lines


class Input(BaseModel):
    """A command: the complete input of one write; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- document inputs
class DocumentIn(Input):
    doc_date: dt.date | None = Field(None, description="document date (default: today)")
    memo: Text | None = None

    @field_validator("lines", mode="before", check_fields=False)
    @classmethod
    def _at_most_max_lines(cls, lines: Any) -> Any:
        """At most QM_MAX_DOCUMENT_LINES lines (default 1,000), checked before the lines
        are read one by one."""
        limit = max_document_lines()
        if isinstance(lines, list) and len(lines) > limit:
            raise PydanticCustomError(
                "max_lines",
                "a document has at most {limit} lines, got {n}",
                {"limit": limit, "n": len(lines)},
            )
        return lines


class SalesOrderLine(Input):
    item_id: Id
    qty: Num
    unit_price: Num | None = Field(
        None, description="default: the item's list price when it has one (> 0); otherwise required"
    )
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
    tracking_number: Str80 | None = None
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
        "debit note (purchase return) it applies"
    )
    amount: Num = Field(
        description="positive for an invoice or bill, negative (the credit "
        "used) for a credit or debit note"
    )


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
    unit_cost: Num | None = Field(
        None, description="values a surplus when the shelf had no stock (and opening stock)"
    )


class StockCountIn(DocumentIn):
    warehouse_id: Id
    is_opening: bool = Field(
        False,
        description="opening stock: the difference is booked to equity (3000) instead of 5200",
    )
    lines: list[StockCountLine] = Field(min_length=1)


class JournalLineIn(Input):
    account_code: Str10
    debit: Num | None = None
    credit: Num | None = None
    memo: Text | None = None


class JournalEntryIn(DocumentIn):
    lines: list[JournalLineIn] = Field(min_length=2)


class PeriodCloseIn(DocumentIn):
    doc_date: dt.date = Field(description="the last day of the period closed")


class YearCloseIn(Input):
    """The year-end close of a calendar year: dated 31 December of it (so it has no
    `doc_date`), it posts the closing entry that moves the year's P&L to 3100 Retained
    earnings and closes every day through that date (docs/ledger.md, "Year-end close")."""

    year: int = Field(
        ge=EARLIEST_YEAR, le=LATEST_YEAR, description="the calendar year closed, e.g. 2025"
    )
    memo: Text | None = None


# ---------------------------------------------------------------- planning
class PlanningSuggestion(Input):
    """One line of a planning run: buy `qty` of an item for a warehouse from a supplier
    (`services.planning.apply_plan` turns the run into draft purchase orders)."""

    item_id: Id
    warehouse_id: Id
    supplier_id: Id = Field(description="the supplier planning chose for the line")
    qty: Num = Field(description="the suggested quantity; > 0, at most 4 decimal places")
    unit_price: Num | None = Field(None, description="default: the supplier-item price")
    sales_orders: Text | None = Field(
        None,
        description="the open sales orders stock and open supply cannot cover, "
        "named in the purchase-order line's memo",
    )


RunId = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=NO_NUL), _checked(False)
]


class PlanningRunIn(Input):
    """A planning run's write-back: its id (Document.planning_run_id, at most 40
    characters), the warehouse snapshot it was planned on and its suggestions."""

    run_id: RunId
    snapshot_seq: int | None = Field(
        None,
        ge=0,
        description="highest document change_seq the warehouse had extracted "
        "when the run was planned (None: decisions never expire)",
    )
    suggestions: list[PlanningSuggestion] = []


# ---------------------------------------------------------------- master data
class ItemIn(Input):
    sku: Str40
    name: Str200
    category: Str80
    unit: Str16 | None = None
    pack_size: Num | None = None
    moq: Num | None = None
    vat_rate: Num | None = Field(
        DEFAULT_VAT_RATE,
        description="a fraction: 0.20 is 20 % (default: DEFAULT_VAT_RATE, 0.20, the standard rate)",
    )
    list_price: Num | None = None
    active: bool | None = None
    launched_on: dt.date | None = None
    discontinued_on: dt.date | None = None
    supply_mode: SupplyMode | None = Field(
        None,
        description="make_to_stock (default: kept in stock, replenished by its "
        "reorder rules) or make_to_order (bought against customer orders)",
    )


class WarehouseIn(Input):
    code: Str20
    name: Str120
    active: bool | None = None


class CustomerIn(Input):
    code: Str20
    name: Str200
    region: Str60 | None = None
    credit_limit: Num | None = Field(None, description="0 means no limit")
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    active: bool | None = None


class SupplierIn(Input):
    code: Str20
    name: Str200
    payment_terms_days: int | None = Field(None, ge=0, le=3650)
    default_lead_time_days: int | None = Field(None, ge=0, le=3650)
    active: bool | None = None


class SupplierItemIn(Input):
    supplier_id: Id
    item_id: Id
    price: Num
    lead_time_days: int = Field(ge=0, le=3650)
    moq: Num | None = None
    pack_size: Num | None = None


class ReorderRuleIn(Input):
    item_id: Id
    warehouse_id: Id = Field(description="a real warehouse (not the in-transit one)")
    reorder_level: Num = Field(
        description="order when the position (on hand + on order + "
        "in transit − committed) is at or below this; ≥ 0"
    )
    reorder_qty: Num = Field(
        description="order multiples of this quantity until the position rises above the level; > 0"
    )
    active: bool | None = None


class CarrierIn(Input):
    code: Str20
    name: Str120


class AccountIn(Input):
    code: Str10
    name: Str120
    account_type: Literal["asset", "liability", "equity", "income", "expense"]
    parent_code: Str10 | None = None
    active: bool | None = None


# ---------------------------------------------------------------- the tables
# a document type's command: DocumentIn (dated, most with lines), or the year close's
COMMANDS: dict[str, type[Input]] = {
    "sales_order": SalesOrderIn,
    "delivery": DeliveryIn,
    "sales_invoice": SalesInvoiceIn,
    "customer_payment": CustomerPaymentIn,
    "sales_return": SalesReturnIn,
    "purchase_order": PurchaseOrderIn,
    "goods_receipt": GoodsReceiptIn,
    "supplier_bill": SupplierBillIn,
    "supplier_payment": SupplierPaymentIn,
    "purchase_return": PurchaseReturnIn,
    "stock_transfer": StockTransferIn,
    "stock_count": StockCountIn,
    "journal_entry": JournalEntryIn,
    "period_close": PeriodCloseIn,
    "year_close": YearCloseIn,
}
MASTER_COMMANDS: dict[str, type[Input]] = {
    "item": ItemIn,
    "warehouse": WarehouseIn,
    "customer": CustomerIn,
    "supplier": SupplierIn,
    "supplier_item": SupplierItemIn,
    "reorder_rule": ReorderRuleIn,
    "carrier": CarrierIn,
    "account": AccountIn,
}


def command_fields(doc_type: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(header fields, line fields) of a document type's command (doc_date, memo and
    lines are not header fields here)."""
    model = COMMANDS[doc_type]
    header = tuple(f for f in model.model_fields if f not in ("doc_date", "memo", "lines"))
    lines = model.model_fields.get("lines")
    line_model = get_args(lines.annotation)[0] if lines is not None else None
    return header, tuple(line_model.model_fields) if line_model is not None else ()


def is_text_field(model: type[Input], name: str) -> bool:
    """Whether the command's field `name` is text (a code, a name…)."""
    info = model.model_fields.get(name)
    return info is not None and _is_str(info.annotation)


def _is_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    return any(_is_str(a) for a in get_args(annotation))


def parse_command(doc_type: str, data: Input | Mapping[str, Any]) -> Input:
    """The command of `doc_type` from a command or a plain mapping; a mapping that breaks
    the contract raises a ValidationError naming field, value and rule (nothing is
    written)."""
    model = COMMANDS[doc_type]
    if isinstance(data, model):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump(exclude_unset=True)
    return validate(model, data, doc_type)


def validate(model: type[Input], data: Any, what: str) -> Any:
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise as_domain_error(exc, what) from None


def as_domain_error(exc: PydanticValidationError, what: str) -> ValidationError:
    """A pydantic error as the service layer's ValidationError: every broken rule with
    its field path (`lines[0].qty`), the value and a rule name (the same names the
    service layer uses elsewhere: unknown_field, required, number, must_exist, …)."""
    errors = [_error(e, what) for e in exc.errors()]
    first = errors[0]
    return ValidationError(
        first["message"],
        field=first["field"],
        value=first["value"],
        rule=first["rule"],
        errors=errors,
    )


# pydantic error type -> the service layer's rule name
_RULES = {
    "extra_forbidden": "unknown_field",
    "missing": "required",
    "decimal_parsing": "number",
    "decimal_type": "number",
    "finite_number": "number",
    "decimal_max_digits": "number",
    "decimal_max_places": "number",
    "decimal_whole_digits": "number",
    "date_parsing": "date",
    "date_type": "date",
    "date_from_datetime_parsing": "date",
    "date_from_datetime_inexact": "date",
    "date_future": "date",
    "date_past": "date",
    "string_type": "string",
    "string_pattern_mismatch": "no_nul_character",
    "bool_parsing": "boolean",
    "bool_type": "boolean",
    "literal_error": "one_of",
    "model_type": "object",
    "string_unicode": "valid_unicode",
    "string_too_short": "not_empty",
    "dict_type": "object",
    "list_type": "list",
}
_ID_RULES = {
    "int_parsing",
    "int_type",
    "int_from_float",
    "greater_than_equal",
    "less_than_equal",
    "int_parsing_size",
}


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _error(e: Mapping[str, Any], what: str) -> dict[str, Any]:
    field, kind, value = _path(tuple(e.get("loc", ()))), e.get("type", "invalid"), e.get("input")
    name = str(e.get("loc", ("",))[-1])
    rule = _RULES.get(kind, kind)
    message = f"{field}: {e.get('msg', 'invalid')}, got {str(value)[:40]!r}"
    if kind == "extra_forbidden":
        message = (
            f"{what} has no field {name!r}"
            if "." not in field and "[" not in field
            else f"{field.rsplit('.', 1)[0]} has no field {name!r}"
        )
    elif kind == "missing":
        value, message = None, f"{field} is required"
    elif kind == "too_short" and name == "lines":
        n = (e.get("ctx") or {}).get("min_length", 1)
        rule = "min_one_line" if n == 1 else f"min_{n}_lines"
        value = len(value) if isinstance(value, list) else value
        message = f"a document needs at least {n} line{'s' if n > 1 else ''}"
    elif kind == "string_too_long":
        rule = f"max_length_{(e.get('ctx') or {}).get('max_length')}"
        value = str(value)[:40]
    elif kind == "max_lines":
        value = len(value) if isinstance(value, list) else value
        message = f"{field}: {e.get('msg')}"
    elif kind in ("no_bidi_control", "no_control_character"):
        message = f"{field} {e.get('msg')}"
        value = str(value).encode("unicode_escape").decode("ascii")[:60]
    elif kind == "string_unicode":
        message = f"{field} must be valid Unicode text (no lone surrogates)"
        value = str(value).encode("utf-8", "backslashreplace").decode("utf-8")[:40]
    elif rule == "no_nul_character":
        value = str(value).replace("\x00", "")[:40]
        message = f"{field} must not contain NUL characters"
    elif name.endswith("_days") and kind in _ID_RULES:
        rule = "integer" if kind.startswith("int") else "range_0_3650"
        message = f"{field} must be a whole number of days between 0 and 3650, got {value!r}"
    elif name == "year" and kind in _ID_RULES:  # a year close's year
        rule = "integer" if kind.startswith("int") else "year_range"
        message = (
            f"{field} must be a calendar year, a whole number from {EARLIEST_YEAR} to "
            f"{LATEST_YEAR}, got {value!r}"
        )
    elif name.endswith("_id") and kind in _ID_RULES:
        rule, message = "must_exist", f"{field}: {value!r} does not exist"
    elif rule == "number" and value == "":
        rule, message = "required", f"{field} is required"
    if isinstance(value, (list, dict)) or (isinstance(value, str) and len(value) > 100):
        value = str(value)[:40]
    return {"field": field, "value": value, "rule": rule, "message": message}


@functools.cache
def patch_model(model: type[Input]) -> type[Input]:
    """The same fields, all optional: a draft update changes only what it names."""
    fields: dict[str, Any] = {
        # every field of a command is annotated (`annotation` is None only for fields
        # pydantic could not type)
        name: (cast(Any, info.annotation) | None, Field(None, description=info.description))
        for name, info in model.model_fields.items()
    }
    return create_model(model.__name__.removesuffix("In") + "Patch", __base__=Input, **fields)

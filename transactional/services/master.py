"""Master data with validation: items, warehouses, customers, suppliers, supplier-item
terms, reorder rules, carriers, accounts; and the one-time setup (chart of accounts,
counters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Numeric, String, select
from sqlalchemy.orm import Session

from transactional.chart import DEFAULT_ACCOUNTS, SUB_ACCOUNT_PARENT
from transactional.commands import MASTER_COMMANDS, Input, patch_model, validate
from transactional.errors import Conflict, ValidationError
from transactional.models import (
    Account,
    Base,
    Carrier,
    ChangeCounter,
    Customer,
    Item,
    ReorderRule,
    Supplier,
    SupplierItem,
    Warehouse,
)
from transactional.services.base import (
    Context,
    audit,
    date_field,
    decimal_field,
    filled,
    get_or_404,
    must_exist,
    text_field,
)

# kind -> (table, unique fields); the fields, their types and sizes are the kind's
# command (transactional.commands.MASTER_COMMANDS)
TABLES: dict[str, tuple[type[Base], tuple[str, ...]]] = {
    "item": (Item, ("sku",)),
    "warehouse": (Warehouse, ("code",)),
    "customer": (Customer, ("code",)),
    "supplier": (Supplier, ("code",)),
    "supplier_item": (SupplierItem, ()),
    "reorder_rule": (ReorderRule, ()),
    "carrier": (Carrier, ("code",)),
    "account": (Account, ("code",)),
}
POSITIVE = frozenset({"pack_size", "reorder_qty"})  # other numbers are ≥ 0
RATES = frozenset({"vat_rate"})  # fractions below 1
TRANSIT_CODE = "IN-TRANSIT"
REFS: dict[str, type[Supplier | Item | Warehouse]] = {
    "supplier_id": Supplier,
    "item_id": Item,
    "warehouse_id": Warehouse,
}
# kind -> the reference fields that name the row and cannot change once it exists
KEYS = {
    "supplier_item": ("supplier_id", "item_id"),
    "reorder_rule": ("item_id", "warehouse_id"),
    "account": ("code",),
}


def _clean(ctx: Context, kind: str, data: Input | dict[str, Any], partial: bool) -> dict[str, Any]:
    """The command's values (a command, or a mapping validated through the kind's command
    or, for a change, its patch) with what needs the table checked: trimmed text within
    the column, signs and decimal places of each column, dates in range, references."""
    model = MASTER_COMMANDS[kind]
    target = patch_model(model) if partial else model
    command = (
        data
        if isinstance(data, target)
        else validate(
            target, data.model_dump(exclude_unset=True) if isinstance(data, Input) else data, kind
        )
    )
    table = TABLES[kind][0]
    out: dict[str, Any] = {}
    for name, value in command.model_dump(exclude_unset=partial).items():
        if value is None:
            continue
        column = table.__table__.columns[name]
        if name in REFS:
            row = must_exist(ctx.session, REFS[name], value, name)
            if isinstance(row, Warehouse) and row.is_transit:
                raise ValidationError(
                    f"{name}: warehouse {row.code!r} is the virtual "
                    f"in-transit warehouse; no {kind} applies to it",
                    field=name,
                    value=value,
                    rule="not_transit",
                )
            value = row.id
        elif isinstance(value, str):
            length = cast(String, column.type).length
            value = filled(
                text_field(
                    value, name, max_length=length, required=model.model_fields[name].is_required()
                )
            ).strip()
        elif isinstance(value, Decimal):
            value = decimal_field(
                value,
                name,
                positive=name in POSITIVE,
                non_negative=name not in POSITIVE,
                places=cast(Numeric, column.type).scale,
            )
            if name in RATES and value >= 1:
                raise ValidationError(
                    f"{name} is a fraction (0.20 = 20 %), got {value}",
                    field=name,
                    value=value,
                    rule="fraction_below_1",
                )
        elif isinstance(value, dt.date):
            value = date_field(value, name)
        out[name] = value
    return out


def _check_unique(ctx: Context, kind: str, values: dict[str, Any], exclude_id: Any = None) -> None:
    model, unique = TABLES[kind]
    for name in unique:
        if name in values:
            existing = ctx.session.execute(
                select(model).where(getattr(model, name) == values[name])
            ).scalar_one_or_none()
            if existing is not None and _pk(existing) != exclude_id:
                raise Conflict(
                    f"{kind} with {name} {values[name]!r} already exists",
                    field=name,
                    value=values[name],
                    rule="unique",
                )
    if kind == "supplier_item" and "supplier_id" in values:
        terms = ctx.session.execute(
            select(SupplierItem).where(
                SupplierItem.supplier_id == values["supplier_id"],
                SupplierItem.item_id == values["item_id"],
            )
        ).scalar_one_or_none()
        if terms is not None and terms.id != exclude_id:
            raise Conflict(
                f"terms for supplier {values['supplier_id']} and item "
                f"{values['item_id']} already exist",
                field="item_id",
                value=values["item_id"],
                rule="unique_supplier_item",
            )
    if kind == "reorder_rule" and "item_id" in values:
        rule = ctx.session.execute(
            select(ReorderRule).where(
                ReorderRule.item_id == values["item_id"],
                ReorderRule.warehouse_id == values["warehouse_id"],
            )
        ).scalar_one_or_none()
        if rule is not None and rule.id != exclude_id:
            raise Conflict(
                f"a reorder rule for item {values['item_id']} in warehouse "
                f"{values['warehouse_id']} already exists (id {rule.id}): "
                f"change that one",
                field="warehouse_id",
                value=values["warehouse_id"],
                rule="unique_item_warehouse",
            )


def _pk(obj: Base) -> Any:
    return getattr(obj, "id", None) or getattr(obj, "code", None)


def as_dict(obj: Base) -> dict[str, Any]:
    """A JSON-friendly picture of a master-data row."""
    out: dict[str, Any] = {}
    for col in obj.__table__.columns:
        if col.name == "password_hash":
            continue
        v = getattr(obj, col.name)
        out[col.name] = str(v) if isinstance(v, Decimal) or hasattr(v, "isoformat") else v
    return out


def create_master(ctx: Context, kind: str, data: Input | dict[str, Any]) -> Base:
    """Validate the kind's command (transactional.commands.MASTER_COMMANDS; a mapping is
    validated through it) and create one master-data row; audited."""
    ctx.authorize(kind, "create")
    values = _clean(ctx, kind, data, partial=False)
    _check_unique(ctx, kind, values)
    model = TABLES[kind][0]
    if kind == "account" and values.get("parent_code"):
        if ctx.session.get(Account, values["parent_code"]) is None:
            raise ValidationError(
                f"parent_code {values['parent_code']!r} does not exist",
                field="parent_code",
                value=values["parent_code"],
                rule="must_exist",
            )
    obj = model(**values)
    ctx.session.add(obj)
    ctx.session.flush()
    audit(ctx, "create", kind, _pk(obj), None, None, as_dict(obj))
    return obj


def update_master(ctx: Context, kind: str, key: Any, data: Input | dict[str, Any]) -> Base:
    """Validate and change the fields a patch names (a mapping, or the kind's patch
    model); audited with before/after."""
    ctx.authorize(kind, "update")
    model = TABLES[kind][0]
    obj = get_or_404(ctx.session, model, key, f"{kind}")
    values = _clean(ctx, kind, data, partial=True)
    for name in KEYS.get(kind, ()):
        values.pop(name, None)
    _check_unique(ctx, kind, values, exclude_id=_pk(obj))
    before = as_dict(obj)
    for k, v in values.items():
        setattr(obj, k, v)
    ctx.session.flush()
    audit(ctx, "update", kind, _pk(obj), None, before, as_dict(obj))
    return obj


def seed_reference_data(session: Session) -> None:
    """Chart of accounts and the change counter (idempotent)."""
    for code, name, typ, control in DEFAULT_ACCOUNTS:
        if session.get(Account, code) is None:
            session.add(
                Account(
                    code=code,
                    name=name,
                    account_type=typ,
                    is_control=control,
                    parent_code=SUB_ACCOUNT_PARENT.get(code),
                )
            )
    session.flush()
    if (
        session.execute(
            select(Warehouse).where(Warehouse.is_transit.is_(True))
        ).scalar_one_or_none()
        is None
    ):
        session.add(Warehouse(code=TRANSIT_CODE, name="Goods in transit", is_transit=True))
    if session.get(ChangeCounter, 1) is None:
        session.add(ChangeCounter(id=1, value=0))
    session.flush()


def check_field(ctx: Context, kind: str, name: str, value: Any) -> None:
    """Validate one field of a master-data row on its own (raises the DomainError the
    full row would), so an import can report every bad cell, not only the first."""
    _clean(ctx, kind, {name: value}, partial=True)

"""Master data with validation: items, warehouses, customers, suppliers, supplier-item
terms, reorder rules, carriers, accounts; and the one-time setup (chart of accounts,
counters)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from transactional.chart import DEFAULT_ACCOUNTS, SUB_ACCOUNT_PARENT
from transactional.errors import Conflict, ValidationError
from transactional.models import (
    SUPPLY_MODES,
    Account,
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
    get_or_404,
    must_exist,
    text_field,
)

# kind -> (model, {field: (type, required)}, unique fields)
SPECS: dict[str, tuple[type, dict[str, tuple[str, bool]], tuple[str, ...]]] = {
    "item": (Item, {"sku": ("str", True), "name": ("str", True), "category": ("str", True),
                    "unit": ("str", False), "pack_size": ("pos", False),
                    "moq": ("nonneg", False), "vat_rate": ("rate", False),
                    "list_price": ("nonneg", False), "active": ("bool", False),
                    "launched_on": ("date", False), "discontinued_on": ("date", False),
                    "supply_mode": ("supply_mode", False)},
             ("sku",)),
    "warehouse": (Warehouse, {"code": ("str", True), "name": ("str", True),
                              "active": ("bool", False)}, ("code",)),
    "customer": (Customer, {"code": ("str", True), "name": ("str", True),
                            "region": ("str", False), "credit_limit": ("nonneg", False),
                            "payment_terms_days": ("days", False), "active": ("bool", False)},
                 ("code",)),
    "supplier": (Supplier, {"code": ("str", True), "name": ("str", True),
                            "payment_terms_days": ("days", False),
                            "default_lead_time_days": ("days", False),
                            "active": ("bool", False)}, ("code",)),
    "supplier_item": (SupplierItem, {"supplier_id": ("ref:supplier", True),
                                     "item_id": ("ref:item", True), "price": ("nonneg", True),
                                     "lead_time_days": ("days", True), "moq": ("nonneg", False),
                                     "pack_size": ("pos", False)}, ()),
    "reorder_rule": (ReorderRule, {"item_id": ("ref:item", True),
                                   "warehouse_id": ("ref:warehouse", True),
                                   "reorder_level": ("nonneg", True),
                                   "reorder_qty": ("pos", True),
                                   "active": ("bool", False)}, ()),
    "carrier": (Carrier, {"code": ("str", True), "name": ("str", True)}, ("code",)),
    "account": (Account, {"code": ("str", True), "name": ("str", True),
                          "account_type": ("acctype", True), "parent_code": ("str", False),
                          "active": ("bool", False)}, ("code",)),
}
TRANSIT_CODE = "IN-TRANSIT"
REFS = {"supplier": Supplier, "item": Item, "warehouse": Warehouse}
# kind -> the reference fields that name the row and cannot change once it exists
KEYS = {"supplier_item": ("supplier_id", "item_id"),
        "reorder_rule": ("item_id", "warehouse_id"), "account": ("code",)}


def _clean(ctx: Context, kind: str, data: dict[str, Any], partial: bool) -> dict[str, Any]:
    model, fields, _ = SPECS[kind]
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ValidationError(f"{kind} has no field {unknown[0]!r}", field=unknown[0],
                              value=data[unknown[0]], rule="unknown_field")
    out: dict[str, Any] = {}
    for name, (typ, required) in fields.items():
        if name not in data or data[name] is None:
            if required and not partial:
                raise ValidationError(f"{name} is required", field=name, value=None,
                                      rule="required")
            continue
        value = data[name]
        column = model.__table__.columns[name]
        if typ == "str":
            if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                value = str(value)  # a numeric code read from a spreadsheet
            value = text_field(value, name, max_length=column.type.length, required=required)
            value = value.strip()
        elif typ == "pos":
            value = decimal_field(value, name, positive=True, places=column.type.scale)
        elif typ == "nonneg":
            value = decimal_field(value, name, non_negative=True, places=column.type.scale)
        elif typ == "rate":
            value = decimal_field(value, name, non_negative=True, places=column.type.scale)
            if value >= 1:
                raise ValidationError(f"{name} is a fraction (0.20 = 20 %), got {value}",
                                      field=name, value=value, rule="fraction_below_1")
        elif typ == "days":
            if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
                raise ValidationError(f"{name} must be a whole number of days", field=name,
                                      value=value, rule="integer")
            try:
                value = int(str(value))
            except ValueError:
                raise ValidationError(f"{name} must be a whole number of days, got {value!r}",
                                      field=name, value=value, rule="integer") from None
            if not 0 <= value <= 3650:
                raise ValidationError(f"{name} must be between 0 and 3650, got {value}",
                                      field=name, value=value, rule="range_0_3650")
        elif typ == "bool":
            if not isinstance(value, bool):
                raise ValidationError(f"{name} must be true or false", field=name, value=value,
                                      rule="boolean")
        elif typ == "date":
            value = date_field(value, name)
        elif typ == "supply_mode":
            if value not in SUPPLY_MODES:
                raise ValidationError(f"{name} must be one of {', '.join(SUPPLY_MODES)}, "
                                      f"got {value!r}", field=name, value=value,
                                      rule="one_of")
        elif typ == "acctype":
            if value not in ("asset", "liability", "equity", "income", "expense"):
                raise ValidationError(f"{name} must be asset, liability, equity, income or "
                                      f"expense, got {value!r}", field=name, value=value,
                                      rule="one_of")
        elif typ.startswith("ref:"):
            row = must_exist(ctx.session, REFS[typ[4:]], value, name)
            if isinstance(row, Warehouse) and row.is_transit:
                raise ValidationError(f"{name}: warehouse {row.code!r} is the virtual "
                                      f"in-transit warehouse; no {kind} applies to it",
                                      field=name, value=value, rule="not_transit")
            value = row.id
        out[name] = value
    return out


def _check_unique(ctx: Context, kind: str, values: dict[str, Any], exclude_id=None) -> None:
    model, _, unique = SPECS[kind]
    for name in unique:
        if name in values:
            existing = ctx.session.execute(select(model).where(
                getattr(model, name) == values[name])).scalar_one_or_none()
            if existing is not None and _pk(existing) != exclude_id:
                raise Conflict(f"{kind} with {name} {values[name]!r} already exists",
                               field=name, value=values[name], rule="unique")
    if kind == "supplier_item" and "supplier_id" in values:
        existing = ctx.session.execute(select(SupplierItem).where(
            SupplierItem.supplier_id == values["supplier_id"],
            SupplierItem.item_id == values["item_id"])).scalar_one_or_none()
        if existing is not None and existing.id != exclude_id:
            raise Conflict(f"terms for supplier {values['supplier_id']} and item "
                           f"{values['item_id']} already exist", field="item_id",
                           value=values["item_id"], rule="unique_supplier_item")
    if kind == "reorder_rule" and "item_id" in values:
        existing = ctx.session.execute(select(ReorderRule).where(
            ReorderRule.item_id == values["item_id"],
            ReorderRule.warehouse_id == values["warehouse_id"])).scalar_one_or_none()
        if existing is not None and existing.id != exclude_id:
            raise Conflict(f"a reorder rule for item {values['item_id']} in warehouse "
                           f"{values['warehouse_id']} already exists (id {existing.id}): "
                           f"change that one", field="warehouse_id",
                           value=values["warehouse_id"], rule="unique_item_warehouse")


def _pk(obj) -> Any:
    return getattr(obj, "id", None) or getattr(obj, "code", None)


def as_dict(obj) -> dict[str, Any]:
    """A JSON-friendly picture of a master-data row."""
    out = {}
    for col in obj.__table__.columns:
        if col.name == "password_hash":
            continue
        v = getattr(obj, col.name)
        out[col.name] = str(v) if isinstance(v, Decimal) or hasattr(v, "isoformat") else v
    return out


def create_master(ctx: Context, kind: str, data: dict[str, Any]):
    """Validate and create one master-data row; audited."""
    ctx.authorize(kind, "create")
    values = _clean(ctx, kind, data, partial=False)
    _check_unique(ctx, kind, values)
    model = SPECS[kind][0]
    if kind == "account" and values.get("parent_code"):
        if ctx.session.get(Account, values["parent_code"]) is None:
            raise ValidationError(f"parent_code {values['parent_code']!r} does not exist",
                                  field="parent_code", value=values["parent_code"],
                                  rule="must_exist")
    obj = model(**values)
    ctx.session.add(obj)
    ctx.session.flush()
    audit(ctx, "create", kind, _pk(obj), None, None, as_dict(obj))
    return obj


def update_master(ctx: Context, kind: str, key: Any, data: dict[str, Any]):
    """Validate and change fields of a master-data row; audited with before/after."""
    ctx.authorize(kind, "update")
    model = SPECS[kind][0]
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


def seed_reference_data(session) -> None:
    """Chart of accounts and the change counter (idempotent)."""
    for code, name, typ, control in DEFAULT_ACCOUNTS:
        if session.get(Account, code) is None:
            session.add(Account(code=code, name=name, account_type=typ, is_control=control,
                                parent_code=SUB_ACCOUNT_PARENT.get(code)))
    session.flush()
    if session.execute(select(Warehouse).where(Warehouse.is_transit.is_(True))
                       ).scalar_one_or_none() is None:
        session.add(Warehouse(code=TRANSIT_CODE, name="Goods in transit", is_transit=True))
    if session.get(ChangeCounter, 1) is None:
        session.add(ChangeCounter(id=1, value=0))
    session.flush()


def check_field(ctx: Context, kind: str, name: str, value: Any) -> None:
    """Validate one field of a master-data row on its own (raises the DomainError the
    full row would), so an import can report every bad cell, not only the first."""
    _clean(ctx, kind, {name: value}, partial=True)

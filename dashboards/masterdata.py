"""Master data on screen (no Streamlit here; pages/masterdata.py draws it): which kinds a
role may keep, their rows as a readable table, the form fields of each kind — derived from
its typed command (transactional.commands.MASTER_COMMANDS), so the screen asks for exactly
what the API and the imports take — and the save, through create_master / update_master.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from sqlalchemy import select

from transactional.commands import MASTER_COMMANDS
from transactional.db import session_scope
from transactional.models import Item, Supplier, Warehouse
from transactional.permissions import allowed
from transactional.services import Context
from transactional.services.master import KEYS, TABLES, as_dict, create_master, update_master

KINDS = {  # kind -> title, in menu order (the same kinds as access.MASTER_KINDS)
    "item": "Items",
    "customer": "Customers",
    "supplier": "Suppliers",
    "supplier_item": "Supplier-item terms",
    "warehouse": "Warehouses",
    "carrier": "Carriers",
    "reorder_rule": "Reorder rules",
}
REFERENCES = {"supplier_id": Supplier, "item_id": Item, "warehouse_id": Warehouse}
HIDDEN = {"id", "is_transit"}


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # text | bool | choice | reference
    required: bool
    choices: tuple[str, ...] = ()
    help: str | None = None


def kinds_for(role: str) -> dict[str, str]:
    """The kinds the role may create or change."""
    return {
        k: t for k, t in KINDS.items() if allowed(role, k, "create") or allowed(role, k, "update")
    }


def _literal_choices(annotation: Any) -> tuple[str, ...]:
    for arg in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(arg) is Literal:
            return tuple(str(a) for a in typing.get_args(arg))
    return ()


def _is_bool(annotation: Any) -> bool:
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    return annotation is bool or bool in args


def form_fields(kind: str) -> list[FormField]:
    """The command's fields as form inputs, in the command's order."""
    out = []
    for name, info in MASTER_COMMANDS[kind].model_fields.items():
        annotation = info.annotation
        if name in REFERENCES:
            widget, choices = "reference", ()
        elif _is_bool(annotation):
            widget, choices = "bool", ()
        elif choices := _literal_choices(annotation):
            widget = "choice"
        else:
            widget = "text"
        out.append(FormField(name, widget, info.is_required(), choices, info.description))
    return out


def labels(session, model) -> dict[int, str]:
    """id -> 'CODE – name' of suppliers, items (SKU) or real warehouses."""
    code = Item.sku if model is Item else model.code
    query = select(model.id, code, model.name).order_by(code)
    if model is Warehouse:
        query = query.where(Warehouse.is_transit.is_(False))
    return {i: f"{c} – {n}" for i, c, n in session.execute(query)}


def rows(url: str, kind: str, search: str = "") -> pd.DataFrame:
    """Every row of the kind (references as labels), filtered by `search` (any text
    column contains it, any case)."""
    model = TABLES[kind][0]
    with session_scope(url) as session:
        frame = pd.DataFrame([as_dict(o) for o in session.execute(select(model)).scalars()])
        refs = {
            col: labels(session, ref) for col, ref in REFERENCES.items() if col in frame.columns
        }
    if frame.empty:
        return frame
    frame = frame.drop(columns=[c for c in HIDDEN if c in frame.columns and c != "id"])
    for col, names in refs.items():
        frame[col] = [names.get(int(v), f"#{v}") for v in frame[col]]
    if search:
        needle = search.lower()
        text = frame.astype(str).apply(
            lambda col: col.str.lower().str.contains(needle, regex=False)
        )
        frame = frame[text.any(axis=1)]
    return frame.reset_index(drop=True)


def key_of(kind: str, row: dict[str, Any]) -> Any:
    """The primary key update_master takes (the account code; otherwise the id)."""
    return row["code"] if kind == "account" else row["id"]


def _value(raw: Any) -> Any:
    if isinstance(raw, str):
        raw = raw.strip()
        return raw or None
    return raw


def command(kind: str, values: dict[str, Any], before: dict[str, Any] | None = None) -> dict:
    """The command a form produces: empty inputs left out; for a change, only the fields
    that differ from the row (and never its key references)."""
    data = {k: v for k, v in ((k, _value(v)) for k, v in values.items()) if v is not None}
    if before is None:
        return data
    keys = set(KEYS.get(kind, ()))
    return {k: v for k, v in data.items() if k not in keys and _shown(before.get(k)) != _shown(v)}


def _shown(v: Any) -> str:
    if isinstance(v, (Decimal, float, int)) and not isinstance(v, bool):
        return str(Decimal(str(v)).normalize())
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    if isinstance(v, str):
        try:
            return str(Decimal(v).normalize())
        except ArithmeticError:
            return v
    return str(v)


def save(
    url: str, username: str, role: str, kind: str, data: dict, key: Any = None
) -> dict[str, Any]:
    """Create (key None) or change a row through the service layer; returns the row.
    Raises the service's DomainError (field, value, rule) when it refuses."""
    with session_scope(url) as session:
        ctx = Context(session, username=username, role=role)
        obj = create_master(ctx, kind, data) if key is None else update_master(ctx, kind, key, data)
        return as_dict(obj)

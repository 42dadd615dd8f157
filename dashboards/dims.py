"""Master data from the `dim_*` marts, under one set of names whatever the dbt renames
were (`item_id`/`id`, `item_name`/`name`…): id, code, name (+ category, region)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

Query = Callable[..., pd.DataFrame]

_CODE = {
    "item": ("sku", "item_sku", "code"),
    "warehouse": ("warehouse_code", "code"),
    "customer": ("customer_code", "code"),
    "supplier": ("supplier_code", "code"),
    "carrier": ("carrier_code", "code"),
}


def _pick(columns, *names: str) -> str | None:
    for name in names:
        if name in columns:
            return name
    return None


def lookup(q: Query, kind: str) -> pd.DataFrame:
    """Columns id, code, name, label ('CODE – name') and, for items, category; for
    customers, region. Empty frame when the dim is missing."""
    try:
        raw = q(f"select * from marts.dim_{kind}")
    except Exception:  # noqa: BLE001 - a missing dim just means no names to show
        raw = pd.DataFrame()
    cols = list(raw.columns)
    id_col = _pick(cols, f"{kind}_id", "id")
    if id_col is None:
        return pd.DataFrame(columns=["id", "code", "name", "label", "category", "region"])
    code_col = _pick(cols, *_CODE.get(kind, ("code",)))
    name_col = _pick(cols, f"{kind}_name", "name", "description")
    out = pd.DataFrame({"id": raw[id_col].astype("int64")})
    out["code"] = raw[code_col].astype(str) if code_col else out["id"].astype(str)
    out["name"] = raw[name_col].astype(str) if name_col else out["code"]
    out["label"] = out["code"] + " – " + out["name"]
    if kind == "item":
        cat = _pick(cols, "category", "item_category")
        out["category"] = raw[cat].astype(str) if cat else "(none)"
    if kind == "warehouse":
        out["is_transit"] = (
            raw["is_transit"].fillna(False).astype(bool) if "is_transit" in cols else False
        )
    if kind == "customer":
        reg = _pick(cols, "region", "customer_region")
        out["region"] = raw[reg].fillna("").astype(str) if reg else ""
    return out.sort_values("code").reset_index(drop=True)


def names(q: Query, kind: str) -> dict[int, str]:
    """id -> 'CODE – name'."""
    frame = lookup(q, kind)
    return dict(zip(frame["id"], frame["label"]))


def attach(
    frame: pd.DataFrame, q: Query, kind: str, id_col: str | None = None, as_col: str | None = None
) -> pd.DataFrame:
    """Add a readable label column for `<kind>_id` (after the id column)."""
    id_col = id_col or f"{kind}_id"
    as_col = as_col or kind
    labels = names(q, kind)
    out = frame.copy()
    values = [labels.get(int(v), f"#{v}") if pd.notna(v) else "" for v in out[id_col]]
    out.insert(list(out.columns).index(id_col) + 1, as_col, values)
    return out

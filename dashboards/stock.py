"""The on-hand list: stock by item × warehouse with SKU and name, on hand, committed, on
order, in transit, available, reorder level and value — now (marts.stock_position) or at
the end of any past day (marts.fct_stock_daily: on hand and value only; what was ordered
or committed on a past day is not kept). No Streamlit here: `q` runs a query, so the page
(dashboards/pages/stock.py) and the tests call the same builder.

Rows are real warehouses only: goods between a transfer's dispatch and its receipt are
shown as *in transit* at the destination (now) and are not in the list on a past day, so
the list's value is GL 1200 Inventory and 1210 (in transit) is reported beside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pandas as pd

from dashboards import exports

Query = Callable[..., pd.DataFrame]

NOW_COLUMNS = (
    "On hand",
    "Committed",
    "On order",
    "In transit",
    "Available",
    "Reorder level",
    "Value",
)
PAST_COLUMNS = ("On hand", "Value")
GROUPS = {"category": "Category", "warehouse": "Warehouse"}


def latest_date(q: Query) -> dt.date | None:
    """The last day the warehouse has stock for (its as-of date)."""
    value = q("select max(date) as d from marts.fct_stock_daily")["d"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _filters(search: str, warehouses: Sequence[int], categories: Sequence[str]) -> tuple[str, list]:
    sql, params = "", []
    if search:
        sql += " and (strpos(lower(i.sku), ?) > 0 or strpos(lower(i.item_name), ?) > 0)"
        params += [search.lower(), search.lower()]
    if warehouses:
        sql += f" and s.warehouse_id in ({','.join('?' * len(warehouses))})"
        params += [int(w) for w in warehouses]
    if categories:
        sql += f" and i.category in ({','.join('?' * len(categories))})"
        params += list(categories)
    return sql, params


def rows(
    q: Query,
    as_of: dt.date | None = None,
    search: str = "",
    warehouses: Sequence[int] = (),
    categories: Sequence[str] = (),
) -> tuple[pd.DataFrame, bool]:
    """(frame, is_now): one row per item × real warehouse with stock or open quantities,
    ordered by SKU then warehouse code. `as_of` None or the latest date = now."""
    latest = latest_date(q)
    now = as_of is None or latest is None or as_of >= latest
    where, params = _filters(search.strip(), warehouses, categories)
    if now:
        frame = q(
            "select i.sku as SKU, i.item_name as Item, i.category as Category, "
            "w.warehouse_code || ' – ' || w.warehouse_name as Warehouse, "
            's.on_hand as "On hand", s.committed as "Committed", s.on_order as "On order", '
            's.in_transit as "In transit", s.available as "Available", '
            'r.reorder_level as "Reorder level", s.stock_value as "Value" '
            "from marts.stock_position s "
            "join marts.dim_item i on i.item_id = s.item_id "
            "join marts.dim_warehouse w on w.warehouse_id = s.warehouse_id "
            "left join marts.reorder_rule r on r.item_id = s.item_id "
            "and r.warehouse_id = s.warehouse_id and r.active "
            "where not w.is_transit and (s.on_hand <> 0 or s.committed <> 0 "
            f"or s.on_order <> 0 or s.in_transit <> 0){where} "
            "order by i.sku, w.warehouse_code",
            params,
        )
    else:
        frame = q(
            "select i.sku as SKU, i.item_name as Item, i.category as Category, "
            "w.warehouse_code || ' – ' || w.warehouse_name as Warehouse, "
            's.qty_on_hand as "On hand", s.stock_value as "Value" '
            "from marts.fct_stock_daily s "
            "join marts.dim_item i on i.item_id = s.item_id "
            "join marts.dim_warehouse w on w.warehouse_id = s.warehouse_id "
            f"where s.date = ? and not w.is_transit and s.qty_on_hand <> 0{where} "
            "order by i.sku, w.warehouse_code",
            [as_of, *params],
        )
    return frame, now


def below_reorder_level(frame: pd.DataFrame) -> pd.Series:
    """True where available + on order + in transit is at or below the reorder level (the
    reorder rule's own test; no rule → False)."""
    if "Reorder level" not in frame:
        return pd.Series(False, index=frame.index)
    level = pd.to_numeric(frame["Reorder level"], errors="coerce")
    position = (
        pd.to_numeric(frame["Available"])
        + pd.to_numeric(frame["On order"])
        + pd.to_numeric(frame["In transit"])
    )
    return (position <= level) & level.notna()


def grouped(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Totals per category or warehouse (quantities of different items are not added:
    the group shows its number of lines and its value)."""
    label = GROUPS[by]
    out = (
        frame.groupby(label, as_index=False)
        .agg(Lines=("SKU", "count"), Value=("Value", lambda v: sum(v, 0)))
        .sort_values("Value", ascending=False)
    )
    return out.reset_index(drop=True)


def report(
    q: Query,
    as_of: dt.date | None = None,
    search: str = "",
    warehouses: Sequence[int] = (),
    categories: Sequence[str] = (),
    group_by: str | None = None,
) -> exports.Report:
    """The list (or its totals by category / warehouse) as an exportable report with a
    total row."""
    frame, now = rows(q, as_of, search, warehouses, categories)
    when = "now" if now else f"at the end of {as_of:%-d %b %Y}"
    if group_by:
        return exports.Report.from_frame(
            grouped(frame, group_by), f"Stock value by {group_by}", f"Stock {when}"
        )
    out = exports.Report.from_frame(frame, "Stock on hand", f"Stock {when}", total_label="Total")
    if "Reorder level" in out.frame and len(out.frame):
        out.frame.loc[len(out.frame) - 1, "Reorder level"] = None  # levels do not add up
    return out

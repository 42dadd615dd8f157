"""Headline figures of the Overview, computed from the marts (no Streamlit: `q` runs a
query, `flt` is a ui.Filters). Rates are recomputed from sums, never averaged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboards.statements import add_months, month_end


@dataclass
class Kpi:
    label: str
    series: pd.Series  # month (date) -> value, oldest first
    kind: str  # money | pct | ratio | days

    def at(self, month: dt.date) -> float | None:
        v = self.series.get(month)
        return None if v is None or pd.isna(v) else float(v)


def _by_month(frame: pd.DataFrame, months: list[dt.date], col: str = "v") -> pd.Series:
    if frame.empty:
        return pd.Series([float("nan")] * len(months), index=months)
    s = pd.Series(
        frame[col].astype(float).to_numpy(),
        index=[pd.Timestamp(m).date().replace(day=1) for m in frame["m"]],
    )
    return s.reindex(months)


def monthly_kpis(q, flt, anchor: dt.date, as_of: dt.date, n_months: int = 25) -> dict[str, Kpi]:
    """Revenue, gross margin (value and %), stock value at month end, annualised turnover,
    days of inventory and unit fill rate for the n months ending with `anchor`."""
    months = [add_months(anchor, -k) for k in range(n_months - 1, -1, -1)]
    first, last = months[0], month_end(anchor)
    w, p = flt.where(wh_col=None, cat_col="category")
    sales = q(
        "select month as m, sum(revenue) as revenue, sum(gross_margin) as gm "
        f"from marts.sales_margin_monthly where month between ? and ? {w} group by 1",
        [first, last, *p],
    )
    revenue = _by_month(sales, months, "revenue")
    margin = _by_month(sales, months, "gm")
    ends = [min(month_end(m), as_of) for m in months]
    w, p = flt.where(wh_col="warehouse_id", item_col="item_id")
    marks = ",".join("?" * len(ends))
    stock = q(
        f"select date_trunc('month', date) as m, sum(stock_value) as v "
        f"from marts.fct_stock_daily where date in ({marks}) {w} group by 1",
        [*ends, *p],
    )
    turn = turnover_by(q, flt, first, last, [])
    turn = turn.rename(columns={"month": "m"})
    cogs, inv = _by_month(turn, months, "cogs"), _by_month(turn, months, "inv")
    period_days = _by_month(turn, months, "days")
    turnover = cogs * 365 / period_days / inv.where(inv > 0)
    dio = period_days * inv / cogs.where(cogs > 0)
    w, p = flt.where(wh_col="warehouse_id", item_col="item_id")
    fill = q(
        "select date_trunc('month', date) as m, sum(demand_qty) as d, "
        f"sum(lost_qty) as l from marts.demand_daily where date between ? and ? {w} "
        "group by 1",
        [first, last, *p],
    )
    demand, lost = _by_month(fill, months, "d"), _by_month(fill, months, "l")
    return {
        "revenue": Kpi("Revenue", revenue, "money"),
        "gross_margin": Kpi("Gross margin", margin, "money"),
        "gross_margin_pct": Kpi("Gross margin %", margin / revenue.where(revenue != 0), "pct"),
        "stock_value": Kpi("Stock value", _by_month(stock, months), "money"),
        "turnover": Kpi("Turnover (annualised)", turnover, "ratio"),
        "days_of_inventory": Kpi("Days of inventory", dio, "days"),
        "fill_rate": Kpi("Fill rate", 1 - lost / demand.where(demand > 0), "pct"),
    }


def turnover_by(q, flt, first: dt.date, last: dt.date, keys: list[str]) -> pd.DataFrame:
    """Σ COGS, Σ average inventory value and the days of each month's period (the first
    and current months are partial) per month and `keys`, from inventory_turnover_monthly;
    turnover = cogs ÷ inv per period, annualised × 365 ÷ days (the mart's definition)."""
    has_days = (
        "days_in_period" in q("select * from marts.inventory_turnover_monthly limit 0").columns
    )
    days = (
        "max(days_in_period)"
        if has_days
        else "max(date_diff('day', month, month + interval 1 month))"
    )
    w, p = flt.where(wh_col="warehouse_id", cat_col="category")
    group = ", ".join(["month", *keys])
    frame = q(
        f"select {group}, sum(cogs) as cogs, sum(avg_inventory_value) as inv, "
        f"{days} as days from marts.inventory_turnover_monthly "
        f"where month between ? and ? {w} group by {group}",
        [first, last, *p],
    )
    for c in ("cogs", "inv", "days"):
        frame[c] = frame[c].astype(float)
    frame["turnover"] = frame["cogs"] * 365 / frame["days"] / frame["inv"].where(frame["inv"] > 0)
    frame["days_of_inventory"] = (
        frame["days"] * frame["inv"] / frame["cogs"].where(frame["cogs"] > 0)
    )
    return frame


def overdue_receivables(q) -> dict[str, float]:
    """Invoices past due now (credit notes are not 'overdue'): amount, customers, and the
    part more than 90 days late."""
    frame = q(
        "select coalesce(sum(open_amount), 0) as amount, count(distinct customer_id) "
        "as customers, coalesce(sum(open_amount) filter (where days_overdue > 90), 0) "
        "as over_90 from marts.ar_ageing where days_overdue > 0 and open_amount > 0"
    )
    return {k: float(v) for k, v in frame.iloc[0].items()}


def late_po_lines(q, as_of: dt.date, flt=None) -> pd.DataFrame:
    """Open lines of approved purchase orders, with days late against the promised date
    (negative: not due yet). Read from marts.fct_purchase_order_lines."""
    w, p = flt.where(wh_col="warehouse_id", item_col="item_id") if flt else ("", [])
    return q(
        "select document_id, document_number as number, supplier_id, warehouse_id, "
        "doc_date, expected_date, item_id, qty, received_qty, open_qty, open_value, "
        "date_diff('day', expected_date, ?::date) as days_late "
        "from marts.fct_purchase_order_lines where status = 'approved' "
        "and coalesce(fulfilment_status, 'open') not in ('fully', 'closed') "
        f"and open_qty > 0 {w} order by days_late desc, number",
        [as_of, *p],
    )


def dead_stock(q, flt) -> pd.DataFrame:
    """stock_ageing rows classed slow or dead, most valuable first."""
    w, p = flt.where(wh_col="warehouse_id", item_col="item_id")
    return q(
        "select item_id, warehouse_id, movement_class, qty_on_hand, stock_value, "
        "days_since_last_sale from marts.stock_ageing "
        f"where movement_class in ('slow', 'dead') and qty_on_hand > 0 {w} "
        "order by stock_value desc",
        p,
    )

"""Overview for managers: the month's headline figures against last month and the same
month last year, with sparklines, and the alerts that need someone's attention."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import dims, kpis, ui
from dashboards import fmt as f
from dashboards.statements import add_months, month_end

ui.page_setup("overview")
flt = ui.filters()
as_of = ui.as_of()
end = min(flt.end, as_of)
anchor = end.replace(day=1)
st.title("Overview")
if end != month_end(anchor):
    # a part month against whole ones reads as a collapse: the last whole month by default
    which = (
        st.segmented_control(
            "Month",
            ["Last complete month", "Month to date"],
            default="Last complete month",
            key="ov_month",
        )
        or "Last complete month"
    )
    if which == "Last complete month":
        anchor = add_months(anchor, -1)
prev, last_year = add_months(anchor, -1), add_months(anchor, -12)
partial = f" (to {end:%-d %b})" if anchor == end.replace(day=1) else ""
st.caption(
    f"{anchor:%B %Y}{partial} against {prev:%B %Y} and {last_year:%B %Y} · data up "
    f"to {as_of:%-d %b %Y} · {ui.Filters.describe(flt)}"
)

FORMAT = {"money": f.money, "pct": f.pct, "ratio": f.ratio, "days": f.days}
figures = kpis.monthly_kpis(ui.q, flt, anchor, as_of)


def _show(col, key: str, better: str = "normal") -> None:
    k = figures[key]
    now, before, ly = k.at(anchor), k.at(prev), k.at(last_year)
    delta = f.delta_points(now, before) if k.kind == "pct" else f.delta_pct(now, before)
    yoy = f.delta_points(now, ly) if k.kind == "pct" else f.delta_pct(now, ly)
    spark = [0.0 if pd.isna(v) else round(float(v), 4) for v in k.series.iloc[-13:]]
    col.metric(
        k.label,
        FORMAT[k.kind](now),
        delta,
        delta_color=better,
        border=True,
        chart_data=spark,
        chart_type="line",
        help=f"{prev:%b %Y}: {FORMAT[k.kind](before)} · {last_year:%b %Y}: "
        f"{FORMAT[k.kind](ly)} ({yoy or 'n/a'} vs last year)",
        delta_description=f"m/m · {yoy or 'n/a'} y/y",
    )


row1 = st.columns(4)
_show(row1[0], "revenue")
_show(row1[1], "gross_margin")
_show(row1[2], "gross_margin_pct")
_show(row1[3], "fill_rate")
row2 = st.columns(4)
_show(row2[0], "stock_value", "off")
_show(row2[1], "turnover")
_show(row2[2], "days_of_inventory", "inverse")
overdue = kpis.overdue_receivables(ui.q)
row2[3].metric(
    "Overdue receivables",
    f.money(overdue["amount"]),
    f"{overdue['customers']:.0f} customer(s)",
    delta_color="off",
    border=True,
    delta_arrow="off",
    help=f"Past due today; {f.money(overdue['over_90'])} more than 90 days",
)

# ------------------------------------------------------------------------- alerts
st.subheader("Needs attention")
a1, a2, a3, a4 = st.columns(4)

with a1.container(border=True):
    st.markdown("**Below reorder point**")
    if ui.has_table("planning.replenishment_plan"):
        plan = ui.q(
            "select item_id, warehouse_id, position, reorder_point, suggested_qty "
            "from planning.replenishment_plan where reorder_point is not null "
            "and position <= reorder_point order by reorder_point - position desc"
        )
        st.markdown(f"### {len(plan):,}")
        st.caption("item-warehouses at or under their reorder point")
        if len(plan):
            plan = dims.attach(plan, ui.q, "item")
            ui.table(
                plan[["item", "position", "reorder_point"]].head(20),
                hide_index=True,
                height=min(180, 38 + 35 * min(len(plan), 20)),
            )
    else:
        st.markdown("### –")
        st.caption("Planning has not run yet, so there are no reorder points: run `qm plan`.")

with a2.container(border=True):
    st.markdown("**Dead stock**")
    slow = kpis.dead_stock(ui.q, flt)
    dead = slow[slow["movement_class"] == "dead"]
    st.markdown(f"### {f.money(dead['stock_value'].astype(float).sum())}")
    st.caption(
        f"{len(dead)} item-warehouses without a sale for long; "
        f"{f.money(slow[slow['movement_class'] == 'slow']['stock_value'].astype(float).sum())}"
        " more in slow movers"
    )

with a3.container(border=True):
    st.markdown("**Late supplier deliveries**")
    late = kpis.late_po_lines(ui.q, as_of, flt)
    late = late[late["days_late"] > 0]
    st.markdown(f"### {len(late):,}")
    st.caption(
        f"open PO lines past their promised date, {f.money(late['open_value'].sum())} outstanding"
    )
    if len(late):
        late = dims.attach(late, ui.q, "supplier")
        ui.table(
            late[["number", "supplier", "days_late"]].head(20),
            hide_index=True,
            height=min(180, 38 + 35 * min(len(late), 20)),
        )

with a4.container(border=True):
    st.markdown("**Overdue customers**")
    ar = ui.q(
        "select customer_id, sum(open_amount) as overdue, max(days_overdue) as "
        "max_days from marts.ar_ageing where days_overdue > 0 and open_amount > 0 "
        "group by 1 order by overdue desc"
    )
    st.markdown(f"### {len(ar):,}")
    st.caption(f"customers with invoices past due, {f.money(overdue['amount'])} in total")
    if len(ar):
        ar = dims.attach(ar, ui.q, "customer")
        ui.table(
            ar[["customer", "overdue", "max_days"]].head(20),
            hide_index=True,
            height=min(180, 38 + 35 * min(len(ar), 20)),
            column_config=ui.number_config(["overdue"]),
        )

# --------------------------------------------------------------------------- trend
st.subheader("Revenue and gross margin")
trend = (
    pd.DataFrame(
        {
            "month": pd.to_datetime(list(figures["revenue"].series.index)),
            "Revenue": figures["revenue"].series.to_numpy(),
            "Gross margin": figures["gross_margin"].series.to_numpy(),
        }
    )
    .iloc[-13:]
    .dropna()
)
if trend.empty:
    ui.empty_state(
        "No sales yet",
        "Revenue appears here once invoices are posted and the warehouse is refreshed.",
    )
else:
    long = trend.melt("month", var_name="measure", value_name="amount")
    st.altair_chart(
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("amount:Q", title=None, axis=alt.Axis(format=",.0f")),
            color=alt.Color("measure:N", title=None),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="month"),
                "measure:N",
                alt.Tooltip("amount:Q", format=",.0f"),
            ],
        )
        .properties(height=260)
    )

"""Sales & margin: monthly trends; revenue and margin by customer, region and category;
RFM segments; returns."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import dims, exports, ui
from dashboards import fmt as f

ui.page_setup("sales")
flt = ui.filters()
st.title("Sales & margin")
st.caption(
    f"{ui.Filters.describe(flt)} · sales are not split by warehouse, so the "
    "warehouse filter does not apply here"
)

w, p = flt.where(date_col="month", cat_col="category")
sales = ui.q(
    "select month, item_id, category, customer_id, region, revenue, cogs, "
    f"gross_margin, qty from marts.sales_margin_monthly where true {w}",
    p,
)
for c in ("revenue", "cogs", "gross_margin", "qty"):
    sales[c] = sales[c].astype(float)

if sales.empty:
    ui.empty_state(
        "No sales in this period",
        "Revenue and margin appear once invoices are "
        "posted and the warehouse is refreshed; or widen the period.",
    )
    st.stop()

rev, gm = sales["revenue"].sum(), sales["gross_margin"].sum()
c = st.columns(4)
c[0].metric("Revenue (period)", f.money(rev))
c[1].metric("Gross margin (period)", f.money(gm))
c[2].metric("Gross margin % (period)", f.pct(gm / rev if rev else None))
c[3].metric("Units sold (period)", f.qty(sales["qty"].sum()))

tab_trend, tab_split, tab_rfm, tab_ret = st.tabs(
    ["Trends", "By customer, region, category", "RFM segments", "Returns"]
)
with tab_trend:
    m = sales.groupby("month", as_index=False)[["revenue", "cogs", "gross_margin"]].sum()
    m["gross_margin_pct"] = m["gross_margin"] / m["revenue"].where(m["revenue"] != 0)
    m["month"] = pd.to_datetime(m["month"])
    m["label"] = m["month"].dt.strftime("%b %Y")  # bars group under their month's label
    bars = (
        alt.Chart(m.melt(["month", "label"], ["revenue", "cogs"], "measure", "amount"))
        .mark_bar()
        .encode(
            x=alt.X(
                "label:O", sort=alt.SortField("month"), title=None, axis=alt.Axis(labelAngle=0)
            ),
            xOffset=alt.XOffset("measure:N", sort=["revenue", "cogs"]),
            y=alt.Y("amount:Q", title=None, axis=alt.Axis(format=",.0f")),
            color=alt.Color("measure:N", title=None, sort=["revenue", "cogs"]),
            tooltip=[
                alt.Tooltip("label:O", title="month"),
                "measure:N",
                alt.Tooltip("amount:Q", format=",.0f"),
            ],
        )
    )
    st.altair_chart(bars.properties(height=260))
    st.altair_chart(
        alt.Chart(m)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("gross_margin_pct:Q", title="gross margin %", axis=alt.Axis(format=".0%")),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="month"),
                alt.Tooltip("gross_margin_pct:Q", format=".1%"),
            ],
        )
        .properties(height=180)
    )


def _split(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    g = frame.groupby(key, as_index=False)[["revenue", "cogs", "gross_margin", "qty"]].sum()
    g["gross_margin_pct"] = g["gross_margin"] / g["revenue"].where(g["revenue"] != 0)
    return g.sort_values("revenue", ascending=False)


with tab_split:
    by = (
        st.segmented_control(
            "Split by", ["Customer", "Region", "Category"], default="Customer", key="sales_split"
        )
        or "Customer"
    )
    frame = dims.attach(sales, ui.q, "customer") if by == "Customer" else sales
    key = {"Customer": "customer", "Region": "region", "Category": "category"}[by]
    g = _split(frame, key)
    top = g.head(20)
    st.altair_chart(
        alt.Chart(top)
        .mark_bar()
        .encode(
            y=alt.Y(f"{key}:N", sort="-x", title=None),
            x=alt.X("revenue:Q", title="revenue", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "gross_margin_pct:Q",
                title="margin %",
                scale=alt.Scale(scheme="redyellowgreen"),
                legend=alt.Legend(format=".0%"),
            ),
            tooltip=[
                key,
                alt.Tooltip("revenue:Q", format=",.0f"),
                alt.Tooltip("gross_margin:Q", format=",.0f"),
                alt.Tooltip("gross_margin_pct:Q", format=".1%"),
            ],
        )
        .properties(height=60 + 28 * len(top))
    )
    ui.table(
        g,
        hide_index=True,
        column_config={
            **ui.number_config(["revenue", "cogs", "gross_margin", "qty"]),
            "gross_margin_pct": st.column_config.NumberColumn("Gross margin %", format="percent"),
        },
    )
    ui.downloads(
        exports.Report.from_frame(g, f"Sales by {key}", ui.Filters.describe(flt)), "sales_split"
    )

with tab_rfm:
    rfm = ui.q(
        "select customer_id, recency_days, frequency, monetary, r_score, f_score, "
        "m_score, segment from marts.customer_rfm"
    )
    if rfm.empty:
        ui.empty_state("No customer segments", "RFM needs invoiced customers.")
    else:
        rfm["monetary"] = rfm["monetary"].astype(float)
        seg = rfm.groupby("segment", as_index=False).agg(
            customers=("customer_id", "count"), monetary=("monetary", "sum")
        )
        c1, c2 = st.columns([1, 2])
        ui.table(
            seg.sort_values("monetary", ascending=False),
            where=c1,
            hide_index=True,
            column_config=ui.number_config(["monetary"]),
        )
        c2.altair_chart(
            alt.Chart(rfm)
            .mark_circle(size=70, opacity=0.7)
            .encode(
                x=alt.X("recency_days:Q", title="days since last purchase"),
                y=alt.Y("monetary:Q", title="spend", axis=alt.Axis(format=",.0f")),
                color=alt.Color("segment:N"),
                tooltip=[
                    "customer_id",
                    "segment",
                    "frequency",
                    alt.Tooltip("monetary:Q", format=",.0f"),
                ],
            )
            .properties(height=300)
        )
        ui.table(
            dims.attach(rfm, ui.q, "customer").drop(columns="customer_id"),
            hide_index=True,
            column_config=ui.number_config(["monetary"]),
        )

with tab_ret:
    ret = ui.q(
        "select d.doc_date, d.document_number as number, d.customer_id, d.net_total, "
        "d.status from marts.fct_sales_invoices_returns d "
        "where d.doc_type = 'sales_return' and d.status = 'posted' "
        "and d.doc_date between ? and ? order by d.doc_date desc",
        [flt.start, flt.end],
    )
    invoiced = ui.q(
        "select coalesce(sum(net_total), 0) as v from "
        "marts.fct_sales_invoices_returns where doc_type = 'sales_invoice' and "
        "status = 'posted' and doc_date between ? and ?",
        [flt.start, flt.end],
    )["v"].iloc[0]
    if ret.empty:
        ui.empty_state("No returns", "No customer returned goods in the chosen period.")
    else:
        ret["net_total"] = ret["net_total"].astype(float)
        c1, c2, c3 = st.columns(3)
        c1.metric("Returns", f"{len(ret):,}")
        c2.metric("Credited (net)", f.money(ret["net_total"].sum()))
        c3.metric(
            "Return rate",
            f.pct(ret["net_total"].sum() / float(invoiced) if float(invoiced) else None),
            help="credited net ÷ invoiced net in the period",
        )
        ui.table(
            dims.attach(ret, ui.q, "customer").drop(columns="customer_id"),
            hide_index=True,
            column_config=ui.number_config(["net_total"]),
        )

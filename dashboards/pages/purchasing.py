"""Purchasing & suppliers: supplier scorecards (on time, lead time, fill, QC rejects),
purchase price variance, open purchase orders and late lines."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import dims, exports, kpis, ui
from dashboards import fmt as f

ui.page_setup("purchasing")
flt = ui.filters()
as_of = ui.as_of()
st.title("Purchasing & suppliers")
st.caption(ui.Filters.describe(flt))

tab_score, tab_ppv, tab_open = st.tabs(
    ["Supplier scorecards", "Price variance", "Open orders & late lines"]
)

with tab_score:
    perf = ui.q(
        "select supplier_id, receipts, on_time_rate, lead_time_mean_days, "
        "lead_time_std_days, fill_rate, qc_reject_rate from marts.supplier_performance"
    )
    if perf.empty:
        ui.empty_state(
            "No receipts yet",
            "Scorecards appear once goods receipts against "
            "purchase orders are posted and the warehouse is refreshed.",
        )
    else:
        perf = dims.attach(perf, ui.q, "supplier").drop(columns="supplier_id")
        for c in (
            "on_time_rate",
            "lead_time_mean_days",
            "lead_time_std_days",
            "fill_rate",
            "qc_reject_rate",
        ):
            perf[c] = perf[c].astype(float)
        w = perf["receipts"].astype(float)
        c = st.columns(4)
        c[0].metric("On time (all receipts)", f.pct((perf["on_time_rate"] * w).sum() / w.sum()))
        c[1].metric("Mean lead time", f.days((perf["lead_time_mean_days"] * w).sum() / w.sum()))
        c[2].metric("Fill rate", f.pct((perf["fill_rate"] * w).sum() / w.sum()))
        c[3].metric("QC rejects", f.pct((perf["qc_reject_rate"].fillna(0) * w).sum() / w.sum()))
        st.altair_chart(
            alt.Chart(perf)
            .mark_bar()
            .encode(
                y=alt.Y("supplier:N", sort="x", title=None),
                x=alt.X(
                    "on_time_rate:Q",
                    title="on-time rate",
                    axis=alt.Axis(format=".0%"),
                    scale=alt.Scale(domain=[0, 1]),
                ),
                color=alt.Color(
                    "on_time_rate:Q",
                    scale=alt.Scale(scheme="redyellowgreen", domain=[0.5, 1]),
                    legend=None,
                ),
                tooltip=[
                    "supplier",
                    alt.Tooltip("on_time_rate:Q", format=".1%"),
                    alt.Tooltip("lead_time_mean_days:Q", format=".1f"),
                    "receipts",
                ],
            )
            .properties(height=60 + 34 * len(perf))
        )
        pct = st.column_config.NumberColumn
        ui.table(
            perf.sort_values("on_time_rate"),
            hide_index=True,
            column_config={
                "on_time_rate": pct("on time", format="percent"),
                "fill_rate": pct("fill rate", format="percent"),
                "qc_reject_rate": pct("QC rejects", format="percent"),
                "lead_time_mean_days": pct("lead time (mean, d)", format="%.1f"),
                "lead_time_std_days": pct("lead time (std, d)", format="%.1f"),
            },
        )
        ui.downloads(
            exports.Report.from_frame(
                perf, "Supplier scorecards", f"as of {as_of}", total_label=None
            ),
            "pur_score",
        )
        if ui.has_table("marts.supplier_item_performance"):
            with st.expander("By supplier and item"):
                si = ui.q("select * from marts.supplier_item_performance")
                ui.table(
                    dims.attach(dims.attach(si, ui.q, "supplier"), ui.q, "item"), hide_index=True
                )

with tab_ppv:
    w, p = flt.where(date_col="month", item_col="item_id")
    ppv = ui.q(
        "select month, supplier_id, item_id, ppv from marts.purchase_price_variance "
        f"where true {w}",
        p,
    )
    if ppv.empty:
        ui.empty_state(
            "No price variance",
            "Every bill in the period matched its order price (or nothing was billed).",
        )
    else:
        ppv["ppv"] = ppv["ppv"].astype(float)
        st.metric(
            "Purchase price variance (period)",
            f.money(ppv["ppv"].sum()),
            help="bill price − order price × quantity; positive = paid more than ordered",
        )
        m = ppv.groupby("month", as_index=False)["ppv"].sum()
        m["month"] = pd.to_datetime(m["month"])
        st.altair_chart(
            alt.Chart(m)
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):T", title=None),
                y=alt.Y("ppv:Q", title="PPV", axis=alt.Axis(format=",.0f")),
                color=alt.condition("datum.ppv > 0", alt.value("#d62728"), alt.value("#2ca02c")),
                tooltip=[
                    alt.Tooltip("yearmonth(month):T", title="month"),
                    alt.Tooltip("ppv:Q", format=",.2f"),
                ],
            )
            .properties(height=220)
        )
        by = dims.attach(
            dims.attach(
                ppv.groupby(["supplier_id", "item_id"], as_index=False)["ppv"].sum(),
                ui.q,
                "supplier",
            ),
            ui.q,
            "item",
        )
        ui.table(
            by.drop(columns=["supplier_id", "item_id"]).sort_values(
                "ppv", key=abs, ascending=False
            ),
            hide_index=True,
            column_config=ui.number_config(["ppv"]),
        )

with tab_open:
    lines = kpis.late_po_lines(ui.q, as_of, flt)
    if lines.empty:
        ui.empty_state("No open purchase orders", "Every approved order is received or closed.")
    else:
        lines["open_value"] = lines["open_value"].astype(float)
        late = lines[lines["days_late"] > 0]
        c = st.columns(4)
        c[0].metric("Open POs", f"{lines['document_id'].nunique():,}")
        c[1].metric("Open value", f.money(lines["open_value"].sum()))
        c[2].metric("Late lines", f"{len(late):,}")
        c[3].metric("Late value", f.money(late["open_value"].sum()))
        lines = dims.attach(
            dims.attach(dims.attach(lines, ui.q, "supplier"), ui.q, "item"), ui.q, "warehouse"
        )
        only_late = st.toggle("Only late lines", value=False, key="pur_only_late")
        shown = lines[lines["days_late"] > 0] if only_late else lines
        ui.table(
            shown[
                [
                    "number",
                    "supplier",
                    "warehouse",
                    "item",
                    "doc_date",
                    "expected_date",
                    "qty",
                    "received_qty",
                    "open_qty",
                    "open_value",
                    "days_late",
                ]
            ],
            hide_index=True,
            column_config=ui.number_config(["qty", "received_qty", "open_qty", "open_value"]),
        )

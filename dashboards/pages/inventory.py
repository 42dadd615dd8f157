"""Inventory: turnover and days of inventory over time, stock ageing, ABC × XYZ, slow and
dead stock, stockouts and lost sales, and a drill-down from category to item to its
stock ledger."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import dims, exports, kpis, ui
from dashboards import fmt as f

ui.page_setup("inventory")
flt = ui.filters()
st.title("Inventory")
st.caption(ui.Filters.describe(flt))
items = dims.lookup(ui.q, "item")
tab_turn, tab_age, tab_abc, tab_slow, tab_out, tab_drill = st.tabs(
    ["Turnover", "Ageing", "ABC × XYZ", "Slow & dead", "Stockouts", "Drill-down"]
)

# ------------------------------------------------------------------------- turnover
with tab_turn:
    by = (
        st.segmented_control(
            "Group by", ["Category", "Warehouse"], default="Category", key="inv_turn_by"
        )
        or "Category"
    )
    key = "category" if by == "Category" else "warehouse_id"
    g = kpis.turnover_by(ui.q, flt, flt.start.replace(day=1), flt.end, [key])
    if g.empty:
        ui.empty_state(
            "No turnover yet",
            "Turnover needs stock and cost of goods sold in the "
            "chosen period; widen the period or refresh the warehouse.",
        )
    else:
        if by == "Warehouse":
            g = dims.attach(g, ui.q, "warehouse")
            key = "warehouse"
        g["month"] = pd.to_datetime(g["month"])
        base = alt.Chart(g).encode(
            x=alt.X("yearmonth(month):T", title=None), color=alt.Color(f"{key}:N", title=by)
        )
        c1, c2 = st.columns(2)
        c1.markdown("**Turnover (annualised, ×)**")
        c1.altair_chart(
            base.mark_line(point=True)
            .encode(
                y=alt.Y("turnover:Q", title=None),
                tooltip=[key, alt.Tooltip("turnover:Q", format=".2f")],
            )
            .properties(height=280)
        )
        c2.markdown("**Days of inventory**")
        c2.altair_chart(
            base.mark_line(point=True)
            .encode(
                y=alt.Y("days_of_inventory:Q", title=None),
                tooltip=[key, alt.Tooltip("days_of_inventory:Q", format=",.0f")],
            )
            .properties(height=280)
        )

# --------------------------------------------------------------------------- ageing
with tab_age:
    w, p = flt.where(wh_col="warehouse_id", item_col="item_id")
    age = ui.q(
        "select item_id, warehouse_id, qty_on_hand, stock_value, bucket_0_30, "
        "bucket_31_90, bucket_91_180, bucket_181_plus, days_since_last_sale, "
        f"movement_class from marts.stock_ageing where true {w}",
        p,
    )
    buckets = {
        "bucket_0_30": "0–30 d",
        "bucket_31_90": "31–90 d",
        "bucket_91_180": "91–180 d",
        "bucket_181_plus": "181+ d",
    }
    if age.empty:
        ui.empty_state("No stock", "Nothing is on hand for these filters.")
    else:
        cols = st.columns(4)
        for col, (b, label) in zip(cols, buckets.items()):
            col.metric(f"Stock aged {label}", f.money(age[b].astype(float).sum()))
        age = age.merge(items[["id", "category"]], left_on="item_id", right_on="id")
        long = (
            age.groupby("category")[list(buckets)]
            .sum()
            .reset_index()
            .melt("category", var_name="bucket", value_name="value")
        )
        long["bucket"] = long["bucket"].map(buckets)
        long["value"] = long["value"].astype(float)
        st.altair_chart(
            alt.Chart(long)
            .mark_bar()
            .encode(
                y=alt.Y("category:N", title=None),
                x=alt.X("value:Q", title="stock value", axis=alt.Axis(format=",.0f")),
                color=alt.Color("bucket:N", sort=list(buckets.values()), title="age"),
                order=alt.Order("bucket:N"),
                tooltip=["category", "bucket", alt.Tooltip("value:Q", format=",.0f")],
            )
            .properties(height=max(120, 36 * long["category"].nunique()))
        )

# ---------------------------------------------------------------------------- ABC×XYZ
with tab_abc:
    w, p = flt.where(wh_col="warehouse_id", item_col="item_id")
    abc = ui.q(
        "select abc_class, xyz_class, count(*) as n, sum(cogs_12m) as cogs_12m "
        f"from marts.abc_xyz where true {w} group by all",
        p,
    )
    if abc.empty:
        ui.empty_state(
            "No classes yet", "ABC × XYZ needs twelve months of cost of goods sold and demand."
        )
    else:
        abc["cogs_12m"] = abc["cogs_12m"].astype(float)
        abc["label"] = abc.apply(lambda r: f"{r['n']:,} · {f.money_short(r['cogs_12m'])}", axis=1)
        base = alt.Chart(abc).encode(
            x=alt.X("xyz_class:N", title="XYZ (demand variability)", sort=["X", "Y", "Z"]),
            y=alt.Y("abc_class:N", title="ABC (value)", sort=["A", "B", "C"]),
        )
        st.altair_chart(
            (
                base.mark_rect().encode(
                    color=alt.Color(
                        "cogs_12m:Q", title="COGS 12 m", scale=alt.Scale(scheme="blues")
                    ),
                    tooltip=[
                        "abc_class",
                        "xyz_class",
                        "n",
                        alt.Tooltip("cogs_12m:Q", format=",.0f"),
                    ],
                )
                + base.mark_text(fontSize=14).encode(text="label:N")
            ).properties(height=260, width=420)
        )
        st.caption(
            "Cell: item-warehouses · cost of goods sold over the last 12 months. "
            "AX items are valuable and steady; CZ items are cheap and erratic."
        )

# ------------------------------------------------------------------------ slow & dead
with tab_slow:
    slow = kpis.dead_stock(ui.q, flt)
    if slow.empty:
        ui.empty_state("No slow or dead stock", "Every item on hand sold recently.")
    else:
        slow = dims.attach(dims.attach(slow, ui.q, "item"), ui.q, "warehouse")
        slow["stock_value"] = slow["stock_value"].astype(float)
        c1, c2 = st.columns(2)
        for col, cls in ((c1, "dead"), (c2, "slow")):
            part = slow[slow["movement_class"] == cls]
            col.metric(
                f"{cls.capitalize()} stock value",
                f.money(part["stock_value"].sum()),
                f"{len(part)} item-warehouses",
                delta_color="off",
            )
        table = slow[
            [
                "item",
                "warehouse",
                "movement_class",
                "qty_on_hand",
                "stock_value",
                "days_since_last_sale",
            ]
        ]
        ui.table(
            table, hide_index=True, column_config=ui.number_config(["qty_on_hand", "stock_value"])
        )
        ui.downloads(
            exports.Report.from_frame(table, "Slow and dead stock", ui.Filters.describe(flt)),
            "inv_slow",
        )

# -------------------------------------------------------------------------- stockouts
with tab_out:
    w, p = flt.where(date_col="month", wh_col="warehouse_id", item_col="item_id")
    so = ui.q(
        "select month, item_id, sum(stockout_days) as stockout_days, "
        "sum(lost_qty) as lost_qty, sum(lost_revenue) as lost_revenue "
        f"from marts.stockout_days where true {w} group by all",
        p,
    )
    if so.empty or float(so["stockout_days"].sum()) == 0:
        ui.empty_state("No stockouts", "No item ran out in the chosen period.")
    else:
        so["lost_revenue"] = so["lost_revenue"].astype(float)
        c1, c2 = st.columns(2)
        c1.metric("Stockout days", f"{int(so['stockout_days'].sum()):,}")
        c2.metric(
            "Lost sales",
            f.money(so["lost_revenue"].sum()),
            f"{f.qty(so['lost_qty'].astype(float).sum())} units",
            delta_color="off",
        )
        m = so.groupby("month", as_index=False)[["stockout_days", "lost_revenue"]].sum()
        m["month"] = pd.to_datetime(m["month"])
        st.altair_chart(
            alt.Chart(m)
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):T", title=None),
                y=alt.Y("lost_revenue:Q", title="lost sales", axis=alt.Axis(format=",.0f")),
                tooltip=[
                    alt.Tooltip("yearmonth(month):T", title="month"),
                    "stockout_days",
                    alt.Tooltip("lost_revenue:Q", format=",.0f"),
                ],
            )
            .properties(height=220)
        )
        top = so.groupby("item_id", as_index=False)[
            ["stockout_days", "lost_qty", "lost_revenue"]
        ].sum()
        top = dims.attach(top, ui.q, "item").sort_values("lost_revenue", ascending=False)
        ui.table(
            top.drop(columns="item_id").head(50),
            hide_index=True,
            column_config=ui.number_config(["lost_qty", "lost_revenue"]),
        )

# ------------------------------------------------------------------------- drill-down
with tab_drill:
    cats = sorted(items["category"].unique())
    if flt.categories:
        cats = [c for c in cats if c in flt.categories]
    c1, c2 = st.columns(2)
    cat = c1.selectbox("Category", cats, key="inv_drill_cat")
    in_cat = items[items["category"] == cat]
    item_id = c2.selectbox(
        "Item",
        list(in_cat["id"]),
        key="inv_drill_item",
        format_func=dict(zip(in_cat["id"], in_cat["label"])).get,
    )
    if item_id is None:
        ui.empty_state("No items", "This category has no items.")
    else:
        w, p = flt.where(date_col="date", wh_col="warehouse_id")
        daily = ui.q(
            "select date, sum(qty_on_hand) as qty_on_hand, sum(stock_value) as "
            f"stock_value from marts.fct_stock_daily where item_id = ? {w} "
            "group by 1 order by 1",
            [int(item_id), *p],
        )
        if not daily.empty:
            daily["date"] = pd.to_datetime(daily["date"])
            st.altair_chart(
                alt.Chart(daily)
                .mark_area(opacity=0.6)
                .encode(
                    x=alt.X("date:T", title=None),
                    y=alt.Y("qty_on_hand:Q", title="on hand"),
                    tooltip=[
                        "date:T",
                        "qty_on_hand:Q",
                        alt.Tooltip("stock_value:Q", format=",.2f"),
                    ],
                )
                .properties(height=200)
            )
        w, p = flt.where(date_col="l.posting_date", wh_col="l.warehouse_id")
        ledger = ui.q(
            "select l.posting_date, l.document_number as number, l.doc_type, "
            "l.warehouse_id, l.qty, l.unit_cost, l.movement_value as value, "
            "l.running_qty, l.running_value, l.is_reversal "
            "from marts.fct_stock_ledger l where l.item_id = ? "
            f"{w} order by l.posting_date desc, l.stock_ledger_id desc",
            [int(item_id), *p],
        )
        st.markdown(f"**Stock ledger** · {len(ledger):,} movements")
        if ledger.empty:
            ui.empty_state("No movements", "This item did not move in the chosen period.")
        else:
            ledger = dims.attach(ledger, ui.q, "warehouse")
            ui.table(
                ledger.drop(columns="warehouse_id"),
                hide_index=True,
                column_config=ui.number_config(
                    ["qty", "unit_cost", "value", "running_qty", "running_value"]
                ),
            )

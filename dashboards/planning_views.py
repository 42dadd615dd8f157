"""Planning page parts that only read: each suggestion's why (forecast chart, safety stock,
position, rounding), decision history, forecast accuracy and the policy simulation."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import fmt as f
from dashboards import planning_actions, ui

PLAN = "planning.replenishment_plan"
NOT_RUN = ("Planning has not run yet: `qm plan` forecasts demand from the warehouse, "
           "writes `planning.*` tables and leaves draft purchase orders here for you. "
           "Run it after a refresh (`make demo` does both).")
WHY_FIELDS = [("forecast_over_horizon", "Forecast (lead time + review)", f.qty),
              ("safety_stock", "Safety stock", f.qty), ("reorder_point", "Reorder point", f.qty),
              ("order_up_to", "Order-up-to level", f.qty), ("position", "Stock position", f.qty),
              ("raw_qty", "Raw need", f.qty), ("pack_size", "Pack size", f.qty),
              ("moq", "MOQ", f.qty), ("suggested_qty", "Suggested", f.qty)]


def plan_rows(item_ids: list[int], warehouse_id: int, run_id: str | None) -> pd.DataFrame:
    """replenishment_plan rows of these items in this warehouse (of the draft's planning
    run when the table records runs)."""
    if not ui.has_table(PLAN) or not item_ids:
        return pd.DataFrame()
    marks = ",".join("?" * len(item_ids))
    rows = ui.q(f"select * from {PLAN} where warehouse_id = ? and item_id in ({marks})",
                [int(warehouse_id), *[int(i) for i in item_ids]])
    run_col = next((c for c in ("planning_run_id", "run_id") if c in rows.columns), None)
    if run_col and run_id and (rows[run_col] == run_id).any():
        rows = rows[rows[run_col] == run_id]
    return rows.drop_duplicates("item_id", keep="last")


def explain_line(item_id: int, warehouse_id: int, plan: pd.Series | None,
                 as_of: dt.date) -> None:
    """Why this quantity: the rounding chain, the policy levels and a forecast chart of
    history (demand_daily) and forecast (planning.demand_forecast)."""
    if plan is None:
        st.caption("No replenishment_plan row for this line: " + (
            "it was added or changed by hand." if ui.has_table(PLAN) else NOT_RUN))
    else:
        if "why" in plan and isinstance(plan["why"], str):
            st.code(plan["why"], language=None, wrap_lines=True)
        shown = [(label, fn(plan[k])) for k, label, fn in WHY_FIELDS if k in plan]
        cols = st.columns(max(1, min(len(shown), 5)))
        for i, (label, value) in enumerate(shown):
            cols[i % len(cols)].metric(label, value)
        extra = {k: plan[k] for k in ("demand_class", "abc_class", "service_level",
                                      "lead_time_days", "supplier_rule") if k in plan}
        if extra:
            st.caption(" · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in extra.items()))
    hist = ui.q("select date, demand_qty as qty from marts.demand_daily where item_id = ? "
                "and warehouse_id = ? and date > ? order by date",
                [int(item_id), int(warehouse_id), as_of - dt.timedelta(days=180)])
    hist["series"] = "demand (history)"
    parts, band = [hist], None
    if ui.has_table("planning.demand_forecast"):
        fc = ui.q("select * from planning.demand_forecast where item_id = ? and "
                  "warehouse_id = ? order by date", [int(item_id), int(warehouse_id)])
        col = next((c for c in ("forecast_qty", "forecast", "yhat", "qty") if c in fc), None)
        if col and not fc.empty:
            parts.append(pd.DataFrame({"date": fc["date"], "qty": fc[col],
                                       "series": "forecast"}))
            if {"p10", "p90"} <= set(fc.columns):
                band = pd.DataFrame({"date": pd.to_datetime(fc["date"]),
                                     "p10": fc["p10"].astype(float),
                                     "p90": fc["p90"].astype(float)})
    data = pd.concat(parts, ignore_index=True)
    if data.empty:
        st.caption("No demand history for this item in this warehouse.")
        return
    data["date"] = pd.to_datetime(data["date"])
    data["qty"] = data["qty"].astype(float)
    chart = alt.Chart(data).mark_line(interpolate="step-after").encode(
        x=alt.X("date:T", title=None), y=alt.Y("qty:Q", title="units per day"),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(range=["#4c78a8", "#f58518"])),
        tooltip=["date:T", "series:N", alt.Tooltip("qty:Q", format=".2f")])
    if band is not None:  # the forecast's 10–90 % range
        chart = alt.Chart(band).mark_area(opacity=0.2, color="#f58518",
                                          interpolate="step-after").encode(
            x="date:T", y="p10:Q", y2="p90:Q",
            tooltip=["date:T", alt.Tooltip("p10:Q", format=".2f"),
                     alt.Tooltip("p90:Q", format=".2f")]) + chart
    st.altair_chart(chart.properties(height=220))


def decision_history() -> None:
    """Planner decisions (OLTP planner_decision) and the acceptance rate."""
    decided = planning_actions.decisions()
    stats = planning_actions.acceptance(decided)
    c = st.columns(4)
    c[0].metric("Acceptance rate", f.pct(stats["acceptance_rate"]),
                help="approved ÷ decided planning orders")
    c[1].metric("Approved as suggested", f.pct(stats["as_suggested_rate"]))
    c[2].metric("Approved after edit", f"{stats['edited']:,}")
    c[3].metric("Rejected", f"{stats['rejected']:,}")
    if decided.empty:
        ui.empty_state("No decisions yet", "Approvals, edits and rejections of planning "
                       "drafts are recorded here.")
        return
    decided["month"] = pd.to_datetime(decided["decided_at"]).dt.to_period("M") \
        .dt.to_timestamp()
    per = decided.drop_duplicates(["document_id", "action"]).groupby(
        ["month", "action"], as_index=False).size()
    st.altair_chart(alt.Chart(per).mark_bar().encode(
        x=alt.X("yearmonth(month):T", title=None), y=alt.Y("size:Q", title="orders"),
        color=alt.Color("action:N", scale=alt.Scale(domain=["approve", "edit", "reject"],
                                                    range=["#54a24b", "#4c78a8", "#e45756"])),
        tooltip=["action", "size"]).properties(height=200))
    st.dataframe(decided.drop(columns=["month", "document_id"]), hide_index=True)


def _latest_run(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the newest planning run when the table keeps several."""
    if "planning_run_id" in frame and frame["planning_run_id"].notna().any():
        return frame[frame["planning_run_id"] == frame["planning_run_id"].max()]
    return frame


def forecast_accuracy() -> None:
    """planning.forecast_accuracy (per model: series and mean MASE, WAPE, bias) of the
    newest planning run, with every series' scores from planning.forecast_series."""
    if not ui.has_table("planning.forecast_accuracy"):
        ui.empty_state("No forecast accuracy yet", NOT_RUN)
        return
    acc = _latest_run(ui.q("select * from planning.forecast_accuracy"))
    if acc.empty:
        ui.empty_state("No forecast accuracy yet", "The backtest has no scored series.")
        return
    model = next((c for c in ("model", "model_name", "chosen_model") if c in acc), None)
    metrics = [c for c in ("mean_wape", "mean_mase", "mean_bias", "wape", "mase", "bias")
               if c in acc]
    if "planning_run_id" in acc:
        st.caption(f"Rolling-origin backtest of planning run `{acc['planning_run_id'].iloc[0]}`"
                   " · WAPE and MASE: lower is better; bias: + over-forecast, − under.")
    if model and metrics:
        by = acc if "series" in acc else acc.groupby(model, as_index=False).agg(
            series=(metrics[0], "size"), **{m: (m, "mean") for m in metrics})
        by = by.sort_values("series", ascending=False)
        st.dataframe(by[[model, "series", *metrics]], hide_index=True, column_config={
            m: st.column_config.NumberColumn(m.replace("mean_", "mean ").upper(),
                                             format="%.3f") for m in metrics})
        first = metrics[0]
        st.altair_chart(alt.Chart(by).mark_bar().encode(
            y=alt.Y(f"{model}:N", sort="x", title=None),
            x=alt.X(f"{first}:Q", title=f"{first.replace('_', ' ')} (lower is better)"),
            tooltip=[model, alt.Tooltip(f"{first}:Q", format=".3f"), "series"])
            .properties(height=60 + 30 * len(by)))
    if ui.has_table("planning.forecast_series"):
        with st.expander("Every series"):
            series = _latest_run(ui.q("select * from planning.forecast_series"))
            st.dataframe(series, hide_index=True)


def policy_simulation() -> None:
    """planning.policy_simulation: the business's reorder rules and the planning policy
    replayed in one simulator (`qm plan simulate --sweep`): the inventory-versus-fill
    frontier with the reorder rules' point, the reduction at equal fill, and the stock a
    chosen aggregate fill target costs."""
    if not ui.has_table("planning.policy_simulation"):
        ui.empty_state("No policy simulation yet",
                       "Run `qm plan simulate --sweep` to replay the reorder rules and the "
                       "planning policy over the last six months in one simulator.")
        return
    sim = ui.q("select * from planning.policy_simulation")
    if sim.empty or "policy" not in sim or "naive" not in set(sim["policy"]):
        ui.empty_state("No policy simulation yet", "The last simulation produced no rows.")
        return
    for c in ("fill_rate", "avg_inventory_value", "target"):
        sim[c] = pd.to_numeric(sim[c], errors="coerce").astype(float)
    naive = sim[sim["policy"] == "naive"].iloc[0]
    plan = sim[sim["policy"] == "planning"].sort_values("target")
    st.caption(f"{naive['window_start']} → {naive['window_end']} ({naive['window_days']} days), "
               f"{f.qty(naive['series'])} item-warehouses; the same demand, opening stock, "
               f"open orders and supplier delays for both. Reorder rules: "
               f"{naive['naive_rule']}.")
    red = naive.get("inventory_reduction_at_equal_fill")
    cols = st.columns(3)
    cols[0].metric("Reorder rules: fill rate", f.pct(naive["fill_rate"]))
    cols[1].metric("Reorder rules: average stock value", f.money(naive["avg_inventory_value"]))
    cols[2].metric("Stock saved at the same fill rate",
                   f.pct(red) if red is not None and red == red else "n/a",
                   help="1 − planning's stock interpolated on its frontier at the reorder "
                        "rules' fill rate ÷ the reorder rules' stock")
    if plan.empty:
        return
    points = pd.concat([plan.assign(label=[f"plan {t:.1%}" for t in plan["target"]]),
                        naive.to_frame().T.assign(label="reorder rules")], ignore_index=True)
    points["fill_rate"] = points["fill_rate"].astype(float)
    points["avg_inventory_value"] = points["avg_inventory_value"].astype(float)
    line = alt.Chart(points[points["policy"] == "planning"]).mark_line(point=True).encode(
        x=alt.X("fill_rate:Q", title="Fill rate", axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=False)),
        y=alt.Y("avg_inventory_value:Q", title="Average stock value"),
        tooltip=["label", alt.Tooltip("fill_rate:Q", format=".1%"),
                 alt.Tooltip("avg_inventory_value:Q", format=",.0f")])
    dot = alt.Chart(points[points["policy"] == "naive"]).mark_point(
        shape="diamond", size=160, filled=True, color="#d62728").encode(
        x="fill_rate:Q", y="avg_inventory_value:Q",
        tooltip=["label", alt.Tooltip("fill_rate:Q", format=".1%"),
                 alt.Tooltip("avg_inventory_value:Q", format=",.0f")])
    st.altair_chart((line + dot).properties(height=320), width="stretch")
    targets = [float(t) for t in plan["target"]]
    pick = st.select_slider("Aggregate fill-rate target", options=targets,
                            value=min(targets, key=lambda t: abs(t - 0.97)),
                            format_func=lambda t: f"{t:.1%}", key="plan_fill_target")
    row = plan[plan["target"] == pick].iloc[0]
    cols = st.columns(4)
    cols[0].metric("Fill rate reached", f.pct(row["fill_rate"]),
                   f.delta_points(row["fill_rate"], naive["fill_rate"]))
    cols[1].metric("Average stock value", f.money(row["avg_inventory_value"]),
                   f.delta_pct(row["avg_inventory_value"], naive["avg_inventory_value"]),
                   delta_color="inverse")
    cols[2].metric("Stockout days", f.qty(row["stockout_days"]),
                   f.delta_pct(row["stockout_days"], naive["stockout_days"]),
                   delta_color="inverse")
    cols[3].metric("Order lines", f.qty(row["orders"]))
    st.caption(f"To plan with this target: `qm plan --fill-target {pick:g}`.")

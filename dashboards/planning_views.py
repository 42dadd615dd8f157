"""Planning page parts that only read: each suggestion's why (forecast chart, safety stock,
position, rounding), decision history, forecast accuracy (how past plans did against what
was then sold, and the latest plan's backtest) and the policy simulation."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import fmt as f
from dashboards import planning_actions, ui
from forecasting.parameters import DEFAULT_FILL_TARGET

PLAN = "planning.replenishment_plan"
NOT_RUN = (
    "Planning has not run yet: `qm plan` forecasts demand from the warehouse, "
    "writes `planning.*` tables and leaves draft purchase orders here for you. "
    "Run it after a refresh (`make demo` does both)."
)
WHY_FIELDS = [
    ("forecast_over_horizon", "Forecast (lead time + review)", f.qty),
    ("safety_stock", "Safety stock", f.qty),
    ("reorder_point", "Reorder point", f.qty),
    ("order_up_to", "Order-up-to level", f.qty),
    ("position", "Stock position", f.qty),
    ("raw_qty", "Raw need", f.qty),
    ("pack_size", "Pack size", f.qty),
    ("moq", "MOQ", f.qty),
    ("suggested_qty", "Suggested", f.qty),
]


def plan_rows(item_ids: list[int], warehouse_id: int, run_id: str | None) -> pd.DataFrame:
    """replenishment_plan rows of these items in this warehouse (of the draft's planning
    run when the table records runs)."""
    if not ui.has_table(PLAN) or not item_ids:
        return pd.DataFrame()
    marks = ",".join("?" * len(item_ids))
    rows = ui.q(
        f"select * from {PLAN} where warehouse_id = ? and item_id in ({marks})",
        [int(warehouse_id), *[int(i) for i in item_ids]],
    )
    run_col = next((c for c in ("planning_run_id", "run_id") if c in rows.columns), None)
    if run_col and run_id and (rows[run_col] == run_id).any():
        rows = rows[rows[run_col] == run_id]
    return rows.drop_duplicates("item_id", keep="last")


def explain_line(item_id: int, warehouse_id: int, plan: pd.Series | None, as_of: dt.date) -> None:
    """Why this quantity: the rounding chain, the policy levels and a forecast chart of
    history (demand_daily) and forecast (planning.demand_forecast)."""
    if plan is None:
        st.caption(
            "No replenishment_plan row for this line: "
            + ("it was added or changed by hand." if ui.has_table(PLAN) else NOT_RUN)
        )
    else:
        if "why" in plan and isinstance(plan["why"], str):
            st.code(plan["why"], language=None, wrap_lines=True)
        shown = [(label, fn(plan[k])) for k, label, fn in WHY_FIELDS if k in plan]
        cols = st.columns(max(1, min(len(shown), 5)))
        for i, (label, value) in enumerate(shown):
            cols[i % len(cols)].metric(label, value)
        extra = {
            k: plan[k]
            for k in (
                "demand_class",
                "abc_class",
                "service_level",
                "lead_time_days",
                "supplier_rule",
            )
            if k in plan
        }
        if extra:
            st.caption(" · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in extra.items()))
    hist = ui.q(
        "select date, demand_qty as qty from marts.demand_daily where item_id = ? "
        "and warehouse_id = ? and date > ? order by date",
        [int(item_id), int(warehouse_id), as_of - dt.timedelta(days=180)],
    )
    hist["series"] = "demand (history)"
    parts, band = [hist], None
    if ui.has_table("planning.demand_forecast"):
        fc = ui.q(
            "select * from planning.demand_forecast where item_id = ? and "
            "warehouse_id = ? order by date",
            [int(item_id), int(warehouse_id)],
        )
        col = next((c for c in ("forecast_qty", "forecast", "yhat", "qty") if c in fc), None)
        if col and not fc.empty:
            parts.append(pd.DataFrame({"date": fc["date"], "qty": fc[col], "series": "forecast"}))
            if {"p10", "p90"} <= set(fc.columns):
                band = pd.DataFrame(
                    {
                        "date": pd.to_datetime(fc["date"]),
                        "p10": fc["p10"].astype(float),
                        "p90": fc["p90"].astype(float),
                    }
                )
    data = pd.concat(parts, ignore_index=True)
    if data.empty:
        st.caption("No demand history for this item in this warehouse.")
        return
    data["date"] = pd.to_datetime(data["date"])
    data["qty"] = data["qty"].astype(float)
    chart = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("qty:Q", title="units per day"),
            color=alt.Color("series:N", title=None, scale=alt.Scale(range=["#4c78a8", "#f58518"])),
            tooltip=["date:T", "series:N", alt.Tooltip("qty:Q", format=".2f")],
        )
    )
    if band is not None:  # the forecast's 10–90 % range
        chart = (
            alt.Chart(band)
            .mark_area(opacity=0.2, color="#f58518", interpolate="step-after")
            .encode(
                x="date:T",
                y="p10:Q",
                y2="p90:Q",
                tooltip=[
                    "date:T",
                    alt.Tooltip("p10:Q", format=".2f"),
                    alt.Tooltip("p90:Q", format=".2f"),
                ],
            )
            + chart
        )
    st.altair_chart(chart.properties(height=220))


def decision_history() -> None:
    """Planner decisions (OLTP planner_decision) and the acceptance rate."""
    decided = planning_actions.decisions()
    stats = planning_actions.acceptance(decided)
    c = st.columns(4)
    c[0].metric(
        "Acceptance rate",
        f.pct(stats["acceptance_rate"]),
        help="approved ÷ decided planning orders",
    )
    c[1].metric("Approved as suggested", f.pct(stats["as_suggested_rate"]))
    c[2].metric("Approved after edit", f"{stats['edited']:,}")
    c[3].metric("Rejected", f"{stats['rejected']:,}")
    if decided.empty:
        ui.empty_state(
            "No decisions yet",
            "Approvals, edits and rejections of planning drafts are recorded here.",
        )
        return
    decided["month"] = pd.to_datetime(decided["decided_at"]).dt.to_period("M").dt.to_timestamp()
    per = (
        decided.drop_duplicates(["document_id", "action"])
        .groupby(["month", "action"], as_index=False)
        .size()
    )
    st.altair_chart(
        alt.Chart(per)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", title=None),
            y=alt.Y("size:Q", title="orders"),
            color=alt.Color(
                "action:N",
                scale=alt.Scale(
                    domain=["approve", "edit", "reject"], range=["#54a24b", "#4c78a8", "#e45756"]
                ),
            ),
            tooltip=["action", "size"],
        )
        .properties(height=200)
    )
    ui.table(decided.drop(columns=["month", "document_id"]), hide_index=True)


def _latest_run(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the newest planning run when the table keeps several."""
    if "planning_run_id" in frame and frame["planning_run_id"].notna().any():
        return frame[frame["planning_run_id"] == frame["planning_run_id"].max()]
    return frame


NO_PAST_PLANS = (
    "Every `qm plan` run keeps its forecast (and a seasonal-naive one made "
    "from the same history) in `planning.forecast_log`; once its days have "
    "happened they are scored here. To see past weeks now, run `qm plan "
    "backfill --weeks 8`: it re-forecasts the last 8 weekly cut-offs as "
    "planning would have, without drafts."
)
SUMS = [
    "actual_units",
    "forecast_units",
    "snaive_units",
    "abs_error",
    "snaive_abs_error",
    "scale_sum",
]


def _ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """WAPE, bias, scaled error and forecast value added from summed errors (the rule of
    pipelines.plan_accuracy.ratios: sum over runs first, then divide)."""
    out = frame.copy()
    for c in SUMS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    a = out["actual_units"]
    div = lambda n, d: (n / d).where(d > 0)
    out["wape"] = div(out["abs_error"], a)
    out["snaive_wape"] = div(out["snaive_abs_error"], a)
    out["bias"] = div(out["forecast_units"] - a, a)
    out["scaled_error"] = div(out["abs_error"], out["scale_sum"])
    out["snaive_scaled_error"] = div(out["snaive_abs_error"], out["scale_sum"])
    out["fva"] = 1 - div(out["abs_error"], out["snaive_abs_error"])
    return out


def _pool(acc: pd.DataFrame, dimension: str) -> pd.DataFrame:
    sub = acc[acc["dimension"] == dimension]
    if sub.empty:
        return sub
    for c in SUMS:
        sub = sub.assign(**{c: pd.to_numeric(sub[c], errors="coerce").astype(float)})
    return _ratios(
        sub.groupby("segment", as_index=False).agg(
            plans=("planning_run_id", "nunique"), **{c: (c, "sum") for c in SUMS}
        )
    )


def _shown(frame: pd.DataFrame, first: dict[str, str]) -> pd.DataFrame:
    """Plain column labels, percentages with one decimal, units with separators."""
    cols = {
        **first,
        "actual_units": "Units sold",
        "forecast_units": "Units forecast",
        "snaive_units": "Naive units",
        "wape": "Plan error (WAPE)",
        "snaive_wape": "Naive error (WAPE)",
        "fva": "Value added (FVA)",
        "bias": "Plan bias",
        "scaled_error": "Plan scaled error",
        "snaive_scaled_error": "Naive scaled error",
    }
    out = pd.DataFrame()
    for c, label in cols.items():
        if c not in frame:
            continue
        if c in ("wape", "snaive_wape", "fva", "bias"):
            out[label] = [f.pct(v) for v in frame[c]]
        elif c in ("scaled_error", "snaive_scaled_error"):
            out[label] = [f.DASH if v != v else f"{v:,.2f}" for v in frame[c]]
        elif c in ("actual_units", "forecast_units", "snaive_units"):
            out[label] = [f.money(v) for v in frame[c]]
        elif c in ("plans", "days_covered", "series"):
            out[label] = [f"{int(v):,}" for v in frame[c]]
        else:
            out[label] = frame[c].astype(str).to_numpy()
    return out


def past_plans() -> None:
    """How past plans did: planning.realised_accuracy (pipelines.plan_accuracy) pooled
    over every scored run per ABC class and chosen model, the plan's WAPE against the
    seasonal naive made at the same time, forecast value added and bias; one row per run."""
    st.subheader("How past plans did")
    if not ui.has_table("planning.realised_accuracy"):
        ui.empty_state("No past plans to score yet", NO_PAST_PLANS)
        return
    acc = ui.q("select * from planning.realised_accuracy")
    if acc.empty:
        ui.empty_state(
            "No past plans to score yet",
            "No day forecast by a logged plan has happened yet. " + NO_PAST_PLANS,
        )
        return
    runs = acc[acc["dimension"] == "total"].copy()
    runs["as_of"] = pd.to_datetime(runs["as_of"]).dt.date
    n_back = int((runs["kind"] == "backfill").sum())
    st.caption(
        f"{len(runs):,} past plans ({len(runs) - n_back:,} live, {n_back:,} backfilled) made "
        f"{runs['as_of'].min():%d %b %Y} – {runs['as_of'].max():%d %b %Y}, each scored on "
        "up to 28 days against the demand that followed (ordered, lost sales included), "
        "per item-warehouse and day. Benchmark: the seasonal naive (the last 7 days "
        "repeated) made from the same history. Value added = 1 − plan error ÷ naive "
        "error: above 0 the plan's forecast beat the naive. Bias: + over-forecast, "
        "− under. Scaled error: mean absolute error ÷ each item's usual "
        "week-on-week change (below 1 = better than that)."
    )
    if ui.has_table("planning.forecast_log"):
        logged = ui.q(
            "select planning_run_id, max(as_of) as_of from planning.forecast_log "
            "group by planning_run_id"
        )
        waiting = logged[~logged["planning_run_id"].isin(set(runs["planning_run_id"]))]
        if len(waiting):
            st.caption(
                f"{len(waiting):,} plan(s) waiting for their first day to happen "
                f"(latest made on {pd.Timestamp(waiting['as_of'].max()):%d %b %Y})."
            )
    total = _pool(acc, "total").iloc[0]
    c = st.columns(4)
    c[0].metric(
        "Plan error (WAPE)",
        f.pct(total["wape"]),
        help="Σ |forecast − actual| ÷ Σ actual, over every scored day",
    )
    c[1].metric("Seasonal naive error (WAPE)", f.pct(total["snaive_wape"]))
    c[2].metric(
        "Forecast value added",
        f.pct(total["fva"]),
        help="1 − plan error ÷ seasonal-naive error on the same days",
    )
    c[3].metric("Plan bias", f.pct(total["bias"]), help="Σ (forecast − actual) ÷ Σ actual")
    by_class = pd.concat(
        [
            _pool(acc, "abc_class").sort_values("segment"),
            _pool(acc, "total").assign(segment="All classes"),
        ],
        ignore_index=True,
    )
    st.markdown("**By ABC class**")
    ui.table(_shown(by_class, {"segment": "Class", "plans": "Plans"}), hide_index=True)
    by_model = _pool(acc, "model").sort_values("actual_units", ascending=False)
    if not by_model.empty:
        st.markdown("**By chosen model**")
        ui.table(_shown(by_model, {"segment": "Model chosen", "plans": "Plans"}), hide_index=True)
    runs = _ratios(runs).sort_values("as_of", ascending=False)
    runs["plan"] = ["Backfilled" if k == "backfill" else "Live" for k in runs["kind"]]
    runs["made_on"] = [f"{d:%d %b %Y}" for d in runs["as_of"]]
    st.markdown("**Plan by plan**")
    chart = runs.melt(
        id_vars=["as_of"],
        value_vars=["wape", "snaive_wape"],
        var_name="forecast",
        value_name="error",
    )
    chart["forecast"] = chart["forecast"].map({"wape": "plan", "snaive_wape": "seasonal naive"})
    chart["as_of"] = pd.to_datetime(chart["as_of"])
    st.altair_chart(
        alt.Chart(chart)
        .mark_line(point=True)
        .encode(
            x=alt.X("as_of:T", title="Plan made on (history up to)"),
            y=alt.Y("error:Q", title="Error (WAPE)", axis=alt.Axis(format="%")),
            color=alt.Color(
                "forecast:N", title=None, scale=alt.Scale(range=["#4c78a8", "#bab0ac"])
            ),
            tooltip=[
                alt.Tooltip("as_of:T", title="made on"),
                "forecast:N",
                alt.Tooltip("error:Q", format=".1%"),
            ],
        )
        .properties(height=200)
    )
    ui.table(
        _shown(
            runs,
            {
                "made_on": "Plan made on",
                "plan": "Kind",
                "days_covered": "Days happened",
                "series": "Item-warehouses",
            },
        ),
        hide_index=True,
    )


def forecast_accuracy() -> None:
    """How past plans did (`past_plans`), then the latest plan's backtest."""
    past_plans()
    st.subheader("Backtest of the latest plan")
    backtest_accuracy()


def backtest_accuracy() -> None:
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
    metrics = [
        c for c in ("mean_wape", "mean_mase", "mean_bias", "wape", "mase", "bias") if c in acc
    ]
    if "planning_run_id" in acc:
        st.caption(
            f"Rolling-origin backtest of planning run `{acc['planning_run_id'].iloc[0]}`"
            " · WAPE and MASE: lower is better; bias: + over-forecast, − under."
        )
    if model and metrics:
        by = (
            acc
            if "series" in acc
            else acc.groupby(model, as_index=False).agg(
                series=(metrics[0], "size"), **{m: (m, "mean") for m in metrics}
            )
        )
        by = by.sort_values("series", ascending=False)
        ui.table(
            by[[model, "series", *metrics]],
            hide_index=True,
            column_config={
                m: st.column_config.NumberColumn(m.replace("mean_", "mean ").upper(), format="%.3f")
                for m in metrics
            },
        )
        first = metrics[0]
        st.altair_chart(
            alt.Chart(by)
            .mark_bar()
            .encode(
                y=alt.Y(f"{model}:N", sort="x", title=None),
                x=alt.X(f"{first}:Q", title=f"{first.replace('_', ' ')} (lower is better)"),
                tooltip=[model, alt.Tooltip(f"{first}:Q", format=".3f"), "series"],
            )
            .properties(height=60 + 30 * len(by))
        )
    if ui.has_table("planning.forecast_series"):
        with st.expander("Every series"):
            series = _latest_run(ui.q("select * from planning.forecast_series"))
            ui.table(series, hide_index=True)


def policy_simulation() -> None:
    """planning.policy_simulation: the business's reorder rules and the planning policy
    replayed in one simulator (`qm plan simulate --sweep`): the inventory-versus-fill
    frontier with the reorder rules' point, the reduction at equal fill, and the stock a
    chosen aggregate fill target costs."""
    if not ui.has_table("planning.policy_simulation"):
        ui.empty_state(
            "No policy simulation yet",
            "Run `qm plan simulate --sweep` to replay the reorder rules and the "
            "planning policy over the last six months in one simulator.",
        )
        return
    sim = ui.q("select * from planning.policy_simulation")
    if sim.empty or "policy" not in sim or "naive" not in set(sim["policy"]):
        ui.empty_state("No policy simulation yet", "The last simulation produced no rows.")
        return
    for c in ("fill_rate", "avg_inventory_value", "target"):
        sim[c] = pd.to_numeric(sim[c], errors="coerce").astype(float)
    naive = sim[sim["policy"] == "naive"].iloc[0]
    plan = sim[sim["policy"] == "planning"].sort_values("target")
    st.caption(
        f"{naive['window_start']} → {naive['window_end']} ({naive['window_days']} days), "
        f"{f.qty(naive['series'])} item-warehouses; the same demand, opening stock, "
        f"open orders and supplier delays for both. Reorder rules: "
        f"{naive['naive_rule']}."
    )
    red = naive.get("inventory_reduction_at_equal_fill")
    cols = st.columns(3)
    cols[0].metric("Reorder rules: fill rate", f.pct(naive["fill_rate"]))
    cols[1].metric("Reorder rules: average stock value", f.money(naive["avg_inventory_value"]))
    cols[2].metric(
        "Stock saved at the same fill rate",
        f.pct(red) if red is not None and red == red else "n/a",
        help="1 − planning's stock interpolated on its frontier at the reorder "
        "rules' fill rate ÷ the reorder rules' stock",
    )
    if plan.empty:
        return
    points = pd.concat(
        [
            plan.assign(label=[f"plan {t:.1%}" for t in plan["target"]]),
            naive.to_frame().T.assign(label="reorder rules"),
        ],
        ignore_index=True,
    )
    points["fill_rate"] = points["fill_rate"].astype(float)
    points["avg_inventory_value"] = points["avg_inventory_value"].astype(float)
    line = (
        alt.Chart(points[points["policy"] == "planning"])
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "fill_rate:Q",
                title="Fill rate",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=False),
            ),
            y=alt.Y("avg_inventory_value:Q", title="Average stock value"),
            tooltip=[
                "label",
                alt.Tooltip("fill_rate:Q", format=".1%"),
                alt.Tooltip("avg_inventory_value:Q", format=",.0f"),
            ],
        )
    )
    dot = (
        alt.Chart(points[points["policy"] == "naive"])
        .mark_point(shape="diamond", size=160, filled=True, color="#d62728")
        .encode(
            x="fill_rate:Q",
            y="avg_inventory_value:Q",
            tooltip=[
                "label",
                alt.Tooltip("fill_rate:Q", format=".1%"),
                alt.Tooltip("avg_inventory_value:Q", format=",.0f"),
            ],
        )
    )
    st.altair_chart((line + dot).properties(height=320), width="stretch")
    targets = [float(t) for t in plan["target"]]
    pick = st.select_slider(
        "Aggregate fill-rate target",
        options=targets,
        value=min(targets, key=lambda t: abs(t - DEFAULT_FILL_TARGET)),
        format_func=lambda t: f"{t:.1%}",
        key="plan_fill_target",
    )
    row = plan[plan["target"] == pick].iloc[0]
    cols = st.columns(4)
    cols[0].metric(
        "Fill rate reached",
        f.pct(row["fill_rate"]),
        f.delta_points(row["fill_rate"], naive["fill_rate"]),
    )
    cols[1].metric(
        "Average stock value",
        f.money(row["avg_inventory_value"]),
        f.delta_pct(row["avg_inventory_value"], naive["avg_inventory_value"]),
        delta_color="inverse",
    )
    cols[2].metric(
        "Stockout days",
        f.qty(row["stockout_days"]),
        f.delta_pct(row["stockout_days"], naive["stockout_days"]),
        delta_color="inverse",
    )
    cols[3].metric("Order lines", f.qty(row["orders"]))
    st.caption(f"To plan with this target: `qm plan --fill-target {pick:g}`.")

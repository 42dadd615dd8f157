"""The policy replay on the published warehouse: `qm plan simulate [--sweep] [--json]`.

Reads the marts (read-only, one short connection), builds `forecasting.ReplayInputs`
and runs `forecasting.replay_policies`: the business's reorder rules (marts.reorder_rule)
and the planning policy in one simulator over the last `days` days, planning once per
aggregate fill-rate target (the frontier). See docs/planning.md.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from forecasting import (
    DEFAULT_FILL_FLOORS,
    DEFAULT_REPLICATIONS,
    ReplayInputs,
    SupplierBehaviour,
    replay_frontiers,
)
from forecasting.parameters import REVIEW_PERIOD_DAYS
from forecasting.policy import choose_supplier_records, service_floor_for_class
from forecasting.simulate import DEFAULT_TARGETS
from pipelines.planning import load_inputs
from transactional.config import warehouse_path as default_warehouse

WINDOW_DAYS = 182
POLICY_WARM_UP_DAYS = 182  # replayed before the measured window, not measured
WARM_UP_DAYS = 28  # history the first review needs at least
KEYS = ["item_id", "warehouse_id"]
# the rule of thumb used when a business has no reorder rules (docs/planning.md)
THUMB_SAFETY_DAYS, THUMB_ORDER_DAYS = 10, 42


def _has(con, table: str) -> bool:
    return (
        con.execute(
            "select count(*) from information_schema.tables where table_schema = "
            "'marts' and table_name = ?",
            [table],
        ).fetchone()[0]
        > 0
    )


def _rules(
    con, keys: pd.DataFrame, hist: pd.DataFrame, lead: pd.Series, terms, start
) -> tuple[pd.DataFrame, str]:
    """Reorder level and quantity per series: marts.reorder_rule, else a rule of thumb
    from the year before the window (level = demand over lead time + a week + 10 days,
    quantity = six weeks of demand, in packs, at least the MOQ)."""
    if _has(con, "reorder_rule"):
        rules = con.execute(
            "select item_id, warehouse_id, reorder_level, reorder_qty from "
            "marts.reorder_rule where coalesce(active, true)"
        ).df()
        if len(rules):
            out = keys.merge(rules, on=KEYS, how="left")
            return out.fillna({"reorder_level": 0, "reorder_qty": 0}), "reorder rules"
    before = hist[(hist["date"] < start) & (hist["date"] >= start - pd.Timedelta(days=365))]
    rate = before.groupby(KEYS)["demand_qty"].mean().rename("rate").reset_index()
    out = keys.merge(rate, on=KEYS, how="left").fillna({"rate": 0.0})
    out["lead"] = lead.to_numpy()
    pack = np.maximum(terms["pack"], 1)
    out["reorder_level"] = np.ceil(
        out["rate"] * (out["lead"] + REVIEW_PERIOD_DAYS + THUMB_SAFETY_DAYS)
    )
    out["reorder_qty"] = np.maximum(
        np.maximum(terms["moq"], pack), np.ceil(out["rate"] * THUMB_ORDER_DAYS / pack) * pack
    )
    return out[KEYS + ["reorder_level", "reorder_qty"]], "rule of thumb"


def _behaviour(receipts: pd.DataFrame, suppliers: np.ndarray, fallback_lead) -> SupplierBehaviour:
    """Per series, the measured behaviour of its supplier (all of that supplier's
    receipts: one item has too few)."""
    lead, partial, share, delay, reject = {}, {}, {}, {}, {}
    if len(receipts):
        r = receipts.copy()
        r["shipped"] = r["accepted_qty"] + r["rejected_qty"]
        for sup, g in r.groupby("supplier_id"):
            first = g[g["receipt_seq"] == 1]
            lead[sup] = np.sort(first["lead_time_days"].dropna().to_numpy(float))
            lines = g.groupby("purchase_order_line_id").agg(
                n=("receipt_seq", "max"),
                ordered=("ordered_qty", "first"),
                first_date=("receipt_date", "min"),
                last_date=("receipt_date", "max"),
            )
            split = lines[lines["n"] >= 2]
            partial[sup] = len(split) / len(lines) if len(lines) else 0.0
            firsts = first.set_index("purchase_order_line_id").reindex(split.index)
            with np.errstate(invalid="ignore", divide="ignore"):
                sh = (firsts["shipped"] / split["ordered"]).to_numpy(float)
            share[sup] = np.sort(sh[np.isfinite(sh) & (sh > 0) & (sh < 1)])
            delay[sup] = np.sort(
                (
                    pd.to_datetime(split["last_date"]) - pd.to_datetime(split["first_date"])
                ).dt.days.to_numpy(float)
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                rj = (g["rejected_qty"] / g["shipped"]).to_numpy(float)
            reject[sup] = np.sort(rj[np.isfinite(rj)])
    pick = lambda d, s: d.get(s)
    return SupplierBehaviour(
        lead_times=[
            pick(lead, s)
            if pick(lead, s) is not None and len(pick(lead, s))
            else np.array([fallback_lead[i]])
            for i, s in enumerate(suppliers)
        ],
        partial_prob=np.array([partial.get(s, 0.0) for s in suppliers]),
        first_share=[pick(share, s) for s in suppliers],
        extra_delay=[pick(delay, s) for s in suppliers],
        reject_share=[pick(reject, s) for s in suppliers],
    )


def load_replay_inputs(
    warehouse: str | Path | None = None,
    days: int = WINDOW_DAYS,
    fill_floors: dict | None = None,
    warm_up: int = POLICY_WARM_UP_DAYS,
) -> tuple[ReplayInputs, dict]:
    """ReplayInputs measuring the last `days` days of the published warehouse, replayed
    from `warm_up` days before them (both as far as the history allows after the first
    28 days, which forecasting needs), and notes (dates, rule source)."""
    warehouse = Path(warehouse or default_warehouse())
    inputs = load_inputs(warehouse)
    hist, terms = inputs["history"], inputs["terms"]
    hist = hist[hist["item_id"].isin(terms["item_id"])].copy()
    if hist.empty:
        raise ValueError("no demand history of items with supplier terms to replay")
    first, end = hist["date"].min(), hist["date"].max()
    start = max(
        end - pd.Timedelta(days=days + warm_up - 1), first + pd.Timedelta(days=WARM_UP_DAYS)
    )
    if start > end:
        raise ValueError(
            f"history {first.date()} → {end.date()} is shorter than the "
            f"{WARM_UP_DAYS}-day warm-up the replay needs"
        )
    keys = hist[KEYS].drop_duplicates().sort_values(KEYS).reset_index(drop=True)
    n = len(keys)
    series = pd.MultiIndex.from_frame(keys)
    day0 = first.normalize()
    n_days = int((end - day0).days) + 1
    demand = np.full((n, n_days), np.nan)
    row = series.get_indexer(pd.MultiIndex.from_frame(hist[KEYS]))
    col = (hist["date"] - day0).dt.days.to_numpy()
    demand[row, col] = hist["demand_qty"].fillna(0).to_numpy(float)
    started = np.where(~np.isnan(demand).all(1), np.argmax(~np.isnan(demand), 1), n_days)
    demand = np.where(np.arange(n_days)[None, :] >= started[:, None], np.nan_to_num(demand), np.nan)
    groups: dict = {}
    for t in terms.to_dict("records"):
        groups.setdefault(t["item_id"], []).append(t)
    chosen = [choose_supplier_records(groups[i], math.inf)[2] for i in keys["item_id"]]
    sup = np.array([c["supplier_id"] for c in chosen])
    lead = pd.Series([float(c["lead_time_days"]) for c in chosen])
    tm = {
        "pack": np.array([float(c.get("pack_size") or 1) for c in chosen]),
        "moq": np.array([float(c.get("moq") or 0) for c in chosen]),
    }
    cost_map = {
        (r.item_id, r.warehouse_id): r.unit_cost
        for r in inputs["cost"].dropna().itertuples(index=False)
    }
    cost = np.array(
        [
            float(cost_map.get(k, float(c["unit_price"])))
            for k, c in zip(keys.itertuples(index=False, name=None), chosen)
        ]
    )
    abc = inputs["abc"].set_index(KEYS)["abc_class"]
    floors = np.array(
        [
            service_floor_for_class(abc.get(k), fill_floors or DEFAULT_FILL_FLOORS)
            for k in keys.itertuples(index=False, name=None)
        ]
    )
    window_start = int((start - day0).days)
    replayed = int((end - start).days) + 1
    measure_from = max(0, min(warm_up, replayed - days))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        opening = con.execute(
            "select item_id, warehouse_id, arg_max(qty_on_hand, date) qty from "
            "marts.fct_stock_daily where date < ? group by 1, 2",
            [start.date()],
        ).df()
        receipts = (
            con.execute("select * from marts.supplier_receipt_lines").df()
            if _has(con, "supplier_receipt_lines")
            else pd.DataFrame()
        )
        rules, source = _rules(con, keys, hist, lead, tm, start)
    finally:
        con.close()
    open_at = keys.merge(opening, on=KEYS, how="left")["qty"].fillna(0).to_numpy(float)
    pipeline = pd.DataFrame(columns=["series", "day", "qty", "shipped"])
    if len(receipts):
        receipts["order_date"] = pd.to_datetime(receipts["order_date"])
        receipts["receipt_date"] = pd.to_datetime(receipts["receipt_date"])
        for c in ("accepted_qty", "rejected_qty", "ordered_qty"):
            receipts[c] = pd.to_numeric(receipts[c]).astype(float)
        late = receipts[(receipts["order_date"] < start) & (receipts["receipt_date"] >= start)]
        idx = series.get_indexer(pd.MultiIndex.from_frame(late[KEYS]))
        late = late[idx >= 0].assign(series=idx[idx >= 0])
        pipeline = pd.DataFrame(
            {
                "series": late["series"],
                "day": (late["receipt_date"] - start).dt.days,
                "qty": late["accepted_qty"],
                "shipped": late["accepted_qty"] + late["rejected_qty"],
            }
        )
    inp = ReplayInputs(
        keys=keys,
        start_date=day0,
        demand=demand,
        window_start=window_start,
        unit_cost=cost,
        lead_time=lead.to_numpy(float),
        lead_time_std=np.array([float(c.get("lead_time_std_days") or 0) for c in chosen]),
        pack=tm["pack"],
        moq=tm["moq"],
        fill_floor=floors,
        naive_level=rules["reorder_level"].to_numpy(float),
        naive_qty=rules["reorder_qty"].to_numpy(float),
        opening_on_hand=open_at,
        pipeline=pipeline,
        behaviour=_behaviour(receipts, sup, lead.to_numpy(float)),
        measure_from=measure_from,
        made_to_order=keys["item_id"].isin(inputs["made_to_order"]).to_numpy(),
    )
    measured = start + pd.Timedelta(days=measure_from)
    notes = {
        "window_start": str(measured.date()),
        "window_end": str(end.date()),
        "replay_start": str(start.date()),
        "warm_up_days": measure_from,
        "naive_rule": source,
        "open_orders_at_start": len(pipeline),
    }
    return inp, notes


def live_forecaster(horizon: int, lump_multiple: float | None = None):
    """The live plan's forecasting (`forecasting.forecast_for_planning`, the function
    `qm plan` calls) as the replay's forecaster, refitted on the history a review may
    see. The replay knows true demand (lost sales included), so no day is censored."""
    from forecasting import classify_demand, forecast_for_planning

    def run(hist: np.ndarray, start_date: pd.Timestamp):
        n, t = hist.shape
        rows, cols = np.nonzero(~np.isnan(hist))
        long = pd.DataFrame(
            {
                "item_id": rows,
                "warehouse_id": 0,
                "date": start_date + pd.to_timedelta(cols, "D"),
                "demand_qty": hist[rows, cols],
                "is_stockout": False,
            }
        )
        res = forecast_for_planning(
            long,
            horizon=horizon,
            **({} if lump_multiple is None else {"lump_multiple": lump_multiple}),
        )
        point = np.zeros((n, horizon))
        fc = res.forecasts
        if len(fc):
            step = (pd.to_datetime(fc["date"]) - (start_date + pd.Timedelta(days=t))).dt.days
            ok = ((step >= 0) & (step < horizon)).to_numpy()
            point[fc["item_id"].to_numpy(int)[ok], step.to_numpy()[ok]] = fc[
                "forecast_qty"
            ].to_numpy(float)[ok]
        chosen = res.series.set_index("item_id")["chosen_model"]
        cv = res.cv.drop(columns=["unique_id"], errors="ignore").rename(
            columns={"item_id": "unique_id"}
        )
        errors = cross_validate_errors(cv, chosen, n)
        cls = classify_demand(hist)
        sparse = np.isin(np.asarray(cls.demand_class, dtype=object), ("intermittent", "lumpy"))
        return np.maximum(point, 0.0), errors, sparse, np.asarray(cls.adi, dtype=float)

    return run


def cross_validate_errors(cv: pd.DataFrame, chosen: pd.Series, n: int) -> np.ndarray:
    """(n, windows, h) errors y - yhat of each series' chosen model from cross_validate
    rows (unique_id = series row, model, cutoff, h, y, yhat); NaN where absent."""
    if cv is None or cv.empty:
        return np.full((n, 1, 1), np.nan)
    cv = cv[cv["model"].to_numpy() == chosen.reindex(cv["unique_id"]).to_numpy()]
    if cv.empty:
        return np.full((n, 1, 1), np.nan)
    win = cv.groupby("unique_id")["cutoff"].rank(method="dense").astype(int).to_numpy() - 1
    h = cv["h"].to_numpy(int) - 1
    out = np.full((n, int(win.max()) + 1, int(h.max()) + 1), np.nan)
    out[cv["unique_id"].to_numpy(int), win, h] = cv["y"].to_numpy(float) - cv["yhat"].to_numpy(
        float
    )
    return out


def simulate(
    warehouse_path: str | Path | None = None,
    days: int = WINDOW_DAYS,
    targets=DEFAULT_TARGETS,
    seed: int = 0,
    progress=None,
    forecaster=None,
    workers: int | None = None,
    warm_up: int = POLICY_WARM_UP_DAYS,
    replications: int = DEFAULT_REPLICATIONS,
) -> tuple[dict, dict]:
    """Replay the naive rule and planning (one run per fill target) over the last `days`
    days, `replications` times on independent streams of supplier behaviour; returns
    (the JSON result of `forecasting.replay_policies`, notes; notes["per_replication"] =
    each replication's own reduction at equal fill)."""
    say = progress or (lambda _msg: None)
    inp, notes = load_replay_inputs(warehouse_path, days, warm_up=warm_up)
    say(
        f"simulate: {len(inp.keys)} series, replay from {notes['replay_start']} "
        f"({notes['warm_up_days']} warm-up days), measured {notes['window_start']} → "
        f"{notes['window_end']}, "
        f"naive = {notes['naive_rule']}, {notes['open_orders_at_start']} open order "
        f"receipts at the start; {len(targets)} fill targets"
    )
    horizon = (
        int(math.ceil(np.nanmax(inp.lead_time + 3 * inp.lead_time_std))) + REVIEW_PERIOD_DAYS + 1
    )
    workers = workers or min(2, os.cpu_count() or 1)
    result, per_replication = replay_frontiers(
        inp,
        forecaster or live_forecaster(horizon),
        targets,
        REVIEW_PERIOD_DAYS,
        seed,
        say,
        workers,
        replications,
    )
    notes["per_replication"] = per_replication
    return result, notes


def simulation_frame(result: dict, notes: dict) -> pd.DataFrame:
    """The replay as rows for planning.duckdb `policy_simulation`: one naive row and one
    planning row per target, with the window and the reduction at equal fill."""
    rows = [{"policy": "naive", "target": None, **result["naive"]}]
    rows += [{"policy": "planning", **p} for p in result["planning"]]
    frame = pd.DataFrame(rows)
    frame["series"] = result["series"]
    frame["window_days"] = result["window_days"]
    frame["window_start"] = pd.Timestamp(notes["window_start"]).date()
    frame["window_end"] = pd.Timestamp(notes["window_end"]).date()
    frame["naive_rule"] = notes["naive_rule"]
    frame["replay_start"] = pd.Timestamp(notes["replay_start"]).date()
    frame["warm_up_days"] = notes["warm_up_days"]
    frame["inventory_reduction_at_equal_fill"] = result["inventory_reduction_at_equal_fill"]
    return frame


def table_text(result: dict, notes: dict) -> str:
    """The replay as a table people read (`qm plan simulate` without --json)."""
    lines = [
        f"measured {notes['window_start']} → {notes['window_end']} "
        f"({result['window_days']} days, after {notes['warm_up_days']} warm-up days "
        f"from {notes['replay_start']}), {result['series']} series; naive = "
        f"{notes['naive_rule']}",
        f"{'policy':<18}{'fill rate':>10}{'avg inventory':>16}{'stockout days':>15}{'orders':>8}",
    ]
    fmt = lambda name, r: (
        f"{name:<18}{r['fill_rate']:>10.2%}"
        f"{r['avg_inventory_value']:>16,.0f}{r['stockout_days']:>15,}"
        f"{r['orders']:>8,}"
    )
    lines.append(fmt("naive rule", result["naive"]))
    for p in result["planning"]:
        lines.append(fmt(f"planning {p['target']:.1%}", p))
    red = result["inventory_reduction_at_equal_fill"]
    per = notes.get("per_replication") or []
    spread = (
        ""
        if len(per) < 2
        else f" (pooled over {len(per)} replications; each alone: "
        + " / ".join("n/a" if r is None else f"{r:.1%}" for r in per)
        + ")"
    )
    lines.append(
        "inventory reduction at equal fill: "
        + (f"{red:.1%}" if red is not None else "n/a (naive fill above the planning frontier)")
        + spread
    )
    return "\n".join(lines)

"""`qm plan [--as-of]` and `qm plan simulate`, plus `simulate()` for code, bench and tests.

The simulation replays the last 6 months (or the whole history after a 4-week warm-up
when shorter) day by day with the planning policy (`forecasting.simulate_policy`: each
review forecasts only from demand before that day) and compares it with what the
history's own (naive) policy did, read from the marts over the same days and series.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.planning import (
    REVIEW_PERIOD_DAYS,
    load_inputs,
    planning_path,
    run_planning,
    summary_line,
    write_outputs,
)
from transactional.config import warehouse_path as default_warehouse

WINDOW_DAYS = 182
WARM_UP_DAYS = 28
SERVICE_BY_CLASS = {"A": 0.98, "B": 0.95, "C": 0.90}


def _actual(warehouse, keys: pd.DataFrame, start, end, history: pd.DataFrame) -> dict:
    """The history's policy over [start, end]: fill rate = shipped ÷ demanded (lost
    included), stockout days (series-days with lost demand), average inventory value."""
    h = history[(history["date"] >= start) & (history["date"] <= end)].merge(keys)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        stock = con.execute(
            "select item_id, warehouse_id, date, stock_value from marts.fct_stock_daily "
            "where date between ? and ?", [start.date(), end.date()]).df()
    finally:
        con.close()
    stock = stock.merge(keys)
    n_days = (end - start).days + 1
    dem, shp = float(h["demand_qty"].sum()), float(h["shipped_qty"].sum())
    return {"n_series": len(keys), "n_days": n_days, "demand_units": dem, "served_units": shp,
            "lost_units": float(h["lost_qty"].sum()),
            "fill_rate": shp / dem if dem > 0 else float("nan"),
            "stockout_days": int((h["lost_qty"] > 0).sum()),
            "avg_inventory_value": float(pd.to_numeric(stock["stock_value"]).sum()) / n_days,
            "orders_placed": None}


def simulate(warehouse_path: str | Path | None = None, days: int = WINDOW_DAYS,
             progress=None) -> pd.DataFrame:
    """Planning policy vs the history's policy over the last `days` days: a two-row
    DataFrame (policy 'planning' / 'actual') of n_series, n_days, demand_units,
    served_units, lost_units, fill_rate, stockout_days, avg_inventory_value,
    orders_placed, window_start, window_end. Deterministic for a given warehouse."""
    from forecasting import simulate_policy

    say = progress or (lambda _msg: None)
    warehouse = Path(warehouse_path or default_warehouse())
    inputs = load_inputs(warehouse)
    hist, terms = inputs["history"], inputs["terms"]
    hist = hist[hist["item_id"].isin(terms["item_id"])].copy()
    first, end = hist["date"].min(), hist["date"].max()
    start = max(end - pd.Timedelta(days=days - 1), first + pd.Timedelta(days=WARM_UP_DAYS))
    say(f"simulate: {hist[['item_id', 'warehouse_id']].drop_duplicates().shape[0]} series, "
        f"{start.date()} → {end.date()}")
    # marts demand_qty already includes lost demand; simulate_policy adds lost_qty back
    sim_hist = hist.assign(demand_qty=hist["demand_qty"] - hist["lost_qty"].fillna(0))
    abc = inputs["abc"].set_index(["item_id", "warehouse_id"])["abc_class"]
    keys = sim_hist[["item_id", "warehouse_id"]].drop_duplicates()
    levels = {(i, w): SERVICE_BY_CLASS.get(abc.get((i, w)), 0.90)
              for i, w in keys.itertuples(index=False)}
    cost = {(r.item_id, r.warehouse_id): r.unit_cost
            for r in inputs["cost"].dropna().itertuples(index=False)}
    opening = _opening_stock(warehouse, start)
    result = simulate_policy(sim_hist, terms, start, end, service_level=levels,
                             review_period_days=REVIEW_PERIOD_DAYS,
                             initial_on_hand={k: opening.get(k, 0.0) for k in levels},
                             unit_cost={k: cost.get(k, _price(terms, k[0])) for k in levels})
    sim = dict(result.total)
    sim["avg_inventory_value"] = float(sim["avg_inventory_value"])
    actual = _actual(warehouse, result.per_series[["item_id", "warehouse_id"]], start, end,
                     hist)
    cols = ["n_series", "n_days", "demand_units", "served_units", "lost_units", "fill_rate",
            "stockout_days", "avg_inventory_value", "orders_placed"]
    frame = pd.DataFrame([{"policy": "planning", **{c: sim.get(c) for c in cols}},
                          {"policy": "actual", **{c: actual.get(c) for c in cols}}])
    frame["window_start"], frame["window_end"] = start.date(), end.date()
    return frame


def _price(terms: pd.DataFrame, item_id) -> float:
    rows = terms[terms["item_id"] == item_id]
    return float(pd.to_numeric(rows["unit_price"]).min()) if len(rows) else 0.0


def _opening_stock(warehouse, start) -> dict:
    """On hand at the end of the day before the window (the simulation's opening stock)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frame = con.execute("select item_id, warehouse_id, qty_on_hand from "
                            "marts.fct_stock_daily where date = ?",
                            [(start - pd.Timedelta(days=1)).date()]).df()
    finally:
        con.close()
    return {(r.item_id, r.warehouse_id): float(r.qty_on_hand)
            for r in frame.itertuples(index=False)}


def sim_line(frame: pd.DataFrame, seconds: float) -> str:
    """One-line summary of a simulation."""
    p, a = frame.set_index("policy").loc["planning"], frame.set_index("policy").loc["actual"]
    return (f"simulate {frame['window_start'][0]} → {frame['window_end'][0]} "
            f"({int(p['n_series'])} series): fill rate {p['fill_rate']:.1%} vs actual "
            f"{a['fill_rate']:.1%}, stockout days {int(p['stockout_days'])} vs "
            f"{int(a['stockout_days'])}, avg inventory {p['avg_inventory_value']:,.0f} vs "
            f"{a['avg_inventory_value']:,.0f}; {seconds:.1f} s")


def _cmd_plan(args) -> int:
    if getattr(args, "plan_cmd", None) == "simulate":
        t0 = time.perf_counter()
        frame = simulate(args.warehouse, progress=print)
        frame["planning_run_id"] = None
        frame["created_at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        out = planning_path(args.warehouse)
        write_outputs(out, {"policy_simulation": frame})
        print(frame.drop(columns=["created_at"]).to_string(index=False))
        print(sim_line(frame, time.perf_counter() - t0) + f" → {out}")
        return 0
    s = run_planning(args.oltp_url, args.warehouse, as_of=args.as_of, progress=print)
    print(summary_line(s))
    return 0


def register(sub) -> None:
    """Add `plan` (and `plan simulate`) to the `qm` command line."""
    p = sub.add_parser("plan", help="forecast demand, plan replenishment, write draft POs")
    p.add_argument("--as-of", help="plan as of this date (demand history cut; YYYY-MM-DD)")
    p.add_argument("--oltp-url", help="OLTP database URL (default QM_DATABASE_URL)")
    p.add_argument("--warehouse", help="published DuckDB file (default QM_WAREHOUSE_PATH)")
    p.set_defaults(func=_cmd_plan, plan_cmd=None)
    ps = p.add_subparsers(dest="plan_cmd")
    s = ps.add_parser("simulate", help="replay the last 6 months: policy vs history")
    s.add_argument("--warehouse", help="published DuckDB file (default QM_WAREHOUSE_PATH)")
    s.set_defaults(func=_cmd_plan)

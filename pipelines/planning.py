"""Planning run: published warehouse → forecasts → replenishment plan → draft purchase orders.

`run_planning()` reads the published warehouse read-only (one short-lived DuckDB
connection), forecasts with `forecasting.forecast_demand`, sizes orders with
`forecasting.plan_replenishment` (parameters: `forecasting.parameters`), hands the
suggestions to the OLTP's write-back service (`transactional.services.apply_plan`: draft
purchase orders, one per supplier × warehouse, `origin='planning'`) and
writes its outputs to the separate `planning.duckdb` file (docs/marts.md) atomically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
import time
import uuid
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sqlalchemy import select

from forecasting.parameters import (
    PLANNING_DEFAULTS,
    REVIEW_PERIOD_DAYS,  # noqa: F401 - re-exported (bench)
    PlanningParameters,
)
from transactional.commands import PlanningSuggestion, validate
from transactional.config import database_url, settings
from transactional.config import warehouse_path as default_warehouse
from transactional.db import session_factory
from transactional.models import PlannerDecision
from transactional.services import Context, apply_plan
from transactional.services.planning import PLANNING_ROLE, PLANNING_USER

KEYS = ["item_id", "warehouse_id"]


def planning_path(warehouse: str | Path | None = None) -> Path:
    """`QM_PLANNING_PATH`, else `planning.duckdb` next to the published warehouse."""
    env = settings().planning_path
    if env:
        return Path(env)
    return Path(warehouse or default_warehouse()).resolve().parent / "planning.duckdb"


def new_run_id() -> str:
    """A sortable, unique planning run id (fits Document.planning_run_id, 40 chars)."""
    return f"plan-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def _floats(frame: pd.DataFrame, cols) -> pd.DataFrame:
    for c in cols:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return frame


def load_inputs(warehouse: str | Path, as_of=None) -> dict:
    """Everything planning reads from the published warehouse, as DataFrames.

    history (marts.demand_daily of active items, up to `as_of`), positions
    (marts.stock_position), abc (marts.abc_xyz), terms (marts.dim_supplier_item: the
    lead-time mean/std of supplier_item_performance where ≥ 2 receipts were seen, else the
    quoted lead time), cost (moving-average unit cost per item-warehouse from
    stock_position), snapshot_seq (marts.warehouse_snapshot: highest document change_seq
    extracted: later OLTP changes are not in the positions),
    made_to_order (item ids), open_sales_lines (marts.open_sales_order_lines; None before
    that mart exists), mto_cover (item_id, warehouse_id, qty on make-to-order drafts).
    """
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        q = lambda sql, p=(): con.execute(sql, list(p)).df()
        cond, params = ("and d.date <= ?", [pd.Timestamp(as_of).date()]) if as_of else ("", [])
        history = q(
            "select d.date, d.item_id, d.warehouse_id, d.demand_qty, d.shipped_qty, "
            "d.lost_qty, d.is_stockout, d.promo from marts.demand_daily d "
            "join marts.dim_item i on i.item_id = d.item_id where i.is_active "
            f"{cond} order by 2, 3, 1",
            params,
        )
        positions = q(
            "select item_id, warehouse_id, on_hand, on_order, committed, "
            "stock_value from marts.stock_position"
        )
        abc = q("select item_id, warehouse_id, abc_class from marts.abc_xyz")
        terms = q(
            "select item_id, supplier_id, unit_price, planning_lead_time_days "
            "lead_time_days, planning_lead_time_std_days lead_time_std_days, moq, "
            "pack_size from marts.dim_supplier_item order by 1, 2"
        )
        seq = q("select document_change_seq s from marts.warehouse_snapshot")["s"][0]
        has_mode = (
            q(
                "select count(*) n from information_schema.columns where table_schema = "
                "'marts' and table_name = 'dim_item' and column_name = 'supply_mode'"
            )["n"][0]
            > 0
        )
        mto = (
            set(
                q("select item_id from marts.dim_item where supply_mode = 'make_to_order'")[
                    "item_id"
                ].tolist()
            )
            if has_mode
            else set()
        )
        has_open = (
            q(
                "select count(*) n from information_schema.tables where table_schema = "
                "'marts' and table_name = 'open_sales_order_lines'"
            )["n"][0]
            > 0
        )
        open_lines = (
            q(
                "select document_number, line_no, order_date, customer_id, item_id, "
                "warehouse_id, open_qty from marts.open_sales_order_lines "
                "order by item_id, warehouse_id, order_date, document_number, line_no"
            )
            if has_open
            else None
        )
        # make-to-order drafts raised when sales orders were posted (services/mto.py): not
        # in on_order (not approved), but supply planning must not buy a second time; read
        # from the same snapshot as the positions and the open lines
        mto_cover = q(
            "select item_id, warehouse_id, sum(qty) qty "
            "from marts.fct_purchase_order_lines "
            "where origin = 'mto' and status = 'draft' group by 1, 2 order by 1, 2"
        )
    finally:
        con.close()
    history["date"] = pd.to_datetime(history["date"])
    history = _floats(history, ["demand_qty", "shipped_qty", "lost_qty"])
    terms = _floats(terms, ["lead_time_days", "lead_time_std_days"])
    on_hand = pd.to_numeric(positions["on_hand"]).astype(float)
    value = pd.to_numeric(positions["stock_value"]).astype(float)
    cost = positions[KEYS].copy()
    cost["unit_cost"] = np.where(on_hand > 0, value / on_hand.where(on_hand > 0, 1), np.nan)
    return {
        "history": history,
        "positions": positions,
        "abc": abc,
        "terms": terms,
        "cost": cost,
        "snapshot_seq": None if pd.isna(seq) else int(seq),
        "made_to_order": mto,
        "open_sales_lines": open_lines,
        "mto_cover": mto_cover,
    }


def forecast(
    inputs: dict, as_of=None, horizon: int | None = None, params: PlanningParameters | None = None
):
    """forecasting.forecast_for_planning over the history (lumps cut off, then the
    forecast engine); horizon defaults to `params.horizon_days` (the longest lead time
    + 2 std + the review period, at least 28 days: forecasting.parameters)."""
    from forecasting import forecast_for_planning

    p = params or PLANNING_DEFAULTS
    terms = inputs["terms"]
    if horizon is None:
        longest = (
            terms["lead_time_days"] + p.horizon_lead_time_stds * terms["lead_time_std_days"]
        ).max()
        horizon = p.horizon_days(None if pd.isna(longest) else float(longest))
    return forecast_for_planning(inputs["history"], horizon=horizon, as_of=as_of)


def parameters(
    fill_target: float | None = None, params: PlanningParameters | None = None
) -> PlanningParameters:
    """The run's planning parameters: `params` (default: forecasting.parameters'
    PLANNING_DEFAULTS) with `fill_target` when one is given."""
    p = params or PLANNING_DEFAULTS
    return dataclasses.replace(p, fill_target=fill_target) if fill_target else p


def chosen_cv(result) -> pd.DataFrame | None:
    """The backtest rows of each series' chosen model (item_id, warehouse_id, cutoff, h,
    y, yhat): the forecast error the safety stock is sized from."""
    cv = getattr(result, "cv", None)
    if cv is None or len(cv) == 0:
        return None
    chosen = result.series[KEYS + ["chosen_model"]].rename(columns={"chosen_model": "model"})
    return cv.merge(chosen, on=KEYS + ["model"], how="inner")


def previous_plan(path: str | Path, fill_target: float) -> pd.DataFrame | None:
    """item_id, warehouse_id, safety_stock of the last run's `replenishment_plan` in
    planning.duckdb: the safety stock a new run keeps while its own estimate is within
    that estimate's noise (forecasting.replenishment.hold_safety_stock). None when there
    is none, or when the last run planned for another aggregate fill target (or did not
    record one in `planning_runs.fill_target`): a target the planner changed takes effect
    at once."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        last = con.execute("select fill_target from planning_runs").fetchall()
        if (
            len(last) != 1
            or last[0][0] is None
            or not math.isfinite(last[0][0])
            or abs(float(last[0][0]) - float(fill_target)) > 1e-9
        ):
            return None
        return con.execute(
            "select item_id, warehouse_id, safety_stock from replenishment_plan"
        ).df()
    except duckdb.Error:
        return None
    finally:
        con.close()


def replenish(
    inputs: dict,
    result,
    fill_target: float | None = None,
    params: PlanningParameters | None = None,
    previous: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """forecasting.plan_replenishment: one row per item-warehouse with its why; then the
    open sales orders that stock and open supply cannot cover (forecasting.mto): a
    make-to-order item is suggested exactly that need (less the make-to-order drafts
    already raised), a make-to-stock item at least it, and the why names the orders.
    Review period, fill target and class floors: `parameters(fill_target, params)`.
    `previous`: the last run's safety stock per item-warehouse (`previous_plan`)."""
    from forecasting import plan_replenishment
    from forecasting.mto import apply_needs, sales_order_needs

    p = parameters(fill_target, params)
    table = plan_replenishment(
        result.series,
        result.forecasts,
        inputs["positions"],
        inputs["terms"],
        inputs["abc"],
        review_period_days=p.review_period_days,
        fill_target=p.fill_target,
        fill_floors=dict(p.fill_floors),
        cv_df=chosen_cv(result),
        made_to_order=inputs.get("made_to_order"),
        history=inputs["history"],
        previous_plan=previous,
    )
    needs = sales_order_needs(
        inputs.get("open_sales_lines"), inputs["positions"], inputs.get("mto_cover")
    )
    return apply_needs(table, needs, inputs["terms"], inputs.get("made_to_order"))


def suggestion_commands(suggestions: pd.DataFrame) -> list[PlanningSuggestion]:
    """The plan's rows as the write-back's commands: rows with suggested_qty > 0 and a
    supplier, quantities and prices as Decimal (a missing price: the supplier-item
    price), `sales_orders` (the open sales orders the line is for) when named."""
    todo = suggestions[pd.to_numeric(suggestions["suggested_qty"]) > 0]
    todo = todo[todo["supplier_id"].notna()]
    out = []
    for r in todo.to_dict("records"):
        price, orders = r.get("unit_price"), r.get("sales_orders")
        out.append(
            validate(
                PlanningSuggestion,
                {
                    "item_id": int(r["item_id"]),
                    "warehouse_id": int(r["warehouse_id"]),
                    "supplier_id": int(r["supplier_id"]),
                    "qty": Decimal(str(r["suggested_qty"])),
                    "unit_price": Decimal(str(price))
                    if price is not None and price == price
                    else None,
                    "sales_orders": orders if isinstance(orders, str) and orders else None,
                },
                f"suggestion for item {r['item_id']} at warehouse {r['warehouse_id']}",
            )
        )
    return out


def write_back(
    suggestions: pd.DataFrame,
    oltp_url: str | None,
    run_id: str,
    snapshot_seq: int | None = None,
    today: dt.date | None = None,
) -> dict:
    """Write the plan back as draft purchase orders: `transactional.services.apply_plan`
    (replace planning's untouched drafts, keep touched ones and skip their
    item-warehouses and those decided after `snapshot_seq`, one draft PO per supplier ×
    warehouse; idempotent per `run_id`) in one transaction as user 'planning' / role
    'planner'.

    `suggestions`: item_id, warehouse_id, supplier_id, suggested_qty (rows ≤ 0 or without
    a supplier ignored), optional unit_price and sales_orders. Returns created, replaced,
    kept (touched planning drafts), skipped_lines, documents (new PO numbers).
    """
    commands = suggestion_commands(suggestions)
    session = session_factory(oltp_url or database_url())()
    clock = (lambda: dt.datetime.combine(today, dt.time(12))) if today else None
    ctx = Context(
        session, username=PLANNING_USER, role=PLANNING_ROLE, **({"clock": clock} if clock else {})
    )
    try:
        result = apply_plan(ctx, run_id, commands, snapshot_seq)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return result.as_dict()


def planner_decisions(oltp_url: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """OLTP planner_decision rows, and per planning run the acceptance rate (documents
    approved ÷ documents decided by approve or reject; an edit is not a final decision)."""
    session = session_factory(oltp_url or database_url())()
    try:
        rows = session.execute(select(PlannerDecision)).scalars().all()
        cols = [
            "id",
            "document_id",
            "document_line_id",
            "item_id",
            "planning_run_id",
            "action",
            "suggested_qty",
            "final_qty",
            "reason",
            "decided_by",
            "decided_at",
        ]
        frame = pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)
    finally:
        session.close()
    final = frame[frame["action"].isin(["approve", "reject"])].drop_duplicates("document_id")
    if final.empty:
        runs = pd.DataFrame(
            columns=[
                "planning_run_id",
                "documents_decided",
                "approved",
                "rejected",
                "edited",
                "acceptance_rate",
            ]
        )
    else:
        edited = (
            frame[frame["action"] == "edit"].groupby("planning_run_id")["document_id"].nunique()
        )
        runs = (
            final.groupby("planning_run_id", dropna=False)
            .agg(
                documents_decided=("document_id", "nunique"),
                approved=("action", lambda a: int((a == "approve").sum())),
                rejected=("action", lambda a: int((a == "reject").sum())),
            )
            .reset_index()
        )
        runs["edited"] = runs["planning_run_id"].map(edited).fillna(0).astype(int)
        runs["acceptance_rate"] = runs["approved"] / runs["documents_decided"]
    return frame, runs


def accuracy_by_model(series: pd.DataFrame) -> pd.DataFrame:
    """forecast_accuracy: per chosen model the series count and mean MASE, WAPE, bias."""
    if series.empty:
        return pd.DataFrame(columns=["model", "series", "mean_mase", "mean_wape", "mean_bias"])
    return (
        series.groupby("chosen_model")
        .agg(
            series=("item_id", "size"),
            mean_mase=("mase", "mean"),
            mean_wape=("wape", "mean"),
            mean_bias=("bias", "mean"),
        )
        .reset_index()
        .rename(columns={"chosen_model": "model"})
    )


def write_outputs(path: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write `tables` into a new DuckDB file and swap it in with os.replace; tables of the
    previous file that are not in `tables` (e.g. policy_simulation) are carried over."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    con = duckdb.connect(str(tmp))
    try:
        if path.exists():
            con.execute(f"attach '{path}' as old (read_only)")
            old = con.execute(
                "select table_name from information_schema.tables where "
                "table_catalog = 'old' and table_schema = 'main'"
            ).fetchall()
            for (name,) in old:
                if name not in tables:
                    con.execute(f'create table main."{name}" as select * from old."{name}"')
            con.execute("detach old")
        for name, frame in tables.items():
            frame, casts = _decimal_free(frame)
            con.register("frame_in", frame)
            sel = ", ".join(f'cast("{c}" as decimal(18,{s})) as "{c}"' for c, s in casts)
            star = f"* replace ({sel})" if casts else "*"
            con.execute(f'create table main."{name}" as select {star} from frame_in')
            con.unregister("frame_in")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, path)
    return path


def _decimal_free(frame: pd.DataFrame):
    """Decimal object columns → float (to load) plus the DECIMAL scale to cast back to."""
    frame = frame.copy()
    casts = []
    for c in frame.columns:
        if frame[c].dtype == object:
            vals = frame[c].dropna()
            if not len(vals):  # all null: a typed-less column would load as INTEGER
                frame[c] = frame[c].astype("string")
                continue
            if len(vals) and all(isinstance(v, Decimal) for v in vals):
                scale = max(min(-v.as_tuple().exponent, 6) for v in vals if v.is_finite())
                frame[c] = [float(v) if v is not None else None for v in frame[c]]
                casts.append((c, max(scale, 2)))
    return frame, casts


def run_planning(
    oltp_url: str | None = None,
    warehouse_path: str | Path | None = None,
    as_of=None,
    horizon: int | None = None,
    progress=None,
    output_path: str | Path | None = None,
    simulate: bool = True,
    fill_target: float | None = None,
    params: PlanningParameters | None = None,
) -> dict:
    """One planning run (see the module docstring); prints progress through `progress`.
    `simulate` also refreshes policy_simulation (the `qm plan simulate` replay).
    `params`: the planning parameters (default: forecasting.parameters.PLANNING_DEFAULTS),
    `fill_target` overriding its aggregate fill target.

    Returns a summary: run_id, series, model_mix {model: series}, suggestions (lines with
    qty > 0), total_value, drafts created / replaced / kept, skipped_lines, output path,
    seconds. `as_of` cuts the demand history (positions are always the published ones).
    """
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    warehouse = Path(warehouse_path or default_warehouse())
    if not warehouse.exists():
        raise FileNotFoundError(f"no published warehouse at {warehouse}: run `qm refresh`")
    run_id = new_run_id()
    say(f"plan: reading {warehouse}")
    inputs = load_inputs(warehouse, as_of)
    say(
        f"plan: {len(inputs['history'])} demand rows, {len(inputs['terms'])} supplier terms;"
        f" forecasting + backtest"
    )
    p = parameters(fill_target, params)
    result = forecast(inputs, as_of, horizon, params=p)
    # the last run's safety stock is held while a new estimate is within its noise; a
    # plan cut at an earlier `as_of` does not follow the last (later) run
    previous = (
        previous_plan(output_path or planning_path(warehouse), p.fill_target)
        if as_of is None
        else None
    )
    table = replenish(inputs, result, params=p, previous=previous)
    say(
        f"plan: {len(result.series)} series, "
        f"{int((pd.to_numeric(table['suggested_qty']) > 0).sum())} suggestions; writing drafts"
    )
    summary = finish_run(
        run_id,
        inputs,
        result,
        table,
        oltp_url,
        output_path or planning_path(warehouse),
        as_of,
        simulate_on=warehouse if simulate else None,
        fill_target=p.fill_target,
    )
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    return summary


def finish_run(
    run_id: str,
    inputs: dict,
    result,
    table: pd.DataFrame,
    oltp_url: str | None,
    out: str | Path,
    as_of=None,
    simulate_on: str | Path | None = None,
    fill_target: float | None = None,
) -> dict:
    """Write the drafts (write_back) and the planning.duckdb tables; the run's summary.
    With `simulate_on` (the warehouse) the policy replay is refreshed too. `fill_target`
    (the run's aggregate target) is kept in `planning_runs`: the next run holds this
    run's safety stock only for the same target (`previous_plan`)."""
    table = table.copy()
    table.insert(0, "planning_run_id", run_id)
    table["supplier_id"] = table["supplier_id"].astype("Int64")
    sugg = table[pd.to_numeric(table["suggested_qty"]) > 0]
    wb = write_back(sugg, oltp_url, run_id, inputs["snapshot_seq"])
    decisions, acceptance = planner_decisions(oltp_url)
    forecasts = result.forecasts.copy()
    forecasts.insert(0, "planning_run_id", run_id)
    forecasts["date"] = pd.to_datetime(forecasts["date"]).dt.date
    series = result.series.copy()
    series.insert(0, "planning_run_id", run_id)
    accuracy = accuracy_by_model(result.series)
    accuracy.insert(0, "planning_run_id", run_id)
    total_value = sum((v for v in sugg["line_value"]), Decimal("0.00"))
    summary = {
        "run_id": run_id,
        "series": len(result.series),
        "model_mix": result.series["chosen_model"].value_counts().to_dict(),
        "suggestions": len(sugg),
        "total_value": total_value,
        "drafts_created": wb["created"],
        "drafts_replaced": wb["replaced"],
        "drafts_kept": wb["kept"],
        "skipped_lines": wb["skipped_lines"],
        "as_of": str(pd.Timestamp(as_of).date()) if as_of else None,
    }
    runs = pd.DataFrame(
        [
            {
                **{k: v for k, v in summary.items() if k != "model_mix"},
                "model_mix": str(summary["model_mix"]),
                "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "fill_target": math.nan if fill_target is None else float(fill_target),
            }
        ]
    )
    tables = {
        "demand_forecast": forecasts,
        "replenishment_plan": table,
        "forecast_series": series,
        "forecast_accuracy": accuracy,
        "planner_decisions": decisions,
        "planner_acceptance": acceptance,
        "planning_runs": runs,
    }
    try:  # forecast_log kept across runs (appended) and realised_accuracy of past plans
        from pipelines.plan_accuracy import accuracy_tables

        tables.update(accuracy_tables(out, run_id, inputs, result))
    except Exception as exc:  # noqa: BLE001 - the plan still publishes; old log carried over
        summary["accuracy_error"] = f"{type(exc).__name__}: {exc}"
    if simulate_on is not None:
        from pipelines.simulation import simulate, simulation_frame

        try:
            result, notes = simulate(simulate_on)
            tables["policy_simulation"] = simulation_frame(result, notes).assign(
                planning_run_id=run_id
            )
        except ValueError as exc:  # e.g. too little history: planning still publishes
            summary["simulation_error"] = str(exc)
    write_outputs(out, tables)
    summary["output"] = str(out)
    return summary


def summary_line(s: dict) -> str:
    """The one-line summary `qm plan` prints."""
    mix = ", ".join(f"{m} {n}" for m, n in sorted(s["model_mix"].items(), key=lambda x: -x[1]))
    return (
        f"plan {s['run_id']}: {s['series']} series ({mix or 'none'}), "
        f"{s['suggestions']} suggestions worth {s['total_value']:,.2f}; drafts "
        f"{s['drafts_created']} created, {s['drafts_replaced']} replaced, "
        f"{s['drafts_kept']} kept (planner-touched), {s['skipped_lines']} lines skipped; "
        f"{s['seconds']} s → {s['output']}"
    )

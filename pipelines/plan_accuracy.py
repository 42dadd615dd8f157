"""Realised accuracy of past plans: the forecast log and forecast value added (FVA).

Every planning run appends what it forecast to `forecast_log` in planning.duckdb, next to
a **seasonal-naive** forecast made from the same history at the same moment; once the
forecast days have happened, `realised_accuracy` scores both against what was actually
demanded (`marts.demand_daily.demand_qty`, lost demand included) per run × ABC class, per
run × chosen model and per run in total. FVA = 1 − Σ|plan error| ÷ Σ|seasonal-naive
error| over the same item-warehouse-days: positive = the plan's forecast beat the
benchmark, 0 = no better, negative = worse (docs/forecasting.md, "Realised accuracy and
forecast value added").

Decisions (also in docs/forecasting.md):

* the seasonal naive uses the **same lumps-capped history** as planning
  (`forecasting.lumps.cap_history`, the rule `forecast_for_planning` applies), demand
  incl. lost demand, negative demand clipped to 0, days without a row = 0: the last 7
  days repeated. Both forecasts see the same information, so FVA measures the model, not
  the lump rule. Actuals are **not** capped: a lump both missed counts against both.
* the log keeps the first `LOG_DAYS` = 28 days of each run's horizon; one run per
  history date (`as_of`): a live run replaces a backfilled one of the same date, and of
  two runs of the same kind the later one wins (a rerun of a run id replaces its rows);
  runs more than `THIN_AFTER_DAYS` = 28 days older than the newest are thinned to one per
  calendar week (the latest), runs more than `RETAIN_DAYS` = 182 days older are dropped.
  So at most ~50 runs × series × 28 rows (medium demo: 846 series → ≤ 1.2 M rows).
* `qm plan backfill --weeks N` re-runs the planning forecast at the last N weekly
  cut-offs (history cut there; ABC classes and supplier lead times as they are now), with
  no drafts and nothing sent to the OLTP, labelled `kind = 'backfill'`.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

KEYS = ["item_id", "warehouse_id"]
SEASON = 7  # daily data: weekly season
LOG_DAYS = 28  # forecast days kept per run
THIN_AFTER_DAYS = 28  # older runs: one per calendar week
RETAIN_DAYS = 182  # older runs: dropped
MIN_HISTORY_DAYS = 28  # a backfill cut-off needs this much history before it
LOG_COLUMNS = [
    "planning_run_id",
    "kind",
    "as_of",
    "logged_at",
    "item_id",
    "warehouse_id",
    "date",
    "h",
    "yhat",
    "snaive",
    "snaive_scale",
    "chosen_model",
    "abc_class",
]
ACCURACY_COLUMNS = [
    "planning_run_id",
    "kind",
    "as_of",
    "dimension",
    "segment",
    "series",
    "days_covered",
    "first_day",
    "last_day",
    "actual_units",
    "forecast_units",
    "snaive_units",
    "abs_error",
    "snaive_abs_error",
    "scale_sum",
    "wape",
    "bias",
    "scaled_error",
    "snaive_wape",
    "snaive_bias",
    "snaive_scaled_error",
    "fva",
    "computed_at",
]
KIND_RANK = {"backfill": 0, "live": 1}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def empty_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(dtype=t)
            for c, t in (
                ("planning_run_id", "object"),
                ("kind", "object"),
                ("as_of", "datetime64[ns]"),
                ("logged_at", "datetime64[ns]"),
                ("item_id", "int64"),
                ("warehouse_id", "int64"),
                ("date", "datetime64[ns]"),
                ("h", "int64"),
                ("yhat", "float64"),
                ("snaive", "float64"),
                ("snaive_scale", "float64"),
                ("chosen_model", "object"),
                ("abc_class", "object"),
            )
        }
    )


# ---------------------------------------------------------------- the seasonal naive
def seasonal_naive(
    history: pd.DataFrame, as_of, keys: pd.DataFrame, capped: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The benchmark made at `as_of` for the series in `keys` (item_id, warehouse_id).

    Returns (`last`, `scale`): `last` = item_id, warehouse_id, phase 0..6 (0 = as_of − 6),
    value: the last 7 days of the (lumps-capped) history, days without a row 0; `scale` =
    item_id, warehouse_id, snaive_scale: the in-sample mean |y_t − y_{t−7}| over the
    series' history (from its first row; mean |y| with less than 8 days), the MASE scale.
    """
    as_of = pd.Timestamp(as_of).normalize()
    h = history[pd.to_datetime(history["date"]) <= as_of]
    h = h[KEYS + ["date", "demand_qty"]].copy()
    h["date"] = pd.to_datetime(h["date"]).dt.normalize()
    h["demand_qty"] = pd.to_numeric(h["demand_qty"]).astype(float).clip(lower=0).fillna(0)
    if capped and len(h):
        from forecasting.lumps import cap_history

        h, _ = cap_history(h, KEYS, "demand_qty")
    keys = keys[KEYS].drop_duplicates().reset_index(drop=True)
    if h.empty:
        last = keys.loc[keys.index.repeat(SEASON)].reset_index(drop=True)
        last["phase"] = np.tile(np.arange(SEASON), len(keys))
        last["value"] = 0.0
        return last, keys.assign(snaive_scale=np.nan)
    start = h["date"].min()
    n_days = int((as_of - start).days) + 1
    wide = h.pivot_table(index=KEYS, columns="date", values="demand_qty", aggfunc="sum")
    wide = wide.reindex(columns=pd.date_range(start, as_of, freq="D"))
    wide = wide.reindex(pd.MultiIndex.from_frame(keys))
    Y = wide.to_numpy(float)
    seen = np.cumsum(~np.isnan(Y), axis=1) > 0  # since the series' first row
    Y = np.where(seen, np.nan_to_num(Y), np.nan)
    lastY = (
        np.nan_to_num(Y[:, -SEASON:])
        if n_days >= SEASON
        else np.concatenate([np.zeros((len(keys), SEASON - n_days)), np.nan_to_num(Y)], axis=1)
    )
    last = keys.loc[keys.index.repeat(SEASON)].reset_index(drop=True)
    last["phase"] = np.tile(np.arange(SEASON), len(keys))
    last["value"] = lastY.reshape(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if n_days > SEASON:
            d = np.abs(Y[:, SEASON:] - Y[:, :-SEASON])
            cnt = (~np.isnan(d)).sum(axis=1)
            mae = np.where(cnt > 0, np.nansum(d, axis=1) / np.maximum(cnt, 1), np.nan)
        else:
            mae = np.full(len(keys), np.nan)
        cnt_y = (~np.isnan(Y)).sum(axis=1)
        mean_abs = np.where(cnt_y > 0, np.nansum(np.abs(Y), axis=1) / np.maximum(cnt_y, 1), np.nan)
    scale = keys.copy()
    scale["snaive_scale"] = np.where(np.isnan(mae), mean_abs, mae)
    return last, scale


# ---------------------------------------------------------------- the log
def forecast_log_rows(
    run_id: str,
    inputs: dict,
    result,
    kind: str = "live",
    logged_at: dt.datetime | None = None,
    days: int = LOG_DAYS,
) -> pd.DataFrame:
    """One planning run's log rows: its forecast (`result.forecasts.forecast_qty`, the
    first `days` days) and the seasonal naive made from `inputs['history']` at the same
    as_of (= the day before the first forecast day), with the chosen model
    (`result.series`) and the ABC class (`inputs['abc']`, missing → 'C' as planning)."""
    fc = result.forecasts
    if fc is None or len(fc) == 0:
        return empty_log()
    fc = fc[KEYS + ["date", "forecast_qty"]].copy()
    fc["date"] = pd.to_datetime(fc["date"]).dt.normalize()
    as_of = fc["date"].min() - pd.Timedelta(days=1)
    fc["h"] = (fc["date"] - as_of).dt.days.astype("int64")
    fc = fc[fc["h"] <= days]
    keys = fc[KEYS].drop_duplicates()
    last, scale = seasonal_naive(inputs["history"], as_of, keys)
    fc["phase"] = (fc["h"] - 1) % SEASON
    fc = fc.merge(last, on=KEYS + ["phase"], how="left").merge(scale, on=KEYS, how="left")
    models = (
        result.series[KEYS + ["chosen_model"]]
        if len(result.series)
        else pd.DataFrame(columns=KEYS + ["chosen_model"])
    )
    fc = fc.merge(models, on=KEYS, how="left")
    abc = inputs.get("abc")
    if abc is not None and len(abc):
        fc = fc.merge(abc[KEYS + ["abc_class"]].drop_duplicates(KEYS), on=KEYS, how="left")
    else:
        fc["abc_class"] = None
    fc["abc_class"] = [c if isinstance(c, str) and c else "C" for c in fc["abc_class"]]
    out = pd.DataFrame(
        {
            "planning_run_id": run_id,
            "kind": kind,
            "as_of": as_of,
            "logged_at": pd.Timestamp(logged_at or _now()),
            "item_id": fc["item_id"].astype("int64"),
            "warehouse_id": fc["warehouse_id"].astype("int64"),
            "date": fc["date"],
            "h": fc["h"],
            "yhat": pd.to_numeric(fc["forecast_qty"]).astype(float),
            "snaive": fc["value"].fillna(0.0).astype(float),
            "snaive_scale": fc["snaive_scale"].astype(float),
            "chosen_model": fc["chosen_model"].fillna("none").astype(str),
            "abc_class": fc["abc_class"],
        }
    )
    return out.sort_values(["item_id", "warehouse_id", "date"]).reset_index(drop=True)[LOG_COLUMNS]


def _normalise(log: pd.DataFrame | None) -> pd.DataFrame:
    if log is None or len(log) == 0:
        return empty_log()
    log = log.copy()
    for c in ("as_of", "date", "logged_at"):
        log[c] = pd.to_datetime(log[c])
    for c in ("item_id", "warehouse_id", "h"):
        log[c] = log[c].astype("int64")
    for c in ("yhat", "snaive", "snaive_scale"):
        log[c] = pd.to_numeric(log[c]).astype(float)
    return log[LOG_COLUMNS]


def append_log(
    old_log: pd.DataFrame | None,
    new_rows: pd.DataFrame,
    retain_days: int = RETAIN_DAYS,
    thin_after_days: int = THIN_AFTER_DAYS,
) -> pd.DataFrame:
    """The log with `new_rows` appended, then pruned (module docstring): rows of a run id
    already in the log are replaced; one run per as_of (live over backfill, then the
    later logged); runs more than `thin_after_days` before the newest as_of kept one per
    calendar week (the latest), more than `retain_days` before dropped."""
    old, new = _normalise(old_log), _normalise(new_rows)
    if len(new):
        old = old[~old["planning_run_id"].isin(set(new["planning_run_id"]))]
    log = (
        pd.concat([x for x in (old, new) if len(x)], ignore_index=True)
        if len(old) or len(new)
        else empty_log()
    )
    if log.empty:
        return empty_log()
    runs = log.groupby("planning_run_id", as_index=False).agg(
        kind=("kind", "first"), as_of=("as_of", "first"), logged_at=("logged_at", "max")
    )
    runs["rank"] = runs["kind"].map(KIND_RANK).fillna(0)
    runs = runs.sort_values(["as_of", "rank", "logged_at", "planning_run_id"])
    runs = runs.drop_duplicates("as_of", keep="last")
    newest = runs["as_of"].max()
    age = (newest - runs["as_of"]).dt.days
    runs = runs[age <= retain_days]
    age = (newest - runs["as_of"]).dt.days
    week = runs["as_of"] - pd.to_timedelta(runs["as_of"].dt.weekday, unit="D")
    old_runs = runs[age > thin_after_days].assign(week=week[age > thin_after_days])
    old_keep = old_runs.sort_values("as_of").drop_duplicates("week", keep="last")
    keep = set(runs.loc[age <= thin_after_days, "planning_run_id"]) | set(
        old_keep["planning_run_id"]
    )
    log = log[log["planning_run_id"].isin(keep)]
    return log.sort_values(
        ["as_of", "planning_run_id", "item_id", "warehouse_id", "date"]
    ).reset_index(drop=True)


# ---------------------------------------------------------------- realised accuracy
def realised_accuracy(
    log: pd.DataFrame, actuals: pd.DataFrame, computed_at: dt.datetime | None = None
) -> pd.DataFrame:
    """Score every logged run on the days that have happened.

    `actuals`: item_id, warehouse_id, date, demand_qty (marts.demand_daily: zero-filled,
    lost demand included). A log row is scored when its (item, warehouse, date) has an
    actual row. Per run and dimension ('total' → segment 'all', 'abc_class' → A/B/C,
    'model' → the chosen model): series, days_covered (distinct dates), first/last day,
    actual, forecast and seasonal-naive units, Σ|error| of both, Σ scale, and
    wape = Σ|f − a| ÷ Σa, bias = Σ(f − a) ÷ Σa, scaled_error = Σ|f − a| ÷ Σ scale (a
    pooled MASE: mean absolute error over the series' in-sample seasonal-naive MAE), the
    same for the seasonal naive, and fva = 1 − Σ|f − a| ÷ Σ|snaive − a| (NaN when the
    benchmark made no error). Runs without a scored day have no rows.
    """
    if log is None or len(log) == 0 or actuals is None or len(actuals) == 0:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    log = _normalise(log)
    act = actuals[KEYS + ["date", "demand_qty"]].copy()
    act["date"] = pd.to_datetime(act["date"]).dt.normalize()
    act["actual"] = pd.to_numeric(act["demand_qty"]).astype(float).fillna(0.0)
    act = act.groupby(KEYS + ["date"], as_index=False)["actual"].sum()
    act["item_id"] = act["item_id"].astype("int64")
    act["warehouse_id"] = act["warehouse_id"].astype("int64")
    x = log.merge(act, on=KEYS + ["date"], how="inner")
    if x.empty:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    x["abs_error"] = (x["yhat"] - x["actual"]).abs()
    x["snaive_abs_error"] = (x["snaive"] - x["actual"]).abs()
    x["scale"] = x["snaive_scale"].fillna(0.0)
    x["series_key"] = x.groupby(KEYS, sort=False).ngroup()
    parts = []
    for dim, col in (("total", None), ("abc_class", "abc_class"), ("model", "chosen_model")):
        seg = "all" if col is None else x[col]
        g = x.assign(dimension=dim, segment=seg).groupby(
            ["planning_run_id", "kind", "as_of", "dimension", "segment"], as_index=False
        )
        parts.append(
            g.agg(
                series=("series_key", "nunique"),
                days_covered=("date", "nunique"),
                first_day=("date", "min"),
                last_day=("date", "max"),
                actual_units=("actual", "sum"),
                forecast_units=("yhat", "sum"),
                snaive_units=("snaive", "sum"),
                abs_error=("abs_error", "sum"),
                snaive_abs_error=("snaive_abs_error", "sum"),
                scale_sum=("scale", "sum"),
            )
        )
    out = ratios(pd.concat(parts, ignore_index=True))
    out["computed_at"] = pd.Timestamp(computed_at or _now())
    order = {"total": 0, "abc_class": 1, "model": 2}
    out = (
        out.assign(_o=out["dimension"].map(order))
        .sort_values(["as_of", "planning_run_id", "_o", "segment"])
        .drop(columns="_o")
    )
    for c in ("as_of", "first_day", "last_day"):
        out[c] = pd.to_datetime(out[c]).dt.date
    return out[ACCURACY_COLUMNS].reset_index(drop=True)


def ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """wape, bias, scaled_error, their seasonal-naive twins and fva from the sums
    (actual_units, forecast_units, snaive_units, abs_error, snaive_abs_error, scale_sum):
    also how rows of several runs are pooled — sum the sums, then call this."""
    f = frame.copy()
    a = f["actual_units"].astype(float)
    div = lambda num, den: np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    f["wape"] = div(f["abs_error"], a)
    f["bias"] = div(f["forecast_units"] - a, a)
    f["scaled_error"] = div(f["abs_error"], f["scale_sum"])
    f["snaive_wape"] = div(f["snaive_abs_error"], a)
    f["snaive_bias"] = div(f["snaive_units"] - a, a)
    f["snaive_scaled_error"] = div(f["snaive_abs_error"], f["scale_sum"])
    f["fva"] = 1 - div(f["abs_error"], f["snaive_abs_error"])
    return f


def pooled(accuracy: pd.DataFrame, dimension: str = "abc_class") -> pd.DataFrame:
    """Rows of `realised_accuracy` summed over runs per segment of `dimension`, with the
    ratios recomputed (runs = number of runs pooled)."""
    sums = [
        "actual_units",
        "forecast_units",
        "snaive_units",
        "abs_error",
        "snaive_abs_error",
        "scale_sum",
        "days_covered",
    ]
    sub = accuracy[accuracy["dimension"] == dimension]
    if sub.empty:
        return pd.DataFrame(columns=["segment", "runs", *sums])
    out = sub.groupby("segment", as_index=False).agg(
        runs=("planning_run_id", "nunique"), **{c: (c, "sum") for c in sums}
    )
    return ratios(out)


# ---------------------------------------------------------------- planning.duckdb I/O
def read_log(path: str | Path) -> pd.DataFrame:
    """forecast_log of an existing planning.duckdb (empty when there is none)."""
    import duckdb

    path = Path(path)
    if not path.exists():
        return empty_log()
    con = duckdb.connect(str(path), read_only=True)
    try:
        has = con.execute(
            "select count(*) from information_schema.tables where table_schema"
            " = 'main' and table_name = 'forecast_log'"
        ).fetchone()[0]
        return _normalise(con.execute("select * from forecast_log").df()) if has else empty_log()
    finally:
        con.close()


def _as_written(log: pd.DataFrame) -> pd.DataFrame:
    log = log.copy()
    for c in ("as_of", "date"):
        log[c] = pd.to_datetime(log[c]).dt.date
    return log


def accuracy_tables(
    out: str | Path, run_id: str, inputs: dict, result, kind: str = "live"
) -> dict[str, pd.DataFrame]:
    """What a planning run adds to planning.duckdb (`finish_run`): the previous log of
    `out` with this run appended and pruned, and realised_accuracy scored on the history
    this run read (`inputs['history']`: demand_daily of active items up to its as_of)."""
    log = append_log(read_log(out), forecast_log_rows(run_id, inputs, result, kind))
    acc = realised_accuracy(log, inputs["history"])
    return {"forecast_log": _as_written(log), "realised_accuracy": acc}


# ---------------------------------------------------------------- backfill
def backfill(
    warehouse: str | Path | None = None,
    weeks: int = 8,
    output_path: str | Path | None = None,
    progress=None,
) -> dict:
    """`qm plan backfill`: the planning forecast as of each of the last `weeks` weekly
    cut-offs (last history date − 7k, k = weeks … 1), history cut at the cut-off; no
    drafts, nothing sent to the OLTP. Each becomes run 'backfill-YYYY-MM-DD' (kind
    'backfill') in forecast_log; a cut-off that already has a live run, or less than
    `MIN_HISTORY_DAYS` of history, is skipped. realised_accuracy is recomputed on the
    full published history. Returns a summary (see `summary_line`)."""
    from pipelines.planning import forecast, load_inputs, planning_path, write_outputs
    from transactional.config import warehouse_path as default_warehouse

    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    warehouse = Path(warehouse or default_warehouse())
    if not warehouse.exists():
        raise FileNotFoundError(f"no published warehouse at {warehouse}: run `qm refresh`")
    out = Path(output_path or planning_path(warehouse))
    if weeks < 1:
        raise ValueError(f"--weeks {weeks}: must be at least 1")
    say(f"backfill: reading {warehouse}")
    inputs = load_inputs(warehouse)
    history = inputs["history"]
    if history.empty:
        raise ValueError("backfill: the warehouse has no demand history")
    first, last = history["date"].min(), history["date"].max()
    log = read_log(out)
    live = set(log.loc[log["kind"] == "live", "as_of"].dt.normalize())
    done, skipped, rows = [], [], 0
    cutoffs = [last - pd.Timedelta(days=7 * k) for k in range(weeks, 0, -1)]
    for i, cut in enumerate(cutoffs, 1):
        label = f"{cut:%Y-%m-%d}"
        if (cut - first).days + 1 < MIN_HISTORY_DAYS:
            say(
                f"backfill: as of {label} ({i}/{weeks}): less than {MIN_HISTORY_DAYS} days "
                "of history; skipped"
            )
            skipped.append(label)
            continue
        if cut in live:
            say(
                f"backfill: as of {label} ({i}/{weeks}): a live plan of that date is "
                "logged; skipped"
            )
            skipped.append(label)
            continue
        t1 = time.perf_counter()
        sub = {**inputs, "history": history[history["date"] <= cut]}
        result = forecast(sub, as_of=cut)
        new = forecast_log_rows(f"backfill-{label}", sub, result, kind="backfill")
        log = append_log(log, new)
        rows += len(new)
        done.append(label)
        say(
            f"backfill: as of {label} ({i}/{weeks}): {len(result.series)} series, "
            f"{len(new):,} forecast rows, {time.perf_counter() - t1:.1f} s"
        )
    acc = realised_accuracy(log, history)
    write_outputs(out, {"forecast_log": _as_written(log), "realised_accuracy": acc})
    total = acc[acc["dimension"] == "total"]
    summary = {
        "runs": len(done),
        "first": done[0] if done else None,
        "last": done[-1] if done else None,
        "skipped": len(skipped),
        "rows": rows,
        "log_runs": int(log["planning_run_id"].nunique()),
        "log_rows": len(log),
        "scored_runs": int(total["planning_run_id"].nunique()),
        "output": str(out),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    p = pooled(acc, "total")
    row = p.iloc[0] if len(p) else None
    summary.update(
        {k: (float(row[k]) if row is not None else None) for k in ("wape", "snaive_wape", "fva")}
    )
    return summary


def _pct(x) -> str:
    return "n/a" if x is None or x != x else f"{x:.1%}"


def summary_line(s: dict) -> str:
    """The one-line summary `qm plan backfill` prints."""
    span = f" as of {s['first']} … {s['last']}" if s["runs"] else ""
    return (
        f"backfill: {s['runs']} weekly plan(s){span} logged ({s['rows']:,} forecast "
        f"rows, {s['skipped']} skipped); log {s['log_runs']} plan(s), "
        f"{s['log_rows']:,} rows; {s['scored_runs']} scored: plan WAPE "
        f"{_pct(s['wape'])} vs seasonal naive {_pct(s['snaive_wape'])}, value added "
        f"{_pct(s['fva'])}; {s['seconds']} s → {s['output']}"
    )

"""``plan_replenishment``: one order suggestion per item-warehouse from forecasts and stock.

The live plan and the policy replay (:mod:`forecasting.simulate`) size stock with the
same function, :func:`order_up_to_levels`, so what the replay proves is what the plan does.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from .daily import forecast_demand
from .lumps import LUMP_MULTIPLE, cap_history
from .parameters import REVIEW_PERIOD_DAYS
from .policy import (
    DEFAULT_FILL_TARGET,
    SPARSE_CLASSES,
    DemandOverExposure,
    _dec,
    accumulated_error_variance,
    allocate_fill_rates,
    choose_supplier_records,
    service_floor_for_class,
    suggest_order,
)

KEYS = ["item_id", "warehouse_id"]
LUMP_COLUMNS = ["lump_threshold", "lump_qty", "lump_days"]
CENT = Decimal("0.01")
COLUMNS = [
    "item_id",
    "warehouse_id",
    "supplier_id",
    "demand_class",
    "abc_class",
    "service_level",
    "fill_floor",
    "lead_time_days",
    "lead_time_std_days",
    "forecast_over_horizon",
    "forecast_over_lead_time",
    "mean_daily_demand",
    "sigma_daily_demand",
    "sigma_over_horizon",
    "distribution",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "demand_ceiling",
    "capped",
    "on_hand",
    "on_order",
    "committed",
    "position",
    "raw_qty",
    "pack_size",
    "moq",
    "suggested_qty",
    "unit_price",
    "unit_cost",
    "line_value",
    "supplier_rule",
    "stocking",
    "adi",
    "why",
]


def forecast_for_planning(
    history: pd.DataFrame, horizon: int, as_of=None, lump_multiple: float = LUMP_MULTIPLE
):
    """The forecast planning stocks for: :func:`forecast_demand` on the history with rare
    lumps cut off (:mod:`forecasting.lumps`). The live plan and the policy replay both
    call this, so the replay proves what the plan does. ``result.series`` gains
    lump_threshold, lump_qty and lump_days."""
    capped, lumps = cap_history(history, KEYS, "demand_qty", lump_multiple)
    result = forecast_demand(capped, horizon=horizon, as_of=as_of)
    series = result.series.drop(columns=[c for c in LUMP_COLUMNS if c in result.series])
    result.series = series.merge(lumps, on=KEYS, how="left")
    # a guard, not a model: no day is forecast above the largest (capped) day the series
    # has had; a model that diverges in one backtest window must not size stock
    top = capped.groupby(KEYS)["demand_qty"].max().rename("_top").reset_index()
    for name in ("forecasts", "cv"):
        frame = getattr(result, name)
        col = "forecast_qty" if name == "forecasts" else "yhat"
        if len(frame) and col in frame:
            cap = frame[KEYS].merge(top, on=KEYS, how="left")["_top"].to_numpy(float)
            vals = frame[col].to_numpy(float)
            frame[col] = np.where(np.isfinite(cap), np.minimum(vals, np.maximum(cap, 0)), vals)
    return result


def sum_over(daily: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Row-wise forecast summed over the first ``days`` days (fractional last day pro
    rata; beyond the forecast horizon the row's mean rate continues)."""
    daily = np.nan_to_num(np.asarray(daily, dtype=float))
    n, h = daily.shape
    days = np.maximum(np.asarray(days, dtype=float), 0.0)
    cs = np.concatenate([np.zeros((n, 1)), np.cumsum(daily, axis=1)], axis=1)
    whole = np.minimum(np.floor(days).astype(int), h)
    rows = np.arange(n)
    total = cs[rows, whole]
    rate = cs[:, -1] / max(h, 1)
    part = np.where(whole < h, daily[rows, np.minimum(whole, h - 1)], rate)
    return total + (days - whole) * part


CEILING_LOOKBACK_DAYS = 365


def demand_ceiling(
    demand: np.ndarray, exposure, lookback: int = CEILING_LOOKBACK_DAYS
) -> np.ndarray:
    """The most demand seen in any ``exposure`` consecutive days of the last ``lookback``.

    ``demand`` (n, days): daily demand up to the review (NaN before a series starts; rare
    lumps included: this is what customers really asked for). ``exposure`` (n,) days,
    rounded up. A series with less history than its exposure gets its total scaled up to
    the exposure; one with no history gets no ceiling (inf). With fewer than ``lookback``
    days seen the ceiling is widened by sqrt(lookback / days seen): a few weeks cannot
    show the busiest days of a year (on the 6-month small demo an unwidened ceiling kept
    planning from ever reaching the reorder rules' fill rate).
    """
    x = np.asarray(demand, dtype=float)[:, -lookback:] if lookback else np.asarray(demand, float)
    n = x.shape[0]
    seen = (~np.isnan(x)).sum(axis=1)
    cs = np.concatenate([np.zeros((n, 1)), np.cumsum(np.nan_to_num(x), axis=1)], axis=1)
    e = np.maximum(
        np.ceil(np.nan_to_num(np.broadcast_to(np.asarray(exposure, dtype=float), (n,)))).astype(
            int
        ),
        1,
    )
    out = np.where(seen > 0, cs[:, -1] * e / np.maximum(seen, 1), np.inf)
    for days in np.unique(e[(seen >= e) & (e < cs.shape[1])]):
        rows = np.flatnonzero((e == days) & (seen >= days))
        out[rows] = (cs[rows, days:] - cs[rows, :-days]).max(axis=1)
    if lookback:
        out = out * np.sqrt(lookback / np.clip(seen, 1, lookback))
    return out


def hold_safety_stock(order_up_to, forecast_over_exposure, previous_safety_stock, windows):
    """Keep last review's safety stock unless the new estimate moved by more than its noise.

    The safety part of a level (``S - mu_E``) is re-estimated at every review from a few
    backtest windows, so it moves from week to week on sampling noise alone; an
    order-up-to rule buys every rise at once but can only sell a fall off through demand,
    so that noise ratchets stock up. The relative standard error of a spread estimated
    from ``w`` windows is about ``1 / sqrt(2 w)`` (41 % for 3 windows): the last review's
    safety stock is kept while the new one is within that share of it, and the new one
    is taken at once when it moved by more. The forecast part passes unchanged (its
    moves carry trend and season). Only stocked levels (``S > 0``) with a previous
    safety stock (not NaN) are held.

    Returns ``(order_up_to, safety_stock, held)``, ``order_up_to = max(mu_E + safety, 0)``.
    """
    S = np.asarray(order_up_to, dtype=float)
    mu = np.asarray(forecast_over_exposure, dtype=float)
    ss = S - mu
    if previous_safety_stock is None:
        return S, ss, np.zeros(len(S), bool)
    prev = np.asarray(previous_safety_stock, dtype=float)
    band = 1.0 / math.sqrt(2.0 * max(int(windows), 1))
    with np.errstate(invalid="ignore"):
        held = (S > 0) & np.isfinite(prev) & (np.abs(ss - prev) <= band * np.abs(prev))
    ss = np.where(held, prev, ss)
    return np.where(held, np.maximum(mu + ss, 0.0), S), ss, held


def order_up_to_levels(
    daily_forecast,
    errors,
    lead_time,
    lead_time_std,
    review_period,
    unit_cost,
    sparse,
    floors,
    fill_target=DEFAULT_FILL_TARGET,
    made_to_order=None,
    demand_interval=None,
    ceiling=None,
) -> dict:
    """Order-up-to levels for n series at one review (vectorised).

    ``daily_forecast`` (n, H); ``errors`` (n, windows, h) backtest errors or None;
    ``lead_time``/``lead_time_std`` (n,) days; ``unit_cost`` (n,); ``sparse`` (n,) bool
    (intermittent/lumpy: discrete demand distribution); ``floors`` (n,) fill-rate floors;
    ``made_to_order`` (n,) bool: items the business makes to order (S = 0, fill rate 0,
    their demand left out of the aggregate target); ``demand_interval`` (n,) mean days
    between days with demand (ADI): an intermittent series whose demand comes less
    often than once per lead time + review may be left unstocked (made to order) by the
    allocation, whatever its floor; without it no series may. ``ceiling`` (n,): no
    level above it (:func:`demand_ceiling`: the most demand seen over E in the last
    year). The error model sizes the levels; the ceiling catches what it cannot see - a
    model fitted to a few weeks of a new item, or an error spread inflated by lumps that
    have stopped - where it would stock more than any E days of the past year asked
    for. Measured on the policy replay: docs/planning.md.
    Returns arrays: mu_e, mu_l, var_e, var_l, sigma_e, order_up_to, safety_stock,
    fill_rate (per series, allocated; the model's rate before the ceiling), ``capped``
    (bool: the ceiling lowered the level), ``ceiling`` and the expected aggregate fill
    (``aggregate``, before the ceiling).
    """
    L = np.nan_to_num(np.asarray(lead_time, dtype=float))
    sL = np.nan_to_num(np.asarray(lead_time_std, dtype=float))
    E = L + float(review_period)
    mu_e = sum_over(daily_forecast, E)
    mu_l = sum_over(daily_forecast, L)
    d = np.where(E > 0, mu_e / np.where(E > 0, E, 1), 0.0)
    if errors is None:
        err_e = np.zeros(len(E))
    else:
        err_e = accumulated_error_variance(errors, E, sparse)
    err_l = err_e * np.where(E > 0, L / np.where(E > 0, E, 1), 0.0)
    var_e = err_e + d * d * sL * sL
    var_l = err_l + d * d * sL * sL
    mto = np.zeros(len(E), bool) if made_to_order is None else np.asarray(made_to_order, bool)
    rare = np.zeros(len(E), bool)
    if demand_interval is not None:
        adi = np.nan_to_num(np.asarray(demand_interval, dtype=float), nan=np.inf)
        rare = np.asarray(sparse, bool) & (mu_e > 0) & (adi > E)
    keep = ~mto
    over_e = DemandOverExposure(mu_e[keep], var_e[keep], np.asarray(sparse, bool)[keep])
    over_l = DemandOverExposure(mu_l[keep], var_l[keep], np.asarray(sparse, bool)[keep])
    part = allocate_fill_rates(
        fill_target,
        np.asarray(unit_cost, float)[keep],
        over_e,
        over_l,
        np.asarray(floors, float)[keep],
        may_skip=rare[keep],
    )

    top = (
        np.full(len(E), np.inf)
        if ceiling is None
        else np.nan_to_num(np.asarray(ceiling, dtype=float), nan=np.inf)
    )

    def full(S, beta, agg):
        S_all, b_all = np.zeros(len(E)), np.zeros(len(E))
        S_all[keep], b_all[keep] = S, beta
        over = S_all > np.maximum(top, 0.0)
        return np.where(over, np.maximum(top, 0.0), S_all), b_all, agg, over

    alloc = full(*part) if np.ndim(fill_target) == 0 else [full(*a) for a in part]
    discrete = np.zeros(len(E), bool)
    discrete[keep] = over_e.discrete
    base = {
        "mu_e": mu_e,
        "mu_l": mu_l,
        "var_e": var_e,
        "var_l": var_l,
        "sigma_e": np.sqrt(var_e),
        "discrete": discrete,
        "made_to_order": mto,
        "ceiling": top,
    }
    if np.ndim(fill_target) == 0:
        S, beta, agg, over = alloc
        return {
            **base,
            "order_up_to": S,
            "safety_stock": S - mu_e,
            "fill_rate": beta,
            "aggregate": agg,
            "capped": over,
        }
    return {
        **base,
        "per_target": [
            {
                "order_up_to": S,
                "safety_stock": S - mu_e,
                "fill_rate": beta,
                "aggregate": agg,
                "capped": over,
            }
            for S, beta, agg, over in alloc
        ],
    }


def history_ceiling(
    history: pd.DataFrame, keys: pd.DataFrame, exposure, lookback: int = CEILING_LOOKBACK_DAYS
) -> np.ndarray:
    """:func:`demand_ceiling` for the rows of ``keys`` from a long ``history`` (item_id,
    warehouse_id, date, demand_qty; missing days inside a series count as 0)."""
    h = history[KEYS + ["date", "demand_qty"]].copy()
    h["date"] = pd.to_datetime(h["date"])
    end = h["date"].max()
    h = h[h["date"] > end - pd.Timedelta(days=lookback)]
    n = len(keys)
    if h.empty or n == 0:
        return np.full(n, np.inf)
    day0 = end - pd.Timedelta(days=lookback - 1)
    mat = np.full((n, lookback), np.nan)
    row = pd.MultiIndex.from_frame(keys[KEYS].reset_index(drop=True)).get_indexer(
        pd.MultiIndex.from_frame(h[KEYS])
    )
    ok = row >= 0
    col = (h["date"] - day0).dt.days.to_numpy()[ok]
    mat[row[ok], col] = pd.to_numeric(h["demand_qty"]).fillna(0).to_numpy(float)[ok]
    seen = ~np.isnan(mat)
    first = np.where(seen.any(1), seen.argmax(1), lookback)
    mat = np.where(np.arange(lookback)[None, :] >= first[:, None], np.nan_to_num(mat), np.nan)
    return demand_ceiling(mat, np.asarray(exposure, dtype=float), lookback)


def _num(x, default=0.0) -> float:
    """Float of a possibly missing / Decimal value."""
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return default
    return float(x)


def errors_array(cv: pd.DataFrame | None, keys: pd.DataFrame) -> np.ndarray | None:
    """(series, windows, h) backtest errors (y - yhat) of ``cv`` rows (item_id,
    warehouse_id, cutoff, h, y, yhat) in the order of ``keys``; None without rows."""
    if cv is None or len(cv) == 0:
        return None
    cv = cv.dropna(subset=["y", "yhat"])
    if cv.empty:
        return None
    idx = pd.MultiIndex.from_frame(keys[KEYS])
    pos = idx.get_indexer(pd.MultiIndex.from_frame(cv[KEYS]))
    keep = pos >= 0
    cv = cv[keep]
    pos = pos[keep]
    cut = cv.groupby(KEYS, sort=False)["cutoff"].rank(method="dense").astype(int).to_numpy() - 1
    h = cv["h"].to_numpy(int) - 1
    out = np.full(
        (len(keys), int(cut.max()) + 1 if len(cut) else 1, int(h.max()) + 1 if len(h) else 1),
        np.nan,
    )
    out[pos, cut, h] = cv["y"].to_numpy(float) - cv["yhat"].to_numpy(float)
    return out


def plan_replenishment(
    series_df: pd.DataFrame,
    forecasts_df: pd.DataFrame,
    positions_df: pd.DataFrame,
    terms_df: pd.DataFrame,
    abc_df: pd.DataFrame | None = None,
    review_period_days: float = REVIEW_PERIOD_DAYS,
    fill_target: float = DEFAULT_FILL_TARGET,
    fill_floors: dict | None = None,
    cv_df: pd.DataFrame | None = None,
    made_to_order: set | None = None,
    history: pd.DataFrame | None = None,
    previous_plan: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Combine forecasts, stock positions and supplier terms into order suggestions.

    Inputs (column names):

    * ``series_df``: item_id, warehouse_id, demand_class, mean_daily_demand,
      sigma_daily_demand (``ForecastResult.series``);
    * ``forecasts_df``: item_id, warehouse_id, date, forecast_qty;
    * ``positions_df``: item_id, warehouse_id, on_hand, on_order, committed, optional
      stock_value (unit cost = stock_value / on_hand, else the supplier's price);
    * ``terms_df``: item_id, supplier_id, unit_price, lead_time_days, lead_time_std_days
      (optional, default 0), moq, pack_size;
    * ``abc_df``: item_id, warehouse_id, abc_class (missing -> 'C'): fill-rate floors;
    * ``cv_df``: the chosen model's backtest rows (item_id, warehouse_id, cutoff, h, y,
      yhat): the forecast error accumulated over lead time + review. Without it the
      daily error ``sigma_daily_demand`` is assumed independent from day to day;
    * ``made_to_order``: item ids the business makes to order (item master data): not
      stocked, no suggestion;
    * ``history``: item_id, warehouse_id, date, demand_qty (the demand history, lumps
      included): no order-up-to level above the most demand seen over lead time +
      review in the last year (:func:`demand_ceiling`). Without it, no ceiling.
    * ``previous_plan``: item_id, warehouse_id, safety_stock of the last planning run:
      a stocked level keeps that safety stock while this run's estimate is within its
      noise (:func:`hold_safety_stock`; the why says so). Without it, none is held.

    Per item-warehouse: supplier by :func:`choose_supplier` (need-by = days of cover);
    levels by :func:`order_up_to_levels` with one aggregate ``fill_target`` over all
    series; quantity by :func:`suggest_order` (order when the position is below S).
    Keys without supplier terms get suggested_qty 0 and NaN levels.
    """
    R = float(review_period_days)
    base = pd.concat([series_df[KEYS], positions_df[KEYS]]).drop_duplicates()
    base = base.merge(series_df, on=KEYS, how="left").merge(positions_df, on=KEYS, how="left")
    if abc_df is not None and len(abc_df):
        base = base.merge(abc_df[KEYS + ["abc_class"]], on=KEYS, how="left")
    else:
        base["abc_class"] = None
    base["abc_class"] = [str(c) if isinstance(c, str) and c else "C" for c in base["abc_class"]]
    base = base.reset_index(drop=True)
    fc = forecasts_df.sort_values(KEYS + ["date"]) if len(forecasts_df) else None
    daily = (
        {}
        if fc is None
        else {
            k: fc["forecast_qty"].to_numpy(float)[idx]
            for k, idx in fc.groupby(KEYS, sort=False).indices.items()
        }
    )
    terms: dict = {}
    for t in terms_df.to_dict("records"):
        terms.setdefault(t["item_id"], []).append(t)
    rows, horizon = [], max([len(v) for v in daily.values()] + [1])
    point = np.zeros((len(base), horizon))
    for n, rec in enumerate(base.to_dict("records")):
        key = (rec["item_id"], rec["warehouse_id"])
        arr = daily.get(key)
        rate = (
            float(arr.mean())
            if arr is not None and len(arr)
            else _num(rec.get("mean_daily_demand"))
        )
        if arr is not None and len(arr):
            point[n, : len(arr)] = arr
            point[n, len(arr) :] = rate
        else:
            point[n] = rate
        position = _num(rec.get("on_hand")) + _num(rec.get("on_order")) - _num(rec.get("committed"))
        need_by = max(position, 0.0) / rate if rate > 0 else math.inf
        sup, rule, t = choose_supplier_records(terms.get(rec["item_id"], []), need_by)
        on_hand, value = _num(rec.get("on_hand")), _num(rec.get("stock_value"), math.nan)
        price = _num(t.get("unit_price"), math.nan) if sup is not None else math.nan
        cost = value / on_hand if on_hand > 0 and value == value and value > 0 else price
        rows.append(
            {
                **{k: rec[k] for k in KEYS},
                "supplier_id": sup,
                "demand_class": rec.get("demand_class")
                if isinstance(rec.get("demand_class"), str)
                else "unknown",
                "abc_class": rec["abc_class"],
                "fill_floor": service_floor_for_class(rec["abc_class"], fill_floors),
                "lead_time_days": _num(t.get("lead_time_days"), math.nan),
                "lead_time_std_days": _num(t.get("lead_time_std_days")),
                "sigma_daily_demand": _num(rec.get("sigma_daily_demand")),
                "adi": _num(rec.get("adi"), math.nan),
                "on_hand": _dec(rec.get("on_hand")),
                "on_order": _dec(rec.get("on_order")),
                "committed": _dec(rec.get("committed")),
                "pack_size": _dec(t.get("pack_size", 1)) if sup is not None else Decimal(1),
                "moq": _dec(t.get("moq", 0)) if sup is not None else Decimal(0),
                "unit_price": _dec(t.get("unit_price")) if sup is not None else None,
                "unit_cost": cost,
                "supplier_rule": rule,
            }
        )
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame(rows)
    out["supplier_id"] = pd.Series([r["supplier_id"] for r in rows], dtype=object)
    has = out["supplier_id"].notna().to_numpy()
    sparse = out["demand_class"].isin(SPARSE_CLASSES).to_numpy()
    errors = errors_array(cv_df, out)
    if errors is None:  # independent daily errors of size sigma_daily_demand
        sig = out["sigma_daily_demand"].to_numpy(float)
        errors = np.repeat(sig[:, None, None], 1, axis=2)
    lv = order_up_to_levels(
        point[has],
        errors[has],
        out["lead_time_days"][has],
        out["lead_time_std_days"][has],
        R,
        out["unit_cost"].to_numpy(float)[has],
        sparse[has],
        out["fill_floor"].to_numpy(float)[has],
        fill_target,
        out["item_id"].isin(made_to_order or set()).to_numpy()[has],
        pd.to_numeric(out["adi"], errors="coerce").to_numpy(float)[has],
        None
        if history is None
        else history_ceiling(history, out[has], out["lead_time_days"][has] + R),
    )
    for col, name in (
        ("forecast_over_horizon", "mu_e"),
        ("forecast_over_lead_time", "mu_l"),
        ("sigma_over_horizon", "sigma_e"),
        ("safety_stock", "safety_stock"),
        ("order_up_to", "order_up_to"),
        ("service_level", "fill_rate"),
    ):
        vals = np.full(len(out), np.nan)
        vals[has] = lv[name]
        out[col] = vals
    out["safety_stock_estimate"] = np.nan
    if previous_plan is not None and len(previous_plan) and has.any():
        prev = out[KEYS].merge(
            previous_plan[KEYS + ["safety_stock"]].drop_duplicates(KEYS), on=KEYS, how="left"
        )["safety_stock"]
        S, ss, held = hold_safety_stock(
            lv["order_up_to"],
            lv["mu_e"],
            pd.to_numeric(prev, errors="coerce").to_numpy(float)[has],
            np.shape(errors)[1] if np.ndim(errors) == 3 else 1,
        )
        est = np.full(len(out), np.nan)
        est[has] = np.where(held, lv["safety_stock"], np.nan)
        out["safety_stock_estimate"] = est
        w = np.shape(errors)[1] if np.ndim(errors) == 3 else 1
        out["safety_stock_windows"] = w
        out["safety_stock_band"] = 1.0 / math.sqrt(2.0 * max(int(w), 1))
        for col, vals in (("order_up_to", S), ("safety_stock", ss)):
            v = out[col].to_numpy(float).copy()
            v[has] = vals
            out[col] = v
    out["reorder_point"] = out["order_up_to"]
    ceiling = np.full(len(out), np.nan)
    ceiling[has] = np.where(np.isfinite(lv["ceiling"]), lv["ceiling"], np.nan)
    out["demand_ceiling"] = ceiling
    capped = np.zeros(len(out), bool)
    capped[has] = lv["capped"]
    out["capped"] = capped
    exposure = out["lead_time_days"] + R
    out["mean_daily_demand"] = np.where(
        exposure > 0, out["forecast_over_horizon"] / exposure, np.nan
    )
    dist = np.full(len(out), "", dtype=object)
    dist[has] = np.where(lv["discrete"], "negative binomial / Poisson", "normal")
    out["distribution"] = dist
    mto = np.zeros(len(out), bool)
    mto[has] = lv["made_to_order"]
    out["stocking"] = np.where(
        mto,
        "make to order (item)",
        np.where(
            has
            & (out["order_up_to"].fillna(-1).to_numpy() == 0)
            & (out["service_level"].fillna(-1).to_numpy() == 0),
            "make to order (lumpy)",
            "stock",
        ),
    )
    out.attrs["expected_fill_rate"] = lv["aggregate"]
    return _finish(out, R, fill_target, lv["aggregate"])


def _finish(out: pd.DataFrame, R: float, target: float, aggregate: float) -> pd.DataFrame:
    """Order sizing, line value and the planner's explanation per row."""
    fills: dict[str, list] = {
        "position": [],
        "raw_qty": [],
        "suggested_qty": [],
        "line_value": [],
        "why": [],
    }
    for r in out.to_dict("records"):
        pos_txt = (
            f"stock position {_q(r['on_hand'] + r['on_order'] - r['committed'])} "
            f"({_q(r['on_hand'])} on hand + {_q(r['on_order'])} on order − "
            f"{_q(r['committed'])} committed to customers)"
        )
        if r["supplier_id"] is None:
            qty, why = (
                Decimal(0),
                {"position": r["on_hand"] + r["on_order"] - r["committed"], "raw_need": None},
            )
            text = f"No supplier terms for this item, so nothing is ordered; {pos_txt}."
        else:
            qty, why = suggest_order(
                round(r["order_up_to"], 6),
                round(r["reorder_point"], 6),
                r["on_hand"],
                r["on_order"],
                r["committed"],
                r["pack_size"],
                r["moq"],
            )
            text = why_text(r, why, pos_txt, R, target, aggregate)
        fills["position"].append(why["position"])
        fills["raw_qty"].append(why["raw_need"])
        fills["suggested_qty"].append(qty)
        price = r["unit_price"] if r["unit_price"] is not None else Decimal(0)
        fills["line_value"].append((qty * price).quantize(CENT, ROUND_HALF_UP))
        fills["why"].append(text)
    for k, v in fills.items():
        out[k] = v
    return out[COLUMNS]


def _d(x) -> str:
    """Days for people: one decimal at most."""
    return f"{float(x):.1f}".removesuffix(".0")


def _q(x) -> str:
    """A quantity for people: whole numbers without decimals, else one decimal."""
    f = float(x)
    return f"{f:,.0f}" if abs(f - round(f)) < 1e-9 else f"{f:,.1f}"


def why_text(r: dict, why: dict, pos_txt: str, R: float, target: float, aggregate: float) -> str:
    """The suggestion's reason in full sentences, every number included."""
    E = r["lead_time_days"] + R
    if r["stocking"] == "make to order (item)":
        return (
            f"Make-to-order item (item master data): not stocked; a customer's order is "
            f"bought when it comes. The {pos_txt} still serves what it can. No order."
        )
    if r["service_level"] == 0 and r["order_up_to"] == 0:
        return (
            f"Make to order, not stocked: demand over the next {_d(E)} days (lead time "
            f"{_d(r['lead_time_days'])} d + review every {_d(R)} d) is "
            f"{_q(r['forecast_over_horizon'])} on average but comes on one day in "
            f"{_d(r['adi'])} (forecast error ±{_q(r['sigma_over_horizon'])}), so stocking "
            f"for it "
            f"would cost more stock value per unit of fill than any other item for the "
            f"{target * 100:g} % target. Order when a customer orders; the {pos_txt} "
            f"still serves what it can. No order."
        )
    head = (
        f"Demand forecast over the next {_d(E)} days (lead time "
        f"{_d(r['lead_time_days'])} d + review every {_d(R)} d): "
        f"{_q(r['forecast_over_horizon'])}. Safety stock "
        f"{_q(r['safety_stock'])} covers a forecast error of ±{_q(r['sigma_over_horizon'])}"
        f" over those days ({r['distribution']} demand"
        + (
            f", lead time varies by ±{_d(r['lead_time_std_days'])} d"
            if r["lead_time_std_days"]
            else ""
        )
        + f") for a {r['service_level'] * 100:.1f} % fill rate on this item — the rate "
        f"that meets the {target * 100:g} % target across all items at the least stock "
        f"value (class {r['abc_class']} floor {r['fill_floor'] * 100:g} %). Order-up-to "
        f"level = {_q(r['forecast_over_horizon'])} + {_q(r['safety_stock'])} = "
        f"{_q(r['order_up_to'])}"
        + (
            f": no more than the most customers asked for in any {_d(math.ceil(E))} "
            f"days of the last year (the error model alone would stock more)."
            if r.get("capped")
            else "."
        )
        + (
            f" The safety stock is last run's {_q(r['safety_stock'])}: this run's "
            f"estimate {_q(r['safety_stock_estimate'])} is within its sampling error "
            f"(±{r['safety_stock_band'] * 100:.0f} % for a spread measured on "
            f"{r['safety_stock_windows']:.0f} backtest window"
            f"{'s' if r['safety_stock_windows'] != 1 else ''}), so a change that is "
            f"noise is not bought."
            if r.get("safety_stock_estimate") == r.get("safety_stock_estimate")
            and r.get("safety_stock_estimate") is not None
            else ""
        )
    )
    if not why["triggered"]:
        return f"{head} The {pos_txt} already reaches it: no order."
    parts = [f"{head} The {pos_txt} is below it by {_q(why['raw_need'])}"]
    if why["pack_size"] != 1:
        parts.append(
            f"rounded up to whole packs of {_q(why['pack_size'])}: {_q(why['after_pack'])}"
        )
    if why["moq"] > why["after_pack"]:
        parts.append(f"raised to the minimum order of {_q(why['moq_in_packs'])}")
    return "; ".join(parts) + f". Order {_q(why['after_moq'])}."

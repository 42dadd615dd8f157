"""``plan_replenishment``: one order suggestion per item-warehouse from forecasts and stock."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from .policy import (
    _dec,
    choose_supplier_records,
    policy_levels,
    service_level_for_class,
    suggest_order,
)

KEYS = ["item_id", "warehouse_id"]
CENT = Decimal("0.01")
COLUMNS = [
    "item_id", "warehouse_id", "supplier_id", "demand_class", "abc_class", "service_level",
    "lead_time_days", "lead_time_std_days", "forecast_over_horizon", "mean_daily_demand",
    "sigma_daily_demand", "safety_stock", "reorder_point", "order_up_to", "on_hand",
    "on_order", "committed", "position", "raw_qty", "pack_size", "moq", "suggested_qty",
    "unit_price", "line_value", "supplier_rule", "why",
]


def _sum_over(daily: np.ndarray | None, days: float, fallback_rate: float) -> float:
    """Forecast summed over ``days`` (fractional last day pro rata); beyond the forecast
    horizon the forecast's mean rate is used; no forecast -> ``fallback_rate * days``."""
    if daily is None or len(daily) == 0:
        return fallback_rate * days
    whole = math.floor(days)
    total = float(daily[:whole].sum())
    if whole < len(daily):
        return total + (days - whole) * float(daily[whole])
    return total + (days - len(daily)) * float(daily.mean())


def _num(x, default=0.0) -> float:
    """Float of a possibly missing / Decimal value."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return default
    return float(x)


def plan_replenishment(series_df: pd.DataFrame, forecasts_df: pd.DataFrame,
                       positions_df: pd.DataFrame, terms_df: pd.DataFrame,
                       abc_df: pd.DataFrame | None = None, review_period_days: float = 7,
                       service_levels: dict | None = None) -> pd.DataFrame:
    """Combine forecasts, stock positions and supplier terms into order suggestions.

    Inputs (column names):

    * ``series_df``: item_id, warehouse_id, demand_class, mean_daily_demand,
      sigma_daily_demand (``ForecastResult.series``);
    * ``forecasts_df``: item_id, warehouse_id, date, forecast_qty;
    * ``positions_df``: item_id, warehouse_id, on_hand, on_order, committed;
    * ``terms_df``: item_id, supplier_id, unit_price, lead_time_days, lead_time_std_days
      (optional, default 0), moq, pack_size;
    * ``abc_df``: item_id, warehouse_id, abc_class (missing -> 'C').

    Per item-warehouse (union of series_df and positions_df keys): supplier by
    :func:`choose_supplier` with need_by_days = days of cover = max(position, 0) / mean
    forecast per day; E = L + R; forecast_over_horizon = forecast summed over E days;
    d = forecast_over_horizon / E; levels by :func:`policy_levels` (normal or
    Poisson/negative binomial by demand class) with mu = forecast_over_horizon; quantity
    by :func:`suggest_order`. Returns one row per key with :data:`COLUMNS`;
    suggested_qty, raw_qty, positions, unit_price and line_value (0.01) are Decimal.
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
    daily = ({} if fc is None else {k: fc["forecast_qty"].to_numpy(float)[idx] for k, idx in
                                     fc.groupby(KEYS, sort=False).indices.items()})
    terms: dict = {}
    for t in terms_df.to_dict("records"):
        terms.setdefault(t["item_id"], []).append(t)
    rows = []
    for rec in base.to_dict("records"):
        key = (rec["item_id"], rec["warehouse_id"])
        arr = daily.get(key)
        rate = float(arr.mean()) if arr is not None and len(arr) else _num(
            rec.get("mean_daily_demand"))
        position = _num(rec.get("on_hand")) + _num(rec.get("on_order")) - _num(
            rec.get("committed"))
        need_by = max(position, 0.0) / rate if rate > 0 else math.inf
        sup, rule, t = choose_supplier_records(terms.get(rec["item_id"], []), need_by)
        L = _num(t.get("lead_time_days"), math.nan)
        exposure = L + R
        fh = _sum_over(arr, exposure, rate) if sup is not None else math.nan
        rows.append({
            **{k: rec[k] for k in KEYS}, "supplier_id": sup,
            "demand_class": rec.get("demand_class") if isinstance(
                rec.get("demand_class"), str) else "unknown",
            "abc_class": rec["abc_class"],
            "service_level": service_level_for_class(rec["abc_class"], service_levels),
            "lead_time_days": L, "lead_time_std_days": _num(t.get("lead_time_std_days")),
            "forecast_over_horizon": fh,
            "mean_daily_demand": fh / exposure if exposure > 0 else rate,
            "sigma_daily_demand": _num(rec.get("sigma_daily_demand")),
            "on_hand": _dec(rec.get("on_hand")), "on_order": _dec(rec.get("on_order")),
            "committed": _dec(rec.get("committed")),
            "pack_size": _dec(t.get("pack_size", 1)) if sup is not None else Decimal(1),
            "moq": _dec(t.get("moq", 0)) if sup is not None else Decimal(0),
            "unit_price": _dec(t.get("unit_price")) if sup is not None else None,
            "supplier_rule": rule,
        })
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame(rows)
    out["supplier_id"] = pd.Series([r["supplier_id"] for r in rows], dtype=object)
    lv = policy_levels(out["demand_class"].to_numpy(object), out["mean_daily_demand"],
                       out["sigma_daily_demand"], out["lead_time_days"],
                       out["lead_time_std_days"], R, out["service_level"],
                       out["forecast_over_horizon"])
    no_sup = out["supplier_id"].isna().to_numpy()
    for k in ("safety_stock", "reorder_point", "order_up_to"):
        out[k] = np.where(no_sup, np.nan, np.asarray(lv[k], float))
    out["method"] = lv["method"]
    return _finish(out, R)


def _finish(out: pd.DataFrame, R: float) -> pd.DataFrame:
    """Order sizing, line value and the human-readable explanation per row."""
    fills = {"position": [], "raw_qty": [], "suggested_qty": [], "line_value": [], "why": []}
    for r in out.to_dict("records"):
        pos_txt = (f"position {r['on_hand'] + r['on_order'] - r['committed']:f} = "
                   f"{r['on_hand']:f} on hand + {r['on_order']:f} on order − "
                   f"{r['committed']:f} committed")
        if r["supplier_id"] is None:
            qty, why = Decimal(0), {"position": r["on_hand"] + r["on_order"] - r["committed"],
                                    "raw_need": None}
            text = f"no supplier terms; {pos_txt}; no order"
        else:
            qty, why = suggest_order(round(r["order_up_to"], 6), round(r["reorder_point"], 6),
                                     r["on_hand"], r["on_order"], r["committed"],
                                     r["pack_size"], r["moq"])
            text = _why_text(r, why, pos_txt, R)
        fills["position"].append(why["position"])
        fills["raw_qty"].append(why["raw_need"])
        fills["suggested_qty"].append(qty)
        price = r["unit_price"] if r["unit_price"] is not None else Decimal(0)
        fills["line_value"].append((qty * price).quantize(CENT, ROUND_HALF_UP))
        fills["why"].append(text)
    for k, v in fills.items():
        out[k] = v
    return out[COLUMNS]


def _why_text(r: dict, why: dict, pos_txt: str, R: float) -> str:
    """E.g. 'forecast 120.0 over 17 d (L 10 + R 7) + SS 35.2 (98 % normal) = ROP 155.2;
    S = ROP + 7.06/d × R 7 = 204.6; position ...; need 164.6 → pack 12 → 168 → MOQ 0 → 168'."""
    head = (f"forecast {r['forecast_over_horizon']:.1f} over {r['lead_time_days'] + R:g} d "
            f"(L {r['lead_time_days']:g} + R {R:g}) + SS {r['safety_stock']:.1f} "
            f"({r['service_level'] * 100:g} % {r['method']}) = ROP {r['reorder_point']:.1f}; "
            f"S = ROP + {r['mean_daily_demand']:.2f}/d × R {R:g} = {r['order_up_to']:.1f}")
    if not why["below_reorder_point"]:
        return f"{head}; {pos_txt} > ROP: no order"
    if not why["triggered"]:
        return f"{head}; {pos_txt} ≤ ROP but already ≥ S: no order"
    return (f"{head}; {pos_txt} ≤ ROP; need {float(why['raw_need']):.1f} → pack "
            f"{why['pack_size']:f} → {why['after_pack']:f} → MOQ {why['moq']:f} → "
            f"{why['after_moq']:f}")

"""Replenishment policy: service levels, safety stock, reorder point, order sizing, suppliers.

Notation (days): d = mean daily demand, sigma_d = std of daily demand (or daily forecast
error), L / sigma_L = lead time mean / std, R = review period, E = L + R (exposure),
mu = demand expected over E (= d * E unless a forecast sum is supplied), z = Phi^-1(SL).

Normal (smooth / erratic)::

    SS  = z * sqrt(E * sigma_d^2 + d^2 * sigma_L^2)     (Silver, Pyke & Peterson)
    ROP = mu + SS          (s: reorder when position <= s; covers L + R)
    S   = ROP + d * R      (order-up-to: one more review period of demand)

Intermittent / lumpy: ROP = SL-quantile of demand over E, Poisson(mu) when
var = E * sigma_d^2 + d^2 * sigma_L^2 <= (1 + tol) * mu, else negative binomial with the
same mean and variance; SS = ROP - mu; S = ROP + d * R.

All level functions accept scalars or numpy arrays. Quantities become Decimal only in
:func:`suggest_order` (whole units, rounded up to pack size).
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal

import numpy as np
import pandas as pd
from scipy.stats import nbinom, norm, poisson

DEFAULT_SERVICE_LEVELS = {"A": 0.98, "B": 0.95, "C": 0.90}
DISPERSION_TOL = 0.1
_SPARSE = ("intermittent", "lumpy")


def service_level_for_class(abc_class, levels=None) -> float:
    """Cycle service level for an ABC class; missing or unknown class -> class 'C'."""
    levels = DEFAULT_SERVICE_LEVELS if levels is None else levels
    if abc_class is None or (isinstance(abc_class, float) and math.isnan(abc_class)):
        return float(levels["C"])
    return float(levels.get(str(abc_class).strip().upper(), levels["C"]))


def _out(x):
    """Return a Python float for 0-d arrays, the array otherwise."""
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x


def safety_stock_normal(mean_daily_demand, sigma_daily_demand, lead_time_days,
                        lead_time_std_days=0.0, review_period_days=0.0, service_level=0.95):
    """``SS = z * sqrt((L + R) * sigma_d^2 + d^2 * sigma_L^2)`` with ``z = Phi^-1(SL)``."""
    d, sd = np.asarray(mean_daily_demand, float), np.asarray(sigma_daily_demand, float)
    exposure = np.asarray(lead_time_days, float) + np.asarray(review_period_days, float)
    var = exposure * sd ** 2 + d ** 2 * np.asarray(lead_time_std_days, float) ** 2
    return _out(norm.ppf(service_level) * np.sqrt(np.maximum(var, 0.0)))


def normal_levels(mean_daily_demand, sigma_daily_demand, lead_time_days,
                  lead_time_std_days=0.0, review_period_days=0.0, service_level=0.95,
                  demand_over_exposure=None) -> dict:
    """Safety stock, reorder point and order-up-to level under normal demand.

    ``demand_over_exposure`` (mu) defaults to ``d * (L + R)``; pass a forecast sum to use
    a seasonal forecast instead. Returns dict safety_stock, reorder_point, order_up_to.
    """
    d = np.asarray(mean_daily_demand, float)
    L, R = np.asarray(lead_time_days, float), np.asarray(review_period_days, float)
    mu = d * (L + R) if demand_over_exposure is None else np.asarray(demand_over_exposure)
    ss = safety_stock_normal(d, sigma_daily_demand, L, lead_time_std_days, R, service_level)
    rop = mu + ss
    return {"safety_stock": _out(ss), "reorder_point": _out(rop),
            "order_up_to": _out(rop + d * R)}


def intermittent_levels(mean_daily_demand, sigma_daily_demand, lead_time_days,
                        lead_time_std_days=0.0, review_period_days=0.0, service_level=0.95,
                        demand_over_exposure=None, dispersion_tol=DISPERSION_TOL) -> dict:
    """Levels for intermittent/lumpy demand from a Poisson or negative-binomial quantile.

    ROP = smallest integer k with P(demand over L + R <= k) >= SL. Negative binomial
    (n = mu^2 / (var - mu), p = mu / var) when var > (1 + tol) * mu, else Poisson(mu).
    SS = ROP - mu; S = ROP + d * R. Returns dict safety_stock, reorder_point,
    order_up_to, distribution ('poisson' / 'negbin').
    """
    d, sd = np.asarray(mean_daily_demand, float), np.asarray(sigma_daily_demand, float)
    L, R = np.asarray(lead_time_days, float), np.asarray(review_period_days, float)
    mu = d * (L + R) if demand_over_exposure is None else np.asarray(demand_over_exposure)
    mu = np.maximum(np.asarray(mu, float), 0.0)
    var = (L + R) * sd ** 2 + d ** 2 * np.asarray(lead_time_std_days, float) ** 2
    over = var > (1.0 + dispersion_tol) * mu
    safe_var = np.where(over, var, mu + 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_nb = np.where(over, mu ** 2 / (safe_var - mu), 1.0)
        p_nb = np.where(over, mu / safe_var, 0.5)
        rop = np.where(over, nbinom.ppf(service_level, np.maximum(n_nb, 1e-12), p_nb),
                       poisson.ppf(service_level, mu))
    rop = np.where(mu > 0, np.nan_to_num(rop), 0.0)
    dist = np.where(over, "negbin", "poisson")
    return {"safety_stock": _out(rop - mu), "reorder_point": _out(rop),
            "order_up_to": _out(rop + d * R),
            "distribution": str(dist) if dist.ndim == 0 else dist}


def policy_levels(demand_class, mean_daily_demand, sigma_daily_demand, lead_time_days,
                  lead_time_std_days=0.0, review_period_days=0.0, service_level=0.95,
                  demand_over_exposure=None) -> dict:
    """Dispatch per demand class: intermittent/lumpy -> :func:`intermittent_levels`,
    anything else -> :func:`normal_levels`. Vectorised; adds key 'method'
    ('normal' / 'poisson' / 'negbin')."""
    args = (mean_daily_demand, sigma_daily_demand, lead_time_days, lead_time_std_days,
            review_period_days, service_level, demand_over_exposure)
    nrm, itm = normal_levels(*args), intermittent_levels(*args)
    sparse = np.isin(np.asarray(demand_class, dtype=object), _SPARSE)
    out = {k: _out(np.where(sparse, itm[k], nrm[k]))
           for k in ("safety_stock", "reorder_point", "order_up_to")}
    method = np.where(sparse, itm["distribution"], "normal")
    out["method"] = str(method) if np.ndim(method) == 0 else method
    return out


def _dec(x) -> Decimal:
    """Decimal from Decimal / int / float / str (floats via repr, None/NaN -> 0)."""
    if isinstance(x, Decimal):
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return Decimal(0)
    return Decimal(str(x))


def suggest_order(order_up_to, reorder_point, on_hand, on_order, committed, pack_size=1,
                  moq=0) -> tuple[Decimal, dict]:
    """Order quantity for an (s, S) review: ``(qty: Decimal, why: dict)``.

    position = on_hand + on_order - committed. If position <= reorder_point:
    raw = S - position, rounded up to whole packs (pack_size <= 0 means 1), then raised
    to the MOQ (itself rounded up to whole packs). Otherwise, or if raw <= 0, qty = 0.
    ``why`` holds every intermediate value.
    """
    pack = _dec(pack_size) if _dec(pack_size) > 0 else Decimal(1)
    moq_d = max(_dec(moq), Decimal(0))
    position = _dec(on_hand) + _dec(on_order) - _dec(committed)
    rop, s_level = _dec(reorder_point), _dec(order_up_to)
    raw = s_level - position
    below = position <= rop
    triggered = below and raw > 0
    packs = (raw / pack).to_integral_value(ROUND_CEILING) if triggered else Decimal(0)
    after_pack = packs * pack
    moq_packed = (moq_d / pack).to_integral_value(ROUND_CEILING) * pack
    qty = max(after_pack, moq_packed) if triggered else Decimal(0)
    why = {"on_hand": _dec(on_hand), "on_order": _dec(on_order),
           "committed": _dec(committed), "position": position, "reorder_point": rop,
           "order_up_to": s_level, "below_reorder_point": below,
           "triggered": triggered, "raw_need": raw,
           "pack_size": pack, "after_pack": after_pack, "moq": moq_d,
           "moq_in_packs": moq_packed, "after_moq": qty}
    return qty, why


def order_quantities(order_up_to, reorder_point, position, pack_size=1, moq=0) -> np.ndarray:
    """Vectorised float twin of :func:`suggest_order` (used by the simulator)."""
    pack = np.where(np.asarray(pack_size, float) > 0, pack_size, 1.0)
    raw = np.asarray(order_up_to, float) - np.asarray(position, float)
    trig = (np.asarray(position, float) <= np.asarray(reorder_point, float)) & (raw > 0)
    packed = np.ceil(np.round(raw / pack, 9)) * pack
    moq_packed = np.ceil(np.round(np.maximum(moq, 0) / pack, 9)) * pack
    return np.where(trig, np.maximum(packed, moq_packed), 0.0)


def choose_supplier(terms: pd.DataFrame, need_by_days) -> tuple[object, str]:
    """Pick a supplier from ``terms`` (supplier_id, unit_price, lead_time_days, ...).

    Rule: among suppliers with lead_time_days <= need_by_days, the lowest unit_price
    (tie -> lower supplier_id). If none can deliver in time: the shortest lead time
    (tie -> lower unit_price, then lower supplier_id). Returns (supplier_id, rule text);
    ``(None, 'no supplier terms')`` for empty terms.
    """
    if terms is None or len(terms) == 0:
        return None, "no supplier terms"
    return choose_supplier_records(terms.to_dict("records"), need_by_days)[:2]


def choose_supplier_records(options: list[dict], need_by_days) -> tuple[object, str, dict]:
    """:func:`choose_supplier` on a list of term dicts; also returns the chosen dict."""
    if not options:
        return None, "no supplier terms", {}
    need = float(need_by_days)
    rows = [(float(o["unit_price"]), float(o["lead_time_days"]), o["supplier_id"], i)
            for i, o in enumerate(options)]
    ok = [r for r in rows if r[1] <= need]
    if ok:
        price, lt, sup, i = min(ok, key=lambda r: (r[0], r[2]))
        return sup, (f"cheapest of {len(ok)} supplier(s) delivering within {need:.1f} d: "
                     f"{sup} at {price:g}/unit, {lt:g} d"), options[i]
    price, lt, sup, i = min(rows, key=lambda r: (r[1], r[0], r[2]))
    return sup, (f"no supplier delivers within {need:.1f} d; fastest: {sup} "
                 f"({lt:g} d at {price:g}/unit)"), options[i]


def __getattr__(name):
    """Lazy re-export of :func:`forecasting.replenishment.plan_replenishment`."""
    if name == "plan_replenishment":
        from .replenishment import plan_replenishment

        return plan_replenishment
    raise AttributeError(name)

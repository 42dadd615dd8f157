"""Deterministic day-by-day replay of a replenishment policy over historical demand."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from ._arrays import as_bool, prefix_sums, window_mean
from .classify import classify_demand
from .forecast import to_panel
from .policy import choose_supplier_records, order_quantities, policy_levels

CENT = Decimal("0.01")


@dataclass
class SimulationResult:
    """``per_series`` and ``daily`` DataFrames plus a ``total`` dict (see simulate_policy)."""

    per_series: pd.DataFrame
    total: dict
    daily: pd.DataFrame


def _per_key(value, keys: pd.DataFrame, default=None) -> np.ndarray:
    """Broadcast a scalar, or look up a dict keyed by (item_id, warehouse_id) or item_id."""
    if not isinstance(value, dict):
        return np.full(len(keys), np.nan if value is None else float(value))
    out = [value.get((i, w), value.get(i, default)) for i, w in keys.itertuples(index=False)]
    return np.array([np.nan if v is None else float(v) for v in out])


def _supplier_terms(terms: pd.DataFrame, items) -> pd.DataFrame:
    """Cheapest supplier per item (choose_supplier with no deadline), one row per series."""
    groups: dict = {}
    for rec in terms.to_dict("records"):
        groups.setdefault(rec["item_id"], []).append(rec)
    rows = []
    for item in items:
        if item not in groups:
            raise ValueError(f"no supplier terms for item {item!r}")
        rows.append(choose_supplier_records(groups[item], math.inf)[2])
    t = pd.DataFrame(rows, columns=list(terms.columns)).reset_index(drop=True)
    if "lead_time_std_days" not in t:
        t["lead_time_std_days"] = 0.0
    return t


def simulate_policy(history: pd.DataFrame, terms: pd.DataFrame, start_date, end_date, *,
                    service_level=0.95, review_period_days: int = 7, initial_on_hand=None,
                    unit_cost=None, window: int = 28, policy_fn=None) -> SimulationResult:
    """Replay ``[start_date, end_date]`` day by day for every item-warehouse of ``history``.

    * Demand of a day = ``demand_qty`` + ``lost_qty`` (if that column exists); on a
      stockout day without ``lost_qty`` the observed value is all we know.
    * Each day: orders due arrive, then (every ``review_period_days`` days from the start)
      a review, then demand is served from stock; unmet demand is lost.
    * Review: re-forecast with a ``window``-day moving average of the demand *before* that
      day (censored stockout days without lost_qty excluded), sigma = std of the same
      days; demand class from history before ``start_date``; levels from
      :func:`policy_levels` (or ``policy_fn(mean_daily_demand=..., sigma_daily_demand=...,
      lead_time_days=..., lead_time_std_days=..., review_period_days=...,
      service_level=..., demand_class=...) -> (reorder_point, order_up_to)`` arrays);
      position = on hand + on order; quantity by :func:`order_quantities` (pack, MOQ).
    * Orders arrive ``ceil(lead_time_days)`` days later (0 = before that day's demand).
    * Supplier = cheapest in ``terms`` (item_id, supplier_id, unit_price, lead_time_days,
      [lead_time_std_days], moq, pack_size); unit cost = its unit_price unless
      ``unit_cost`` (scalar or dict by item / (item, warehouse)) is given.
    * ``initial_on_hand``: scalar or dict; default = order-up-to level at the first review.
    * ``service_level``: scalar or dict by item / (item, warehouse).

    Deterministic. Returns per_series (item_id, warehouse_id, supplier_id, demand_units,
    served_units, lost_units, fill_rate, stockout_days, avg_inventory_units,
    avg_inventory_value (Decimal), orders_placed, units_ordered), total (same sums; fill
    rate = served / demanded) and daily totals (date, demand_units, served_units,
    lost_units, on_hand_units, orders_placed). A stockout day = a day with lost demand.
    """
    h = history.copy()
    known = pd.Series(~as_bool(h["is_stockout"]), index=h.index)
    if "lost_qty" in h:
        lost = pd.to_numeric(h["lost_qty"], errors="coerce")
        known |= lost.notna()
        h["demand_qty"] = pd.to_numeric(h["demand_qty"]) + lost.fillna(0)
    h["is_stockout"] = ~known
    panel = to_panel(h, as_of=end_date)
    start = int((pd.Timestamp(start_date).normalize() - panel.start).days)
    n_d = panel.Y.shape[1]
    if not 1 <= start < n_d:
        raise ValueError("start_date must be after the first history date and <= end_date")
    demand = np.nan_to_num(panel.Y)
    fit = np.where(panel.censored, np.nan, panel.Y)
    cs, cn = prefix_sums(fit)
    cs2, _ = prefix_sums(fit ** 2)
    keys = panel.keys
    t = _supplier_terms(terms, keys["item_id"])
    lead = t["lead_time_days"].astype(float).to_numpy()
    lead_std = t["lead_time_std_days"].fillna(0).astype(float).to_numpy()
    pack = t["pack_size"].fillna(1).astype(float).to_numpy()
    moq = t["moq"].fillna(0).astype(float).to_numpy()
    cost = _per_key(unit_cost, keys) if unit_cost is not None else t["unit_price"].astype(
        float).to_numpy()
    sl = _per_key(service_level, keys, default=0.95)
    cls = classify_demand(fit[:, :start]).demand_class
    R = int(review_period_days)
    n_s, n_sim = len(keys), n_d - start
    delay = np.ceil(lead).astype(int)
    arrivals = np.zeros((n_s, n_sim + int(delay.max()) + 1))
    on_hand = _per_key(initial_on_hand, keys, default=0.0) if initial_on_hand is not None \
        else None
    on_order = np.zeros(n_s)
    tot = {k: np.zeros(n_s) for k in ("dem", "srv", "inv", "so", "orders", "units")}
    daily = []
    rows = np.arange(n_s)
    for k in range(n_sim):
        day = start + k
        if on_hand is not None:
            on_hand += arrivals[:, k]
            on_order -= arrivals[:, k]
        placed = 0
        if k % R == 0:
            d = np.nan_to_num(window_mean(cs, cn, day - window, day))
            sq = np.nan_to_num(window_mean(cs2, cn, day - window, day))
            sigma = np.sqrt(np.maximum(sq - d ** 2, 0.0))
            args = {"mean_daily_demand": d, "sigma_daily_demand": sigma, "lead_time_days": lead,
                        "lead_time_std_days": lead_std, "review_period_days": float(R),
                        "service_level": sl}
            if policy_fn is not None:
                rop, s_level = policy_fn(demand_class=cls, **args)
            else:
                lv = policy_levels(cls, **args)
                rop, s_level = lv["reorder_point"], lv["order_up_to"]
            if on_hand is None:
                on_hand = np.ceil(np.asarray(s_level, float))
            qty = order_quantities(s_level, rop, on_hand + on_order, pack, moq)
            now = delay == 0
            on_hand += np.where(now, qty, 0.0)
            on_order += np.where(now, 0.0, qty)
            arrivals[rows, k + delay] += np.where(now, 0.0, qty)
            tot["orders"] += qty > 0
            tot["units"] += qty
            placed = int((qty > 0).sum())
        served = np.minimum(np.maximum(on_hand, 0.0), demand[:, day])
        on_hand -= served
        lost_today = demand[:, day] - served
        for name, v in (("dem", demand[:, day]), ("srv", served), ("inv", on_hand),
                        ("so", lost_today > 1e-9)):
            tot[name] += v
        daily.append((panel.start + pd.Timedelta(days=day), demand[:, day].sum(),
                      served.sum(), lost_today.sum(), on_hand.sum(), placed))
    return _results(keys, t, tot, cost, n_sim, daily)


def _money(x: float) -> Decimal:
    """Float money -> Decimal rounded to 0.01."""
    return Decimal(repr(float(x))).quantize(CENT, ROUND_HALF_UP)


def _results(keys, t, tot, cost, n_sim, daily) -> SimulationResult:
    """Assemble the SimulationResult frames."""
    per = keys.copy()
    per["supplier_id"] = t["supplier_id"].to_numpy()
    per["demand_units"] = tot["dem"]
    per["served_units"] = tot["srv"]
    per["lost_units"] = tot["dem"] - tot["srv"]
    with np.errstate(invalid="ignore", divide="ignore"):
        per["fill_rate"] = np.where(tot["dem"] > 0, tot["srv"] / tot["dem"], np.nan)
    per["stockout_days"] = tot["so"].astype(int)
    per["avg_inventory_units"] = tot["inv"] / n_sim
    value = per["avg_inventory_units"].to_numpy() * np.nan_to_num(cost)
    per["avg_inventory_value"] = [_money(v) for v in value]
    per["orders_placed"] = tot["orders"].astype(int)
    per["units_ordered"] = tot["units"]
    dem, srv = float(tot["dem"].sum()), float(tot["srv"].sum())
    total = {"n_series": len(per), "n_days": n_sim, "demand_units": dem,
             "served_units": srv, "lost_units": dem - srv,
             "fill_rate": srv / dem if dem > 0 else math.nan,
             "stockout_days": int(per["stockout_days"].sum()),
             "avg_inventory_units": float(per["avg_inventory_units"].sum()),
             "avg_inventory_value": _money(float(value.sum())),
             "orders_placed": int(per["orders_placed"].sum()),
             "units_ordered": float(tot["units"].sum())}
    cols = ["date", "demand_units", "served_units", "lost_units", "on_hand_units",
            "orders_placed"]
    return SimulationResult(per, total, pd.DataFrame(daily, columns=cols))

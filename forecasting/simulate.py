"""Policy replay: the planning policy and a naive reorder rule in one simulator.

:func:`replay_policies` replays a window of days for every series, once per policy, on
the same demand, the same opening stock, the same orders open at the window start and
the same random draws of supplier behaviour:

* each day: shipments due arrive (QC rejects drawn at the measured rate are not put into
  stock and not replaced), then - every ``review_period`` days from the window start - a
  review places orders, then demand is served from stock; what stock cannot serve is
  lost (a lost sale, not a backorder);
* an order placed at review ``r`` for series ``i`` takes the lead time drawn for
  ``(i, r)`` from that supplier's measured lead times; with the measured probability it
  arrives in two shipments (the first a measured share, the rest a measured delay
  later). The draws are made once per ``(i, r)`` before any policy runs (common random
  numbers), so the policies differ only by what they order;
* **naive rule**: a fixed reorder level and quantity per series (the business's
  reorder rules): when the position (on hand + on order) is at or below the level, order
  enough multiples of the quantity to rise above it;
* **planning**: at every review the live plan's forecasting is refitted on the demand
  *before* that day (``forecaster``; no look-ahead), and
  :func:`forecasting.replenishment.order_up_to_levels` sizes the order-up-to level for
  an aggregate fill-rate target (held to the most demand seen over lead time + review in
  the year before the review, as the live plan does), the last review's safety stock
  kept while the new estimate is within its noise
  (:func:`forecasting.replenishment.hold_safety_stock`, as the live plan does with the
  last run's); the order is ``S - position``
  rounded up to packs and MOQ. One refit per review serves every target of a sweep.

Fill rate = units served / units demanded; average inventory value = mean over the
measured days of the closing stock valued at each series' unit cost; stockout days =
series-days with lost demand; orders = order lines placed. The first ``measure_from``
replayed days are a warm-up: both policies run through them from the real state, and
only the days after count (a policy is judged on the stock it keeps, not on how long
the stock of the policy before it takes to sell).
"""

from __future__ import annotations

import math
import multiprocessing as mp
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .parameters import REVIEW_PERIOD_DAYS
from .policy import order_quantities
from .replenishment import (
    CEILING_LOOKBACK_DAYS,
    demand_ceiling,
    hold_safety_stock,
    order_up_to_levels,
)

DEFAULT_TARGETS = (0.75, 0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995)


@dataclass
class SupplierBehaviour:
    """Measured supplier behaviour per series (lists of 1-D arrays, one per series).

    ``lead_times``: lead times in days of first receipts; ``partial_prob``: share of
    order lines delivered in more than one shipment; ``first_share``: share of the
    ordered quantity in the first shipment of those; ``extra_delay``: days from the first
    to the last shipment; ``reject_share``: rejected / shipped per receipt (zeros count).
    """

    lead_times: list
    partial_prob: np.ndarray
    first_share: list
    extra_delay: list
    reject_share: list


@dataclass
class ReplayInputs:
    """Everything a replay needs, as arrays over ``n`` series (rows of ``keys``)."""

    keys: pd.DataFrame
    start_date: pd.Timestamp  # date of column 0 of ``demand``
    demand: np.ndarray  # (n, days) true daily demand, NaN before a series
    window_start: int  # first replayed day (column of ``demand``)
    unit_cost: np.ndarray
    lead_time: np.ndarray  # the lead time planning assumes (mean) ...
    lead_time_std: np.ndarray  # ... and its spread
    pack: np.ndarray
    moq: np.ndarray
    fill_floor: np.ndarray
    naive_level: np.ndarray
    naive_qty: np.ndarray
    opening_on_hand: np.ndarray
    pipeline: pd.DataFrame  # series (row index), day (offset in window), qty, shipped
    behaviour: SupplierBehaviour
    sparse: np.ndarray | None = None  # intermittent / lumpy series (discrete demand)
    measure_from: int = 0  # replayed days before this are warm-up, not measured
    made_to_order: np.ndarray | None = None  # items the business makes to order: no stock


@dataclass
class PolicyOutcome:
    """Totals of one policy over the window (and per-series arrays)."""

    fill_rate: float
    avg_inventory_value: float
    stockout_days: int
    orders: int
    demand_units: float
    served_units: float
    per_series: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "fill_rate": round(self.fill_rate, 6),
            "avg_inventory_value": round(self.avg_inventory_value, 2),
            "stockout_days": int(self.stockout_days),
            "orders": int(self.orders),
        }


@dataclass
class Draws:
    """Uniform random numbers per (series, review), shared by every policy."""

    lead: np.ndarray
    partial: np.ndarray
    share: np.ndarray
    delay: np.ndarray
    reject1: np.ndarray
    reject2: np.ndarray


def make_draws(n: int, n_reviews: int, seed: int) -> Draws:
    rng = np.random.default_rng(seed)
    return Draws(*(rng.random((n, n_reviews)) for _ in range(6)))


def _sample(samples: list, i: int, u: float, default: float) -> float:
    arr = samples[i]
    if arr is None or len(arr) == 0:
        return default
    return float(arr[min(int(u * len(arr)), len(arr) - 1)])


def _shipments(inp: ReplayInputs, draws: Draws, i: int, r: int, qty: float):
    """[(delay days, shipped qty, accepted qty)] of an order of ``qty`` at review r."""
    b = inp.behaviour
    lead = max(0, int(round(_sample(b.lead_times, i, draws.lead[i, r], inp.lead_time[i]))))
    parts = [(lead, qty)]
    if draws.partial[i, r] < b.partial_prob[i]:
        share = _sample(b.first_share, i, draws.share[i, r], 1.0)
        first = math.floor(qty * share / max(inp.pack[i], 1)) * max(inp.pack[i], 1)
        if 0 < first < qty:
            extra = max(1, int(round(_sample(b.extra_delay, i, draws.delay[i, r], 7))))
            parts = [(lead, first), (lead + extra, qty - first)]
    out = []
    for k, (delay, q) in enumerate(parts):
        u = draws.reject1[i, r] if k == 0 else draws.reject2[i, r]
        rejected = round(q * _sample(b.reject_share, i, u, 0.0))
        out.append((delay, q, q - min(rejected, q)))
    return out


def replay(
    inp: ReplayInputs, decide, draws: Draws, review_period: int = REVIEW_PERIOD_DAYS
) -> PolicyOutcome:
    """Replay the window with ``decide(review, day, on_hand, on_order) -> qty (n,)``."""
    n, n_days = inp.demand.shape
    n_sim = n_days - inp.window_start
    demand = np.nan_to_num(inp.demand[:, inp.window_start :])
    pad = n_sim + 400
    accepted_at = np.zeros((n, pad))
    shipped_at = np.zeros((n, pad))
    on_order = np.zeros(n)
    for row in inp.pipeline.itertuples(index=False):
        day = int(row.day)
        if 0 <= day < pad:
            accepted_at[int(row.series), day] += float(row.qty)
            shipped_at[int(row.series), day] += float(row.shipped)
            on_order[int(row.series)] += float(row.shipped)
    on_hand = np.asarray(inp.opening_on_hand, dtype=float).copy()
    cost = np.nan_to_num(np.asarray(inp.unit_cost, dtype=float))
    dem = np.zeros(n)
    srv = np.zeros(n)
    inv_value = 0.0
    inv_units = np.zeros(n)
    stockout = np.zeros(n, dtype=int)
    orders = np.zeros(n, dtype=int)
    first = min(max(int(inp.measure_from), 0), n_sim - 1)
    for k in range(n_sim):
        on_hand += accepted_at[:, k]
        on_order -= shipped_at[:, k]
        if k % review_period == 0:
            r = k // review_period
            qty = np.asarray(
                decide(r, inp.window_start + k, on_hand.copy(), on_order.copy()), dtype=float
            )
            for i in np.flatnonzero(qty > 0).tolist():
                orders[i] += k >= first
                on_order[i] += qty[i]
                for delay, q, acc in _shipments(inp, draws, i, r, float(qty[i])):
                    day = min(k + delay, pad - 1)
                    if day == k:  # same-day delivery: before the day's demand
                        on_hand[i] += acc
                        on_order[i] -= q
                    else:
                        accepted_at[i, day] += acc
                        shipped_at[i, day] += q
        served = np.minimum(np.maximum(on_hand, 0.0), demand[:, k])
        on_hand -= served
        if k < first:
            continue
        dem += demand[:, k]
        srv += served
        stockout += (demand[:, k] - served) > 1e-9
        inv_value += float((on_hand * cost).sum())
        inv_units += on_hand
    d, s, days = float(dem.sum()), float(srv.sum()), max(n_sim - first, 1)
    return PolicyOutcome(
        s / d if d > 0 else math.nan,
        inv_value / days,
        int(stockout.sum()),
        int(orders.sum()),
        d,
        s,
        {
            "demand": dem,
            "served": srv,
            "stockout_days": stockout,
            "orders": orders,
            "avg_inventory_units": inv_units / days,
        },
    )


def naive_rule(inp: ReplayInputs):
    """The reorder rule: position <= level -> enough multiples of qty to rise above it."""
    level = np.nan_to_num(np.asarray(inp.naive_level, dtype=float))
    q = np.maximum(np.nan_to_num(np.asarray(inp.naive_qty, dtype=float)), 1.0)
    active = np.asarray(inp.naive_qty, dtype=float) > 0

    def decide(_r, _day, on_hand, on_order):
        position = on_hand + on_order
        low = (position <= level) & active
        n_q = np.maximum(1, np.ceil((level - position + 1) / q))
        return np.where(low, n_q * q, 0.0)

    return decide


_JOB: dict = {}


def _review_levels(k: int):
    """Levels of one review (a worker's job; reads the inputs from ``_JOB``)."""
    inp, forecaster, targets, review_period = (
        _JOB["inp"],
        _JOB["forecaster"],
        _JOB["targets"],
        _JOB["review_period"],
    )
    t = inp.window_start + k
    point, errors, sparse, *rest = forecaster(inp.demand[:, :t], inp.start_date)
    if inp.sparse is not None:
        sparse = inp.sparse
    ceiling = demand_ceiling(
        inp.demand[:, max(0, t - CEILING_LOOKBACK_DAYS) : t],
        np.asarray(inp.lead_time, dtype=float) + review_period,
    )
    lv = order_up_to_levels(
        point,
        errors,
        inp.lead_time,
        inp.lead_time_std,
        review_period,
        inp.unit_cost,
        sparse,
        inp.fill_floor,
        list(targets),
        inp.made_to_order,
        rest[0] if rest else None,
        ceiling,
    )
    return (
        [got["order_up_to"] for got in lv["per_target"]],
        lv["mu_e"],
        np.shape(errors)[1] if np.ndim(errors) == 3 else 1,
    )


def planning_levels(
    inp: ReplayInputs,
    forecaster,
    targets,
    review_period: int = REVIEW_PERIOD_DAYS,
    progress=None,
    workers: int = 1,
) -> dict:
    """Order-up-to levels per target and review: ``{target: (n_reviews, n)}``.

    At review r (day t) ``forecaster(history, start_date)`` sees only ``demand[:, :t]``
    and returns ``(daily_forecast (n, H), errors (n, windows, h), sparse (n,)[,
    demand_interval (n,)])``. Reviews
    are independent of the policy's decisions, so ``workers`` > 1 refits them in forked
    processes (where the platform forks)."""
    n, n_days = inp.demand.shape
    n_sim = n_days - inp.window_start
    reviews = list(range(0, n_sim, review_period))
    out = {t: np.zeros((len(reviews), n)) for t in targets}
    _JOB.update(inp=inp, forecaster=forecaster, targets=list(targets), review_period=review_period)
    say = progress or (lambda _m: None)
    try:
        if workers > 1 and "fork" in mp.get_all_start_methods() and len(reviews) > 1:
            # close + join, not the context manager's terminate(): terminating a pool can
            # hang when a worker is killed holding the task queue's lock
            pool = mp.get_context("fork").Pool(min(workers, len(reviews)))
            try:
                results = []
                for r, got in enumerate(pool.imap(_review_levels, reviews)):
                    results.append(got)
                    say(f"simulate: review {r + 1}/{len(reviews)} refitted")
                pool.close()
                pool.join()
            except BaseException:
                pool.terminate()
                raise
        else:
            results = []
            for r, k in enumerate(reviews):
                results.append(_review_levels(k))
                say(f"simulate: review {r + 1}/{len(reviews)} refitted")
    finally:
        _JOB.clear()
    previous = {t: None for t in targets}
    for r, (got, mu_e, windows) in enumerate(results):
        for target, level in zip(targets, got):
            # what the live plan does with the last run's safety stock (hold_safety_stock)
            out[target][r], previous[target], _ = hold_safety_stock(
                level, mu_e, previous[target], windows
            )
    return out


def planning_rule(inp: ReplayInputs, levels: np.ndarray):
    """Order up to the review's level S when the position is below it (pack, MOQ)."""

    def decide(r, _day, on_hand, on_order):
        S = levels[r]
        return order_quantities(S, S, on_hand + on_order, inp.pack, inp.moq)

    return decide


def reduction_at_equal_fill(naive: dict, frontier: list[dict]) -> float | None:
    """1 - (planning inventory interpolated on its frontier at the naive fill rate) /
    (naive inventory). The frontier is made monotone (the cheapest inventory seen at
    each fill rate or above); below the frontier's lowest fill its lowest point serves
    (conservative); above its highest fill there is no equal-fill point: None."""
    if not frontier or not naive["avg_inventory_value"]:
        return None
    pts = sorted((p["fill_rate"], p["avg_inventory_value"]) for p in frontier)
    fills = np.array([p[0] for p in pts])
    inv = np.minimum.accumulate(np.array([p[1] for p in pts])[::-1])[::-1]
    f0 = naive["fill_rate"]
    if f0 > fills[-1] + 1e-12:
        return None
    at = float(inv[0]) if f0 <= fills[0] else float(np.interp(f0, fills, inv))
    return 1.0 - at / float(naive["avg_inventory_value"])


DEFAULT_REPLICATIONS = 20


def replication_draws(n: int, n_reviews: int, seed: int, replication: int) -> Draws:
    """The random stream of one replication: replication 0 is ``make_draws(seed)`` (what
    a single-replication replay has always used), replication k > 0 its own stream
    seeded by (seed, k), so two seeds never share a replication's draws."""
    if replication == 0:
        return make_draws(n, n_reviews, seed)
    rng = np.random.default_rng([seed, replication])
    return Draws(*(rng.random((n, n_reviews)) for _ in range(6)))


def pooled(outcomes: list[PolicyOutcome]) -> dict:
    """One policy's replications as one summary: fill rate = all units served ÷ all units
    demanded; average inventory value, stockout days and orders = the mean over
    replications (each replication covers the same window)."""
    d = sum(o.demand_units for o in outcomes)
    s = sum(o.served_units for o in outcomes)
    k = len(outcomes)
    return {
        "fill_rate": round(s / d, 6) if d > 0 else math.nan,
        "avg_inventory_value": round(sum(o.avg_inventory_value for o in outcomes) / k, 2),
        "stockout_days": int(round(sum(o.stockout_days for o in outcomes) / k)),
        "orders": int(round(sum(o.orders for o in outcomes) / k)),
    }


def replay_frontiers(
    inp: ReplayInputs,
    forecaster,
    targets=DEFAULT_TARGETS,
    review_period: int = REVIEW_PERIOD_DAYS,
    seed: int = 0,
    progress=None,
    workers: int = 1,
    replications: int = DEFAULT_REPLICATIONS,
) -> tuple[dict, list]:
    """:func:`replay_policies` and, per replication, its own reduction at equal fill.

    Each replication replays both policies on its own random stream of supplier
    behaviour (lead times, split deliveries, rejects; common to the two policies within
    the replication). The levels do not depend on the draws, so the forecasts are
    refitted once and serve every replication. The result pools the replications
    (:func:`pooled`): one replication of a 182-day window moves the reduction by several
    points on the same levels (docs/planning.md), which is more than the differences a
    planner compares."""
    if replications < 1:
        raise ValueError(f"replications: {replications!r} is not allowed: at least 1")
    n, n_days = inp.demand.shape
    n_sim = n_days - inp.window_start
    if n_sim < 1 or inp.window_start < 1:
        raise ValueError("the replay window needs history before it and at least one day")
    n_reviews = (n_sim + review_period - 1) // review_period
    levels = planning_levels(inp, forecaster, targets, review_period, progress, workers)
    naive_runs: list[PolicyOutcome] = []
    plan_runs: dict[float, list[PolicyOutcome]] = {t: [] for t in targets}
    per_replication: list[float | None] = []
    for k in range(replications):
        draws = replication_draws(n, n_reviews, seed, k)
        naive = replay(inp, naive_rule(inp), draws, review_period)
        naive_runs.append(naive)
        frontier = []
        for target in targets:
            out = replay(inp, planning_rule(inp, levels[target]), draws, review_period)
            plan_runs[target].append(out)
            frontier.append({"target": target, **out.summary()})
        red = reduction_at_equal_fill(naive.summary(), frontier)
        per_replication.append(None if red is None else round(red, 4))
        if progress and replications > 1:
            progress(f"simulate: replication {k + 1}/{replications} replayed")
    naive_summary = pooled(naive_runs)
    frontier = [{"target": t, **pooled(plan_runs[t])} for t in targets]
    red = reduction_at_equal_fill(naive_summary, frontier)
    measured = n_sim - min(max(int(inp.measure_from), 0), n_sim - 1)
    return (
        {
            "window_days": int(measured),
            "series": int(n),
            "naive": naive_summary,
            "planning": frontier,
            "inventory_reduction_at_equal_fill": None if red is None else round(red, 4),
        },
        per_replication,
    )


def replay_policies(
    inp: ReplayInputs,
    forecaster,
    targets=DEFAULT_TARGETS,
    review_period: int = REVIEW_PERIOD_DAYS,
    seed: int = 0,
    progress=None,
    workers: int = 1,
    replications: int = DEFAULT_REPLICATIONS,
) -> dict:
    """Naive rule and planning (one run per target) in one simulator, ``replications``
    times on independent random streams of supplier behaviour, pooled; the JSON-ready
    result: window_days, series, naive{...}, planning[{target, ...}],
    inventory_reduction_at_equal_fill."""
    return replay_frontiers(
        inp, forecaster, targets, review_period, seed, progress, workers, replications
    )[0]


HINDSIGHT_MULTIPLES = tuple(np.round(np.linspace(0.1, 6.0, 60), 3))
HINDSIGHT_UNITS = tuple(range(1, 21))


def hindsight_bound(
    inp: ReplayInputs,
    fill: float,
    review_period: int = REVIEW_PERIOD_DAYS,
    seed: int = 0,
    multiples=HINDSIGHT_MULTIPLES,
    units=HINDSIGHT_UNITS,
    replications: int = 1,
) -> dict:
    """The least inventory any *fixed* order-up-to level per series reaches at aggregate
    fill ``fill``, the levels chosen with hindsight - knowing the window's demand and
    the supplier draws - in the same simulator as :func:`replay_policies`.

    Candidate levels per series: 0, ``m * mu_E`` for each multiple ``m`` (``mu_E`` = the
    window's *realised* mean daily demand times lead time + review) and each absolute
    level in ``units``. Every candidate is replayed for all series at once (series do not
    interact); then a Lagrangian picks one candidate per series minimising inventory
    value for the aggregate fill. No forecast-based (R, S) policy with a level that
    stays put can do better on the same window, so a reduction target above this
    bound's reduction is out of reach for that policy family on that window (a level
    that moves over the window could do better only where demand changes in a way it
    could foresee). With ``replications`` > 1 every candidate is replayed on the same
    streams :func:`replay_policies` pools (:func:`replication_draws`) and the bound is
    taken on the pooled units and mean stock. Returns ``{fill_rate,
    avg_inventory_value, candidates}``.
    """
    n, n_days = inp.demand.shape
    n_sim = n_days - inp.window_start
    n_reviews = (n_sim + review_period - 1) // review_period
    streams = [replication_draws(n, n_reviews, seed, k) for k in range(replications)]
    realised = np.nan_to_num(inp.demand[:, inp.window_start :]).mean(axis=1)
    mu_e = realised * (np.nan_to_num(np.asarray(inp.lead_time, dtype=float)) + review_period)
    mto = np.zeros(n, bool) if inp.made_to_order is None else np.asarray(inp.made_to_order, bool)
    candidates = (
        [np.zeros(n)] + [mu_e * m for m in multiples] + [np.full(n, float(u)) for u in units]
    )
    cost = np.nan_to_num(np.asarray(inp.unit_cost, dtype=float))
    served_by: list[np.ndarray] = []
    value_by: list[np.ndarray] = []
    demand = np.zeros(n)
    for S in candidates:
        S = np.where(mto, 0.0, S)
        rule = planning_rule(inp, np.repeat(S[None, :], n_reviews, axis=0))
        outs = [replay(inp, rule, draws, review_period) for draws in streams]
        served_by.append(sum(o.per_series["served"] for o in outs))
        value_by.append(
            sum(o.per_series["avg_inventory_units"] for o in outs) * cost / replications
        )
        demand = sum(o.per_series["demand"] for o in outs)
    served, value = np.array(served_by).T, np.array(value_by).T
    need = fill * float(demand.sum())
    rows = np.arange(n)

    def pick(lam):
        j = np.argmin(value - lam * served, axis=1)
        return float(served[rows, j].sum()), float(value[rows, j].sum())

    lo, hi = -8.0, 10.0
    if pick(10.0**hi)[0] < need:
        return {"fill_rate": None, "avg_inventory_value": None, "candidates": len(candidates)}
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if pick(10.0**mid)[0] >= need else (mid, hi)
    s, v = pick(10.0**hi)
    total = float(demand.sum())
    return {
        "fill_rate": s / total if total > 0 else None,
        "avg_inventory_value": v,
        "candidates": len(candidates),
    }

"""Replenishment policy: fill-rate targets, order-up-to levels, allocation, order sizing.

Periodic review, order-up-to (R, S). Notation (days): L = lead time, R = review period,
E = L + R (the exposure: an order placed now must last until the order placed at the
next review arrives). For every series:

* ``D_E`` = demand over E, mean ``mu_E`` = the forecast summed over E, variance
  ``var_E = var_fc(E) + d^2 * sigma_L^2``: the variance of the forecast error *accumulated
  over E* (from the backtests, see :func:`accumulated_error_variance`) plus lead-time
  variability (``d = mu_E / E``). ``D_L`` likewise over L.
* ``S = mu_E + SS``: the order-up-to level. There is no second ``d * R``: the review
  period is already inside E.
* Expected shortage per review cycle (Hadley-Whitin)::

      ESC(S) = E[(D_E - S)+] - E[(D_L - S)+]

  and the **fill rate** (beta, share of demand served from stock) ``beta(S) = 1 -
  ESC(S) / mu_R`` with ``mu_R = mu_E - mu_L`` the demand of one cycle.
* Smooth / erratic demand: ``D`` normal, ``E[(D - S)+] = sigma * G((S - mu) / sigma)``
  with the standard normal loss function ``G(z) = phi(z) - z * (1 - Phi(z))``.
  Intermittent / lumpy demand: ``D`` negative binomial with the same mean and variance
  (Poisson when the variance does not exceed the mean), shortages summed exactly.

Fill-rate targets are not set per item by a table: :func:`allocate_fill_rates` chooses
one per series so that the *aggregate* fill rate (units served / units demanded) meets
the business's target at the least inventory value (an exchange curve: a Lagrangian
over a grid of per-series fill rates, with per-class floors the business can set).
Quantities become Decimal only in :func:`suggest_order` (rounded up to pack and MOQ).
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, Decimal

import numpy as np
import pandas as pd
from scipy.special import gammaln
from scipy.stats import norm

from .parameters import DEFAULT_FILL_FLOORS, DEFAULT_FILL_TARGET  # noqa: F401 - defined there

FILL_GRID = np.array(
    [
        0.5,
        0.6,
        0.7,
        0.75,
        0.8,
        0.85,
        0.88,
        0.9,
        0.92,
        0.94,
        0.95,
        0.96,
        0.97,
        0.975,
        0.98,
        0.985,
        0.99,
        0.993,
        0.995,
        0.997,
        0.998,
        0.999,
    ]
)
DISPERSION_TOL = 0.05
MAX_DISCRETE = 4000  # above this many units over E a discrete series is treated as normal
SPARSE_CLASSES = ("intermittent", "lumpy")


def normal_loss(z):
    """Standard normal loss function ``G(z) = E[(Z - z)+] = phi(z) - z * (1 - Phi(z))``."""
    z = np.asarray(z, dtype=float)
    return norm.pdf(z) - z * norm.sf(z)


class DemandOverExposure:
    """Demand over an exposure for n series: normal, or Poisson / negative binomial.

    ``mean``, ``var``: arrays (n,); ``discrete``: bool array (n,) - intermittent series.
    A discrete series whose mean + 10 sd exceeds :data:`MAX_DISCRETE` units is treated as
    normal (the normal approximation is good there, and the table would be large).
    """

    def __init__(self, mean, var, discrete=None):
        self.mean = np.maximum(np.nan_to_num(np.asarray(mean, dtype=float)), 0.0)
        self.var = np.maximum(np.nan_to_num(np.asarray(var, dtype=float)), 0.0)
        n = len(self.mean)
        disc = np.zeros(n, bool) if discrete is None else np.asarray(discrete, bool).copy()
        sd = np.sqrt(self.var)
        disc &= (self.mean + 10 * sd + 10) <= MAX_DISCRETE
        disc &= self.mean > 0
        self.discrete = disc
        self._rows = np.flatnonzero(disc)
        self._table = None
        if len(self._rows):
            m, v = self.mean[self._rows], self.var[self._rows]
            k_max = int(np.ceil((m + 10 * np.sqrt(v) + 10).max()))
            k = np.arange(k_max + 1)[None, :]
            over = v > (1 + DISPERSION_TOL) * m
            vv = np.where(over, v, m + 1.0)
            n_nb = np.where(over, m * m / np.maximum(vv - m, 1e-12), 1.0)[:, None]
            p_nb = np.where(over, m / vv, 0.5)[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                log_nb = (
                    gammaln(k + n_nb)
                    - gammaln(n_nb)
                    - gammaln(k + 1)
                    + n_nb * np.log(p_nb)
                    + k * np.log1p(-p_nb)
                )
                log_po = k * np.log(m[:, None]) - m[:, None] - gammaln(k + 1)
            pmf = np.exp(np.where(over[:, None], log_nb, log_po))
            sf = np.clip(1.0 - np.cumsum(pmf, axis=1), 0.0, 1.0)
            # csf[:, j] = sum_{k < j} P(D > k) = E[min(D, j)]
            self._table = np.concatenate([np.zeros((len(m), 1)), np.cumsum(sf, axis=1)], 1)

    def shortage(self, S) -> np.ndarray:
        """``E[(D - S)+]`` for levels ``S`` shaped (n,) or (n, k)."""
        S = np.asarray(S, dtype=float)
        two_d = S.ndim == 2
        S2 = S if two_d else S[:, None]
        mean, sd = self.mean[:, None], np.sqrt(self.var)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (S2 - mean) / np.where(sd > 0, sd, 1.0)
            out = np.where(sd > 0, sd * normal_loss(z), np.maximum(mean - S2, 0.0))
        if self._table is not None:
            r = self._rows
            Sd = np.clip(S2[r], 0.0, self._table.shape[1] - 1.0)
            lo = np.floor(Sd).astype(int)
            hi = np.minimum(lo + 1, self._table.shape[1] - 1)
            frac = Sd - lo
            rows = np.arange(len(r))[:, None]
            emin = self._table[rows, lo] * (1 - frac) + self._table[rows, hi] * frac
            out[r] = np.maximum(self.mean[r][:, None] - emin, 0.0)
        return out if two_d else out[:, 0]

    def sd(self) -> np.ndarray:
        return np.sqrt(self.var)


def fill_rate(S, over_e: DemandOverExposure, over_l: DemandOverExposure) -> np.ndarray:
    """Expected fill rate of order-up-to level ``S`` (see the module docstring).

    Series without demand in a cycle (``mu_R = 0``) get fill rate 1."""
    S = np.asarray(S, dtype=float)
    esc = over_e.shortage(S) - over_l.shortage(S)
    mu_r = over_e.mean - over_l.mean
    mu_r = mu_r[:, None] if S.ndim == 2 else mu_r
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(
            mu_r > 1e-12, 1.0 - np.maximum(esc, 0.0) / np.where(mu_r > 1e-12, mu_r, 1.0), 1.0
        )
    return np.clip(beta, 0.0, 1.0)


def order_up_to_for_fill(
    beta, over_e: DemandOverExposure, over_l: DemandOverExposure, iterations: int = 48
) -> np.ndarray:
    """Smallest ``S`` with ``fill_rate(S) >= beta`` (bisection). ``beta``: a scalar or
    (n,) -> (n,); (n, k) -> (n, k) (a grid of fill rates per series)."""
    n = len(over_e.mean)
    beta = np.asarray(beta, dtype=float)
    two_d = beta.ndim == 2
    target = beta if two_d else np.broadcast_to(beta, (n,))[:, None]
    lo = np.zeros(target.shape)
    hi = np.broadcast_to((over_e.mean + 12 * over_e.sd() + 2)[:, None], target.shape).copy()
    for _ in range(iterations):
        mid = (lo + hi) / 2
        ok = fill_rate(mid, over_e, over_l) >= target
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    return hi if two_d else hi[:, 0]


def allocate_fill_rates(
    target,
    unit_cost,
    over_e: DemandOverExposure,
    over_l: DemandOverExposure,
    floors=None,
    grid: np.ndarray = FILL_GRID,
    may_skip=None,
):
    """Per-series fill rates meeting an aggregate fill ``target`` at least stock value.

    Minimise ``sum c_i S_i`` subject to ``sum mu_R,i (1 - beta_i) <= (1 - target) sum
    mu_R,i``: for a multiplier ``lam`` each series takes the grid fill rate minimising
    ``c_i S_i(beta) + lam * mu_R,i * (1 - beta)`` (at or above its floor); ``lam`` is
    bisected until the demand-weighted fill rate reaches the target. Dear items get lower
    fill rates than cheap ones: that is what the least stock value for an aggregate fill
    rate means, and the floors keep any class from falling too low.

    ``may_skip`` (bool per series; intermittent / lumpy ones) may also take fill rate 0,
    S = 0: not stocked, made to order, when stocking its rare lumps costs more stock
    value per unit of fill than anything else; floors do not apply to that choice.

    Returns ``(S, beta, expected aggregate fill)``; for a sequence of targets, a list of
    such tuples (the grid of levels is computed once).
    """
    n = len(over_e.mean)
    cost = np.nan_to_num(np.asarray(unit_cost, dtype=float))
    cost = np.where(cost > 0, cost, 1e-6)
    floors = np.zeros(n) if floors is None else np.nan_to_num(np.asarray(floors, float))
    s_grid = order_up_to_for_fill(np.broadcast_to(grid, (n, len(grid))), over_e, over_l)
    skip = np.zeros(n, bool) if may_skip is None else np.asarray(may_skip, bool)
    if skip.any():
        grid = np.concatenate([[0.0], grid])
        s_grid = np.concatenate([np.zeros((n, 1)), s_grid], axis=1)
    mu_r = np.maximum(over_e.mean - over_l.mean, 0.0)
    total = mu_r.sum()
    value = cost[:, None] * s_grid
    short = mu_r[:, None] * (1.0 - grid[None, :])
    allowed = grid[None, :] >= np.minimum(floors, grid[-1])[:, None] - 1e-12
    if skip.any():
        allowed[:, 0] = skip
    big = np.where(allowed, 0.0, np.inf)
    rows = np.arange(n)

    def pick(lam):
        idx = np.argmin(value + lam * short + big, axis=1)
        got = 1.0 - short[rows, idx].sum() / total if total > 0 else 1.0
        return idx, got

    def solve(t):
        if total <= 0:
            idx, got = pick(0.0)
        else:
            idx, got = pick(1e12)
            if got >= t:
                lo, hi = -12.0, 12.0
                for _ in range(50):
                    mid = (lo + hi) / 2
                    _, g = pick(10.0**mid)
                    lo, hi = (lo, mid) if g >= t else (mid, hi)
                idx, got = pick(10.0**hi)
        return s_grid[rows, idx], grid[idx], float(got)

    if np.ndim(target) == 0:
        return solve(float(target))
    return [solve(float(t)) for t in target]


def accumulated_error_variance(errors: np.ndarray, exposure, sparse=None) -> np.ndarray:
    """Variance of the forecast error accumulated over ``exposure`` days, per series.

    ``errors``: backtest errors (actual - forecast), shaped (series, windows, h) with NaN
    where not scored. ``sigma1^2`` = mean squared daily error of the series. For each
    series and window the error summed over the first ``m = min(E, h)`` days is squared;
    the ratio ``mean(cum^2) / (m * sigma1^2)`` (1 for independent daily errors, more
    when errors persist, e.g. a level the model has not caught up with) is pooled as the
    median over series of the same kind (sparse / not), because three windows per series
    are too few to trust alone. Result: ``ratio * E * sigma1^2``.
    """
    err = np.asarray(errors, dtype=float)
    n = err.shape[0]
    E = np.broadcast_to(np.asarray(exposure, dtype=float), (n,))
    sparse = np.zeros(n, bool) if sparse is None else np.asarray(sparse, bool)
    with np.errstate(invalid="ignore"):
        sq = np.where(np.isnan(err), np.nan, err * err)
        cnt = (~np.isnan(err)).sum(axis=(1, 2))
        sigma2 = np.where(cnt > 0, np.nansum(sq, axis=(1, 2)) / np.maximum(cnt, 1), np.nan)
    ratio = np.full(n, np.nan)
    if err.ndim == 3 and err.shape[2] > 0:
        m = np.clip(np.ceil(E).astype(int), 1, err.shape[2])
        cum = np.nancumsum(err, axis=2)  # (n, w, h)
        observed = np.cumsum(~np.isnan(err), axis=2)
        rows = np.arange(n)
        at = cum[rows, :, m - 1]  # (n, w)
        full = observed[rows, :, m - 1] == m[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            msq = np.where(
                full.any(1), np.where(full, at * at, 0).sum(1) / np.maximum(full.sum(1), 1), np.nan
            )
            ratio = msq / (m * sigma2)
    out = np.full(n, np.nan)
    for kind in (False, True):
        rows = sparse == kind
        good = ratio[rows][np.isfinite(ratio[rows])]
        k = float(np.clip(np.median(good), 0.5, 25.0)) if len(good) else 1.0
        out[rows] = k * E[rows] * sigma2[rows]
    return np.nan_to_num(out)


def service_floor_for_class(abc_class, floors=None) -> float:
    """Fill-rate floor for an ABC class; missing or unknown class -> class 'C'."""
    floors = DEFAULT_FILL_FLOORS if floors is None else floors
    if abc_class is None or (isinstance(abc_class, float) and math.isnan(abc_class)):
        return float(floors["C"])
    return float(floors.get(str(abc_class).strip().upper(), floors["C"]))


def _dec(x) -> Decimal:
    """Decimal from Decimal / int / float / str (floats via repr, None/NaN -> 0)."""
    if isinstance(x, Decimal):
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return Decimal(0)
    return Decimal(str(x))


def pack_round(need, pack_size=1, moq=0) -> tuple[Decimal, Decimal]:
    """``need`` rounded up to whole packs (pack ≤ 0 means 1), then raised to the MOQ
    (itself rounded up to whole packs): ``(after_pack, qty)``; (0, 0) without a need."""
    need = _dec(need)
    if need <= 0:
        return Decimal(0), Decimal(0)
    pack = _dec(pack_size) if _dec(pack_size) > 0 else Decimal(1)
    after_pack = (need / pack).to_integral_value(ROUND_CEILING) * pack
    moq_packed = (max(_dec(moq), Decimal(0)) / pack).to_integral_value(ROUND_CEILING) * pack
    return after_pack, max(after_pack, moq_packed)


def suggest_order(
    order_up_to, reorder_point, on_hand, on_order, committed, pack_size=1, moq=0
) -> tuple[Decimal, dict]:
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
    after_pack, qty = pack_round(raw, pack, moq_d) if triggered else (Decimal(0), Decimal(0))
    moq_packed = (moq_d / pack).to_integral_value(ROUND_CEILING) * pack
    why = {
        "on_hand": _dec(on_hand),
        "on_order": _dec(on_order),
        "committed": _dec(committed),
        "position": position,
        "reorder_point": rop,
        "order_up_to": s_level,
        "below_reorder_point": below,
        "triggered": triggered,
        "raw_need": raw,
        "pack_size": pack,
        "after_pack": after_pack,
        "moq": moq_d,
        "moq_in_packs": moq_packed,
        "after_moq": qty,
    }
    return qty, why


def order_quantities(order_up_to, reorder_point, position, pack_size=1, moq=0) -> np.ndarray:
    """Vectorised float twin of :func:`suggest_order` (used by the simulator)."""
    pack = np.where(np.asarray(pack_size, float) > 0, pack_size, 1.0)
    raw = np.asarray(order_up_to, float) - np.asarray(position, float)
    trig = (np.asarray(position, float) <= np.asarray(reorder_point, float)) & (raw > 1e-9)
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
    rows = [
        (float(o["unit_price"]), float(o["lead_time_days"]), o["supplier_id"], i)
        for i, o in enumerate(options)
    ]
    ok = [r for r in rows if r[1] <= need]
    if ok:
        price, lt, sup, i = min(ok, key=lambda r: (r[0], r[2]))
        return (
            sup,
            (
                f"cheapest of {len(ok)} supplier(s) delivering within {need:.1f} d: "
                f"{sup} at {price:g}/unit, {lt:g} d"
            ),
            options[i],
        )
    price, lt, sup, i = min(rows, key=lambda r: (r[1], r[0], r[2]))
    return (
        sup,
        (f"no supplier delivers within {need:.1f} d; fastest: {sup} ({lt:g} d at {price:g}/unit)"),
        options[i],
    )

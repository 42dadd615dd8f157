"""Candidate forecasting models, vectorised across series.

Every model has the same calling convention::

    model(y, censored=None, horizon=28, *, origins=None, **options) -> np.ndarray

* ``y``: daily demand, 1-D (days) or 2-D (series x days). NaN = not observed.
* ``censored``: boolean mask of stockout days (same shape). Their observed value is not
  true demand, so the models treat them exactly like NaN: recursive models skip the
  update (the state keeps its own level/seasonal estimate), windowed models drop them.
* ``origins``: optional list of cut-offs ``o``; the model is fitted on days ``[0, o)`` and
  forecasts days ``[o, o + horizon)``. Recursive models compute all origins in one pass.
* Returns ``(horizon,)`` / ``(series, horizon)``; with ``origins`` an extra leading axis.
  Forecasts are clipped at 0; series with nothing observed forecast 0.

Smoothing parameters are chosen per series (and per origin) by a small grid search on
the in-sample one-step-ahead squared error, using only data before the origin.
Croston/SBA/TSB live in :mod:`forecasting.intermittent`, the global gradient-boosting
model in :mod:`forecasting.global_model`; both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._arrays import (
    finish,
    first_observed,
    nanmean,
    pick,
    prefix_sums,
    prepare,
    resolve_origins,
    snapshots,
    window_mean,
)
from .global_model import global_gbm
from .intermittent import croston, sba, tsb

SEASON = 7
MA_WINDOW = 28
SES_ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
HW_ALPHAS = (0.05, 0.1, 0.2, 0.3)
HW_GAMMAS = (0.05, 0.1, 0.2)

__all__ = [
    "MODELS",
    "croston",
    "global_gbm",
    "holt_winters",
    "moving_average",
    "sba",
    "seasonal_naive",
    "ses",
    "tsb",
]


def seasonal_naive(y, censored=None, horizon=28, *, origins=None, season=SEASON, lookback_weeks=8):
    """Weekly seasonal naive: each future day repeats the last observed same-weekday value.

    Censored days are skipped: the most recent *observed* value of that weekday within
    ``lookback_weeks`` seasons is used, falling back to the series' observed mean.
    """
    Y, was_1d = prepare(y, censored)
    orig, multi = resolve_origins(origins, Y.shape[1])
    n_s, width = Y.shape[0], lookback_weeks * season
    out = np.empty((len(orig), n_s, horizon))
    steps = np.arange(horizon) % season
    for i, o in enumerate(orig.tolist()):
        win = np.full((n_s, width), np.nan)
        take = min(width, o)
        win[:, width - take :] = Y[:, o - take : o]
        blocks = win.reshape(n_s, lookback_weeks, season)
        valid = ~np.isnan(blocks)
        last = np.where(valid, np.arange(lookback_weeks)[None, :, None], -1).max(axis=1)
        vals = np.take_along_axis(blocks, np.clip(last, 0, None)[:, None, :], axis=1)[:, 0]
        fallback = nanmean(Y[:, :o], axis=1)
        vals = np.where(last >= 0, vals, fallback[:, None])
        out[i] = vals[:, steps]
    return finish(out, was_1d, multi)


def moving_average(y, censored=None, horizon=28, *, origins=None, window=MA_WINDOW):
    """Flat forecast = mean of the observed days among the last ``window`` days.

    If all of them are censored, the mean of all observed history is used.
    """
    Y, was_1d = prepare(y, censored)
    orig, multi = resolve_origins(origins, Y.shape[1])
    cs, cn = prefix_sums(Y)
    out = np.empty((len(orig), Y.shape[0], horizon))
    for i, o in enumerate(orig.tolist()):
        level = window_mean(cs, cn, o - window, o)
        level = np.where(np.isnan(level), window_mean(cs, cn, 0, o), level)
        out[i] = level[:, None]
    return finish(out, was_1d, multi)


def ses(y, censored=None, horizon=28, *, origins=None, alphas=SES_ALPHAS):
    """Simple exponential smoothing ``l_t = l_{t-1} + alpha (y_t - l_{t-1})``; flat forecast.

    The level starts at the first observation; censored days leave it unchanged.
    """
    Y, was_1d = prepare(y, censored)
    orig, multi = resolve_origins(origins, Y.shape[1])
    a = np.asarray(alphas, dtype=float)[None, :]
    n_s = Y.shape[0]
    level = np.full((n_s, a.shape[1]), np.nan)
    sse = np.zeros_like(level)
    out = np.empty((len(orig), n_s, horizon))
    snaps = snapshots(orig)
    obs = ~np.isnan(Y)
    for t in range(int(orig.max())):
        yt, ok = Y[:, t : t + 1], obs[:, t : t + 1]
        if ok.any():
            err = yt - level
            valid = ok & ~np.isnan(level)
            sse += np.where(valid, err * err, 0.0)
            new = np.where(np.isnan(level), yt, level + a * err)
            level = np.where(ok, new, level)
        for i in snaps.get(t + 1, ()):
            out[i] = pick(level, sse)[:, None]
    return finish(out, was_1d, multi)


def _hw_init(Y: np.ndarray, limit: int, season: int, n_init: int):
    """Initial level (mean) and centred seasonal offsets from each series' first days."""
    n_s, n_d = Y.shape
    rows = np.arange(n_s)
    days = first_observed(Y)[:, None] + np.arange(n_init)[None, :]
    inside = days < min(limit, n_d)
    vals = np.where(inside, Y[rows[:, None], np.clip(days, 0, n_d - 1)], np.nan)
    level0 = nanmean(vals, axis=1)
    sums = np.zeros((n_s, season))
    cnt = np.zeros((n_s, season))
    ok = ~np.isnan(vals)
    for j in range(n_init):
        ph = days[:, j] % season
        sums[rows, ph] += np.where(ok[:, j], vals[:, j], 0.0)
        cnt[rows, ph] += ok[:, j]
    with np.errstate(invalid="ignore", divide="ignore"):
        seas = np.where(cnt > 0, sums / np.maximum(cnt, 1) - level0[:, None], 0.0)
    seas = np.nan_to_num(seas - seas.mean(axis=1, keepdims=True))
    return level0, seas


def holt_winters(
    y, censored=None, horizon=28, *, origins=None, alphas=HW_ALPHAS, gammas=HW_GAMMAS, season=SEASON
):
    """Additive weekly seasonality with a smoothed level (Holt-Winters without trend).

    Error-correction form with ``e = y_t - l_{t-1} - s_{t-m}``::

        l_t = l_{t-1} + alpha e ;  s_t = s_{t-m} + gamma (1 - alpha) e

    Forecast ``l_T + s_{phase}``. Initial level/seasonals come from the first 4 weeks of
    each series (before the earliest origin). Censored days update nothing.
    Seasonal phase = absolute day index mod ``season`` (calendar aligned).
    """
    Y, was_1d = prepare(y, censored)
    orig, multi = resolve_origins(origins, Y.shape[1])
    grid = np.array([(a, g) for a in alphas for g in gammas], dtype=float)
    a, g = grid[:, 0][None, :], grid[:, 1][None, :]
    n_s, n_k = Y.shape[0], grid.shape[0]
    level0, seas0 = _hw_init(Y, int(orig.min()), season, 4 * season)
    level = np.repeat(level0[:, None], n_k, axis=1)
    seas = np.repeat(seas0.T[:, :, None], n_k, axis=2)  # (season, series, grid)
    sse = np.zeros((n_s, n_k))
    out = np.empty((len(orig), n_s, horizon))
    snaps = snapshots(orig)
    obs = ~np.isnan(Y)
    rows = np.arange(n_s)
    for t in range(int(orig.max())):
        yt, ok = Y[:, t : t + 1], obs[:, t : t + 1]
        if ok.any():
            s = seas[t % season]
            err = yt - level - s
            valid = ok & ~np.isnan(level)
            sse += np.where(valid, err * err, 0.0)
            seas[t % season] = np.where(valid, s + g * (1.0 - a) * err, s)
            new = np.where(np.isnan(level), yt - s, level + a * err)
            level = np.where(ok, new, level)
        for i in snaps.get(t + 1, ()):
            best = np.argmin(sse, axis=1)
            phases = (t + 1 + np.arange(horizon)) % season
            out[i] = level[rows, best][:, None] + seas[:, rows, best].T[:, phases]
    return finish(out, was_1d, multi)


MODELS: dict[str, Callable[..., np.ndarray]] = {
    "seasonal_naive": seasonal_naive,
    "moving_average": moving_average,
    "ses": ses,
    "croston": croston,
    "sba": sba,
    "tsb": tsb,
    "holt_winters": holt_winters,
    "global": global_gbm,
}
"""Model registry, ordered from simplest to most complex (used for tie-breaks)."""

"""Global gradient-boosting model: one HistGradientBoostingRegressor across all series.

Per origin, one model is trained on rows ``(series, day)`` pooled over every series:

* target: demand / series scale, where scale = observed mean of the series before the
  origin (1 when that mean is 0 or unknown) - so one model fits fast and slow movers;
* features (all from data at least 7 days old, so 7 days can be predicted at once):
  lags 7, 14, 28; rolling means of the 7 and 28 days ending at lag 7; day of week,
  month, day of year; log(1 + scale); and the ``promo`` flag of the target day if given.

Censored days are NaN: never used as targets, and seen as missing values in features
(HistGradientBoosting handles NaN natively). Training rows start 28 days after a series'
first observation; above ``max_rows`` they are subsampled uniformly (seeded).
The horizon is predicted in 7-day blocks, feeding predictions back as lags.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from ._arrays import finish, first_observed, prefix_sums, prepare, resolve_origins, window_mean

BLOCK = 7
WARMUP = 28


def _calendar(start_date, n_days: int) -> np.ndarray:
    """(n_days, 3) array of day of week, month and day of year."""
    start = pd.Timestamp(start_date if start_date is not None else "2000-01-03")
    idx = pd.date_range(start.normalize(), periods=n_days, freq="D")
    return np.column_stack([idx.dayofweek, idx.month, idx.dayofyear]).astype(float)


def _features(W, cs, cn, ii, tt, scale, cal, promo, offset=0):
    """Feature matrix for rows (series ``ii``, absolute day ``tt``) from working history
    ``W`` whose column 0 is absolute day ``offset`` (``cs``/``cn``: its prefix sums)."""
    sc = scale[ii]
    cols = []
    loc = tt - offset
    for k in (7, 14, 28):
        j = loc - k
        cols.append(np.where(j >= 0, W[ii, np.clip(j, 0, None)], np.nan) / sc)
    for width in (7, 28):
        lo, hi = np.clip(loc - 6 - width, 0, None), np.clip(loc - 6, 0, None)
        tot = cs[ii, hi] - cs[ii, lo]
        cnt = cn[ii, hi] - cn[ii, lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            cols.append(np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan) / sc)
    X = np.column_stack(cols + [cal[tt], np.log1p(sc)])
    if promo is not None:
        X = np.column_stack([X, promo[ii, tt]])
    return X


def _sample_rows(Y, first, origin, max_rows, rng, train_window):
    """Candidate training rows (series, day) with an observed target, subsampled."""
    lo = np.minimum(first + WARMUP, origin)
    if train_window is not None:
        lo = np.maximum(lo, origin - train_window)
    counts = origin - lo
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, int), np.empty(0, int)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    flat = (
        np.arange(total)
        if total <= max_rows
        else np.sort(rng.choice(total, size=max_rows, replace=False))
    )
    ii = np.searchsorted(offsets, flat, side="right") - 1
    tt = lo[ii] + (flat - offsets[ii])
    keep = ~np.isnan(Y[ii, tt])
    return ii[keep], tt[keep]


def _pad_promo(promo, n_s: int, n_days: int):
    """Promo flags as a (series, n_days) float array, zero-padded on the right."""
    if promo is None:
        return None
    P = np.atleast_2d(np.nan_to_num(np.asarray(promo, dtype=float)))
    out = np.zeros((n_s, n_days))
    width = min(n_days, P.shape[1])
    out[:, :width] = P[:, :width]
    return out


def global_gbm(
    y,
    censored=None,
    horizon=28,
    *,
    origins=None,
    start_date=None,
    promo=None,
    max_rows=300_000,
    max_iter=100,
    random_state=0,
    train_window=None,
    n_threads=1,
):
    """Global HistGradientBoostingRegressor trained across all series once per origin.

    ``start_date`` is the date of day 0 (for calendar features). ``promo`` is an optional
    (series x days) 0/1 array that may extend past the history to flag planned promos.
    Origins with no usable training rows fall back to the 28-day moving average.
    ``n_threads`` caps OpenMP threads: 1 by default, because on a busy 2-core machine
    OpenMP spin-waiting made fits 10-40x slower, and 1 thread is nearly as fast idle.
    """
    Y, was_1d = prepare(y, censored)
    n_s, n_d = Y.shape
    orig, multi = resolve_origins(origins, n_d)
    n_total = int(orig.max()) + horizon
    cal = _calendar(start_date, n_total)
    P = _pad_promo(promo, n_s, n_total)
    cs, cn = prefix_sums(Y)
    first = first_observed(Y)
    rng = np.random.default_rng(random_state)
    out = np.empty((len(orig), n_s, horizon))
    with threadpool_limits(limits=n_threads, user_api="openmp"):
        for i, o in enumerate(orig.tolist()):
            out[i] = _fit_predict(
                Y,
                cs,
                cn,
                first,
                o,
                horizon,
                cal,
                P,
                rng,
                max_rows,
                max_iter,
                random_state,
                train_window,
            )
    return finish(out, was_1d, multi)


def _fit_predict(
    Y, cs, cn, first, o, horizon, cal, P, rng, max_rows, max_iter, random_state, train_window
) -> np.ndarray:
    """Train on days before origin ``o`` and forecast ``horizon`` days (series x horizon).
    A series with no demand before the origin (observed mean 0) is forecast 0: its scale
    would be the fallback 1 and the pooled model would forecast ~1 unit a day."""
    mean = window_mean(cs, cn, 0, o)
    dead = mean == 0
    scale = np.where(np.isfinite(mean) & (mean > 0), mean, 1.0)
    ii, tt = _sample_rows(Y, first, o, max_rows, rng, train_window)
    if ii.size < 50:
        return np.repeat(np.nan_to_num(window_mean(cs, cn, o - 28, o))[:, None], horizon, 1)
    X = _features(Y, cs, cn, ii, tt, scale, cal, P)
    model = HistGradientBoostingRegressor(
        max_iter=max_iter,
        learning_rate=0.1,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        early_stopping=False,
        random_state=random_state,
    )
    model.fit(X, Y[ii, tt] / scale[ii])
    hist = Y[:, :o]
    top = np.where(np.isnan(hist), 0.0, hist).max(axis=1, initial=0.0)
    pred = _predict(model, hist, o, horizon, scale, cal, P, top)
    pred[dead] = 0.0
    return pred


def _predict(model, hist, origin, horizon, scale, cal, P, top=None):
    """Recursive prediction in 7-day blocks; predictions become lags of later blocks.
    Each day's prediction is clipped to [0, ``top``] (the series' largest observed day
    before the origin): a pooled leaf value times a slow series' scale can otherwise
    exceed anything the series ever did (seen: 4x its maximum on a censored lumpy series).

    Works on the last 35 days of history only (the oldest feature is the lag-34 end of
    the 28-day rolling mean), so each block costs O(series x 35 + horizon)."""
    n_s = hist.shape[0]
    keep = min(origin, 35)
    offset = origin - keep
    W = np.concatenate([hist[:, offset:], np.full((n_s, horizon), np.nan)], axis=1)
    rows = np.arange(n_s)
    for start in range(0, horizon, BLOCK):
        days = np.arange(origin + start, origin + min(start + BLOCK, horizon))
        cs, cn = prefix_sums(W[:, : days[-1] + 1 - offset])
        ii = np.repeat(rows, days.size)
        tt = np.tile(days, n_s)
        pred = model.predict(_features(W, cs, cn, ii, tt, scale, cal, P, offset))
        val = np.clip(pred, 0.0, None) * scale[ii]
        W[ii, tt - offset] = val if top is None else np.minimum(val, top[ii])
    return W[:, keep : keep + horizon]

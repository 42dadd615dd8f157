"""Intermittent-demand models: Croston, SBA and TSB (vectorised across series).

Same calling convention as :mod:`forecasting.models`. Censored (stockout) days are skipped
entirely: they update no state and do not count as elapsed periods in the inter-demand
interval, so a stockout never looks like "no demand".
"""

from __future__ import annotations

import numpy as np

from ._arrays import finish, pick, prepare, resolve_origins, snapshots

CROSTON_ALPHAS = (0.05, 0.1, 0.2, 0.3)
TSB_ALPHAS = (0.05, 0.1, 0.2, 0.3)
TSB_BETAS = (0.05, 0.1, 0.2, 0.3)


def croston_sba(y, censored=None, horizon=28, *, origins=None, alphas=CROSTON_ALPHAS):
    """Croston and SBA from one shared recursion: returns ``(croston, sba)`` forecasts.

    Each variant picks its own alpha on its own in-sample one-step squared error.
    """
    Y, was_1d = prepare(y, censored)
    orig, multi = resolve_origins(origins, Y.shape[1])
    a = np.asarray(alphas, dtype=float)[None, :]
    factors = (np.ones_like(a), 1.0 - a / 2.0)  # Croston, SBA
    n_s = Y.shape[0]
    size = np.full((n_s, a.shape[1]), np.nan)  # smoothed non-zero demand size z
    interval = np.full_like(size, np.nan)  # smoothed inter-demand interval p
    since = np.zeros((n_s, 1))  # observed days since the last demand
    sse = [np.zeros_like(size), np.zeros_like(size)]
    out = [np.empty((len(orig), n_s, horizon)) for _ in factors]
    snaps = snapshots(orig)
    obs = ~np.isnan(Y)
    for t in range(int(orig.max())):
        yt, ok = Y[:, t : t + 1], obs[:, t : t + 1]
        if ok.any():
            with np.errstate(invalid="ignore"):
                base = size / interval
            for f, acc in zip(factors, sse):
                err = yt - f * base
                acc += np.where(ok & ~np.isnan(base), err * err, 0.0)
            since = since + ok
            dem = ok & (yt > 0)
            size = np.where(dem, np.where(np.isnan(size), yt, size + a * (yt - size)), size)
            interval = np.where(
                dem,
                np.where(np.isnan(interval), since, interval + a * (since - interval)),
                interval,
            )
            since = np.where(dem, 0.0, since)
        for i in snaps.get(t + 1, ()):
            with np.errstate(invalid="ignore"):
                base = size / interval
            for f, acc, o in zip(factors, sse, out):
                o[i] = pick(f * base, acc)[:, None]
    return tuple(finish(o, was_1d, multi) for o in out)


def croston(y, censored=None, horizon=28, *, origins=None, alphas=CROSTON_ALPHAS):
    """Croston's method: flat forecast ``z / p``.

    ``z`` = exponentially smoothed non-zero demand size, ``p`` = smoothed interval (in
    observed days) between demands, both updated only on demand days with the same alpha.
    Initialisation: ``z`` = first demand, ``p`` = observed days up to and including it.
    """
    return croston_sba(y, censored, horizon, origins=origins, alphas=alphas)[0]


def sba(y, censored=None, horizon=28, *, origins=None, alphas=CROSTON_ALPHAS):
    """Syntetos-Boylan approximation: Croston's ``z / p`` times ``(1 - alpha / 2)``.

    Alpha is grid-searched on SBA's own in-sample one-step error.
    """
    return croston_sba(y, censored, horizon, origins=origins, alphas=alphas)[1]


def tsb(y, censored=None, horizon=28, *, origins=None, alphas=TSB_ALPHAS, betas=TSB_BETAS):
    """Teunter-Syntetos-Babai: flat forecast ``pr * z``.

    ``pr`` (probability of a demand day) is updated on every observed day,
    ``pr += beta (1[y>0] - pr)``; ``z`` (size) on demand days, ``z += alpha (y - z)``.
    Initialisation at the first demand: ``z = y``, ``pr = 1 / observed days so far``.
    The ``(alpha, beta)`` pair is grid-searched on in-sample one-step error.
    """
    Y, was_1d = prepare(y, censored)
    orig, multi = resolve_origins(origins, Y.shape[1])
    grid = np.array([(a, b) for a in alphas for b in betas], dtype=float)
    a, b = grid[:, 0][None, :], grid[:, 1][None, :]
    n_s = Y.shape[0]
    size = np.full((n_s, grid.shape[0]), np.nan)
    prob = np.full_like(size, np.nan)
    since = np.zeros((n_s, 1))
    sse = np.zeros_like(size)
    out = np.empty((len(orig), n_s, horizon))
    snaps = snapshots(orig)
    obs = ~np.isnan(Y)
    for t in range(int(orig.max())):
        yt, ok = Y[:, t : t + 1], obs[:, t : t + 1]
        if ok.any():
            fc = prob * size
            err = yt - fc
            sse += np.where(ok & ~np.isnan(fc), err * err, 0.0)
            since = since + ok
            dem = ok & (yt > 0)
            first = dem & np.isnan(size)
            size = np.where(dem, np.where(first, yt, size + a * (yt - size)), size)
            prob = np.where(ok & ~np.isnan(prob), prob + b * (dem - prob), prob)
            with np.errstate(divide="ignore"):
                prob = np.where(first, 1.0 / np.maximum(since, 1.0), prob)
            since = np.where(dem, 0.0, since)
        for i in snaps.get(t + 1, ()):
            out[i] = pick(prob * size, sse)[:, None]
    return finish(out, was_1d, multi)

"""Vectorised numpy models behind :func:`forecasting.forecast` (any frequency).

Layout: ``Y`` is (series x periods), NaN = not observed (before a series' first row, a
NaN ``y``, a censored day). Every model here has the signature::

    model(Y, origins, horizon, season) -> (len(origins), series, horizon) array

and computes the forecasts of all origins (cut-offs: fit on periods ``[0, o)``) in ONE
pass over the periods, snapshotting its state at each origin - identical to refitting on
the truncated history. Nothing is clipped here (negative values are kept for additive
models; :mod:`forecasting.api` clips). Parameters are chosen per series and per origin
from a grid, using only data before the origin.

ETS (:func:`ets`): every combination of trend none / additive / damped and season none /
additive / multiplicative over a grid of smoothing parameters runs simultaneously (grid
columns x series); error additive or multiplicative only changes the likelihood (the
point recursions are identical), so each column gives two candidates. Per series the
candidate with the lowest AICc wins, as in AutoETS (``k`` = smoothing parameters +
initial states). Multiplicative error / season only for series whose observed values
are all > 0. Numerical guards (slow, lumpy series): multiplicative divisors are floored
at FLOOR_FRACTION x the mean |y| seen so far, multiplicative seasonal factors stay in
SEASON_BAND, and a column whose state or forecast leaves +-PATH_LIMIT x the largest |y|
seen so far is rejected (infinite AICc), so every state and forecast is finite.
"""

from __future__ import annotations

import numpy as np

from ._arrays import first_observed, nanmean, prefix_sums, snapshots, window_mean

FULL_GRID = {
    "alpha": (0.02, 0.08, 0.2, 0.4, 0.7, 0.95),
    "beta": (0.005, 0.03, 0.12),
    "gamma": (0.01, 0.05, 0.2),
    "phi": (0.9, 0.98),
}
FAST_GRID = {"alpha": (0.05, 0.2, 0.5), "beta": (0.01, 0.05), "gamma": (0.02, 0.1), "phi": (0.95,)}
INIT_SEASONS = 6
STATE_WEIGHT = 1.0  # initial states count as parameters in AICc
# numerical guards (see :func:`ets`): a parameter set whose level / trend / seasonal state
# or forecast leaves +-PATH_LIMIT x the largest |y| seen so far is rejected (infinite
# AICc); divisions by a multiplicative level use max(level, FLOOR_FRACTION x mean |y|);
# multiplicative seasonal factors are kept in SEASON_BAND
PATH_LIMIT = 10.0
FLOOR_FRACTION = 1e-3
SEASON_BAND = (0.01, 25.0)
SES_ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)


def _out(origins, n, horizon):
    return np.full((len(origins), n, horizon), np.nan)


def naive(Y, origins, horizon, season=1):
    """Last observed value."""
    out = _out(origins, Y.shape[0], horizon)
    obs = ~np.isnan(Y)
    idx = np.where(obs, np.arange(Y.shape[1])[None, :], -1)
    last = np.maximum.accumulate(idx, axis=1)
    rows = np.arange(Y.shape[0])
    for i, o in enumerate(origins):
        j = last[:, o - 1]
        out[i] = np.where(j >= 0, Y[rows, np.clip(j, 0, None)], np.nan)[:, None]
    return out


def seasonal_naive(Y, origins, horizon, season=7, lookback=8):
    """Each future period repeats the last observed value of the same phase (up to
    ``lookback`` seasons back); phases never observed fall back to the last value."""
    if season <= 1:
        return naive(Y, origins, horizon)
    n = Y.shape[0]
    out = _out(origins, n, horizon)
    fb = naive(Y, origins, 1)
    width = lookback * season
    for i, o in enumerate(origins):
        win = np.full((n, width), np.nan)
        take = min(width, o)
        win[:, width - take :] = Y[:, o - take : o]
        blocks = win.reshape(n, lookback, season)
        valid = ~np.isnan(blocks)
        last = np.where(valid, np.arange(lookback)[None, :, None], -1).max(axis=1)
        vals = np.take_along_axis(blocks, np.clip(last, 0, None)[:, None, :], axis=1)[:, 0]
        vals = np.where(last >= 0, vals, fb[i])
        # width is a multiple of season, so block column j has the phase of o + j
        out[i] = vals[:, np.arange(horizon) % season]
    return out


def moving_average(Y, origins, horizon, season=7, window=None):
    """Mean of the observed values among the last ``window`` periods (default: 28 for
    daily data, else the season length, at least 3); all history when none observed."""
    window = window or (28 if season == 7 else max(season, 3))
    cs, cn = prefix_sums(Y)
    out = _out(origins, Y.shape[0], horizon)
    for i, o in enumerate(origins):
        level = window_mean(cs, cn, o - window, o)
        out[i] = np.where(np.isnan(level), window_mean(cs, cn, 0, o), level)[:, None]
    return out


def _configs(grid, season, positive_any, trends=("N", "A", "Ad")):
    """List of (trend, season_kind, alpha, beta, gamma, phi)."""
    out = []
    seasons = ["N"] + (["A"] + (["M"] if positive_any else []) if season > 1 else [])
    for s in seasons:
        for trend in trends:
            for a in grid["alpha"]:
                for b in grid["beta"] if trend != "N" else (0.0,):
                    if b > a:
                        continue
                    for g in grid["gamma"] if s != "N" else (0.0,):
                        if g > 1 - a:
                            continue
                        for phi in grid["phi"] if trend == "Ad" else (1.0,):
                            out.append((trend, s, a, b, g, phi))
    return out


def _init_states(Y, first, limit, season):
    """Initial level, trend and additive / multiplicative seasonal indices per series
    from up to the first INIT_SEASONS seasons (at least 6 periods) after its first
    observation, never past ``limit`` (the earliest origin); also (series x 2) max |y| and
    mean |y| of that window (the scale of the numerical guards)."""
    n, T = Y.shape
    m = max(season, 1)
    n_init = max(INIT_SEASONS * m, 6) if m > 1 else 6
    rows = np.arange(n)
    idx = first[:, None] + np.arange(n_init)[None, :]
    inside = idx < np.minimum(limit, T)
    vals = np.where(inside, Y[rows[:, None], np.clip(idx, 0, T - 1)], np.nan)
    level0 = nanmean(vals, axis=1)
    absv = np.abs(np.where(np.isnan(vals), 0.0, vals))
    scale0 = np.column_stack([absv.max(axis=1), np.nan_to_num(nanmean(np.abs(vals), 1))])
    half = n_init // 2
    with np.errstate(invalid="ignore"):
        trend0 = (nanmean(vals[:, half:], 1) - nanmean(vals[:, :half], 1)) / max(half, 1)
    trend0 = np.nan_to_num(trend0)
    add = np.zeros((m, n))
    mul = np.ones((m, n))
    if m > 1:
        sums = np.zeros((n, m))
        cnt = np.zeros((n, m))
        ok = ~np.isnan(vals)
        centre = (n_init - 1) / 2.0
        for j in range(n_init):
            ph = idx[:, j] % m
            detr = vals[:, j] - trend0 * (j - centre)
            sums[rows, ph] += np.where(ok[:, j], detr, 0.0)
            cnt[rows, ph] += ok[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(cnt > 0, sums / np.maximum(cnt, 1), level0[:, None])
            a = means - level0[:, None]
            a = a - a.mean(axis=1, keepdims=True)
            r = np.where(level0[:, None] > 0, means / level0[:, None], 1.0)
            r = r / np.where(r.mean(axis=1, keepdims=True) > 0, r.mean(axis=1, keepdims=True), 1)
        add = np.nan_to_num(a).T
        mul = np.where(np.isfinite(r) & (r > 0), np.clip(r, *SEASON_BAND), 1.0).T
    return level0, trend0, add, mul, scale0


def ets(Y, origins, horizon, season=7, grid=None, with_ses=False, trends=("N", "A", "Ad")):
    """Auto ETS over a parameter grid (see module docstring). Returns forecasts, and with
    ``with_ses`` also the simple-exponential-smoothing forecasts (the best no-trend /
    no-season column by SSE) from the same pass, and the per-series chosen labels of the
    last origin (e.g. 'MAdM'). ``trends`` restricts the trend types (intermittent series
    use ('N',) only)."""
    grid = grid or FULL_GRID
    n, T = Y.shape
    m = season if season > 1 else 1
    origins = [int(o) for o in origins]
    first = first_observed(Y)
    with np.errstate(invalid="ignore"):
        positive = np.where(np.isnan(Y), 1.0, Y).min(axis=1) > 0
    cfg = _configs(grid, m, bool(positive.any()), trends)
    K = len(cfg)
    trend = np.array([c[0] for c in cfg])
    skind = np.array([c[1] for c in cfg])
    a = np.array([c[2] for c in cfg])[None, :]
    b_ = np.array([c[3] for c in cfg])[None, :]
    g = np.array([c[4] for c in cfg])[None, :]
    phi = np.array([c[5] for c in cfg])[None, :]
    has_trend = (trend != "N")[None, :]
    smul = (skind == "M")[None, :]
    sany = skind != "N"
    n_par = (
        1
        + (trend != "N")
        + (trend == "Ad")
        + sany
        + STATE_WEIGHT * (1 + (trend != "N") + sany * (m - 1))
    ).astype(float)[None, :]
    level0, trend0, add0, mul0, scale0 = _init_states(Y, first, min(origins), m)
    level = np.full((n, K), np.nan)
    slope = np.zeros((n, K))
    S = np.where(smul[None], mul0[:, :, None], np.where(sany[None, None, :], add0[:, :, None], 0.0))
    sse = np.zeros((n, K))
    sser = np.zeros((n, K))
    slog = np.zeros((n, K))
    bad = np.zeros((n, K), dtype=bool)  # multiplicative likelihood undefined (mu <= 0)
    wild = np.zeros((n, K), dtype=bool)  # path left the sane range: column rejected
    nobs = np.zeros((n, 1))
    # causal scale of each series for the guards: max |y| and mean |y| seen so far (the
    # initial-state window counts from the start: it never passes the first origin)
    ymax = scale0[:, :1].copy()
    abs_sum = np.zeros((n, 1))
    abs_cnt = np.zeros((n, 1))
    out = _out(origins, n, horizon)
    ses_out = _out(origins, n, horizon) if with_ses else None
    labels = np.full(n, "", dtype=object)
    snaps = snapshots(np.asarray(origins))
    starts: dict[int, list[int]] = {}
    for r, f in enumerate(first.tolist()):
        if f < T:
            starts.setdefault(f, []).append(r)
    obs = ~np.isnan(Y)
    ses_cols = np.flatnonzero((trend == "N") & (skind == "N"))
    rows = np.arange(n)
    s_lo, s_hi = SEASON_BAND
    for t in range(max(origins)):
        if t in starts:
            r = np.array(starts[t])  # type: ignore[assignment]  # the rows starting at t
            level[r] = level0[r, None]
            slope[r] = np.where(has_trend, trend0[r, None], 0.0)
        yt = Y[:, t : t + 1]
        okt = obs[:, t : t + 1]
        y_abs = np.where(okt, np.abs(np.where(okt, yt, 0.0)), 0.0)
        abs_sum += y_abs
        abs_cnt += okt
        mean_abs = np.where(abs_cnt > 0, abs_sum / np.maximum(abs_cnt, 1), scale0[:, 1:])
        floor = FLOOR_FRACTION * np.maximum(np.maximum(mean_abs, scale0[:, 1:]), 1e-6)
        p = t % m
        s = S[p]
        base = level + phi * slope
        base_m = np.maximum(base, floor)  # divisor of multiplicative columns
        mu = np.where(smul, base_m * s, base + s)
        ok = okt & ~np.isnan(level)
        err = np.where(ok, yt - mu, 0.0)
        sse += err * err
        pos_mu = mu > 0
        mu_d = np.maximum(mu, floor)
        rel = err / mu_d
        bad |= ok & ~pos_mu
        sser += np.where(ok & pos_mu, rel * rel, 0.0)
        slog += np.where(ok & pos_mu, np.log(mu_d), 0.0)
        e_l = np.where(smul, err / np.where(smul, s, 1.0), err)
        S[p] = np.where(
            ok, np.where(smul, np.clip(s + g * err / base_m, s_lo, s_hi), s + g * err), s
        )
        nobs += ok[:, :1]
        level = base + a * e_l
        slope = phi * slope + b_ * e_l
        ymax = np.maximum(ymax, y_abs)
        lim = PATH_LIMIT * ymax
        with np.errstate(invalid="ignore"):
            out_of_range = (
                (np.abs(level) > lim)
                | (np.abs(slope) > lim)
                | (np.abs(S[p]) > np.where(smul, np.inf, lim))
            )
        if out_of_range.any():  # reject, and freeze the state so nothing overflows
            wild |= out_of_range
            level = np.where(wild, np.clip(level, -lim, lim), level)
            slope = np.where(wild, 0.0, slope)
            S[p] = np.where(wild & ~smul, np.clip(S[p], -lim, lim), S[p])
        for i in snaps.get(t + 1, ()):
            o = t + 1
            nn = nobs
            with np.errstate(invalid="ignore", divide="ignore"):
                pen = 2 * n_par + 2 * n_par * (n_par + 1) / np.maximum(nn - n_par - 1, 1e-9)
                aic_a = nn * np.log(np.maximum(sse, 1e-12) / np.maximum(nn, 1)) + pen
                aic_m = nn * np.log(np.maximum(sser, 1e-12) / np.maximum(nn, 1)) + 2 * slog + pen
            fine = (nn - n_par - 1 > 0) & ~wild
            aic_a = np.where(fine & np.isfinite(aic_a), aic_a, np.inf)
            pos_row = positive[:, None]
            aic_m = np.where(fine & pos_row & ~bad & np.isfinite(aic_m), aic_m, np.inf)
            aic_a = np.where(smul & ~pos_row, np.inf, aic_a)
            both = np.concatenate([aic_a, aic_m], axis=1)
            cap = PATH_LIMIT * ymax[:, 0]
            for _ in range(8):  # a chosen column whose forecast leaves the range is rejected
                best = np.argmin(both, axis=1)
                none_ok = ~np.isfinite(both[rows, best])
                col = np.where(none_ok, int(ses_cols[0]) if len(ses_cols) else 0, best % K)
                path = _ets_path(level, slope, S, phi, smul, col, o, horizon, m)
                with np.errstate(invalid="ignore"):
                    off = ~none_ok & ~(np.abs(path) <= cap[:, None]).all(axis=1)
                if not off.any():
                    break
                both[off, best[off] % K] = np.inf
                both[off, best[off] % K + K] = np.inf
            out[i] = path
            none_ok |= off | ~np.isfinite(both[rows, best])  # still out of range: SES
            sc = ses_cols[np.argmin(np.where(wild[:, ses_cols], np.inf, sse[:, ses_cols]), axis=1)]
            if none_ok.any():  # too little data for any AICc: SES by SSE instead
                out[i][none_ok] = level[rows, sc][none_ok, None]
            if with_ses:
                ses_out[i] = level[rows, sc][:, None]  # type: ignore[index]  # set with_ses
            if i == len(origins) - 1:
                err_lab = np.where(best >= K, "M", "A")
                labels = np.array(
                    [f"{e}{trend[c]}{skind[c]}" for e, c in zip(err_lab, col)], dtype=object
                )
                labels[none_ok] = "ANN"
    return out, ses_out, labels


def _ets_path(level, slope, S, phi, smul, col, o, horizon, m):
    """Point forecasts of column ``col`` per series from the state after ``o`` periods."""
    rows = np.arange(level.shape[0])
    lv, sl = level[rows, col], slope[rows, col]
    ph = phi[0, col]
    hs = np.arange(1, horizon + 1)
    damp = np.cumsum(ph[:, None] ** hs[None, :], axis=1)
    base = lv[:, None] + sl[:, None] * damp
    phases = (o + np.arange(horizon)) % m
    seas = S[phases][:, rows, col].T  # (series, horizon)
    mult = smul[0, col][:, None]
    return np.where(mult, base * seas, base + seas)


def ses(Y, origins, horizon, season=1, alphas=SES_ALPHAS):
    """Simple exponential smoothing, alpha per series by in-sample one-step SSE."""
    return _ses_core(Y, origins, horizon, alphas)[0]


def _ses_core(Y, origins, horizon, alphas):
    n = Y.shape[0]
    a = np.asarray(alphas, float)[None, :]
    level = np.full((n, a.shape[1]), np.nan)
    sse = np.zeros_like(level)
    out = _out(origins, n, horizon)
    chosen = np.zeros((len(origins), n))
    snaps = snapshots(np.asarray(origins))
    obs = ~np.isnan(Y)
    rows = np.arange(n)
    for t in range(max(origins)):
        yt, ok = Y[:, t : t + 1], obs[:, t : t + 1]
        err = yt - level
        valid = ok & ~np.isnan(level)
        sse += np.where(valid, err * err, 0.0)
        new = np.where(np.isnan(level), yt, level + a * np.where(valid, err, 0.0))
        level = np.where(ok, new, level)
        for i in snaps.get(t + 1, ()):
            best = np.argmin(sse, axis=1)
            out[i] = level[rows, best][:, None]
            chosen[i] = a[0, best]
    return out, chosen


def seasonal_indices(Y, upto, season):
    """Classical decomposition: multiplicative seasonal indices (series x season) from
    the observed data before ``upto``, used only where seasonality is significant
    (autocorrelation at lag ``season`` above 1.645 sigma, as in the Theta method) and the
    series is positive; 1 elsewhere."""
    n = Y.shape[0]
    idx = np.ones((n, season))
    if season <= 1 or upto < 3 * season:
        return idx
    X = Y[:, :upto]
    mean = nanmean(X, axis=1)
    d = X - mean[:, None]
    d0 = np.nan_to_num(d)
    denom = (d0 * d0).sum(axis=1)
    acf = np.array([(d0[:, k:] * d0[:, :-k]).sum(axis=1) for k in range(1, season + 1)]).T
    with np.errstate(invalid="ignore", divide="ignore"):
        acf = acf / denom[:, None]
        nobs = (~np.isnan(X)).sum(axis=1)
        lim = 1.645 * np.sqrt((1 + 2 * (acf[:, :-1] ** 2).sum(axis=1)) / nobs)
    sig = np.abs(acf[:, -1]) > lim
    phase = np.arange(upto) % season
    sums = np.zeros((n, season))
    cnt = np.zeros((n, season))
    ok = ~np.isnan(X)
    # ratio to a centred moving average would be classical; ratio to the series mean of
    # each season's block is cheaper and close for the short windows used here
    cs, cn = prefix_sums(X)
    for c in range(0, upto - season + 1, season):
        blk = window_mean(cs, cn, c, c + season)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = X[:, c : c + season] / blk[:, None]
        good = ok[:, c : c + season] & np.isfinite(r)
        sums[:, phase[c : c + season]] += np.where(good, r, 0.0)
        cnt[:, phase[c : c + season]] += good
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(cnt > 0, sums / np.maximum(cnt, 1), 1.0)
        r = r / r.mean(axis=1, keepdims=True)
    positive = np.where(np.isnan(X), 1.0, X).min(axis=1) > 0
    use = sig & positive & np.isfinite(r).all(axis=1) & (r > 0).all(axis=1)
    idx[use] = r[use]
    return idx


def theta(Y, origins, horizon, season=1, theta_coef=2.0):
    """Standard Theta method (Assimakopoulos-Nikolopoulos; = SES with drift, Hyndman &
    Billah): deseasonalise (multiplicative classical indices when seasonality is
    significant, estimated before the earliest origin), SES with alpha by in-sample SSE,
    drift = (1 - 1/theta) x OLS slope of the history before the origin, forecast
    ``l + drift * (h - 1 + 1/alpha)``, reseasonalise."""
    n, T = Y.shape
    m = season
    idx = seasonal_indices(Y, min(origins), m) if m > 1 else np.ones((n, 1))
    phase_all = np.arange(T) % max(m, 1)
    D = Y / idx[:, phase_all]
    lev, alpha = _ses_core(D, origins, horizon, SES_ALPHAS[2:])
    out = _out(origins, n, horizon)
    obs = ~np.isnan(D)
    t = np.arange(T, dtype=float)[None, :]
    z = np.where(obs, D, 0.0)
    c_n, c_t = np.cumsum(obs, 1), np.cumsum(obs * t, 1)
    c_tt, c_y, c_ty = np.cumsum(obs * t * t, 1), np.cumsum(z, 1), np.cumsum(z * t, 1)
    hs = np.arange(horizon)[None, :]
    for i, o in enumerate(origins):
        k = o - 1
        nn = c_n[:, k]
        with np.errstate(invalid="ignore", divide="ignore"):
            var = c_tt[:, k] - c_t[:, k] ** 2 / nn
            slope = (c_ty[:, k] - c_t[:, k] * c_y[:, k] / nn) / var
        slope = np.where(np.isfinite(slope) & (nn >= 3), slope, 0.0)
        drift = (1 - 1 / theta_coef) * slope
        fc = lev[i] + drift[:, None] * (hs + 1 / alpha[i][:, None])
        out[i] = fc * idx[:, (o + np.arange(horizon)) % max(m, 1)]
    return out


def adida(Y, origins, horizon, season=1, imapa=False):
    """ADIDA: aggregate into non-overlapping buckets of L periods (L = the series' mean
    inter-demand interval, rounded, 1..12) ending at the origin, SES (alpha 0.1) on the
    bucket sums, forecast = level / L. IMAPA (``imapa=True``) averages that over
    L = 1..the series' L. Negative values are clipped at 0 first."""
    Y = np.where(np.isnan(Y), np.nan, np.clip(Y, 0, None))
    n, T = Y.shape
    out = _out(origins, n, horizon)
    for i, o in enumerate(origins):
        X = Y[:, :o]
        obs = ~np.isnan(X)
        nz = (obs & (X > 0)).sum(axis=1)
        nobs = obs.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            L = np.clip(np.round(nobs / np.maximum(nz, 1)), 1, 12).astype(int)
        levels = sorted(set(range(1, L.max() + 1))) if imapa else sorted(set(L.tolist()))
        acc = np.zeros(n)
        cnt = np.zeros(n)
        for lv in levels:
            rows = (L >= lv) if imapa else (L == lv)
            if not rows.any():
                continue
            nb = o // lv
            if nb < 1:
                continue
            blk = X[rows][:, o - nb * lv : o].reshape(rows.sum(), nb, lv)
            with np.errstate(invalid="ignore"):
                sums = np.where(np.isnan(blk).all(axis=2), np.nan, np.nansum(blk, axis=2))
            lev = _ses_core(sums, [nb], 1, (0.1,))[0][0, :, 0]
            acc[rows] += np.nan_to_num(lev / lv)
            cnt[rows] += np.isfinite(lev)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = np.where(cnt > 0, acc / np.maximum(cnt, 1), np.nan)[:, None]
    return out


def imapa(Y, origins, horizon, season=1):
    """IMAPA: mean of the ADIDA forecasts over aggregation levels 1..L."""
    return adida(Y, origins, horizon, season, imapa=True)

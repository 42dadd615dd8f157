"""``forecast`` and ``cross_validate``: long ``unique_id, ds, y`` in, DataFrames out.

The statsforecast / mlforecast convention, on the vectorised numpy models of
:mod:`forecasting.engine` (ETS family, Theta, naive, seasonal naive, moving average,
SES), :mod:`forecasting.intermittent` (Croston, SBA, TSB), ADIDA / IMAPA and the global
gradient-boosting model, chosen per series by a rolling-origin backtest; small monthly /
quarterly / yearly panels use statsforecast's AutoETS and the ``comb`` of AutoETS,
AutoTheta and AutoARIMA. Every candidate's forecasts are kept finite and within
FORECAST_CAP x the largest |y| of its training window (see :func:`_invalidate_wild`). See
docs/forecasting.md for the rules (frequency handling, windows for short series,
selection, negative and NaN ``y``, intervals, cost).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from . import engine
from ._arrays import nanmean
from .backtest import naive_scale, score
from .classify import INTERMITTENT_CLASSES, classify_demand
from .global_model import global_gbm
from .intermittent import croston_sba, tsb

# simplest first: ties and near-ties go to the earlier name
MODEL_ORDER = (
    "naive",
    "seasonal_naive",
    "moving_average",
    "ses",
    "croston",
    "sba",
    "tsb",
    "adida",
    "imapa",
    "theta",
    "ets",
    "comb",
    "global",
)
FREQUENT_MODELS = ("naive", "seasonal_naive", "moving_average", "ses", "theta", "ets", "global")
SPARSE_MODELS = (
    "moving_average",
    "ses",
    "croston",
    "sba",
    "tsb",
    "adida",
    "imapa",
    "ets",
    "global",
)
ENSEMBLE = "ensemble"
ENSEMBLE_SIZE = 3
ENSEMBLE_TOLERANCE = 0.05  # ensemble kept when its backtest error is within 5 % of the best
SWITCH_MARGIN = 0.10  # a challenger must beat ETS by 10 % (and in every window)
ETS_ANCHOR_SPARSE = True
GLOBAL_MIN_SERIES = 30  # the global model needs daily data and 30 series sharing a
# backtest plan (short series are grouped by their plan)
FAST_GRID_CELLS = 1_500_000  # series x periods above which ETS uses the small grid
SF_SECONDS_PER_OBS = 3e-4  # measured statsforecast AutoETS fit cost per observation
SF_BUDGET_SECONDS = 5.0  # panels cheaper than this use AutoETS for the 'ets' candidate
COMB = "comb"  # small monthly / quarterly / yearly panels: mean of AutoETS,
COMB_PERIODS = ("M", "Q", "Y")  # AutoTheta (and AutoARIMA); not validated for D / W data
ARIMA_MAX_OBS = 300  # AutoARIMA joins the comb for series up to 300 periods ...
ARIMA_SECONDS_PER_OBS = 3e-3  # (measured AutoARIMA cost per observation at <= 300; ~1.4e-2
ARIMA_BUDGET_SECONDS = 10.0  # at 400-700) ... when the panel's estimated cost is <= 10 s
CV_COLUMNS = ["unique_id", "model", "cutoff", "ds", "h", "y", "yhat"]
FORECAST_CAP = 10.0  # a candidate forecasting beyond 10 x the largest |y| of its
# training window (or non-finite) is invalid for that series

_FREQ_HELP = "D, W, W-MON..W-SUN, MS, M/ME, QS, Q/QE, YS, Y/YE"


@dataclass(frozen=True)
class FreqSpec:
    """A supported frequency: pandas period alias, label at period start or end, default
    season length."""

    name: str
    period: str
    label: str
    season: int


def freq_spec(freq) -> FreqSpec:
    """Parse ``freq`` ('D', 'W' / 'W-XXX', 'MS', 'M' / 'ME', 'QS', 'Q' / 'QE', 'YS', 'Y')."""
    f = str(freq).strip().upper()
    if f == "D":
        return FreqSpec("D", "D", "start", 7)
    if f == "W":
        f = "W-SUN"
    if f.startswith("W-") and f[2:] in ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"):
        return FreqSpec(f, f, "end", 52)
    table = {
        "MS": ("M", "start", 12),
        "M": ("M", "end", 12),
        "ME": ("M", "end", 12),
        "QS": ("Q", "start", 4),
        "QS-JAN": ("Q", "start", 4),
        "Q": ("Q", "end", 4),
        "QE": ("Q", "end", 4),
        "Q-DEC": ("Q", "end", 4),
        "QE-DEC": ("Q", "end", 4),
        "YS": ("Y", "start", 1),
        "AS": ("Y", "start", 1),
        "Y": ("Y", "end", 1),
        "YE": ("Y", "end", 1),
        "A": ("Y", "end", 1),
    }
    if f not in table:
        raise ValueError(f"freq: {freq!r} is not a supported frequency (use one of {_FREQ_HELP})")
    p, lab, m = table[f]
    return FreqSpec(f, p, lab, m)


def _labels(spec: FreqSpec, ordinals) -> pd.DatetimeIndex:
    idx = pd.PeriodIndex.from_ordinals(np.asarray(ordinals, dtype=np.int64), freq=spec.period)
    if spec.label == "start":
        return pd.DatetimeIndex(idx.start_time)
    return pd.DatetimeIndex(idx.end_time.normalize())


def _fail_row(col, values, bad, rule):
    i = int(np.flatnonzero(bad)[0])
    raise ValueError(f"{col}: {values[i]!r} {rule} (row {i})")


def validate(history, horizon, freq) -> tuple[pd.DataFrame, FreqSpec]:
    """Check the inputs; return ``(frame with unique_id, ds, y, ordinal, spec)``.

    Rules (each failure is a ``ValueError`` naming column, value and rule; ``row`` is the
    0-based position in ``history``): columns unique_id, ds, y present; horizon a positive
    integer; freq supported; unique_id not null; ds parseable and on the frequency's grid
    (period start for D/MS/QS/YS, the anchor day for W-XXX, period end for M/Q/Y); y
    numeric (NaN allowed = not observed, +-inf not); (unique_id, ds) unique.
    Unsorted rows are accepted and sorted.
    """
    if not isinstance(history, pd.DataFrame):
        raise ValueError(f"history: expected a pandas DataFrame, got {type(history).__name__}")
    missing = [c for c in ("unique_id", "ds", "y") if c not in history.columns]
    if missing:
        raise ValueError(f"history: missing column(s) {missing} (required: unique_id, ds, y)")
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon: {horizon!r} is not a positive integer")
    spec = freq_spec(freq)
    if len(history) == 0:
        return pd.DataFrame(
            {
                "unique_id": [],
                "ds": pd.to_datetime([]),
                "y": [],
                "ordinal": np.array([], dtype=np.int64),
            }
        ), spec
    uid = history["unique_id"].to_numpy()
    if pd.isna(history["unique_id"]).any():
        _fail_row("unique_id", uid, pd.isna(history["unique_id"]).to_numpy(), "is null")
    raw_ds = history["ds"]
    if pd.api.types.is_datetime64_any_dtype(raw_ds):
        ds = pd.to_datetime(raw_ds)
        if getattr(ds.dt, "tz", None) is not None:
            ds = ds.dt.tz_localize(None)
    else:
        ds = pd.to_datetime(raw_ds, errors="coerce", format="mixed")
    bad = ds.isna().to_numpy()
    if bad.any():
        _fail_row("ds", raw_ds.to_numpy(), bad, "is not a date")
    raw_y = history["y"]
    if (
        raw_y.dtype == bool
        or raw_y.dtype == object
        and raw_y.map(lambda v: isinstance(v, bool)).any()
    ):
        _fail_row(
            "y",
            raw_y.to_numpy(),
            raw_y.map(lambda v: isinstance(v, bool)).to_numpy(),
            "is not a number",
        )
    y = pd.to_numeric(raw_y, errors="coerce").astype(float)
    bad = (y.isna() & raw_y.notna()).to_numpy()
    if bad.any():
        _fail_row("y", raw_y.to_numpy(), bad, "is not a number")
    bad = np.isinf(y.to_numpy())
    if bad.any():
        _fail_row("y", raw_y.to_numpy(), bad, "is not finite")
    ordinal = pd.PeriodIndex(ds, freq=spec.period).asi8
    back = _labels(spec, ordinal)
    bad = back.to_numpy() != ds.to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"ds: '{ds.iloc[i]}' is not on the {spec.name!r} grid (row {i}): expected "
            f"'{back[i].date()}' ({'period start' if spec.label == 'start' else 'period end'}"
            f"{'; pass freq W-' + ds.iloc[i].day_name()[:3].upper() if spec.period[0] == 'W' else ''})"
        )
    frame = pd.DataFrame(
        {"unique_id": uid, "ds": ds.to_numpy(), "y": y.to_numpy(), "ordinal": ordinal}
    )
    dup = frame.duplicated(["unique_id", "ordinal"], keep=False).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        n = int(((frame.unique_id == uid[i]) & (frame.ordinal == ordinal[i])).sum())
        raise ValueError(
            f"(unique_id, ds): ({uid[i]!r}, '{ds.iloc[i].date()}') appears {n} "
            f"times (row {i}); each pair must be unique"
        )
    return frame, spec


@dataclass
class Panel:
    """Dense (series x periods) view: ``Y`` NaN before each series' first row and where
    ``y`` was NaN; missing periods in between are 0."""

    ids: np.ndarray
    first_ordinal: int
    Y: np.ndarray
    start: np.ndarray  # first period index of each series


def build_panel(frame: pd.DataFrame, end_ordinal: int | None = None) -> Panel:
    """Pivot validated rows; periods run to ``end_ordinal`` (default: the panel's last)."""
    codes, ids = pd.factorize(frame["unique_id"], sort=True)
    o0 = int(frame["ordinal"].min())
    end = int(frame["ordinal"].max()) if end_ordinal is None else int(end_ordinal)
    T = max(end - o0 + 1, 1)
    pos = frame["ordinal"].to_numpy() - o0
    keep = pos < T
    n = len(ids)
    Y = np.zeros((n, T))
    Y[codes[keep], pos[keep]] = frame["y"].to_numpy()[keep]
    start = np.full(n, T)
    np.minimum.at(start, codes[keep], pos[keep])
    Y[np.arange(T)[None, :] < start[:, None]] = np.nan
    return Panel(np.asarray(ids, dtype=object), o0, Y, start)


def backtest_plan(
    n_obs: int, horizon: int, n_windows: int, step: int | None, min_train: int
) -> tuple[int, int, int]:
    """(backtest horizon, windows, step) for a series with ``n_obs`` periods.

    The last window ends at the last period; windows are ``step`` apart (default: the
    backtest horizon, i.e. non-overlapping) and each must leave ``min_train`` periods of
    training. Default step: backtest horizon ``min(horizon, floor((n_obs - min_train) /
    n_windows))``; if that is < 1, ``n_obs - min_train`` one-period windows (0 = none).
    Explicit step: windows dropped from the oldest until ``n_obs - min_train - (w - 1) *
    step >= 1``, backtest horizon = min(horizon, that).
    """
    room = n_obs - min_train
    if room < 1:
        return 0, 0, 1
    if step is None:
        h = min(horizon, room // n_windows)
        if h >= 1:
            return h, n_windows, h
        return 1, room, 1
    w = n_windows
    while w > 1 and room - (w - 1) * step < 1:
        w -= 1
    h = min(horizon, room - (w - 1) * step)
    return (h, w, step) if h >= 1 else (0, 0, 1)


def min_train_for(season: int) -> int:
    """Periods of training a backtest window needs: 2 seasons (at least 8) up to season
    12, else one season + 2 (weekly data: 54)."""
    return max(2 * season, 8) if season <= 12 else season + 2


@dataclass
class EngineResult:
    """Everything :func:`run_engine` computed (arrays per group of series)."""

    panel: Panel
    spec: FreqSpec
    season: int
    horizon: int
    point: np.ndarray  # series x horizon (selected)
    lo: dict
    hi: dict
    chosen: np.ndarray  # series, model name
    classes: object
    groups: list  # list of dicts (rows, cutoffs, h, A, F, scores)
    nonneg: np.ndarray


def _candidates(sparse, daily, n_series):
    out = {}
    for name in MODEL_ORDER:
        if name == "global" and not (daily and n_series >= GLOBAL_MIN_SERIES):
            continue
        rows = np.zeros(len(sparse), bool)
        if name in FREQUENT_MODELS:
            rows |= ~sparse
        if name in SPARSE_MODELS:
            rows |= sparse
        if rows.any():
            out[name] = rows
    return out


def _run_models(Yg, cut, Hmax, m, sparse, daily, start_date, n_group, fast, use_sf, promo=None):
    """All candidate forecasts for one group: name -> (len(cut), rows, Hmax), NaN for
    rows where the model is not a candidate."""
    n = Yg.shape[0]
    cands = _candidates(sparse, daily, n_group)
    out = {}
    clipped = np.where(np.isnan(Yg), np.nan, np.clip(Yg, 0, None))

    def put(name, rows, arr):
        full = np.full((len(cut), n, Hmax), np.nan)
        full[:, rows] = arr
        out[name] = full

    for name, rows in cands.items():
        if name in out:
            continue
        X = Yg[rows]
        if name == "ets":
            grid = engine.FAST_GRID if fast else engine.FULL_GRID
            fc = np.full((len(cut), len(X), Hmax), np.nan)
            sp = sparse[rows]
            if (~sp).any():
                fc[:, ~sp] = engine.ets(X[~sp], cut, Hmax, m, grid=grid)[0]
                fc_f = fc[:, ~sp]
                if use_sf in ("comb", "arima"):
                    comb = np.full_like(fc_f, np.nan)
                    _statsforecast_ets(X[~sp], cut, Hmax, m, fc_f, comb, use_sf == "arima")
                    full = np.full((len(cut), len(X), Hmax), np.nan)
                    full[:, ~sp] = comb
                    put(COMB, rows, full)
                elif use_sf:
                    _statsforecast_ets(X[~sp], cut, Hmax, m, fc_f)
                fc[:, ~sp] = fc_f
            if sp.any():  # intermittent: level (+ season) only, trend is noise there
                fc[:, sp] = engine.ets(X[sp], cut, Hmax, m, grid=grid, trends=("N",))[0]
            put("ets", rows, fc)
        elif name in ("croston", "sba"):
            c, s = croston_sba(clipped[rows], None, Hmax, origins=cut)
            put("croston", rows, c)
            put("sba", rows, s)
        elif name == "tsb":
            put(name, rows, tsb(clipped[rows], None, Hmax, origins=cut))
        elif name == "global":
            put(
                name,
                rows,
                global_gbm(
                    clipped[rows],
                    None,
                    Hmax,
                    origins=cut,
                    start_date=start_date,
                    promo=None if promo is None else promo[rows],
                ),
            )
        else:
            put(name, rows, getattr(engine, name)(X, cut, Hmax, m))
    return out


def _invalidate_wild(fcs, Yg, run):
    """Numerical safety net for every candidate, in place: a model whose forecast for a
    series is non-finite, or beyond FORECAST_CAP x the largest |y| of the training window
    of that origin, at any origin (backtest windows or the final one), is dropped for
    that series (all its forecasts NaN: not scored, not selectable, not in the ensemble
    or the cv frame). A series with no non-zero value yet may only be forecast 0."""
    A = np.where(np.isnan(Yg), 0.0, np.abs(Yg))
    runmax = np.maximum.accumulate(A, axis=1)  # (series, periods)
    cap = FORECAST_CAP * runmax[:, np.asarray(run) - 1].T  # (origins, series)
    tol = 1e-9 * np.maximum(cap, 1.0)
    for arr in fcs.values():
        with np.errstate(invalid="ignore"):
            wild = np.isinf(arr) | (np.abs(arr) > (cap + tol)[:, :, None])
        drop = wild.any(axis=(0, 2))
        if drop.any():
            arr[:, drop] = np.nan


def _statsforecast_ets(X, cut, Hmax, m, fc, comb=None, arima=False):
    """Small panels (see :func:`run_engine`): replace the grid ETS by statsforecast's
    AutoETS (optimised smoothing parameters and initial states) for series without NaN;
    in place on ``fc`` (origins x series x Hmax). With ``comb`` (same shape), also fill
    it with the mean of AutoETS, AutoTheta and (``arima``) AutoARIMA - the M4-style
    "comb" benchmark; NaN where AutoETS could not run."""
    first = np.argmax(~np.isnan(X), axis=1)
    clean = np.array([not np.isnan(X[r, first[r] :]).any() for r in range(X.shape[0])])
    if not clean.any():
        return
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    sl = m if m <= 24 else 1
    for r in np.flatnonzero(clean):
        long_series = X.shape[1] - first[r] > ARIMA_MAX_OBS
        members = [AutoTheta] + ([AutoARIMA] if arima and not long_series else [])
        for i, o in enumerate(cut):
            y = X[r, first[r] : o]
            if len(y) < 2 * max(m, 2) + 2:
                continue
            try:
                fc[i, r] = AutoETS(season_length=sl).forecast(y=y, h=Hmax)["mean"]
            except Exception:  # noqa: BLE001 - keep the grid ETS forecast
                continue
            if comb is None:
                continue
            parts = [fc[i, r]]
            for model in members:
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")  # statsforecast's ARIMA search
                        f = np.asarray(model(season_length=sl).forecast(y=y, h=Hmax)["mean"], float)
                except Exception:  # noqa: BLE001 - a member that fails is left out
                    continue
                if np.isfinite(f).all():
                    parts.append(f)
            comb[i, r] = np.mean(parts, axis=0)


def _select(scores, names, per_window, sparse):
    """Per series: index into ``names`` of the chosen model (-1 if none scored).

    * Frequent (smooth / erratic) series of small panels: ``comb`` (mean of AutoETS,
      AutoTheta and, for series up to ARIMA_MAX_OBS, AutoARIMA) wherever it was scored;
      no challenger replaces it (validated on 124 series x origins outside the bench
      holdout: every backtest-based switch rule did worse than always keeping comb).
    * Other frequent series: ETS is the default (AICc-selected, like AutoETS). Another
      candidate (the ensemble included) replaces it only with consistent evidence: a
      mean backtest error more than SWITCH_MARGIN lower than ETS's AND a lower error in
      every window. Among those, the lowest mean error.
    * Intermittent / lumpy series (no ETS candidate), or ETS not scored: the ensemble when
      its mean error is within ENSEMBLE_TOLERANCE of the best candidate; otherwise the
      lowest error, exact ties to the simpler model.
    ``per_window``: (windows, series, models) selection errors.
    """
    s = np.where(np.isfinite(scores), scores, np.inf)
    best = s.min(axis=1)
    rank = np.array([MODEL_ORDER.index(x) if x in MODEL_ORDER else len(MODEL_ORDER) for x in names])
    tied = np.isfinite(s) & (s <= best[:, None] + 1e-9 * np.maximum(np.abs(best[:, None]), 1))
    pick = np.argmin(np.where(tied, rank[None, :], 10**6), axis=1)
    if ENSEMBLE in names:
        e = names.index(ENSEMBLE)
        ok = np.isfinite(s[:, e]) & (s[:, e] <= best * (1 + ENSEMBLE_TOLERANCE) + 1e-12)
        pick = np.where(ok, e, pick)
    if "ets" in names:
        rows = np.arange(len(s))
        j = np.full(len(s), names.index("ets"))
        sj = s[rows, j][:, None]
        anchor = (~sparse | ETS_ANCHOR_SPARSE) & np.isfinite(sj[:, 0])
        pw = np.where(np.isfinite(per_window), per_window, np.inf)
        pwj = pw[:, rows, j][:, :, None]
        every = (pw < pwj).all(axis=0)  # (series, models)
        clear = s < sj * (1 - SWITCH_MARGIN) - 1e-12
        challenger = np.where(every & clear, s, np.inf)
        cb = np.argmin(challenger, axis=1)
        has = np.isfinite(challenger[rows, cb])
        pick = np.where(anchor, np.where(has, cb, j), pick)
        if COMB in names:  # comb is kept: no challenger replaces it (see docs)
            c = names.index(COMB)
            pick = np.where(np.isfinite(s[:, c]) & ~sparse, c, pick)
    pick[~np.isfinite(best)] = -1
    return pick


def run_engine(
    frame: pd.DataFrame,
    spec: FreqSpec,
    horizon: int,
    season_length=None,
    levels=(80, 95),
    n_windows: int = 3,
    step: int | None = None,
    end_ordinal: int | None = None,
    selection_metric: str = "auto",
    promo: np.ndarray | None = None,
) -> EngineResult:
    """Build the panel, backtest every candidate per group of series that share a
    backtest plan, select, forecast and put intervals around the selected forecast.

    ``promo``: optional (series x periods + horizon) 0/1 array aligned with the panel
    (rows = sorted unique_id, column 0 = the panel's first period), used by the global
    model as a feature (:func:`forecasting.forecast_demand` passes its promo column)."""
    if n_windows < 1:
        raise ValueError(f"n_windows: {n_windows!r} is not a positive integer")
    if step is not None and (not isinstance(step, (int, np.integer)) or step < 1):
        raise ValueError(f"step: {step!r} is not a positive integer")
    m = int(season_length) if season_length else spec.season
    if m < 1:
        raise ValueError(f"season_length: {season_length!r} is not a positive integer")
    panel = build_panel(frame, end_ordinal)
    Y = panel.Y
    n, T = Y.shape
    with np.errstate(invalid="ignore"):
        # one flag per row (numpy types any(axis=…) as maybe a scalar)
        nonneg: np.ndarray = ~(np.where(np.isnan(Y), 0, Y) < 0).any(axis=1)  # type: ignore[assignment]
    classes = classify_demand(Y)
    sparse = np.isin(classes.demand_class, INTERMITTENT_CLASSES)
    mt = min_train_for(m)
    plans = [backtest_plan(T - s, horizon, n_windows, step, mt) for s in panel.start.tolist()]
    keyed: dict[tuple[int, int, int], list[int]] = {}
    for r, p in enumerate(plans):
        keyed.setdefault(p, []).append(r)
    daily = spec.period == "D"
    fast = n * T > FAST_GRID_CELLS
    # statsforecast AutoETS for the frequent series' 'ets' only if the whole panel's
    # estimated AutoETS cost (observations x fits) stays within SF_BUDGET_SECONDS
    fits = np.array([p[1] + 1 for p in plans], dtype=float)
    n_obs = (T - panel.start).astype(float)
    use_sf: bool | str = (
        SF_SECONDS_PER_OBS * float((n_obs * fits)[~sparse].sum()) <= SF_BUDGET_SECONDS
    )
    short = ~sparse & (n_obs <= ARIMA_MAX_OBS)
    if use_sf and spec.period in COMB_PERIODS:
        use_sf = (
            "arima"
            if ARIMA_SECONDS_PER_OBS * float((n_obs * fits)[short].sum()) <= ARIMA_BUDGET_SECONDS
            else "comb"
        )
    point = np.zeros((n, horizon))
    sigma = np.full((n, horizon), np.nan)
    chosen = np.empty(n, dtype=object)
    groups = []
    base_date = _labels(spec, [panel.first_ordinal])[0]
    for (h, w, st), rows in keyed.items():
        rows = np.array(rows)  # type: ignore[assignment]  # the group's row indices
        c0 = int(panel.start[rows].min()) // m * m
        Yg = Y[rows, c0:]
        Tg = Yg.shape[1]
        cut = [Tg - h - k * st for k in range(w - 1, -1, -1)] if w else []
        run = cut + [Tg]
        Hmax = max(horizon, h)
        start_date = base_date + pd.Timedelta(days=c0) if daily else None
        fcs = _run_models(
            Yg,
            run,
            Hmax,
            m,
            sparse[rows],
            daily,
            start_date,
            len(rows),
            fast,
            use_sf,
            None if promo is None else promo[rows, c0:],
        )
        for arr in fcs.values():
            np.clip(arr, 0, None, out=arr, where=nonneg[rows][None, :, None] & ~np.isnan(arr))
        _invalidate_wild(fcs, Yg, run)
        names = list(fcs)
        A = np.full((w, len(rows), h), np.nan)
        for i, o in enumerate(cut):
            A[i] = Yg[:, o : o + h]
        F = {k: v[:w, :, :h] for k, v in fcs.items()}
        final = {k: v[w, :, :horizon] for k, v in fcs.items()}
        metrics = {}
        if w:
            sc1 = naive_scale(Yg, np.array(cut), season=m if Tg > m else 1)
            sc2 = naive_scale(Yg, np.array(cut), season=m if Tg > m else 1, power=2)
            for k in names:
                metrics[k] = score(F[k], A, sc1, sc2)
            sel = _selection_scores(metrics, names, sparse[rows], selection_metric)
            # ensemble of the best ENSEMBLE_SIZE candidates by backtest
            order = np.argsort(np.where(np.isfinite(sel), sel, np.inf), axis=1)
            top = order[:, :ENSEMBLE_SIZE]
            ok = np.take_along_axis(np.isfinite(sel), top, axis=1)
            stackF = np.stack([F[k] for k in names], axis=0)  # (models, w, s, h)
            stackP = np.stack([final[k] for k in names], axis=0)  # (models, s, H)
            ridx = np.arange(len(rows))
            eF = np.zeros_like(A)
            eP = np.zeros((len(rows), horizon))
            cnt = np.maximum(ok.sum(axis=1), 1)
            for j in range(top.shape[1]):
                wgt = ok[:, j].astype(float)
                eF += (
                    np.nan_to_num(stackF[top[:, j], :, ridx, :].transpose(1, 0, 2))
                    * wgt[None, :, None]
                )
                eP += np.nan_to_num(stackP[top[:, j], ridx, :]) * wgt[:, None]
            eF /= cnt[None, :, None]
            eP /= cnt[:, None]
            eF[:, ok.sum(axis=1) < 2] = np.nan
            F[ENSEMBLE], final[ENSEMBLE] = eF, eP
            metrics[ENSEMBLE] = score(eF, A, sc1, sc2)
            names.append(ENSEMBLE)
            sel = _selection_scores(metrics, names, sparse[rows], selection_metric)
            pick = _select(
                sel,
                names,
                _window_scores(metrics, names, sparse[rows], selection_metric),
                sparse[rows],
            )
        else:
            pick = np.full(len(rows), -1)
        fb = np.where(sparse[rows], "croston", "ses")
        pick_names = np.array(
            [names[p] if p >= 0 else fb[i] for i, p in enumerate(pick)], dtype=object
        )
        for k in set(pick_names):
            sub = pick_names == k
            point[rows[sub]] = np.nan_to_num(final[k][sub])
        # last line of defence (every candidate is already capped): within the cap
        cap = FORECAST_CAP * np.nan_to_num(np.nanmax(np.abs(Yg), axis=1, initial=0.0))
        point[rows] = np.clip(point[rows], -cap[:, None], cap[:, None])
        chosen[rows] = pick_names
        # error growth over the horizon from the selected model's backtest errors
        if w:
            E = np.full((w, len(rows), h), np.nan)
            for k in set(pick_names):
                sub = pick_names == k
                E[:, sub] = A[:, sub] - F[k][:, sub]
            sq = np.where(np.isnan(E), 0.0, E * E).sum(axis=0)
            cn = (~np.isnan(E)).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                sig = np.sqrt(np.cumsum(sq, axis=1) / np.cumsum(cn, axis=1))
            ext = sig[:, -1:] * np.sqrt(np.arange(1, horizon + 1)[None, :] / h)
            sig = np.concatenate([sig, ext[:, h:]], axis=1)[:, :horizon]
            sigma[rows] = sig
        groups.append(
            {
                "rows": rows,
                "c0": c0,
                "cut": cut,
                "h": h,
                "A": A,
                "F": F,
                "metrics": metrics,
                "names": names,
                "chosen": pick_names,
                "final": final,
            }
        )
    # fallback sigma: std of the last 2 seasons (28 days for daily data) x sqrt(h)
    recent = Y[:, -max(2 * m, 28 if daily else 8) :]
    with np.errstate(invalid="ignore"):
        fb_sig = np.sqrt(np.maximum(nanmean(recent**2, 1) - nanmean(recent, 1) ** 2, 0))
    fb_sig = np.nan_to_num(fb_sig)[:, None] * np.sqrt(np.arange(1, horizon + 1))[None, :]
    sigma = np.where(np.isfinite(sigma), sigma, fb_sig)
    lo, hi = {}, {}
    for lv in levels:
        z = norm.ppf(0.5 + float(lv) / 200.0)
        lo[lv] = np.where(nonneg[:, None], np.clip(point - z * sigma, 0, None), point - z * sigma)
        hi[lv] = point + z * sigma
    return EngineResult(panel, spec, m, horizon, point, lo, hi, chosen, classes, groups, nonneg)


def _selection_scores(metrics, names, sparse, selection_metric):
    """(series, models) mean over windows of MASE (RMSSE for intermittent series under
    'auto', where MAE rewards forecasting zero)."""
    if selection_metric not in ("auto", "mase", "rmsse"):
        raise ValueError(f"selection_metric: {selection_metric!r} is not one of auto, mase, rmsse")
    cols = []
    for k in names:
        mase = nanmean(metrics[k]["mase"], axis=0)
        rmsse = nanmean(metrics[k]["rmsse"], axis=0)
        if selection_metric == "auto":
            cols.append(np.where(sparse, rmsse, mase))
        else:
            cols.append(mase if selection_metric == "mase" else rmsse)
    return np.column_stack(cols)


def _window_scores(metrics, names, sparse, selection_metric):
    """(windows, series, models) selection errors per window."""
    cols = []
    for k in names:
        mase, rmsse = metrics[k]["mase"], metrics[k]["rmsse"]
        if selection_metric == "auto":
            cols.append(np.where(sparse[None, :], rmsse, mase))
        else:
            cols.append(mase if selection_metric == "mase" else rmsse)
    return np.stack(cols, axis=2)


def forecast_frame(res: EngineResult, levels=(80, 95)) -> pd.DataFrame:
    """Long forecasts: unique_id, ds, yhat, model, lo_<level>, hi_<level>."""
    p = res.panel
    n, H = res.point.shape
    last = p.first_ordinal + p.Y.shape[1] - 1
    ds = _labels(res.spec, np.arange(last + 1, last + 1 + H))
    out = pd.DataFrame(
        {
            "unique_id": np.repeat(p.ids, H),
            "ds": np.tile(ds.to_numpy(), n),
            "yhat": res.point.reshape(-1),
            "model": np.repeat(res.chosen.astype(str), H),
        }
    )
    for lv in levels:
        out[f"lo_{lv}"] = res.lo[lv].reshape(-1)
        out[f"hi_{lv}"] = res.hi[lv].reshape(-1)
    return out


def cv_frame(res: EngineResult) -> pd.DataFrame:
    """Long backtest rows for every candidate, the ensemble and the 'selected' model."""
    parts = []
    p = res.panel
    for g in res.groups:
        w, h = len(g["cut"]), g["h"]
        if not w:
            continue
        rows = g["rows"]
        cut_ord = p.first_ordinal + g["c0"] + np.array(g["cut"]) - 1
        sel = np.full_like(g["A"], np.nan)
        for name in set(g["chosen"]):
            sub = g["chosen"] == name
            if name in g["F"]:
                sel[:, sub] = g["F"][name][:, sub]
        for name, F in list(g["F"].items()) + [("selected", sel)]:
            ok = np.isfinite(F).any(axis=2)  # (w, series): model ran for that series
            wi, si = np.nonzero(ok)
            if not len(wi):
                continue
            hh = np.tile(np.arange(1, h + 1), len(wi))
            wi_r, si_r = np.repeat(wi, h), np.repeat(si, h)
            ords = cut_ord[wi_r] + hh
            parts.append(
                pd.DataFrame(
                    {
                        "unique_id": p.ids[rows[si_r]],
                        "model": name,
                        "cutoff_ord": cut_ord[wi_r],
                        "ds_ord": ords,
                        "h": hh,
                        "y": g["A"][wi_r, si_r, hh - 1],
                        "yhat": F[wi_r, si_r, hh - 1],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=CV_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    uniq = np.unique(np.concatenate([out.cutoff_ord.unique(), out.ds_ord.unique()]))
    lab = pd.Series(_labels(res.spec, uniq), index=uniq)
    out["cutoff"] = lab.reindex(out.cutoff_ord.to_numpy()).to_numpy()
    out["ds"] = lab.reindex(out.ds_ord.to_numpy()).to_numpy()
    out = out[CV_COLUMNS]
    return out


def forecast(
    history: pd.DataFrame,
    horizon: int,
    freq: str,
    season_length: int | None = None,
    levels=(80, 95),
    return_cv: bool = False,
    n_windows: int = 3,
    step: int | None = None,
):
    """Forecast every series of a long ``unique_id, ds, y`` history ``horizon`` periods.

    ``freq``: 'D', 'W' (= 'W-SUN') or 'W-MON'..'W-SAT', 'MS', 'M' / 'ME' (month end),
    'QS', 'Q' / 'QE', 'YS', 'Y'. ``season_length`` defaults to 7 / 52 / 12 / 4 / 1.
    Missing periods between a series' first row and the panel's last period are 0 at that
    frequency; NaN ``y`` is "not observed" (skipped when fitting and scoring).

    Returns columns ``unique_id, ds, yhat, model, lo_<l>, hi_<l>`` (one row per series and
    future period; ``model`` = the model chosen for the series), or with ``return_cv``
    the tuple ``(forecasts, cross_validate frame)`` from the same backtest.
    """
    frame, spec = validate(history, horizon, freq)
    levels = _check_levels(levels)
    if frame.empty:
        cols = ["unique_id", "ds", "yhat", "model"] + [
            f"{s}_{lv}" for lv in levels for s in ("lo", "hi")
        ]
        empty = pd.DataFrame(columns=cols)
        return (empty, pd.DataFrame(columns=CV_COLUMNS)) if return_cv else empty
    res = run_engine(frame, spec, int(horizon), season_length, levels, n_windows, step)
    fc = forecast_frame(res, levels)
    return (fc, cv_frame(res)) if return_cv else fc


def cross_validate(
    history: pd.DataFrame,
    horizon: int,
    freq: str,
    n_windows: int = 3,
    step: int | None = None,
    season_length: int | None = None,
) -> pd.DataFrame:
    """The rolling-origin backtest behind :func:`forecast`: rows ``unique_id, model,
    cutoff, ds, h, y, yhat`` for every candidate model, the ``ensemble`` and the
    ``selected`` model of each series. ``cutoff`` = last training period. Short series
    get a shorter backtest horizon (see :func:`backtest_plan`), so ``h`` may stop early.
    """
    frame, spec = validate(history, horizon, freq)
    if frame.empty:
        return pd.DataFrame(columns=CV_COLUMNS)
    return cv_frame(run_engine(frame, spec, int(horizon), season_length, (), n_windows, step))


def _check_levels(levels):
    out = []
    for lv in levels or ():
        if not (isinstance(lv, (int, float, np.integer, np.floating)) and 0 < lv < 100):
            raise ValueError(f"levels: {lv!r} is not a number in (0, 100)")
        out.append(int(lv) if float(lv).is_integer() else lv)
    return tuple(out)

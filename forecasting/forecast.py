"""Entry point: ``forecast_demand`` - classify, backtest, select and forecast every series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from ._arrays import as_bool, nanmean
from .backtest import DEFAULT_SELECTION, run_backtest
from .classify import INTERMITTENT_CLASSES, classify_demand

KEYS = ["item_id", "warehouse_id"]
REQUIRED = KEYS + ["date", "demand_qty", "is_stockout"]
MIN_HISTORY_DAYS = 56
RECENT_DAYS = 91
QUANTILES = (0.1, 0.5, 0.9)
FORECAST_COLUMNS = KEYS + ["date", "forecast_qty", "p10", "p50", "p90"]
SERIES_COLUMNS = KEYS + ["demand_class", "adi", "cv2", "chosen_model", "mase", "wape", "bias",
                         "mean_daily_demand", "sigma_daily_demand", "n_days", "rmsse"]
BACKTEST_COLUMNS = KEYS + ["model", "origin", "mase", "wape", "bias", "rmsse"]


@dataclass
class ForecastResult:
    """Output of :func:`forecast_demand` (three tidy DataFrames)."""

    forecasts: pd.DataFrame
    series: pd.DataFrame
    backtest: pd.DataFrame


@dataclass
class _Panel:
    """Dense series x days view of a long history (see :func:`to_panel`)."""

    keys: pd.DataFrame
    start: pd.Timestamp
    as_of: pd.Timestamp
    Y: np.ndarray          # series x days, NaN before a series' first row
    censored: np.ndarray   # stockout days
    promo: np.ndarray | None
    n_days: np.ndarray


def to_panel(history: pd.DataFrame, as_of=None, horizon: int = 0) -> _Panel:
    """Pivot long history into a dense series x days array.

    Missing dates between a series' first row and ``as_of`` are zero demand; duplicate
    rows are summed; negative demand is clipped to 0. Rows after ``as_of`` are ignored
    except for their ``promo`` flag (a planned promotion calendar for the horizon).
    """
    missing = [c for c in REQUIRED if c not in history.columns]
    if missing:
        raise ValueError(f"history is missing columns {missing}")
    if history[KEYS].isna().any().any():
        raise ValueError("item_id / warehouse_id must not be null")
    dates = pd.to_datetime(history["date"]).dt.normalize()
    as_of = dates.max() if as_of is None else pd.Timestamp(as_of).normalize()
    start = dates.min()
    n_d = max(int((as_of - start).days) + 1, 1)
    grouped = history.groupby(KEYS, sort=True)
    code = grouped.ngroup().to_numpy()
    keys = grouped.size().index.to_frame(index=False)[KEYS]
    n_s = len(keys)
    day = (dates - start).dt.days.to_numpy()
    past = day < n_d
    flat = code[past] * n_d + day[past]
    qty = np.clip(pd.to_numeric(history["demand_qty"]).to_numpy(float)[past], 0, None)
    Y = np.bincount(flat, weights=np.nan_to_num(qty), minlength=n_s * n_d).reshape(n_s, n_d)
    so = as_bool(history["is_stockout"])[past]
    cen = np.bincount(flat, weights=so, minlength=n_s * n_d).reshape(n_s, n_d) > 0
    first = pd.Series(day[past]).groupby(code[past]).min()
    s0 = np.full(n_s, n_d)
    s0[first.index.to_numpy()] = first.to_numpy()
    before = np.arange(n_d)[None, :] < s0[:, None]
    Y[before] = np.nan
    cen &= ~before
    promo = None
    if "promo" in history.columns:
        n_p = n_d + horizon
        inside = day < n_p
        p = pd.to_numeric(history["promo"], errors="coerce").fillna(0).to_numpy(float)[inside]
        promo = np.bincount(code[inside] * n_p + day[inside], weights=p,
                            minlength=n_s * n_p).reshape(n_s, n_p).clip(0, 1)
    return _Panel(keys, start, as_of, Y, cen, promo, n_d - s0)


def forecast_demand(history: pd.DataFrame, horizon: int, as_of=None, n_origins: int = 3,
                    selection_metric: str = DEFAULT_SELECTION) -> ForecastResult:
    """Forecast daily demand for every (item_id, warehouse_id) series.

    ``history`` columns: item_id, warehouse_id, date, demand_qty, is_stockout, optional
    promo. Stockout days are censored (excluded from fitting and scoring). Steps:
    classify (Syntetos-Boylan), rolling-origin backtest of the class's candidates at
    ``n_origins`` origins (28-day horizon, 28 days apart), choose per series the candidate
    with the lowest mean error - ``selection_metric`` 'auto' (default: MASE for smooth /
    erratic, RMSSE for intermittent / lumpy, where MAE rewards forecasting zero), 'mase'
    or 'rmsse' - and forecast ``horizon`` days after ``as_of`` (default: last date).

    Series with fewer than 56 days of history skip selection: moving average (smooth /
    erratic) or Croston (intermittent / lumpy); likewise when no candidate could be scored.

    Returns :class:`ForecastResult` with DataFrames

    * ``forecasts``: item_id, warehouse_id, date, forecast_qty, p10, p50, p90 -
      quantiles = forecast + empirical 10/50/90 % quantiles of the chosen model's daily
      backtest residuals (actual - forecast), clipped at 0; without residuals, a normal
      band with the std of recent observed demand;
    * ``series``: item_id, warehouse_id, demand_class, adi, cv2, chosen_model, mase, wape,
      bias (means over origins), mean_daily_demand (observed mean of the last 91 days),
      sigma_daily_demand (RMS of the chosen model's daily backtest errors; std of recent
      demand as fallback), n_days (days since the series' first row), rmsse;
    * ``backtest``: item_id, warehouse_id, model, origin (last training date), mase, wape,
      bias, rmsse - one row per candidate model and origin.
    """
    if horizon < 1:
        raise ValueError("horizon must be >= 1")
    if len(history) == 0:
        return ForecastResult(pd.DataFrame(columns=FORECAST_COLUMNS),
                              pd.DataFrame(columns=SERIES_COLUMNS),
                              pd.DataFrame(columns=BACKTEST_COLUMNS))
    panel = to_panel(history, as_of, horizon)
    Y = np.where(panel.censored, np.nan, panel.Y)
    cls = classify_demand(Y)
    bt = run_backtest(Y, None, cls.demand_class, n_origins=n_origins, start_date=panel.start,
                      promo=panel.promo, final_horizon=horizon,
                      selection_metric=selection_metric)
    sparse = np.isin(cls.demand_class, INTERMITTENT_CLASSES)
    fallback = np.where(sparse, "croston", "moving_average").astype(object)
    chosen = bt.chosen.copy()
    use_fb = (panel.n_days < MIN_HISTORY_DAYS) | np.array([c is None for c in chosen])
    chosen[use_fb] = fallback[use_fb]
    point = np.zeros((len(chosen), horizon))
    for name in set(chosen):
        rows = chosen == name
        point[rows] = bt.final[name][rows]
    resid = bt.residuals(chosen)
    recent = Y[:, -RECENT_DAYS:]
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(nanmean(resid ** 2, axis=1))
        fb_sigma = np.sqrt(np.maximum(nanmean(recent ** 2, 1) - nanmean(recent, 1) ** 2, 0))
    sigma = np.nan_to_num(np.where(np.isnan(sigma), fb_sigma, sigma))
    bands = _bands(point, resid, sigma)
    return ForecastResult(
        _forecast_frame(panel, point, bands, horizon),
        _series_frame(panel, cls, bt, chosen, sigma, nanmean(recent, axis=1)),
        _backtest_frame(panel, bt, cls.demand_class))


def _bands(point, resid, sigma):
    """p10/p50/p90 from empirical residual quantiles (normal fallback), clipped at 0."""
    has = (~np.isnan(resid)).sum(axis=1) >= 10
    out = []
    for q in QUANTILES:
        shift = np.zeros(len(point))
        if has.any():
            shift[has] = np.nanquantile(resid[has], q, axis=1)
        shift[~has] = norm.ppf(q) * sigma[~has]
        out.append(np.clip(point + shift[:, None], 0, None))
    return out


def _forecast_frame(panel, point, bands, horizon):
    """Long forecasts DataFrame."""
    n_s = len(panel.keys)
    dates = pd.date_range(panel.as_of + pd.Timedelta(days=1), periods=horizon, freq="D")
    frame = panel.keys.loc[np.repeat(np.arange(n_s), horizon)].reset_index(drop=True)
    frame["date"] = np.tile(dates.values, n_s)
    frame["forecast_qty"] = point.reshape(-1)
    for name, band in zip(("p10", "p50", "p90"), bands):
        frame[name] = band.reshape(-1)
    return frame


def _series_frame(panel, cls, bt, chosen, sigma, mean_recent):
    """One row per series with class, chosen model and its backtest metrics."""
    frame = panel.keys.copy()
    frame["demand_class"] = cls.demand_class
    frame["adi"] = cls.adi
    frame["cv2"] = cls.cv2
    frame["chosen_model"] = chosen
    for metric in ("mase", "wape", "bias", "rmsse"):
        vals = np.full(len(chosen), np.nan)
        for name in set(chosen):
            rows = chosen == name
            if name in bt.metrics:
                vals[rows] = nanmean(bt.metrics[name][metric][:, rows], axis=0)
        frame[metric] = vals
    frame["mean_daily_demand"] = np.nan_to_num(mean_recent)
    frame["sigma_daily_demand"] = sigma
    frame["n_days"] = panel.n_days.astype(int)
    return frame[SERIES_COLUMNS]


def _backtest_frame(panel, bt, classes):
    """Long backtest metrics for each series' candidate models."""
    from .backtest import CANDIDATES

    parts = []
    n_s = len(panel.keys)
    for name, met in bt.metrics.items():
        rows = np.array([name in CANDIDATES.get(c, ()) for c in classes], dtype=bool)
        for i, o in enumerate(bt.origins.tolist()):
            part = panel.keys[rows].copy()
            part["model"] = name
            part["origin"] = panel.start + pd.Timedelta(days=o - 1)
            for metric in ("mase", "wape", "bias", "rmsse"):
                part[metric] = met[metric][i][rows]
            parts.append(part)
    if not parts or n_s == 0:
        return pd.DataFrame(columns=BACKTEST_COLUMNS)
    return pd.concat(parts, ignore_index=True)

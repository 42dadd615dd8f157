"""Daily item x warehouse demand: ``forecast_demand`` on top of :func:`forecasting.forecast`.

``forecast_demand`` keeps its historical inputs and outputs (see its docstring) but runs
the same engine as ``forecasting.forecast`` / ``forecasting.cross_validate`` with
``unique_id`` = the (item_id, warehouse_id) pair and ``freq='D'``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._arrays import as_bool, nanmean
from .api import CV_COLUMNS, FreqSpec, cv_frame, freq_spec, run_engine

KEYS = ["item_id", "warehouse_id"]
REQUIRED = KEYS + ["date", "demand_qty", "is_stockout"]
RECENT_DAYS = 91
FORECAST_COLUMNS = KEYS + ["date", "forecast_qty", "p10", "p50", "p90"]
SERIES_COLUMNS = KEYS + [
    "demand_class",
    "adi",
    "cv2",
    "chosen_model",
    "mase",
    "wape",
    "bias",
    "mean_daily_demand",
    "sigma_daily_demand",
    "n_days",
    "rmsse",
]
BACKTEST_COLUMNS = KEYS + ["model", "origin", "mase", "wape", "bias", "rmsse"]
DEFAULT_SELECTION = "auto"


@dataclass
class ForecastResult:
    """Output of :func:`forecast_demand` (tidy DataFrames).

    ``cv`` is the :func:`forecasting.cross_validate` frame of the same run (unique_id,
    model, cutoff, ds, h, y, yhat) with item_id and warehouse_id added, so a planner can
    accumulate forecast error over lead time + review."""

    forecasts: pd.DataFrame
    series: pd.DataFrame
    backtest: pd.DataFrame
    cv: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=KEYS + CV_COLUMNS))


@dataclass
class _Panel:
    """Dense series x days view of a long history (see :func:`to_panel`)."""

    keys: pd.DataFrame
    start: pd.Timestamp
    as_of: pd.Timestamp
    Y: np.ndarray  # series x days, NaN before a series' first row
    censored: np.ndarray  # stockout days
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
        promo = (
            np.bincount(code[inside] * n_p + day[inside], weights=p, minlength=n_s * n_p)
            .reshape(n_s, n_p)
            .clip(0, 1)
        )
    return _Panel(keys, start, as_of, Y, cen, promo, n_d - s0)


def forecast_demand(
    history: pd.DataFrame,
    horizon: int,
    as_of=None,
    n_origins: int = 3,
    selection_metric: str = DEFAULT_SELECTION,
) -> ForecastResult:
    """Forecast daily demand for every (item_id, warehouse_id) series.

    ``history`` columns: item_id, warehouse_id, date, demand_qty, is_stockout, optional
    promo (a feature of the global model; rows after ``as_of`` give the planned promo
    calendar of the horizon). Duplicate rows are summed, negative demand
    is clipped to 0, missing days between a series' first row and ``as_of`` (default: last
    date) are zero demand, and **stockout days are censored**: their demand is "not
    observed" (NaN ``y``), so no model fits or scores them.

    Runs :func:`forecasting.api.run_engine` (the engine of ``forecasting.forecast``) with
    freq 'D', ``n_origins`` backtest windows and ``selection_metric`` 'auto' (MASE for
    smooth / erratic series, RMSSE for intermittent / lumpy), 'mase' or 'rmsse'.

    Returns :class:`ForecastResult` with

    * ``forecasts``: item_id, warehouse_id, date, forecast_qty, p10, p50, p90 (p50 = the
      point forecast, p10 / p90 = the 80 % interval of ``forecast``, clipped at 0);
    * ``series``: item_id, warehouse_id, demand_class, adi, cv2, chosen_model, mase, wape,
      bias, rmsse (means over backtest windows of the chosen model), mean_daily_demand
      (observed mean of the last 91 days), sigma_daily_demand (RMS of the chosen model's
      daily backtest errors; std of recent demand when there is no backtest), n_days;
    * ``backtest``: item_id, warehouse_id, model, origin (last training date), mase, wape,
      bias, rmsse - one row per candidate model (and the ensemble) and window;
    * ``cv``: the cross_validate rows with item_id and warehouse_id.
    """
    if horizon < 1:
        raise ValueError("horizon must be >= 1")
    if len(history) == 0:
        return ForecastResult(
            pd.DataFrame(columns=FORECAST_COLUMNS),
            pd.DataFrame(columns=SERIES_COLUMNS),
            pd.DataFrame(columns=BACKTEST_COLUMNS),
        )
    panel = to_panel(history, as_of, int(horizon))
    keys = panel.keys
    n, T = panel.Y.shape
    Y = np.where(panel.censored, np.nan, panel.Y)
    spec: FreqSpec = freq_spec("D")
    first_ord = pd.Period(panel.start, freq="D").ordinal
    ii, tt = np.nonzero(~np.isnan(panel.Y))  # every row since the series' first row
    empty = np.setdiff1d(np.arange(n), ii)  # no row up to as_of: one unobserved day
    ii, tt = np.concatenate([ii, empty]), np.concatenate([tt, np.full(len(empty), T - 1)])
    frame = pd.DataFrame({"unique_id": ii, "ordinal": first_ord + tt, "y": Y[ii, tt]})
    res = run_engine(
        frame,
        spec,
        int(horizon),
        None,
        (80,),
        n_origins,
        None,
        end_ordinal=first_ord + T - 1,
        selection_metric=selection_metric,
        promo=panel.promo,
    )
    # the engine's panel rows are the sorted unique_ids 0..n-1 = rows of ``keys``
    fc = keys.loc[np.repeat(np.arange(n), horizon)].reset_index(drop=True)
    dates = pd.date_range(panel.as_of + pd.Timedelta(days=1), periods=horizon, freq="D")
    fc["date"] = np.tile(dates.values, n)
    fc["forecast_qty"] = np.clip(res.point, 0, None).reshape(-1)
    fc["p10"] = np.clip(res.lo[80], 0, None).reshape(-1)
    fc["p50"] = fc["forecast_qty"]
    fc["p90"] = np.clip(res.hi[80], 0, None).reshape(-1)
    series, backtest = _series_and_backtest(res, keys, Y, panel.n_days)
    cv = cv_frame(res)
    codes = cv["unique_id"].to_numpy(dtype=int)
    cv.insert(0, "warehouse_id", keys["warehouse_id"].to_numpy()[codes])
    cv.insert(0, "item_id", keys["item_id"].to_numpy()[codes])
    return ForecastResult(fc, series, backtest, cv)


def _series_and_backtest(res, keys, Y, n_days):
    n = len(keys)
    cls = res.classes
    frame = keys.copy()
    frame["demand_class"] = cls.demand_class
    frame["adi"] = cls.adi
    frame["cv2"] = cls.cv2
    frame["chosen_model"] = res.chosen
    mets = {k: np.full(n, np.nan) for k in ("mase", "wape", "bias", "rmsse")}
    sigma = np.full(n, np.nan)
    parts = []
    for g in res.groups:
        rows = g["rows"]
        if not len(g["cut"]):
            continue
        origin = pd.Period(ordinal=res.panel.first_ordinal, freq="D").start_time
        for name in set(g["chosen"]):
            sub = g["chosen"] == name
            if name not in g["metrics"]:
                continue
            for k in mets:
                mets[k][rows[sub]] = nanmean(g["metrics"][name][k][:, sub], axis=0)
            e = (g["A"][:, sub] - g["F"][name][:, sub]).transpose(1, 0, 2).reshape(sub.sum(), -1)
            sigma[rows[sub]] = np.sqrt(nanmean(e * e, axis=1))
        for name, met in g["metrics"].items():
            ran = np.isfinite(g["F"][name]).any(axis=(0, 2))
            for i, o in enumerate(g["cut"]):
                part = keys.iloc[rows[ran]].copy()
                part["model"] = name
                part["origin"] = origin + pd.Timedelta(days=g["c0"] + o - 1)
                for k in mets:
                    part[k] = met[k][i][ran]
                parts.append(part)
    recent = Y[:, -RECENT_DAYS:]
    with np.errstate(invalid="ignore"):
        fb = np.sqrt(np.maximum(nanmean(recent**2, 1) - nanmean(recent, 1) ** 2, 0))
    sigma = np.nan_to_num(np.where(np.isnan(sigma), fb, sigma))
    for k, v in mets.items():
        frame[k] = v
    frame["mean_daily_demand"] = np.nan_to_num(nanmean(recent, axis=1))
    frame["sigma_daily_demand"] = sigma
    frame["n_days"] = n_days.astype(int)
    bt = (
        pd.concat(parts, ignore_index=True)[BACKTEST_COLUMNS]
        if parts
        else pd.DataFrame(columns=BACKTEST_COLUMNS)
    )
    return frame[SERIES_COLUMNS], bt

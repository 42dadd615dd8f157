"""Rolling-origin backtest, error metrics and per-series model selection.

Origins are cut-offs ``o`` (train on days ``[0, o)``, score days ``[o, o + 28)``), spaced
28 days apart and ending at the last day of history. Censored days are never scored.

Metrics per series, model and origin (``e = forecast - actual`` on scored days):

* MASE = mean|e| / in-sample MAE of the weekly seasonal naive (``|y_t - y_{t-7}|`` on
  days before the origin, both days observed). If that MAE is 0 (e.g. a perfectly
  repeating series) the in-sample mean |y| is used instead, and 1 if that is 0 too.
* RMSSE = sqrt(mean e^2 / in-sample mean (y_t - y_{t-7})^2), same fallbacks.
* WAPE = sum|e| / sum(actual); bias = sum(e) / sum(actual) (NaN when sum(actual) = 0).

Selection: among the candidates of the series' demand class, the lowest mean over the
origins of the selection metric - by default ('auto') MASE for smooth / erratic series
and RMSSE for intermittent / lumpy ones (MAE is minimised by forecasting zero there, so
MASE rewards under-forecasting); 'mase' / 'rmsse' force one metric. Ties (within 1e-9
relative) go to the simpler model in :data:`MODEL_ORDER`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._arrays import nanmean, prepare
from .intermittent import croston_sba
from .models import MODELS

BACKTEST_HORIZON = 28
ORIGIN_STEP = 28
MODEL_ORDER = tuple(MODELS)  # simplest first
_FREQUENT = ("seasonal_naive", "moving_average", "ses", "holt_winters", "global")
_SPARSE = ("croston", "sba", "tsb", "moving_average", "global")
DEFAULT_SELECTION = "auto"
CANDIDATES = {"smooth": _FREQUENT, "erratic": _FREQUENT, "intermittent": _SPARSE, "lumpy": _SPARSE}


def make_origins(
    n_days: int,
    n_origins: int = 3,
    horizon: int = BACKTEST_HORIZON,
    step: int = ORIGIN_STEP,
    min_train: int = 14,
) -> np.ndarray:
    """Cut-offs ``n_days - horizon - k * step`` (k = n_origins-1 .. 0), keeping those with
    at least ``min_train`` days of training data. Ascending."""
    orig = [n_days - horizon - k * step for k in range(n_origins - 1, -1, -1)]
    return np.array([o for o in orig if o >= min_train], dtype=int)


def naive_scale(Y: np.ndarray, origins: np.ndarray, season: int = 7, power: int = 1) -> np.ndarray:
    """Scale denominators, shape (origins, series): in-sample mean of
    ``|y_t - y_{t-7}| ** power`` (power 1: MASE, 2: RMSSE before the square root).
    Fallbacks when it is 0: mean ``|y| ** power``, then 1."""
    diff = np.abs(Y[:, season:] - Y[:, :-season]) ** power
    ok = ~np.isnan(diff)
    cs = np.concatenate([np.zeros((Y.shape[0], 1)), np.cumsum(np.where(ok, diff, 0), 1)], 1)
    cn = np.concatenate([np.zeros((Y.shape[0], 1)), np.cumsum(ok, 1)], 1)
    out = np.empty((len(origins), Y.shape[0]))
    for i, o in enumerate(origins.tolist()):
        k = max(o - season, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mae = np.where(cn[:, k] > 0, cs[:, k] / np.maximum(cn[:, k], 1), np.nan)
        level = nanmean(np.abs(Y[:, :o]) ** power, axis=1)
        mae = np.where(np.isfinite(mae) & (mae > 0), mae, level)
        out[i] = np.where(np.isfinite(mae) & (mae > 0), mae, 1.0)
    return out


def score(
    fc: np.ndarray, actual: np.ndarray, scale: np.ndarray, scale_sq: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """MASE, WAPE, bias (and RMSSE when ``scale_sq`` is given) of forecasts shaped
    (origins x series x horizon); NaN actual = not scored."""
    err = fc - actual
    ok = ~np.isnan(err)
    abs_sum = np.where(ok, np.abs(err), 0).sum(axis=2)
    sq_sum = np.where(ok, err * err, 0).sum(axis=2)
    n = ok.sum(axis=2)
    act = np.where(ok, actual, 0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {
            "mase": np.where(n > 0, abs_sum / np.maximum(n, 1) / scale, np.nan),
            "wape": np.where(act > 0, abs_sum / act, np.nan),
            "bias": np.where(act > 0, np.where(ok, err, 0).sum(axis=2) / act, np.nan),
        }
        if scale_sq is not None:
            out["rmsse"] = np.where(n > 0, np.sqrt(sq_sum / np.maximum(n, 1) / scale_sq), np.nan)
    return out


def select_models(mean_mase: np.ndarray, names, classes) -> np.ndarray:
    """Per series the candidate with the lowest mean MASE (ties -> simpler model).

    ``mean_mase``: (series, models) in the order of ``names``. Series where no candidate
    has a finite score get ``None``.
    """
    names = list(names)
    rank = np.array([MODEL_ORDER.index(n) for n in names])
    allowed = np.zeros(mean_mase.shape, dtype=bool)
    for cls, cands in CANDIDATES.items():
        rows = np.asarray(classes) == cls
        cols = np.isin(names, cands)
        allowed[np.ix_(rows, cols)] = True
    m = np.where(allowed & np.isfinite(mean_mase), mean_mase, np.inf)
    best = m.min(axis=1, keepdims=True)
    tied = np.isfinite(m) & (m <= best + 1e-9 * np.maximum(np.abs(best), 1.0))
    pick = np.argmin(np.where(tied, rank[None, :], np.iinfo(np.int64).max), axis=1)
    out = np.array(names, dtype=object)[pick]
    out[~np.isfinite(best[:, 0])] = None
    return out


@dataclass
class BacktestResult:
    """Arrays from :func:`run_backtest` (origins x series [x horizon]) keyed by model.

    ``mean_mase`` holds the (series x models) mean of the *selection* metric.
    """

    origins: np.ndarray
    names: tuple
    actual: np.ndarray
    forecasts: dict
    metrics: dict
    mean_mase: np.ndarray
    chosen: np.ndarray
    final: dict = field(default_factory=dict)

    def residuals(self, chosen) -> np.ndarray:
        """(series, origins * horizon) of actual - forecast for each series' model."""
        n_s = self.actual.shape[1]
        out = np.full((n_s, self.actual.shape[0] * self.actual.shape[2]), np.nan)
        for name in {c for c in chosen if c in self.forecasts}:
            rows = np.asarray(chosen) == name
            res = self.actual[:, rows] - self.forecasts[name][:, rows]
            out[rows] = res.transpose(1, 0, 2).reshape(rows.sum(), -1)
        return out


def _mean_metric(metrics, names, n_s, classes, selection_metric) -> np.ndarray:
    """(series, models) mean over origins of the selection metric of each series.

    'mase' or 'rmsse' for every series; 'auto' = MASE for smooth/erratic series and RMSSE
    for intermittent/lumpy ones (MAE is minimised by forecasting the median, 0, there).
    """
    if selection_metric not in ("mase", "rmsse", "auto"):
        raise ValueError(f"unknown selection_metric {selection_metric!r}")
    sparse = np.isin(np.asarray(classes, dtype=object), ("intermittent", "lumpy"))
    cols = []
    for n in names:
        if n not in metrics:
            cols.append(np.full(n_s, np.nan))
            continue
        mase = nanmean(metrics[n]["mase"], axis=0)
        rmsse = nanmean(metrics[n]["rmsse"], axis=0)
        if selection_metric == "auto":
            cols.append(np.where(sparse, rmsse, mase))
        else:
            cols.append(mase if selection_metric == "mase" else rmsse)
    return np.column_stack(cols) if cols else np.empty((n_s, 0))


def run_backtest(
    y,
    censored,
    classes,
    *,
    n_origins=3,
    horizon=BACKTEST_HORIZON,
    start_date=None,
    promo=None,
    final_horizon=None,
    models=None,
    selection_metric=DEFAULT_SELECTION,
):
    """Backtest every model at ``n_origins`` rolling origins and pick one per series.

    With ``final_horizon``, the non-global models also forecast from the end of history
    in the same pass (``result.final[name]``, shape series x final_horizon); the global
    model is only refitted on the full history if some series chose it.
    """
    Y, _ = prepare(y, censored)
    n_s, n_d = Y.shape
    names = tuple(models or MODEL_ORDER)
    orig = make_origins(n_d, n_origins, horizon)
    run_orig = list(orig) + ([n_d] if final_horizon else [])
    fh = max(horizon, final_horizon or 0)
    extra = {"start_date": start_date, "promo": promo}
    actual = np.full((len(orig), n_s, horizon), np.nan)
    for i, o in enumerate(orig.tolist()):
        actual[i] = Y[:, o : o + horizon]
    fcs, final, metrics = {}, {}, {}
    scale, scale_sq = naive_scale(Y, orig), naive_scale(Y, orig, power=2)
    shared = {}
    if {"croston", "sba"} <= set(names) and run_orig:
        shared = dict(zip(("croston", "sba"), croston_sba(Y, None, fh, origins=run_orig)))
    for name in names:
        if name == "global":
            if len(orig):
                fcs[name] = MODELS[name](Y, None, horizon, origins=orig, **extra)
        elif run_orig:
            out = shared[name] if name in shared else MODELS[name](Y, None, fh, origins=run_orig)
            fcs[name] = out[: len(orig), :, :horizon]
            if final_horizon:
                final[name] = out[-1, :, :final_horizon]
        if name in fcs:
            metrics[name] = score(fcs[name], actual, scale, scale_sq)
    mean_mase = _mean_metric(metrics, names, n_s, classes, selection_metric)
    chosen = select_models(mean_mase, names, classes)
    if final_horizon and "global" in names and np.any(chosen == "global"):
        final["global"] = MODELS["global"](Y, None, final_horizon, **extra)
    return BacktestResult(orig, names, actual, fcs, metrics, mean_mase, chosen, final)

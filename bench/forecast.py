"""Forecast + planning benchmark on a published warehouse.

    .venv/bin/python bench/forecast.py [data/warehouse.duckdb] [--sample 50]

Times backtest + forecast (forecast_demand), replenishment (plan_replenishment) and the
policy replay (`qm plan simulate --sweep`), and scores the forecasts on a held-out last 8 weeks
(MASE with the in-sample weekly seasonal-naive scale, WAPE; all demand incl. lost) against
the seasonal naive floor. statsforecast AutoETS on a random sample of series is optional
(skipped when statsforecast is not installed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting import forecast_demand, plan_replenishment
from pipelines.planning import REVIEW_PERIOD_DAYS, load_inputs
from pipelines.simulation import simulate, table_text

HOLDOUT = 56
SEASON = 7


def _matrix(frame: pd.DataFrame, keys: pd.DataFrame, dates: pd.DatetimeIndex, col: str):
    """series × days array of `col` (missing days = 0) in the order of `keys`."""
    wide = (
        frame.pivot_table(
            index=["item_id", "warehouse_id"], columns="date", values=col, aggfunc="sum"
        )
        .reindex(columns=dates)
        .fillna(0.0)
    )
    idx = pd.MultiIndex.from_frame(keys)
    return wide.reindex(idx).fillna(0.0).to_numpy(float)


def score(actual: np.ndarray, pred: np.ndarray, train: np.ndarray) -> dict:
    """Mean MASE over series (scale = in-sample seasonal-naive MAE) and pooled WAPE."""
    scale = np.nanmean(np.abs(train[:, SEASON:] - train[:, :-SEASON]), axis=1)
    err = np.abs(actual - pred)
    ok = scale > 0
    return {
        "mase": float(np.mean(err[ok].mean(axis=1) / scale[ok])),
        "wape": float(err.sum() / max(actual.sum(), 1e-9)),
        "bias": float((pred.sum() - actual.sum()) / max(actual.sum(), 1e-9)),
    }


def seasonal_naive(train: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last observed week."""
    last = train[:, -SEASON:]
    return np.tile(last, (1, int(np.ceil(horizon / SEASON))))[:, :horizon]


def autoets(train: np.ndarray, horizon: int, rows: np.ndarray) -> np.ndarray | None:
    """statsforecast AutoETS (weekly season) on the sampled rows (a dependency)."""
    from statsforecast.models import AutoETS

    out = np.zeros((len(rows), horizon))
    for j, r in enumerate(rows):
        try:
            out[j] = AutoETS(season_length=SEASON).forecast(y=train[r], h=horizon)["mean"]
        except Exception:  # noqa: BLE001 - a failing fit scores as seasonal naive
            out[j] = seasonal_naive(train[r : r + 1], horizon)[0]
    return np.clip(out, 0, None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", nargs="?", default="data/warehouse.duckdb")
    ap.add_argument("--sample", type=int, default=50, help="series for AutoETS")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    inputs = load_inputs(args.warehouse)
    hist = inputs["history"]
    end = hist["date"].max()
    cut = end - pd.Timedelta(days=HOLDOUT)
    train_hist = hist[hist["date"] <= cut]
    print(
        f"bench: {args.warehouse}: {len(hist):,} demand rows, history "
        f"{hist['date'].min().date()} → {end.date()}, hold-out {cut.date()} → {end.date()}"
    )

    t = time.perf_counter()
    held = forecast_demand(train_hist, horizon=HOLDOUT, as_of=cut)
    t_fc_holdout = time.perf_counter() - t
    keys = held.series[["item_id", "warehouse_id"]]
    train_dates = pd.date_range(train_hist["date"].min(), cut, freq="D")
    test_dates = pd.date_range(cut + pd.Timedelta(days=1), end, freq="D")
    train = _matrix(train_hist, keys, train_dates, "demand_qty")
    actual = _matrix(hist[hist["date"] > cut], keys, test_dates, "demand_qty")
    pred = _matrix(held.forecasts, keys, test_dates, "forecast_qty")
    ours, naive = score(actual, pred, train), score(actual, seasonal_naive(train, HOLDOUT), train)
    print(
        f"bench: {len(keys)} series; backtest + forecast {t_fc_holdout:.1f} s "
        f"(model mix {held.series['chosen_model'].value_counts().to_dict()})"
    )
    print(
        f"  hold-out 8 weeks  chosen models: MASE {ours['mase']:.3f}  WAPE "
        f"{ours['wape']:.3f}  bias {ours['bias']:+.3f}"
    )
    print(
        f"  floor seasonal naive:          MASE {naive['mase']:.3f}  WAPE "
        f"{naive['wape']:.3f}  bias {naive['bias']:+.3f}"
    )
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(keys), size=min(args.sample, len(keys)), replace=False))
    t = time.perf_counter()
    ets = autoets(train, HOLDOUT, rows)
    if ets is None:
        print("  statsforecast AutoETS: skipped (statsforecast not installed)")
    else:
        sub = score(actual[rows], pred[rows], train[rows])
        e = score(actual[rows], ets, train[rows])
        print(
            f"  AutoETS on {len(rows)} sampled series ({time.perf_counter() - t:.1f} s): "
            f"MASE {e['mase']:.3f} WAPE {e['wape']:.3f} | ours on the same: MASE "
            f"{sub['mase']:.3f} WAPE {sub['wape']:.3f}"
        )

    t = time.perf_counter()
    full = forecast_demand(hist, horizon=28 + REVIEW_PERIOD_DAYS)
    t_fc = time.perf_counter() - t
    t = time.perf_counter()
    table = plan_replenishment(
        full.series,
        full.forecasts,
        inputs["positions"],
        inputs["terms"],
        inputs["abc"],
        review_period_days=REVIEW_PERIOD_DAYS,
    )
    t_plan = time.perf_counter() - t
    n = int((table["suggested_qty"].astype(float) > 0).sum())
    print(f"bench: full forecast {t_fc:.1f} s, replenishment {t_plan:.2f} s ({n} suggestions)")
    t = time.perf_counter()
    result, notes = simulate(args.warehouse)
    t_sim = time.perf_counter() - t
    print(table_text(result, notes))
    print(
        f"  policy replay (reorder rules vs planning, {len(result['planning'])} targets) "
        f"{t_sim:.1f} s"
    )
    print(
        f"bench: done in {time.perf_counter() - t0:.1f} s — MASE {ours['mase']:.3f} vs "
        f"seasonal naive {naive['mase']:.3f}, WAPE {ours['wape']:.3f} vs "
        f"{naive['wape']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

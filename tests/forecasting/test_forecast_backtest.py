"""Backtest, model selection and the forecast_demand entry point."""

import numpy as np
import pandas as pd
import pytest

from forecasting import forecast_demand, select_models
from forecasting.backtest import make_origins, naive_scale, score

PATTERN = np.array([2.0, 4.0, 6.0, 8.0, 10.0, 30.0, 40.0])
START = pd.Timestamp("2024-01-01")


def frame(item, values, stockout=None, start=START, wh="W1"):
    values = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {
            "item_id": item,
            "warehouse_id": wh,
            "date": pd.date_range(start, periods=len(values), freq="D"),
            "demand_qty": values,
            "is_stockout": np.zeros(len(values), bool) if stockout is None else stockout,
        }
    )


@pytest.fixture(scope="module")
def result():
    n = 364
    weekly = np.tile(PATTERN, 60)[:n]
    rng = np.random.default_rng(7)
    inter = np.where(rng.random(n) < 0.25, rng.integers(8, 13, n), 0).astype(float)
    const = np.full(n, 10.0)
    stock = np.zeros(n, bool)
    const[n - 10 : n - 3] = 0.0  # a stockout week near the end, flagged censored
    stock[n - 10 : n - 3] = True
    hist = pd.concat(
        [
            frame("weekly", weekly),
            frame("inter", inter),
            frame("const", const, stock),
            frame("short", np.full(40, 3.0), start=START + pd.Timedelta(days=n - 40)),
        ]
    )
    return forecast_demand(hist, horizon=14)


def _series(res, item):
    return res.series.set_index("item_id").loc[item]


def _fc(res, item):
    return res.forecasts[res.forecasts.item_id == item]["forecast_qty"].to_numpy()


def test_output_columns(result):
    assert list(result.forecasts.columns) == [
        "item_id",
        "warehouse_id",
        "date",
        "forecast_qty",
        "p10",
        "p50",
        "p90",
    ]
    assert list(result.series.columns) == [
        "item_id",
        "warehouse_id",
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
    assert list(result.backtest.columns) == [
        "item_id",
        "warehouse_id",
        "model",
        "origin",
        "mase",
        "wape",
        "bias",
        "rmsse",
    ]
    assert len(result.forecasts) == 4 * 14
    assert result.forecasts.date.min() == START + pd.Timedelta(days=364)
    f = result.forecasts
    assert ((f.p10 <= f.p50) & (f.p50 <= f.p90) & (f.p10 >= 0)).all()


def test_weekly_cycle_picks_seasonal_naive(result):
    s = _series(result, "weekly")
    assert s.demand_class == "erratic"
    # ETS (the default for frequent series) reproduces the cycle exactly, so nothing beats it
    assert s.chosen_model in ("seasonal_naive", "ets")
    assert s.mase == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(_fc(result, "weekly"), np.tile(PATTERN, 60)[364:378], atol=1e-6)


def test_intermittent_series_is_classified_and_forecast_near_its_rate(result):
    s = _series(result, "inter")
    assert s.demand_class == "intermittent"
    assert s.chosen_model in (
        "croston",
        "sba",
        "tsb",
        "adida",
        "imapa",
        "moving_average",
        "ses",
        "ets",
        "global",
        "ensemble",
    )
    assert 1.5 < _fc(result, "inter").mean() < 4.0  # true rate 2.5, recent 28 d: 3.6


def test_intermittent_panel_is_not_under_forecast():
    # formerly "mostly picks the Croston family": the new engine keeps (level-only) ETS as
    # the default for every series unless a challenger wins consistently; the point of the
    # old test - intermittent series must not be starved by a zero-rewarding metric - is
    # checked directly: forecasts stay near each item's true rate p * E[size] = p * 10
    rng = np.random.default_rng(0)
    parts, rate = [], []
    for i in range(30):
        p = rng.uniform(0.1, 0.4)
        rate.append(p * 10)
        parts.append(frame(i, np.where(rng.random(364) < p, rng.integers(5, 16, 364), 0)))
    res = forecast_demand(pd.concat(parts), horizon=7)
    series = res.series
    assert (series.demand_class == "intermittent").all()
    assert series.chosen_model.isin(
        [
            "croston",
            "sba",
            "tsb",
            "adida",
            "imapa",
            "ets",
            "ses",
            "moving_average",
            "global",
            "ensemble",
        ]
    ).all()
    mean_fc = res.forecasts.groupby("item_id").forecast_qty.mean().to_numpy()
    assert 0.85 < mean_fc.sum() / sum(rate) < 1.15


def test_deterministic_intermittent_picks_croston_family_among_local_models():
    from forecasting import run_backtest

    y = np.zeros(364)
    y[4::5] = 10.0  # Croston is exact (2.0); the moving average wobbles 1.79 / 2.14
    bt = run_backtest(
        y[None, :], None, ["intermittent"], models=("moving_average", "croston", "sba", "tsb")
    )
    assert bt.chosen[0] in ("croston", "sba", "tsb")


def test_censored_week_still_forecasts_about_ten(result):
    s = _series(result, "const")
    assert s.demand_class == "smooth"
    np.testing.assert_allclose(_fc(result, "const"), 10.0, rtol=0.01)
    assert s.sigma_daily_demand == pytest.approx(0.0, abs=0.1)


def test_short_history_gets_a_shorter_backtest(result):
    # formerly: < 56 days skipped selection (moving-average fallback); the new engine gives
    # a 40-day series 3 windows of floor((40 - 14) / 3) = 8 days
    s = _series(result, "short")
    assert s.n_days == 40
    bt = result.backtest[result.backtest.item_id == "short"]
    assert bt.origin.nunique() == 3 and len(bt) > 0
    cv = result.cv[result.cv.item_id == "short"]
    assert cv.h.max() == 8
    np.testing.assert_allclose(_fc(result, "short"), 3.0)


def test_backtest_rows_are_candidates_times_origins(result):
    bt = result.backtest
    weekly = bt[bt.item_id == "weekly"]
    frequent = {"naive", "seasonal_naive", "moving_average", "ses", "theta", "ets", "ensemble"}
    assert set(weekly.model) == frequent  # global: only with >= 30 series
    assert len(weekly) == len(frequent) * 3
    assert set(bt[bt.item_id == "inter"].model) == {
        "croston",
        "sba",
        "tsb",
        "adida",
        "imapa",
        "moving_average",
        "ses",
        "ets",
        "ensemble",
    }
    assert weekly.origin.nunique() == 3
    # backtest windows now have the forecast horizon (14 here), not a fixed 28 days
    assert weekly.origin.max() == START + pd.Timedelta(days=364 - 14 - 1)


def test_missing_dates_are_zero_demand_and_as_of_cuts_history():
    dates = pd.date_range(START, periods=200, freq="D")[4::5]  # only demand days present
    hist = pd.DataFrame(
        {"item_id": 1, "warehouse_id": 1, "date": dates, "demand_qty": 10.0, "is_stockout": False}
    )
    res = forecast_demand(hist, horizon=7, as_of=START + pd.Timedelta(days=199))
    s = res.series.iloc[0]
    assert s.demand_class == "intermittent" and s.adi == 5.0
    assert _fc(res, 1).mean() == pytest.approx(2.0, rel=0.15)
    early = forecast_demand(hist, horizon=7, as_of=START + pd.Timedelta(days=99))
    assert early.series.n_days.iloc[0] == 96
    assert early.forecasts.date.min() == START + pd.Timedelta(days=100)


def test_promo_column_is_accepted():
    rng = np.random.default_rng(0)
    parts = []
    for i in range(4):
        promo = rng.random(200) < 0.15
        f = frame(i, rng.poisson(np.where(promo, 20, 5)))
        parts.append(f.assign(promo=promo.astype(int)))
    res = forecast_demand(pd.concat(parts), horizon=7)
    assert len(res.forecasts) == 28 and np.isfinite(res.forecasts.forecast_qty).all()


def test_make_origins_and_naive_scale_fallback():
    assert make_origins(364).tolist() == [280, 308, 336]
    assert make_origins(60).tolist() == [32]
    y = np.tile(PATTERN, 10)[None, :]
    # perfect weekly repeat: naive MAE 0 -> falls back to in-sample mean |y|
    assert naive_scale(y, np.array([70]))[0, 0] == pytest.approx(PATTERN.mean())


def test_score_metrics_by_hand():
    fc = np.array([[[2.0, 2.0, 2.0, 2.0]]])
    actual = np.array([[[1.0, 3.0, np.nan, 4.0]]])  # NaN = censored, not scored
    out = score(fc, actual, np.array([[2.0]]))
    assert out["mase"][0, 0] == pytest.approx((1 + 1 + 2) / 3 / 2)
    assert out["wape"][0, 0] == pytest.approx(4 / 8)
    assert out["bias"][0, 0] == pytest.approx((1 - 1 - 2) / 8)


def test_strict_mase_selection_is_available():
    res = forecast_demand(frame("c", np.full(100, 4.0)), horizon=3, selection_metric="mase")
    assert res.series.chosen_model.iloc[0] == "ets"  # all exact: nothing beats the default
    np.testing.assert_allclose(res.forecasts.forecast_qty, 4.0)
    with pytest.raises(ValueError, match="selection_metric"):
        forecast_demand(frame("c", np.full(100, 4.0)), horizon=3, selection_metric="mae")


def test_selection_tie_goes_to_simpler_model_and_respects_class():
    names = ("seasonal_naive", "moving_average", "croston", "holt_winters")
    mase = np.array([[0.5, 0.5, 0.1, 0.5], [0.9, 0.7, 0.2, 0.6], [np.nan] * 4])
    chosen = select_models(mase, names, ["smooth", "intermittent", "smooth"])
    assert chosen[0] == "seasonal_naive"  # tie with MA/HW; croston not a candidate
    assert chosen[1] == "croston"
    assert chosen[2] is None

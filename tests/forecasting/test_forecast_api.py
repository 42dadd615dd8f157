"""forecasting.forecast / cross_validate: validation, frequencies, models, backtest rules."""

import warnings

import numpy as np
import pandas as pd
import pytest

from forecasting import cross_validate, engine, forecast, forecast_demand

PATTERN = np.array([2.0, 4.0, 6.0, 8.0, 10.0, 30.0, 40.0])


def long(values, freq="D", start="2024-01-01", uid="a"):
    values = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {"unique_id": uid, "ds": pd.date_range(start, periods=len(values), freq=freq), "y": values}
    )


def test_forecast_is_the_function_and_old_names_still_import():
    import forecasting
    from forecasting.daily import ForecastResult, forecast_demand, to_panel  # noqa: F401

    assert callable(forecasting.forecast)
    assert forecasting.forecast_demand is forecast_demand


# ---------------------------------------------------------------- known fits


def test_ses_matches_hand_recursion_and_statsforecast_value():
    y = np.array([3.0, 5, 4, 6, 8, 7, 9, 10, 9, 12])
    level = y[0]
    for v in y[1:]:
        level += 0.3 * (v - level)
    fc = engine.ses(y[None, :], [10], 2, alphas=(0.3,))[0, 0]
    # 9.3118042 is statsforecast's SimpleExponentialSmoothing(alpha=0.3) on the same y
    np.testing.assert_allclose(fc, [level, level])
    np.testing.assert_allclose(fc, 9.3118042, atol=1e-6)


def test_ets_extrapolates_an_exact_linear_trend_and_a_multiplicative_season():
    t = np.arange(60, dtype=float)
    fc, _, labels = engine.ets((5 + 2 * t)[None, :], [60], 6, 1)
    np.testing.assert_allclose(fc[0, 0], 5 + 2 * np.arange(60, 66), rtol=3e-3)
    assert labels[0][1:] in ("AN", "AdN")
    season = np.tile([0.5, 1.0, 1.5, 1.0], 20) * 100
    fc, _, labels = engine.ets(season[None, :], [80], 8, 4)
    np.testing.assert_allclose(fc[0, 0], np.tile([0.5, 1.0, 1.5, 1.0], 2) * 100, rtol=1e-3)
    assert labels[0][-1] in ("A", "M")


def test_one_pass_origins_equal_refitting_on_truncated_history():
    rng = np.random.default_rng(1)
    Y = 20 + rng.normal(0, 3, (3, 120)) + np.tile(PATTERN, 18)[:120][None, :]
    for model in (engine.ets, engine.theta, engine.seasonal_naive, engine.adida):
        many = model(Y, [84, 105, 120], 7, 7)
        many = many[0] if isinstance(many, tuple) else many
        for i, o in enumerate([105, 120]):
            one = model(Y[:, :o], [o], 7, 7)
            one = one[0] if isinstance(one, tuple) else one
            if model is engine.theta:  # seasonal indices come from before the first origin
                continue
            np.testing.assert_allclose(many[i + 1], one[0], atol=1e-9)


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.drop(columns="y"), r"missing column\(s\) \['y'\]"),
        (
            lambda d: d.assign(ds=d.ds.astype(str).where(d.index != 3, "2024-13-01")),
            r"ds: '2024-13-01' is not a date \(row 3\)",
        ),
        (
            lambda d: d.assign(y=d.y.astype(object).where(d.index != 2, "abc")),
            r"y: 'abc' is not a number \(row 2\)",
        ),
        (lambda d: d.assign(y=d.y.where(d.index != 4, np.inf)), r"y: .* is not finite \(row 4\)"),
        (
            lambda d: pd.concat([d, d.iloc[[5]]], ignore_index=True),
            r"\(unique_id, ds\): \('a', '2024-01-06'\) appears 2 times",
        ),
        (
            lambda d: d.assign(unique_id=d.unique_id.where(d.index != 1, None)),
            r"unique_id: None is null \(row 1\)",
        ),
    ],
)
def test_bad_history_raises_value_error_naming_column_value_and_rule(mutate, match):
    with pytest.raises(ValueError, match=match):
        forecast(mutate(long(np.arange(30.0))), 3, "D")


@pytest.mark.parametrize("horizon", [0, -2, 1.5, "3"])
def test_bad_horizon(horizon):
    with pytest.raises(ValueError, match=r"horizon: .* is not a positive integer"):
        forecast(long(np.arange(30.0)), horizon, "D")


def test_unknown_freq_and_off_grid_dates():
    with pytest.raises(ValueError, match=r"freq: 'fortnight' is not a supported frequency"):
        forecast(long(np.arange(30.0)), 3, "fortnight")
    monthly = long(np.arange(30.0), "MS")
    with pytest.raises(
        ValueError,
        match=r"ds: '2024-01-01 00:00:00' is not on the 'M' grid "
        r"\(row 0\): expected '2024-01-31'",
    ):
        forecast(monthly, 3, "M")
    weekly_mondays = long(np.arange(60.0), "W-MON")
    with pytest.raises(ValueError, match="pass freq W-MON"):
        forecast(weekly_mondays, 3, "W")
    assert len(forecast(weekly_mondays, 3, "W-MON")) == 3


def test_unsorted_rows_are_accepted_and_sorted():
    d = long(np.tile(PATTERN, 10))
    shuffled = d.sample(frac=1.0, random_state=0)
    pd.testing.assert_frame_equal(forecast(shuffled, 7, "D"), forecast(d, 7, "D"))


# ---------------------------------------------------------------- frequencies


def test_monthly_trend_series_forecasts_months_with_trend():
    y = 100 + 5 * np.arange(48) + np.random.default_rng(0).normal(0, 1, 48)
    fc = forecast(long(y, "MS"), 6, "MS")
    assert list(fc.ds) == list(pd.date_range("2028-01-01", periods=6, freq="MS"))
    assert (np.diff(fc.yhat) > 3).all() and fc.yhat.iloc[0] > y[-1]
    end = forecast(long(y, "ME"), 2, "M")
    assert list(end.ds.dt.strftime("%Y-%m-%d")) == ["2028-01-31", "2028-02-29"]
    q = forecast(long(y[:24], "QS"), 4, "QS")
    assert list(q.ds.dt.month) == [1, 4, 7, 10]


def test_missing_periods_are_zero_at_the_frequency():
    d = long(np.full(48, 10.0), "MS").drop(index=[44, 45, 46])  # 3 months without a row
    cv = cross_validate(d, 4, "MS", n_windows=1)
    last = cv[(cv.model == "naive")]
    assert last.y.tolist() == [0.0, 0.0, 0.0, 10.0]  # filled months, not days
    assert list(last.ds.dt.day) == [1, 1, 1, 1]


def test_seasonal_series_beats_a_flat_forecast():
    rng = np.random.default_rng(3)
    y = np.tile(PATTERN, 30) * 3 + rng.normal(0, 1, 210)
    fc = forecast(long(y[:182]), 28, "D")
    truth = np.tile(PATTERN, 30)[182:210] * 3
    err = np.abs(fc.yhat.to_numpy() - truth).mean()
    flat = np.abs(y[:182].mean() - truth).mean()
    assert err < flat / 4
    assert fc.model.iloc[0] in ("ets", "comb", "seasonal_naive", "theta", "ensemble")


def test_levels_give_ordered_interval_columns():
    fc = forecast(
        long(np.tile(PATTERN, 20) + np.random.default_rng(0).normal(0, 1, 140)),
        10,
        "D",
        levels=(50, 90),
    )
    assert list(fc.columns) == [
        "unique_id",
        "ds",
        "yhat",
        "model",
        "lo_50",
        "hi_50",
        "lo_90",
        "hi_90",
    ]
    assert (
        (fc.lo_90 <= fc.lo_50)
        & (fc.lo_50 <= fc.yhat)
        & (fc.yhat <= fc.hi_50)
        & (fc.hi_50 <= fc.hi_90)
    ).all()


# ---------------------------------------------------------------- backtest


def test_short_series_gets_a_backtest_with_a_shorter_horizon():
    panel = pd.concat(
        [
            long(np.tile(PATTERN, 60)[:400], uid="long"),
            long(np.full(40, 3.0), start="2024-12-26", uid="short"),
        ]
    )
    cv = cross_validate(panel, 28, "D")
    short = cv[cv.unique_id == "short"]
    assert short.cutoff.nunique() == 3
    assert short.h.max() == (40 - 14) // 3  # 8
    assert cv[cv.unique_id == "long"].h.max() == 28


def test_cross_validate_rows_for_every_candidate_ensemble_and_selected():
    rng = np.random.default_rng(5)
    smooth = long(20 + rng.normal(0, 2, 200), uid="smooth")
    sparse = long(np.where(rng.random(200) < 0.2, 5.0, 0.0), uid="sparse")
    fc, cv = forecast(pd.concat([smooth, sparse]), 14, "D", return_cv=True)
    assert list(cv.columns) == ["unique_id", "model", "cutoff", "ds", "h", "y", "yhat"]
    frequent = {"naive", "seasonal_naive", "moving_average", "ses", "theta", "ets"}
    intermittent = {"moving_average", "ses", "croston", "sba", "tsb", "adida", "imapa", "ets"}
    assert set(cv[cv.unique_id == "smooth"].model) == frequent | {"ensemble", "selected"}
    assert set(cv[cv.unique_id == "sparse"].model) == intermittent | {"ensemble", "selected"}
    per = cv.groupby(["unique_id", "model"]).size()
    assert (per == 3 * 14).all()
    assert (cv.ds > cv.cutoff).all() and cv.h.between(1, 14).all()
    pd.testing.assert_frame_equal(cv, cross_validate(pd.concat([smooth, sparse]), 14, "D"))
    sel = cv[cv.model == "selected"].set_index(["unique_id", "cutoff", "h"]).yhat
    for uid, model in fc.groupby("unique_id").model.first().items():
        if model in set(cv.model):
            chosen = cv[cv.model == model].set_index(["unique_id", "cutoff", "h"]).yhat
            np.testing.assert_allclose(sel.loc[uid], chosen.loc[uid])


def test_deterministic():
    rng = np.random.default_rng(9)
    d = pd.concat([long(rng.poisson(5, 150), uid=i) for i in range(4)])
    a, cva = forecast(d, 7, "D", return_cv=True)
    b, cvb = forecast(d, 7, "D", return_cv=True)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(cva, cvb)


# ---------------------------------------------------------------- negative and NaN y


def test_negative_y_is_kept_for_additive_models_and_clipped_elsewhere():
    rng = np.random.default_rng(2)
    net = long(-3 + rng.normal(0, 0.5, 120), uid="net")  # net returns
    mixed = long(np.where(np.arange(120) % 10 == 0, -2.0, 6.0), uid="mixed")
    pos = long(rng.poisson(0.3, 120), uid="pos")  # non-negative: >= 0
    fc = forecast(pd.concat([net, mixed, pos]), 7, "D")
    assert fc[fc.unique_id == "net"].yhat.between(-4, -2).all()
    assert (fc[fc.unique_id == "pos"][["yhat", "lo_80", "lo_95"]] >= 0).all().all()
    assert fc.yhat.notna().all()


def test_nan_y_is_not_observed():
    y = np.full(120, 10.0)
    y[100:107] = np.nan  # e.g. a stockout week
    fc, cv = forecast(long(y), 7, "D", return_cv=True)
    np.testing.assert_allclose(fc.yhat, 10.0, atol=1e-6)
    assert cv[cv.model == "selected"].y.isna().sum() > 0  # not scored, kept visible


def test_forecast_demand_exposes_cv_with_keys():
    d = long(np.tile(PATTERN, 20)).rename(columns={"ds": "date", "y": "demand_qty"})
    d = d.drop(columns="unique_id").assign(item_id=1, warehouse_id=2, is_stockout=False)
    res = forecast_demand(d, horizon=7)
    assert {"item_id", "warehouse_id", "model", "cutoff", "h", "y", "yhat"} <= set(res.cv)
    assert (res.cv.item_id == 1).all() and (res.cv.warehouse_id == 2).all()


def test_forecast_demand_promo_calendar_reaches_the_global_model():
    rng = np.random.default_rng(0)
    n_d, horizon = 240, 14
    promo = rng.random(n_d + horizon) < 0.2
    parts = []
    for i in range(30):  # the global model needs >= 30 series
        y = rng.poisson(rng.uniform(5, 15) * np.where(promo, 3.0, 1.0))
        parts.append(
            pd.DataFrame(
                {
                    "item_id": i,
                    "warehouse_id": 1,
                    "date": pd.date_range("2024-01-01", periods=n_d + horizon),
                    "demand_qty": np.r_[y[:n_d], np.zeros(horizon)],
                    "is_stockout": False,
                    "promo": promo.astype(int),
                }
            )
        )  # rows after as_of: the planned promo calendar
    res = forecast_demand(
        pd.concat(parts), horizon, as_of=pd.Timestamp("2024-01-01") + pd.Timedelta(days=n_d - 1)
    )
    fc = res.forecasts.assign(promo=np.tile(promo[n_d:], 30))
    means = fc.groupby("promo").forecast_qty.mean()
    assert means[True] > 2 * means[False]


# ---------------------------------------------------------------- numerical robustness


def _slow_lumpy_history(n=60, T=400, seed=3):
    """Very slow, lumpy daily series (the demo's slow movers): single non-zero days,
    rare lumps of 50-900 units, lumps seen through long stockouts (observed days are
    mostly the lumps), ~0.03 units/day with one big lump; a third start late (some then
    have no demand at all)."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n):
        y = np.zeros(T)
        so = np.zeros(T, bool)
        kind = i % 4
        if kind == 0:
            y[rng.integers(0, T)] = rng.integers(50, 900)
        elif kind == 1:
            k = rng.integers(2, 8)
            y[rng.choice(T, k, replace=False)] = rng.integers(50, 900, k)
        elif kind == 2:
            k = rng.integers(3, 10)
            d = rng.choice(T, k, replace=False)
            y[d] = rng.integers(50, 900, k)
            so[:] = rng.random(T) < 0.97
            so[d] = False
        else:
            y[rng.random(T) < 0.01] = 1
            y[rng.integers(0, T)] = rng.integers(50, 900)
        start = int(rng.integers(0, T // 2)) if i % 3 == 0 else 0
        parts.append(
            pd.DataFrame(
                {
                    "item_id": i,
                    "warehouse_id": 1,
                    "date": pd.date_range("2024-01-01", periods=T)[start:],
                    "demand_qty": y[start:],
                    "is_stockout": so[start:],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_slow_lumpy_series_give_finite_sane_forecasts_without_warnings():
    # Reproduces the blow-up: multiplicative ETS overflowed (RuntimeWarnings) on such
    # series, the global model forecast ~1 unit/day for series with no demand yet and up
    # to 4x the maximum for a censored lumpy series.
    d = _slow_lumpy_history()
    top = d.groupby("item_id").demand_qty.max()
    hist = d.rename(columns={"item_id": "unique_id", "date": "ds", "demand_qty": "y"})
    hist.loc[hist.is_stockout, "y"] = np.nan
    with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fc, cv = forecast(hist[["unique_id", "ds", "y"]], 28, "D", return_cv=True)
        res = forecast_demand(d, 28)
    for frame, key, col in (
        (fc, "unique_id", "yhat"),
        (cv, "unique_id", "yhat"),
        (res.forecasts, "item_id", "p50"),
        (res.cv, "item_id", "yhat"),
    ):
        vals = frame[col].to_numpy(float)
        assert np.isfinite(vals).all()
        assert (vals <= 10 * frame[key].map(top).to_numpy() + 1e-9).all()
    assert set(cv.model) >= {"ets", "global", "selected"}
    # a series with no demand before a cut-off is forecast 0 there by every candidate
    hist_top = hist.assign(c=hist.groupby("unique_id").y.cummax())
    dead = cv.merge(
        hist_top[["unique_id", "ds", "c"]].rename(columns={"ds": "cutoff"}),
        on=["unique_id", "cutoff"],
    )
    assert (dead[dead.c == 0].yhat == 0).all()


def test_ets_rejects_paths_and_forecasts_out_of_range():
    rng = np.random.default_rng(7)
    T = 200
    Y = np.full((4, T), np.nan)
    Y[0, rng.choice(T, 6, replace=False)] = rng.integers(50, 900, 6)  # positive, lumpy
    Y[0, 0] = 1.0
    Y[1] = np.where(rng.random(T) < 0.02, 800.0, 0.001)  # tiny, positive
    Y[2] = np.where(rng.random(T) < 0.01, 900.0, 0.0)  # zeros and lumps
    Y[3] = np.r_[np.ones(T - 3), 900.0, 1.0, 900.0]  # late jumps
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        fc, ses_fc, _ = engine.ets(Y, [140, 170, 200], 28, 7, with_ses=True)
    top = np.nanmax(Y, axis=1)
    assert np.isfinite(fc).all() and np.isfinite(ses_fc).all()
    assert (np.abs(fc) <= 10 * top[None, :, None]).all()


def test_small_monthly_panels_use_the_comb_of_autoets_autotheta_autoarima():
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    rng = np.random.default_rng(4)
    t = np.arange(72)
    y = 200 + 2 * t + 30 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 5, 72)
    fc, cv = forecast(long(y, "MS"), 12, "MS", return_cv=True)
    assert (fc.model == "comb").all()
    assert {"comb", "ets", "selected"} <= set(cv.model)
    members = [
        M(season_length=12).forecast(y=y, h=12)["mean"] for M in (AutoETS, AutoTheta, AutoARIMA)
    ]
    np.testing.assert_allclose(fc.yhat, np.mean(members, axis=0), rtol=1e-6)
    sel = cv[cv.model == "selected"].yhat.to_numpy()
    np.testing.assert_allclose(sel, cv[cv.model == "comb"].yhat.to_numpy())
    # daily panels keep the ETS default (comb not validated there)
    d = forecast(long(np.tile(PATTERN, 20) + rng.normal(0, 1, 140)), 7, "D")
    assert d.model.iloc[0] != "comb"

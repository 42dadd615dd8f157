"""Candidate models on synthetic series with known answers."""

import numpy as np
import pytest

from forecasting import models as m

FLAT_EXACT = ["seasonal_naive", "moving_average", "ses", "holt_winters", "croston", "tsb"]
LOCAL = ["seasonal_naive", "moving_average", "ses", "holt_winters", "croston", "sba", "tsb"]
PATTERN = np.array([2.0, 4.0, 6.0, 8.0, 10.0, 30.0, 40.0])


@pytest.mark.parametrize("name", FLAT_EXACT)
def test_constant_series_forecasts_the_constant(name):
    fc = m.MODELS[name](np.full(120, 10.0), horizon=14)
    assert fc.shape == (14,)
    np.testing.assert_allclose(fc, 10.0)


def test_sba_on_constant_series_is_croston_times_debias_factor():
    # Croston: z = 10, p = 1 -> 10; SBA picks the smallest alpha (closest to the mean),
    # 0.05 -> 10 * (1 - 0.05 / 2) = 9.75
    np.testing.assert_allclose(m.sba(np.full(120, 10.0), horizon=3), 9.75)


@pytest.mark.parametrize("n_days", [210, 207])
def test_weekly_cycle_reproduced_by_seasonal_naive_and_holt_winters(n_days):
    y = np.tile(PATTERN, 40)[:n_days]
    expected = np.tile(PATTERN, 40)[n_days : n_days + 14]  # calendar-aligned continuation
    np.testing.assert_allclose(m.seasonal_naive(y, horizon=14), expected)
    np.testing.assert_allclose(m.holt_winters(y, horizon=14), expected, atol=1e-6)


def test_croston_sba_on_demand_every_fifth_day():
    y = np.zeros(300)
    y[4::5] = 10.0  # size 10, interval 5 -> 2 per day
    np.testing.assert_allclose(m.croston(y, horizon=5), 2.0)
    # SBA with alpha 0.1: 2 * (1 - 0.1 / 2) = 1.9
    np.testing.assert_allclose(m.sba(y, horizon=5, alphas=(0.1,)), 1.9)
    ratio = m.sba(y, horizon=1)[0] / m.croston(y, horizon=1)[0]
    assert ratio < 1 and any(np.isclose(ratio, 1 - a / 2) for a in (0.05, 0.1, 0.2, 0.3))


def test_croston_converges_when_first_interval_is_misinitialised():
    y = np.zeros(400)
    y[::5] = 10.0  # first demand on day 0 -> initial interval 1
    assert m.croston(y, horizon=1)[0] == pytest.approx(2.0, abs=0.05)


def test_tsb_on_intermittent_series_is_near_the_rate():
    y = np.zeros(300)
    y[4::5] = 10.0
    assert m.tsb(y, horizon=1)[0] == pytest.approx(2.0, rel=0.2)


@pytest.mark.parametrize("name", LOCAL)
def test_censored_stockout_week_does_not_drag_forecast_down(name):
    y = np.full(100, 10.0)
    censored = np.zeros(100, dtype=bool)
    y[86:93] = 0.0
    censored[86:93] = True
    expected = 9.75 if name == "sba" else 10.0
    np.testing.assert_allclose(m.MODELS[name](y, censored, horizon=7), expected)


def test_uncensored_zeros_do_drag_the_moving_average_down():
    y = np.full(100, 10.0)
    y[86:93] = 0.0
    assert m.moving_average(y, horizon=1)[0] == pytest.approx(10.0 * 21 / 28)


@pytest.mark.parametrize("name", LOCAL)
def test_one_pass_origins_equal_refitting_on_truncated_history(name):
    rng = np.random.default_rng(1)
    y = rng.poisson(3.0, 120) * (rng.random(120) < 0.6)
    many = m.MODELS[name](y, horizon=10, origins=[60, 90, 120])
    for i, o in enumerate([60, 90, 120]):
        np.testing.assert_allclose(many[i], m.MODELS[name](y[:o], horizon=10), atol=1e-12)


@pytest.mark.parametrize("name", LOCAL)
def test_2d_input_matches_series_by_series(name):
    rng = np.random.default_rng(2)
    Y = rng.poisson(4.0, (3, 90)).astype(float)
    Y[1, :20] = np.nan  # series starting later
    both = m.MODELS[name](Y, horizon=7)
    assert both.shape == (3, 7)
    for i in range(3):
        np.testing.assert_allclose(both[i], m.MODELS[name](Y[i], horizon=7), atol=1e-12)


def test_series_without_observations_forecast_zero():
    Y = np.array([[np.nan] * 50, [0.0] * 50])
    for name in LOCAL:
        np.testing.assert_array_equal(m.MODELS[name](Y, horizon=3), 0.0)


def test_global_model_learns_scaled_weekly_pattern_and_promo():
    rng = np.random.default_rng(3)
    n_s, n_d = 40, 200
    scale = rng.uniform(5, 20, n_s)[:, None]
    mean = scale * np.tile(PATTERN, 40)[None, : n_d + 14] / PATTERN.mean()
    Y = rng.poisson(mean[:, :n_d]).astype(float)
    fc = m.global_gbm(Y, horizon=14, start_date="2024-01-01")
    truth = mean[:, n_d:]
    wape = np.abs(fc - truth).sum() / truth.sum()
    assert wape < 0.15
    assert wape < np.abs(m.moving_average(Y, horizon=14) - truth).sum() / truth.sum() / 2

    promo = np.zeros((n_s, n_d + 14))
    promo[:, rng.random(n_d + 14) < 0.2] = 1.0
    Yp = scale * (1 + promo[:, :n_d]) * np.ones(n_d)
    fcp = m.global_gbm(Yp, horizon=14, promo=promo, start_date="2024-01-01")
    on, off = promo[:, n_d:] == 1, promo[:, n_d:] == 0
    if on.any() and off.any():
        assert (fcp[on] / np.broadcast_to(scale, on.shape)[on]).mean() > 1.5 * (
            fcp[off] / np.broadcast_to(scale, off.shape)[off]
        ).mean()


def test_global_model_multiple_origins_shape():
    Y = np.tile(PATTERN, 30)[None, :].repeat(5, axis=0)
    out = m.global_gbm(Y, horizon=7, origins=[150, 180])
    assert out.shape == (2, 5, 7)
    assert (out >= 0).all()

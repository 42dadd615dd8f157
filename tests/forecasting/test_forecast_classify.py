"""Syntetos-Boylan classification of hand-made series."""

import numpy as np
import pytest

from forecasting import classify_demand, syntetos_boylan


def test_smooth_constant_daily_demand():
    res = classify_demand(np.full(60, 5.0))
    assert res == ("smooth", 1.0, 0.0)


def test_erratic_daily_demand_with_volatile_sizes():
    # sizes alternate 1 / 10: mean 5.5, population variance 20.25 -> CV² = 20.25 / 30.25
    res = classify_demand(np.tile([1.0, 10.0], 30))
    assert res.demand_class == "erratic"
    assert res.adi == 1.0
    assert res.cv2 == pytest.approx(20.25 / 30.25)


def test_intermittent_regular_sizes():
    y = np.zeros(100)
    y[4::5] = 10.0
    assert classify_demand(y) == ("intermittent", 5.0, 0.0)


def test_lumpy_sparse_and_volatile():
    # every 3rd day, sizes 1 / 20: CV² = (9.5 / 10.5)² = 0.8186
    y = np.zeros(60)
    y[::3] = np.tile([1.0, 20.0], 10)
    res = classify_demand(y)
    assert res.demand_class == "lumpy"
    assert res.adi == 3.0
    assert res.cv2 == pytest.approx((9.5 / 10.5) ** 2)


def test_fewer_than_two_demands_is_lumpy():
    one = np.zeros(30)
    one[10] = 4.0
    assert classify_demand(one).demand_class == "lumpy"
    assert classify_demand(one).adi == 30.0
    assert classify_demand(np.zeros(30)).demand_class == "lumpy"


def test_censored_zero_days_are_ignored():
    y = np.full(60, 5.0)
    censored = np.zeros(60, dtype=bool)
    y[20:30] = 0.0
    censored[20:30] = True
    assert classify_demand(y, censored) == ("smooth", 1.0, 0.0)
    assert classify_demand(y).adi > 1.0  # without the flag, the gap counts


def test_cutoffs_are_inclusive_on_the_sparse_side():
    assert syntetos_boylan(1.31, 0.48) == "smooth"
    assert syntetos_boylan(1.32, 0.48) == "intermittent"
    assert syntetos_boylan(1.31, 0.49) == "erratic"
    assert syntetos_boylan(1.32, 0.49) == "lumpy"


def test_2d_input_returns_arrays():
    y = np.zeros(100)
    y[4::5] = 10.0
    res = classify_demand(np.vstack([np.full(100, 5.0), y]))
    assert list(res.demand_class) == ["smooth", "intermittent"]
    np.testing.assert_allclose(res.adi, [1.0, 5.0])

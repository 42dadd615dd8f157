"""Replenishment policy against hand-computed textbook numbers."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import (
    choose_supplier,
    intermittent_levels,
    normal_levels,
    order_quantities,
    plan_replenishment,
    policy_levels,
    safety_stock_normal,
    service_level_for_class,
    suggest_order,
)

Z95 = 1.6448536  # Phi^-1(0.95)
Z98 = 2.0537489  # Phi^-1(0.98)


def test_service_level_for_class():
    assert service_level_for_class("A") == 0.98
    assert service_level_for_class("b") == 0.95
    assert service_level_for_class("C") == 0.90
    assert service_level_for_class(None) == 0.90
    assert service_level_for_class("X") == 0.90
    assert service_level_for_class("A", {"A": 0.99, "C": 0.8}) == 0.99


def test_safety_stock_textbook_example():
    # d = 20, sigma_d = 5, L = 9, sigma_L = 2, R = 0, z(95 %) = 1.6449
    # SS = 1.6449 * sqrt(9 * 25 + 400 * 4) = 1.6449 * sqrt(1825) = 1.6449 * 42.72 = 70.27
    ss = safety_stock_normal(20, 5, 9, 2, 0, 0.95)
    assert ss == pytest.approx(Z95 * np.sqrt(1825))
    assert ss == pytest.approx(70.27, abs=0.01)
    lv = normal_levels(20, 5, 9, 2, 0, 0.95)
    # ROP = d (L + R) + SS = 180 + 70.27 = 250.27; R = 0 -> S = ROP
    assert lv["reorder_point"] == pytest.approx(250.27, abs=0.01)
    assert lv["order_up_to"] == pytest.approx(lv["reorder_point"])


def test_levels_with_review_period():
    # L = 9, R = 7: SS = 1.6449 * sqrt(16 * 25 + 400 * 4) = 1.6449 * 44.72 = 73.56
    # ROP = 20 * 16 + 73.56 = 393.56 ; S = ROP + 20 * 7 = 533.56
    lv = normal_levels(20, 5, 9, 2, 7, 0.95)
    assert lv["safety_stock"] == pytest.approx(73.56, abs=0.01)
    assert lv["reorder_point"] == pytest.approx(393.56, abs=0.01)
    assert lv["order_up_to"] == pytest.approx(533.56, abs=0.01)


def test_poisson_reorder_point_for_intermittent_demand():
    # d = 0.2/day, sigma_d^2 = 0.2 (Poisson), L = 8, R = 2 -> mean = var = 2.0 -> Poisson(2)
    # P(X <= 4) = e^-2 (1 + 2 + 2 + 4/3 + 2/3) = 0.947 < 0.95 ; P(X <= 5) = 0.983 -> ROP 5
    lv = intermittent_levels(0.2, np.sqrt(0.2), 8, 0, 2, 0.95)
    assert lv["distribution"] == "poisson"
    assert lv["reorder_point"] == 5
    assert lv["safety_stock"] == pytest.approx(3.0)
    assert lv["order_up_to"] == pytest.approx(5 + 0.2 * 2)


def test_negative_binomial_when_overdispersed():
    # mean 2, var = 10 * 1.0 = 10 > mean -> NB(n = 4 / 8 = 0.5, p = 2 / 10 = 0.2)
    lv = intermittent_levels(0.2, 1.0, 8, 0, 2, 0.95)
    assert lv["distribution"] == "negbin"
    from scipy.stats import nbinom

    assert lv["reorder_point"] == nbinom.ppf(0.95, 0.5, 0.2)
    assert lv["reorder_point"] > 5  # fatter tail than Poisson


def test_policy_levels_dispatches_by_class_vectorised():
    lv = policy_levels(np.array(["smooth", "intermittent"], dtype=object), [20, 0.2],
                       [5, np.sqrt(0.2)], [9, 8], [2, 0], [0, 2], 0.95)
    assert lv["reorder_point"][0] == pytest.approx(250.27, abs=0.01)
    assert lv["reorder_point"][1] == 5
    assert list(lv["method"]) == ["normal", "poisson"]


def test_zero_demand_intermittent_orders_nothing():
    lv = intermittent_levels(0.0, 0.0, 10, 0, 7, 0.95)
    assert lv["reorder_point"] == 0 and lv["order_up_to"] == 0


def test_pack_rounding():
    # position 40 <= ROP 100: need 155 - 40 = 115 -> 10 packs of 12 = 120
    qty, why = suggest_order(155, 100, 50, 0, 10, pack_size=12, moq=0)
    assert qty == Decimal(120) and isinstance(qty, Decimal)
    assert why["position"] == 40 and why["raw_need"] == 115
    assert why["after_pack"] == 120 and why["after_moq"] == 120


def test_moq_rounded_up_to_pack():
    # need 5 -> 1 pack = 12 ; MOQ 50 -> 5 packs = 60
    qty, why = suggest_order(10, 6, 5, 0, 0, pack_size=12, moq=50)
    assert qty == Decimal(60)
    assert why["raw_need"] == 5 and why["after_pack"] == 12 and why["moq_in_packs"] == 60


def test_on_order_and_committed_count_in_position():
    # 30 on hand + 50 on order - 20 committed = 60 > ROP 55 -> nothing
    qty, why = suggest_order(100, 55, 30, 50, 20, 1, 0)
    assert qty == 0 and why["position"] == 60 and not why["triggered"]
    # more committed: position 50 <= 55 -> order 100 - 50 = 50
    qty, _ = suggest_order(100, 55, 30, 50, 30, 1, 0)
    assert qty == Decimal(50)


def test_position_at_reorder_point_triggers_and_decimal_inputs():
    qty, _ = suggest_order(Decimal("20.5"), Decimal(10), Decimal(10), 0, 0, 1, 0)
    assert qty == Decimal(11)  # need 10.5 -> whole units -> 11


def test_order_quantities_matches_suggest_order():
    cases = [(155, 100, 40, 12, 0), (10, 6, 5, 12, 50), (100, 55, 60, 1, 0), (20.5, 10, 10, 1, 0)]
    for s, rop, pos, pack, moq in cases:
        qty, _ = suggest_order(s, rop, pos, 0, 0, pack, moq)
        assert order_quantities(s, rop, pos, pack, moq) == float(qty)


TERMS = pd.DataFrame({
    "supplier_id": ["S3", "S1", "S2", "S4"],
    "unit_price": [Decimal("4.00"), Decimal("5.00"), Decimal("4.00"), Decimal("3.00")],
    "lead_time_days": [10, 3, 12, 30],
    "moq": [0, 0, 0, 0], "pack_size": [1, 1, 1, 1],
})


def test_choose_supplier_rules():
    # within 12 d: S3 (4.00, 10 d), S1 (5.00), S2 (4.00, 12 d) -> tie at 4.00 -> lower id S2
    sup, rule = choose_supplier(TERMS, 12)
    assert sup == "S2" and "cheapest" in rule
    assert choose_supplier(TERMS, 10)[0] == "S3"
    assert choose_supplier(TERMS, 30)[0] == "S4"
    sup, rule = choose_supplier(TERMS, 2)  # nobody in time -> fastest
    assert sup == "S1" and "fastest" in rule
    assert choose_supplier(TERMS.iloc[0:0], 5) == (None, "no supplier terms")


def test_plan_replenishment_hand_computed_row():
    series = pd.DataFrame({"item_id": ["I1"], "warehouse_id": ["W1"],
                           "demand_class": ["smooth"], "mean_daily_demand": [9.0],
                           "sigma_daily_demand": [3.0]})
    fc = pd.DataFrame({"item_id": "I1", "warehouse_id": "W1",
                       "date": pd.date_range("2025-01-01", periods=28), "forecast_qty": 10.0})
    pos = pd.DataFrame({"item_id": ["I1"], "warehouse_id": ["W1"], "on_hand": [Decimal(50)],
                        "on_order": [Decimal(0)], "committed": [Decimal(10)]})
    terms = pd.DataFrame({"item_id": ["I1", "I1"], "supplier_id": ["S1", "S2"],
                          "unit_price": [Decimal("2.50"), Decimal("2.00")],
                          "lead_time_days": [10, 30], "lead_time_std_days": [0.0, 0.0],
                          "moq": [0, 0], "pack_size": [12, 12]})
    abc = pd.DataFrame({"item_id": ["I1"], "warehouse_id": ["W1"], "abc_class": ["A"]})
    plan = plan_replenishment(series, fc, pos, terms, abc, review_period_days=7)
    r = plan.iloc[0]
    # cover = 40 / 10 = 4 d: nobody delivers in time -> fastest S1 (10 d)
    assert r.supplier_id == "S1" and r.service_level == 0.98
    # forecast over L + R = 17 d = 170; SS = 2.0537 * sqrt(17 * 9) = 2.0537 * 12.369 = 25.40
    # ROP = 170 + 25.40 = 195.40 ; S = 195.40 + 10 * 7 = 265.40
    assert r.forecast_over_horizon == pytest.approx(170)
    assert r.safety_stock == pytest.approx(Z98 * np.sqrt(153), rel=1e-6)
    assert r.reorder_point == pytest.approx(195.40, abs=0.01)
    assert r.order_up_to == pytest.approx(265.40, abs=0.01)
    # position 40 = 50 + 0 - 10 ; need 225.40 -> 19 packs of 12 = 228 ; 228 * 2.50 = 570.00
    assert r.position == 40 and r.suggested_qty == Decimal(228)
    assert isinstance(r.suggested_qty, Decimal)
    assert r.line_value == Decimal("570.00")
    assert "position 40" in r.why and "→ 228" in r.why


def test_plan_defaults_missing_abc_to_c_and_handles_missing_terms():
    series = pd.DataFrame({"item_id": ["I1", "I2"], "warehouse_id": ["W1", "W1"],
                           "demand_class": ["intermittent", "smooth"],
                           "mean_daily_demand": [0.2, 5.0], "sigma_daily_demand": [0.45, 1]})
    pos = pd.DataFrame({"item_id": ["I1", "I2"], "warehouse_id": ["W1", "W1"],
                        "on_hand": [0, 100], "on_order": [0, 0], "committed": [0, 0]})
    terms = pd.DataFrame({"item_id": ["I1"], "supplier_id": [7], "unit_price": [1.25],
                          "lead_time_days": [8], "moq": [0], "pack_size": [1]})
    fc = pd.DataFrame(columns=["item_id", "warehouse_id", "date", "forecast_qty"])
    plan = plan_replenishment(series, fc, pos, terms, None).set_index("item_id")
    assert (plan.abc_class == "C").all() and (plan.service_level == 0.90).all()
    i1 = plan.loc["I1"]
    # no forecast rows -> mean_daily_demand 0.2 * (8 + 7) = 3.0 over exposure
    assert i1.forecast_over_horizon == pytest.approx(3.0)
    assert i1.suggested_qty > 0 and i1.line_value == (i1.suggested_qty * Decimal("1.25"))
    i2 = plan.loc["I2"]
    assert i2.supplier_id is None and i2.suggested_qty == 0 and "no supplier" in i2.why


@settings(max_examples=200, deadline=None)
@given(s=st.integers(0, 500), gap=st.integers(0, 200), on_hand=st.integers(-50, 500),
       on_order=st.integers(0, 200), committed=st.integers(0, 100),
       pack=st.integers(1, 24), moq=st.integers(0, 100))
def test_suggest_order_invariants(s, gap, on_hand, on_order, committed, pack, moq):
    rop = s - gap
    qty, _ = suggest_order(s, rop, on_hand, on_order, committed, pack, moq)
    position = on_hand + on_order - committed
    assert qty % pack == 0
    if position > rop or position >= s:
        assert qty == 0
    else:
        assert position + qty >= s and qty >= moq
        assert qty - pack < max(s - position, moq)  # never a whole pack too many

"""Replenishment policy against hand-computed and published-table numbers."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import (
    DemandOverExposure,
    accumulated_error_variance,
    allocate_fill_rates,
    choose_supplier,
    fill_rate,
    normal_loss,
    order_quantities,
    order_up_to_for_fill,
    plan_replenishment,
    service_floor_for_class,
    suggest_order,
)


def test_normal_loss_matches_the_published_table():
    # G(z) of Silver, Pyke & Peterson's table B.1 (4 decimals)
    table = {0.0: 0.3989, 0.5: 0.1978, 1.0: 0.0833, 1.5: 0.0293, 2.0: 0.0085, -1.0: 1.0833}
    for z, g in table.items():
        assert normal_loss(z) == pytest.approx(g, abs=5e-5)


def test_fill_rate_order_up_to_with_the_loss_function():
    # L = 0, R = 7, 20/day: cycle demand 140, sd 20. beta = 98 % needs
    # G(k) = (1 - 0.98) * 140 / 20 = 0.14; the table has G(0.71) = 0.1405, G(0.72) = 0.1381,
    # so k = 0.71 + (0.1405 - 0.14) / 0.0024 * 0.01 = 0.7121 and S = 140 + 0.7121 * 20 = 154.24
    over_e = DemandOverExposure([140.0], [400.0])
    over_l = DemandOverExposure([0.0], [0.0])
    S = order_up_to_for_fill(0.98, over_e, over_l)
    assert S[0] == pytest.approx(154.24, abs=0.03)
    assert fill_rate(S, over_e, over_l)[0] == pytest.approx(0.98, abs=1e-6)


def test_the_lead_time_term_is_taken_off_the_cycle_shortage():
    # E = L + R with L = 9, R = 7 at 20/day, daily sd 5: D_E ~ N(320, 400), D_L ~ N(180, 225).
    # at S = 320: ESC = 20 G(0) - 15 G(140 / 15) = 7.979 - 0.000 -> fill 1 - 7.979 / 140
    over_e = DemandOverExposure([320.0], [400.0])
    over_l = DemandOverExposure([180.0], [225.0])
    assert fill_rate(np.array([320.0]), over_e, over_l)[0] == pytest.approx(
        1 - 20 * 0.398942 / 140, abs=1e-5
    )
    # with S below the lead-time demand the second term matters: S = 180
    # ESC = 20 G(-7) - 15 G(0) = 140.0000 - 5.9841 = 134.016 -> fill 0.04274
    assert fill_rate(np.array([180.0]), over_e, over_l)[0] == pytest.approx(
        1 - (140.0 - 15 * 0.398942) / 140, abs=1e-4
    )


def test_negative_binomial_shortage_and_fill_level():
    # NB with mean 3, variance 9: n = 1.5, p = 1/3; p0 = (1/3)^1.5 = 0.1924501,
    # p(k+1) = p(k) (k + 1.5) / (k + 1) * 2/3: p1 = 0.1924501, p2 = 0.1603751,
    # p3 = 0.1247362, p4 = 0.0935521, p5 = 0.0686049, p6 = 0.0495480, so P(D > k) for
    # k = 0..6 = 0.8075499, 0.6150998, 0.4547247, 0.3299886, 0.2364364, 0.1678316, 0.1182836
    # and E[(D - k)+] = E[(D - k + 1)+] - P(D > k - 1) for k = 0..7:
    d = DemandOverExposure([3.0], [9.0], [True])
    expected = [3.0, 2.1924501, 1.5773503, 1.1226255, 0.7926369, 0.5562005, 0.3883689, 0.2700854]
    got = d.shortage(np.array([np.arange(8.0)]))[0]
    assert got == pytest.approx(expected, abs=1e-6)
    # fill 90 % over one cycle with L = 0: E[(D - S)+] <= 0.3 -> between 6 and 7:
    # S = 6 + (0.3883689 - 0.3) / 0.1182836 = 6.7471
    S = order_up_to_for_fill(0.90, d, DemandOverExposure([0.0], [0.0], [True]))
    assert S[0] == pytest.approx(6.7471, abs=1e-3)


def test_poisson_when_not_overdispersed():
    # Poisson(2): E[(D - 1)+] = 2 - P(D >= 1) = 2 - (1 - e^-2) = 1.13534
    d = DemandOverExposure([2.0], [2.0], [True])
    assert d.shortage(np.array([[0.0, 1.0]]))[0] == pytest.approx([2.0, 1.13534], abs=1e-5)


def test_zero_demand_needs_no_stock():
    over = DemandOverExposure([0.0], [0.0], [True])
    S = order_up_to_for_fill(0.99, over, over)
    assert S[0] == pytest.approx(0.0, abs=1e-6)


def test_accumulated_error_variance_persistent_and_alternating_errors():
    E = 4.0
    # a level the model has not caught: +1 every day -> over 4 days the error is 4, not 2:
    # ratio = 16 / (4 * 1) = 4 -> variance 4 * 4 * 1 = 16
    persistent = np.ones((1, 3, 28))
    assert accumulated_error_variance(persistent, E)[0] == pytest.approx(16.0)
    # +1, -1, +1, ... cancels over 4 days: ratio 0, floored at 0.5 -> variance 2
    alternating = np.tile(np.array([1.0, -1.0] * 14), (1, 3, 1))
    assert accumulated_error_variance(alternating, E)[0] == pytest.approx(2.0)


def test_allocation_gives_cheap_items_more_fill_for_the_same_aggregate():
    over_e = DemandOverExposure([320.0] * 2, [400.0] * 2)
    over_l = DemandOverExposure([180.0] * 2, [225.0] * 2)
    S, beta, agg = allocate_fill_rates(0.95, [1.0, 10.0], over_e, over_l, floors=[0.5, 0.5])
    assert agg >= 0.95 and beta[0] > beta[1]
    # the same aggregate at equal fill per item costs more stock value
    uniform = order_up_to_for_fill(0.95, over_e, over_l)
    assert 1.0 * S[0] + 10.0 * S[1] < 1.0 * uniform[0] + 10.0 * uniform[1]
    # a floor is respected
    _, beta_f, _ = allocate_fill_rates(0.95, [1.0, 10.0], over_e, over_l, floors=[0.5, 0.95])
    assert beta_f[1] >= 0.95


def test_fill_floor_for_class():
    assert service_floor_for_class("A") == 0.80
    assert service_floor_for_class("c") == 0.50
    assert service_floor_for_class(None) == 0.50
    assert service_floor_for_class("B", {"B": 0.8, "C": 0.6}) == 0.8


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


TERMS = pd.DataFrame(
    {
        "supplier_id": ["S3", "S1", "S2", "S4"],
        "unit_price": [Decimal("4.00"), Decimal("5.00"), Decimal("4.00"), Decimal("3.00")],
        "lead_time_days": [10, 3, 12, 30],
        "moq": [0, 0, 0, 0],
        "pack_size": [1, 1, 1, 1],
    }
)


def test_choose_supplier_rules():
    # within 12 d: S3 (4.00, 10 d), S1 (5.00), S2 (4.00, 12 d) -> tie at 4.00 -> lower id S2
    sup, rule = choose_supplier(TERMS, 12)
    assert sup == "S2" and "cheapest" in rule
    assert choose_supplier(TERMS, 10)[0] == "S3"
    assert choose_supplier(TERMS, 30)[0] == "S4"
    sup, rule = choose_supplier(TERMS, 2)  # nobody in time -> fastest
    assert sup == "S1" and "fastest" in rule
    assert choose_supplier(TERMS.iloc[0:0], 5) == (None, "no supplier terms")


def _hand_row():
    """Series, forecast (10 a day) and position (50 on hand, 10 committed) of the
    hand-computed row."""
    series = pd.DataFrame(
        {
            "item_id": ["I1"],
            "warehouse_id": ["W1"],
            "demand_class": ["smooth"],
            "mean_daily_demand": [9.0],
            "sigma_daily_demand": [3.0],
        }
    )
    fc = pd.DataFrame(
        {
            "item_id": "I1",
            "warehouse_id": "W1",
            "date": pd.date_range("2025-01-01", periods=28),
            "forecast_qty": 10.0,
        }
    )
    pos = pd.DataFrame(
        {
            "item_id": ["I1"],
            "warehouse_id": ["W1"],
            "on_hand": [Decimal(50)],
            "on_order": [Decimal(0)],
            "committed": [Decimal(10)],
        }
    )
    return series, fc, pos


def test_plan_replenishment_hand_computed_row():
    series, fc, pos = _hand_row()
    terms = pd.DataFrame(
        {
            "item_id": ["I1", "I1"],
            "supplier_id": ["S1", "S2"],
            "unit_price": [Decimal("2.50"), Decimal("2.00")],
            "lead_time_days": [10, 30],
            "lead_time_std_days": [0.0, 0.0],
            "moq": [0, 0],
            "pack_size": [12, 12],
        }
    )
    abc = pd.DataFrame({"item_id": ["I1"], "warehouse_id": ["W1"], "abc_class": ["A"]})
    plan = plan_replenishment(series, fc, pos, terms, abc, review_period_days=7, fill_target=0.98)
    r = plan.iloc[0]
    # cover = 40 / 10 = 4 d: nobody delivers in time -> fastest S1 (10 d)
    assert r.supplier_id == "S1" and r.fill_floor == 0.80
    # one series: its fill rate is the target, 98 %. E = 10 + 7 = 17 d: forecast 170, over
    # L 100; independent daily errors of 3: sd over E = sqrt(17 * 9) = 12.369, over L 9.487.
    # G(k) = 0.02 * 70 / 12.369 = 0.11319; table G(0.80) = 0.1202, G(0.85) = 0.1100 ->
    # k = 0.834, S = 170 + 0.834 * 12.369 = 180.3 (no second review period added)
    assert r.service_level == pytest.approx(0.98)
    assert r.forecast_over_horizon == pytest.approx(170)
    assert r.forecast_over_lead_time == pytest.approx(100)
    assert r.sigma_over_horizon == pytest.approx(np.sqrt(153), rel=1e-6)
    assert r.order_up_to == pytest.approx(180.3, abs=0.15)
    assert r.safety_stock == pytest.approx(r.order_up_to - 170)
    # position 40 = 50 + 0 - 10 ; need 140.3 -> 12 packs of 12 = 144 ; 144 * 2.50 = 360.00
    assert r.position == 40 and r.suggested_qty == Decimal(144)
    assert isinstance(r.suggested_qty, Decimal)
    assert r.line_value == Decimal("360.00")
    assert "stock position 40" in r.why and "Order 144." in r.why
    assert "17 days" in r.why and "98.0 % fill rate" in r.why


def test_plan_uses_the_backtest_error_accumulated_over_the_exposure():
    """Errors that persist from day to day make the error over E larger than sqrt(E)
    times the daily error, and the safety stock grows with it."""
    series = pd.DataFrame(
        {
            "item_id": ["I1"],
            "warehouse_id": ["W1"],
            "demand_class": ["smooth"],
            "mean_daily_demand": [10.0],
            "sigma_daily_demand": [1.0],
        }
    )
    fc = pd.DataFrame(
        {
            "item_id": "I1",
            "warehouse_id": "W1",
            "date": pd.date_range("2025-01-01", periods=28),
            "forecast_qty": 10.0,
        }
    )
    pos = pd.DataFrame(
        {
            "item_id": ["I1"],
            "warehouse_id": ["W1"],
            "on_hand": [0],
            "on_order": [0],
            "committed": [0],
        }
    )
    terms = pd.DataFrame(
        {
            "item_id": ["I1"],
            "supplier_id": ["S1"],
            "unit_price": [1.0],
            "lead_time_days": [3],
            "moq": [0],
            "pack_size": [1],
        }
    )
    cv = pd.DataFrame(
        {
            "item_id": "I1",
            "warehouse_id": "W1",
            "cutoff": np.repeat(pd.date_range("2024-12-01", periods=3, freq="7D"), 28),
            "h": np.tile(np.arange(1, 29), 3),
            "y": 11.0,
            "yhat": 10.0,
        }
    )
    indep = plan_replenishment(series, fc, pos, terms).iloc[0]
    persistent = plan_replenishment(series, fc, pos, terms, cv_df=cv).iloc[0]
    # E = 10: independent sd sqrt(10) = 3.162; persistent +1 a day: sd 10
    assert indep.sigma_over_horizon == pytest.approx(np.sqrt(10))
    assert persistent.sigma_over_horizon == pytest.approx(10.0)
    assert persistent.safety_stock > indep.safety_stock


def test_plan_defaults_missing_abc_to_c_and_handles_missing_terms():
    series = pd.DataFrame(
        {
            "item_id": ["I1", "I2"],
            "warehouse_id": ["W1", "W1"],
            "demand_class": ["intermittent", "smooth"],
            "mean_daily_demand": [0.2, 5.0],
            "sigma_daily_demand": [0.45, 1],
        }
    )
    pos = pd.DataFrame(
        {
            "item_id": ["I1", "I2"],
            "warehouse_id": ["W1", "W1"],
            "on_hand": [0, 100],
            "on_order": [0, 0],
            "committed": [0, 0],
        }
    )
    terms = pd.DataFrame(
        {
            "item_id": ["I1"],
            "supplier_id": [7],
            "unit_price": [1.25],
            "lead_time_days": [8],
            "moq": [0],
            "pack_size": [1],
        }
    )
    fc = pd.DataFrame(columns=["item_id", "warehouse_id", "date", "forecast_qty"])
    plan = plan_replenishment(series, fc, pos, terms, None).set_index("item_id")
    assert (plan.abc_class == "C").all() and (plan.fill_floor == 0.50).all()
    i1 = plan.loc["I1"]
    # no forecast rows -> mean_daily_demand 0.2 * (8 + 7) = 3.0 over exposure, discrete
    assert i1.forecast_over_horizon == pytest.approx(3.0)
    assert i1.distribution.startswith("negative binomial")
    assert i1.suggested_qty > 0 and i1.line_value == (i1.suggested_qty * Decimal("1.25"))
    i2 = plan.loc["I2"]
    assert i2.supplier_id is None and i2.suggested_qty == 0 and "No supplier" in i2.why


@settings(max_examples=200, deadline=None)
@given(
    s=st.integers(0, 500),
    gap=st.integers(0, 200),
    on_hand=st.integers(-50, 500),
    on_order=st.integers(0, 200),
    committed=st.integers(0, 100),
    pack=st.integers(1, 24),
    moq=st.integers(0, 100),
)
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


def test_a_dear_lumpy_item_is_made_to_order_not_stocked():
    """Two items, one aggregate target of 90 %: the cheap steady one carries the fill;
    the dear lumpy one (1.7 units over 17 days, error ±33) sells on one day in 20, less
    often than once per lead time + review (17 d), and stocking it costs more per unit of
    fill than anything else: it is made to order (S = 0) and the why says so. Selling on
    one day in 10 it is stocked (at its floor or above)."""
    series = pd.DataFrame(
        {
            "item_id": ["I1", "I2"],
            "warehouse_id": ["W1"] * 2,
            "demand_class": ["lumpy", "smooth"],
            "adi": [20.0, 1.0],
            "mean_daily_demand": [0.1, 10.0],
            "sigma_daily_demand": [8.0, 2.0],
        }
    )
    fc = pd.DataFrame(
        {
            "item_id": ["I1"] * 28 + ["I2"] * 28,
            "warehouse_id": "W1",
            "date": list(pd.date_range("2025-01-01", periods=28)) * 2,
            "forecast_qty": [0.1] * 28 + [10.0] * 28,
        }
    )
    pos = pd.DataFrame(
        {
            "item_id": ["I1", "I2"],
            "warehouse_id": ["W1"] * 2,
            "on_hand": [0, 0],
            "on_order": [0, 0],
            "committed": [0, 0],
        }
    )
    terms = pd.DataFrame(
        {
            "item_id": ["I1", "I2"],
            "supplier_id": ["S1", "S1"],
            "unit_price": [500.0, 1.0],
            "lead_time_days": [10, 10],
            "moq": [0, 0],
            "pack_size": [1, 1],
        }
    )
    plan = plan_replenishment(series, fc, pos, terms, fill_target=0.9).set_index("item_id")
    assert plan.loc["I1", "order_up_to"] == 0 and plan.loc["I1", "suggested_qty"] == 0
    assert plan.loc["I1", "why"].startswith("Make to order, not stocked")
    # cycle demand 70 of I2 and 0.7 of I1: I2 alone must give >= 90 % of the 70.7 units
    assert plan.loc["I2", "service_level"] >= 0.9 * 70.7 / 70
    assert plan.loc["I2", "suggested_qty"] > 0
    frequent = plan_replenishment(
        series.assign(adi=[10.0, 1.0]), fc, pos, terms, fill_target=0.9
    ).set_index("item_id")
    assert frequent.loc["I1", "stocking"] == "stock"
    assert frequent.loc["I1", "service_level"] >= frequent.loc["I1", "fill_floor"]


def test_make_to_order_items_are_not_stocked():
    series = pd.DataFrame(
        {
            "item_id": ["I1"],
            "warehouse_id": ["W1"],
            "demand_class": ["smooth"],
            "mean_daily_demand": [10.0],
            "sigma_daily_demand": [2.0],
        }
    )
    fc = pd.DataFrame(
        {
            "item_id": "I1",
            "warehouse_id": "W1",
            "date": pd.date_range("2025-01-01", periods=28),
            "forecast_qty": 10.0,
        }
    )
    pos = pd.DataFrame(
        {
            "item_id": ["I1"],
            "warehouse_id": ["W1"],
            "on_hand": [0],
            "on_order": [0],
            "committed": [0],
        }
    )
    terms = pd.DataFrame(
        {
            "item_id": ["I1"],
            "supplier_id": ["S1"],
            "unit_price": [1.0],
            "lead_time_days": [10],
            "moq": [0],
            "pack_size": [1],
        }
    )
    stocked = plan_replenishment(series, fc, pos, terms).iloc[0]
    assert stocked.stocking == "stock" and stocked.suggested_qty > 0
    mto = plan_replenishment(series, fc, pos, terms, made_to_order={"I1"}).iloc[0]
    assert mto.stocking == "make to order (item)" and mto.suggested_qty == 0
    assert mto.order_up_to == 0 and mto.why.startswith("Make-to-order item")


def test_demand_ceiling_is_the_most_demand_seen_over_the_exposure():
    from forecasting.replenishment import demand_ceiling

    nan = np.nan
    demand = np.array(
        [
            [1, 0, 3, 0, 2, 5, 0],  # 3-day sums 4 3 5 7 7 -> 7
            [nan, nan, nan, nan, nan, 2, 4],  # 2 days seen < 3: 6 * 3 / 2 = 9
            [nan] * 7,  # nothing seen: no ceiling
            [1, 0, 3, 0, 2, 5, 0],
        ],
        float,
    )  # 1 day: the largest day, 5
    got = demand_ceiling(demand, np.array([2.2, 3, 3, 1]), lookback=7)  # 2.2 d -> 3 d
    # row 1 saw 2 of the 7 days: 9 widened by sqrt(7 / 2)
    assert got[[0, 3]].tolist() == [7.0, 5.0] and np.isinf(got[2])
    assert got[1] == pytest.approx(9 * np.sqrt(3.5))
    # only the last `lookback` days count: the 5 + 0 of the last two days
    assert demand_ceiling(demand[:1], [2], lookback=2)[0] == 5.0
    # a full row under a 28-day lookback has seen 7 of 28 days: 7 * sqrt(28 / 7) = 14
    assert demand_ceiling(demand[:1], [3], lookback=28)[0] == pytest.approx(14.0)


def test_plan_never_stocks_above_the_most_demand_seen_over_the_exposure():
    """The hand-computed row above (S = 180.3 over E = 17 days) with a history whose
    busiest 17 days asked for 150: the level is held at 150 and the why says so; a
    history that once asked for 200 leaves the level as the model set it."""
    series, fc, pos = _hand_row()
    terms = pd.DataFrame(
        {
            "item_id": ["I1"],
            "supplier_id": ["S1"],
            "unit_price": [Decimal("2.50")],
            "lead_time_days": [10],
            "lead_time_std_days": [0.0],
            "moq": [0],
            "pack_size": [12],
        }
    )
    days = pd.date_range("2024-01-01", "2024-12-31")
    qty = np.zeros(len(days))
    qty[100:117] = [10] * 15 + [0, 0]  # the busiest 17 days: 150
    hist = pd.DataFrame({"item_id": "I1", "warehouse_id": "W1", "date": days, "demand_qty": qty})
    kw = dict(review_period_days=7, fill_target=0.98)
    r = plan_replenishment(series, fc, pos, terms, history=hist, **kw).iloc[0]
    assert r.order_up_to == pytest.approx(150) and r.capped and r.demand_ceiling == 150
    # position 40: need 110 -> 10 packs of 12 = 120
    assert r.suggested_qty == Decimal(120)
    assert "no more than the most customers asked for in any 17 days" in r.why
    qty[110] += 50  # once 200 in 17 days: the model's 180.3 stands
    hist["demand_qty"] = qty
    r = plan_replenishment(series, fc, pos, terms, history=hist, **kw).iloc[0]
    assert r.order_up_to == pytest.approx(180.3, abs=0.15) and not r.capped
    assert "no more than" not in r.why and r.demand_ceiling == 200

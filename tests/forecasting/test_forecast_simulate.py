"""Policy simulation: deterministic and sane on a small synthetic case."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from forecasting import simulate_policy

START = pd.Timestamp("2024-01-01")


def history(n_days=240, seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for item, lam in (("A", 8.0), ("B", 3.0), ("C", 0.4)):
        parts.append(pd.DataFrame({
            "item_id": item, "warehouse_id": "W1",
            "date": pd.date_range(START, periods=n_days, freq="D"),
            "demand_qty": rng.poisson(lam, n_days).astype(float),
            "is_stockout": False}))
    return pd.concat(parts, ignore_index=True)


TERMS = pd.DataFrame({
    "item_id": ["A", "A", "B", "C"], "supplier_id": ["S2", "S1", "S1", "S1"],
    "unit_price": [Decimal("2.00"), Decimal("2.50"), Decimal("10.00"), Decimal("40.00")],
    "lead_time_days": [6, 3, 5, 9], "lead_time_std_days": [1.0, 0.5, 1.0, 2.0],
    "moq": [0, 0, 10, 0], "pack_size": [6, 1, 5, 1],
})
SIM = {"start_date": START + pd.Timedelta(days=120), "end_date": START + pd.Timedelta(days=239)}


def test_simulation_is_deterministic_and_sane():
    h = history()
    a = simulate_policy(h, TERMS, **SIM, service_level=0.95)
    b = simulate_policy(h, TERMS, **SIM, service_level=0.95)
    pd.testing.assert_frame_equal(a.per_series, b.per_series)
    assert a.total == b.total
    per = a.per_series
    assert ((per.fill_rate >= 0) & (per.fill_rate <= 1)).all()
    assert 0 <= a.total["fill_rate"] <= 1
    assert a.total["n_days"] == 120 and len(a.daily) == 120
    assert per.set_index("item_id").loc["A", "supplier_id"] == "S2"  # cheapest
    assert (per.served_units + per.lost_units == per.demand_units).all()
    assert isinstance(a.total["avg_inventory_value"], Decimal)
    assert (per.units_ordered % np.array([6, 5, 1]) == 0).all()  # pack multiples (A, B, C)


def test_higher_service_level_gives_higher_fill_rate_and_inventory():
    h = history()
    low = simulate_policy(h, TERMS, **SIM, service_level=0.5)
    high = simulate_policy(h, TERMS, **SIM, service_level=0.95)
    assert high.total["fill_rate"] > low.total["fill_rate"]
    assert high.total["stockout_days"] < low.total["stockout_days"]
    assert high.total["avg_inventory_units"] > low.total["avg_inventory_units"]
    assert high.total["avg_inventory_value"] > low.total["avg_inventory_value"]


def test_lost_qty_counts_as_demand_and_custom_policy():
    h = history()
    h["lost_qty"] = np.where(h.item_id == "A", 1.0, np.nan)
    h["is_stockout"] = h.item_id == "A"
    res = simulate_policy(h, TERMS, **SIM, initial_on_hand=0,
                          policy_fn=lambda **kw: (np.zeros(3), np.zeros(3)))
    per = res.per_series.set_index("item_id")
    expected = h[(h.item_id == "A") & (h.date >= SIM["start_date"])]
    assert per.loc["A", "demand_units"] == pytest.approx((expected.demand_qty + 1).sum())
    assert per.loc["A", "fill_rate"] == 0.0  # never orders, starts empty
    assert per.loc["A", "orders_placed"] == 0


def test_missing_terms_raise():
    with pytest.raises(ValueError, match="no supplier terms"):
        simulate_policy(history(), TERMS[TERMS.item_id != "C"], **SIM)

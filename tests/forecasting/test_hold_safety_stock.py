"""The last review's safety stock is kept while a new estimate is within its noise
(forecasting.replenishment.hold_safety_stock), hand-computed."""

import numpy as np
import pandas as pd
import pytest

from forecasting import plan_replenishment
from forecasting.replenishment import hold_safety_stock
from tests.forecasting.test_forecast_policy import _hand_row


def test_hold_safety_stock_hand_computed():
    # 3 backtest windows: band = 1 / sqrt(2 * 3) = 0.40825
    S = np.array([110.0, 150.0, 80.0, 0.0, 50.0, 114.0, 114.2])
    mu = np.array([100.0, 100.0, 100.0, 40.0, 30.0, 100.0, 100.0])
    prev = np.array([12.0, 12.0, -18.0, 5.0, np.nan, 10.0, 10.0])
    out, ss, held = hold_safety_stock(S, mu, prev, 3)
    # new safety parts: 10, 50, -20, -40, 20, 14, 14.2
    # 10 vs 12: |-2| <= 0.408 * 12 = 4.9 -> kept 12, S = 100 + 12 = 112
    # 50 vs 12: 38 > 4.9 -> the new 50 at once, S = 150
    # -20 vs -18: 2 <= 0.408 * 18 = 7.35 -> kept -18, S = 82
    # S = 0 (not stocked) is never held; no previous (NaN) -> the new one
    # 14 vs 10: 4 <= 4.08 -> kept; 14.2 vs 10: 4.2 > 4.08 -> new
    assert held.tolist() == [True, False, True, False, False, True, False]
    assert out.tolist() == pytest.approx([112, 150, 82, 0, 50, 110, 114.2])
    assert ss.tolist() == pytest.approx([12, 50, -18, -40, 20, 10, 14.2])


def test_hold_band_follows_the_number_of_windows_and_none_holds_nothing():
    # 1 window: band 1 / sqrt(2) = 0.7071: 10 -> 17 kept, 10 -> 17.2 not
    out, ss, held = hold_safety_stock([117.0, 117.2], [100.0, 100.0], [10.0, 10.0], 1)
    assert held.tolist() == [True, False] and out.tolist() == pytest.approx([110, 117.2])
    out, ss, held = hold_safety_stock([117.0], [100.0], None, 3)
    assert not held.any() and out[0] == 117 and ss[0] == pytest.approx(17)


def test_plan_keeps_last_runs_safety_stock_and_says_so():
    series, fc, pos = _hand_row()
    terms = pd.DataFrame(
        {
            "item_id": ["I1"],
            "supplier_id": ["S1"],
            "unit_price": [2.5],
            "lead_time_days": [10],
            "lead_time_std_days": [0.0],
            "moq": [0],
            "pack_size": [12],
        }
    )
    abc = pd.DataFrame({"item_id": ["I1"], "warehouse_id": ["W1"], "abc_class": ["A"]})
    kw = dict(review_period_days=7, fill_target=0.98)
    fresh = plan_replenishment(series, fc, pos, terms, abc, **kw).iloc[0]
    # the hand row: S = 170 + 10.3 (test_plan_replenishment_hand_computed_row); no
    # backtest -> one error window, band 1 / sqrt(2) = 71 %
    assert fresh.safety_stock == pytest.approx(10.3, abs=0.15)
    last = pd.DataFrame({"item_id": ["I1"], "warehouse_id": ["W1"], "safety_stock": [12.0]})
    r = plan_replenishment(series, fc, pos, terms, abc, previous_plan=last, **kw).iloc[0]
    # |10.3 - 12| = 1.7 <= 0.707 * 12 = 8.5 -> kept: S = 170 + 12 = 182; position 40,
    # need 142 -> 12 packs of 12 = 144
    assert r.safety_stock == pytest.approx(12) and r.order_up_to == pytest.approx(182)
    assert r.suggested_qty == 144
    assert "last run's 12: this run's estimate 10.3" in r.why and "±71 %" in r.why
    assert "1 backtest window)" in r.why
    far = last.assign(safety_stock=40.0)
    # |10.3 - 40| = 29.7 > 0.707 * 40 = 28.3 -> this run's estimate at once
    r2 = plan_replenishment(series, fc, pos, terms, abc, previous_plan=far, **kw).iloc[0]
    assert r2.order_up_to == pytest.approx(fresh.order_up_to)
    assert "last run's" not in r2.why


def test_previous_plan_only_for_the_same_fill_target(tmp_path):
    import duckdb

    from pipelines.planning import previous_plan

    path = tmp_path / "planning.duckdb"
    assert previous_plan(path, 0.97) is None  # no earlier run
    con = duckdb.connect(str(path))
    con.execute(
        "create table replenishment_plan as select 'I1' as item_id, "
        "'W1' as warehouse_id, 12.0 as safety_stock"
    )
    con.execute("create table planning_runs as select 0.97 as fill_target")
    con.close()
    got = previous_plan(path, 0.97)
    assert got.to_dict("records") == [{"item_id": "I1", "warehouse_id": "W1", "safety_stock": 12.0}]
    assert previous_plan(path, 0.99) is None  # the planner changed the target
    con = duckdb.connect(str(path))
    con.execute("create or replace table planning_runs as select 'nan'::double as fill_target")
    con.close()
    assert previous_plan(path, 0.97) is None  # a run that recorded no target

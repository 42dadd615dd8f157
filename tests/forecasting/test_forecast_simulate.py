"""The policy replay: hand-computed naive rule, shipments, common random numbers,
determinism, no look-ahead through the live forecasting, the equal-fill reduction."""

import numpy as np
import pandas as pd
import pytest

from forecasting import ReplayInputs, SupplierBehaviour, reduction_at_equal_fill, replay_policies
from forecasting.simulate import (
    _shipments,
    make_draws,
    naive_rule,
    planning_levels,
    planning_rule,
    replay,
)

START = pd.Timestamp("2025-01-06")


def inputs(
    demand,
    window_start,
    *,
    lead=3,
    opening=60.0,
    level=50.0,
    qty=100.0,
    partial=0.0,
    share=None,
    delay=None,
    reject=None,
    cost=2.0,
):
    demand = np.atleast_2d(np.asarray(demand, dtype=float))
    n = demand.shape[0]
    arr = lambda v: np.full(n, float(v))
    return ReplayInputs(
        keys=pd.DataFrame({"item_id": range(1, n + 1), "warehouse_id": 1}),
        start_date=START,
        demand=demand,
        window_start=window_start,
        unit_cost=arr(cost),
        lead_time=arr(lead),
        lead_time_std=arr(0),
        pack=arr(1),
        moq=arr(0),
        fill_floor=arr(0.5),
        naive_level=arr(level),
        naive_qty=arr(qty),
        opening_on_hand=arr(opening),
        pipeline=pd.DataFrame(columns=["series", "day", "qty", "shipped"]),
        behaviour=SupplierBehaviour(
            lead_times=[np.array([lead])] * n,
            partial_prob=arr(partial),
            first_share=[None if share is None else np.array([share])] * n,
            extra_delay=[None if delay is None else np.array([delay])] * n,
            reject_share=[None if reject is None else np.array([reject])] * n,
        ),
    )


def test_naive_rule_hand_computed():
    # 10 a day; opening 60, level 50, quantity 100, lead time 3 d, weekly review from day 0.
    # day 0: position 60 > 50, no order; stock 50 40 30 20 10 0 after days 0-5, day 6 short.
    # day 7: position 0 <= 50 -> ceil((50 - 0 + 1) / 100) = 1 x 100, arrives day 10.
    # days 7-9 short; day 10: 100 - 10 = 90, then 80 70 60.
    # served 60 + 40 = 100 of 140 -> 0.7142857; stockout days 6, 7, 8, 9 -> 4;
    # closing stock 50+40+30+20+10+0+0+0+0+0+90+80+70+60 = 450 units / 14 days x 2.00 = 64.29
    inp = inputs(np.full(28, 10.0), 14)
    out = replay(inp, naive_rule(inp), make_draws(1, 2, 0))
    assert out.fill_rate == pytest.approx(100 / 140)
    assert out.stockout_days == 4 and out.orders == 1
    assert out.avg_inventory_value == pytest.approx(450 / 14 * 2)


def test_warm_up_days_run_but_are_not_measured():
    # the same replay measured from day 7: days 7-13 demand 70, served 40 (days 10-13),
    # stockout days 7, 8, 9; closing stock 0+0+0+90+80+70+60 = 300 / 7 days x 2.00;
    # the order placed on day 7 counts
    inp = inputs(np.full(28, 10.0), 14)
    inp.measure_from = 7
    out = replay(inp, naive_rule(inp), make_draws(1, 2, 0))
    assert out.fill_rate == pytest.approx(40 / 70)
    assert out.stockout_days == 3 and out.orders == 1
    assert out.avg_inventory_value == pytest.approx(300 / 7 * 2)
    assert replay_policies(inp, flat_forecaster([]), targets=(0.9,))["window_days"] == 7


def test_open_orders_at_the_start_arrive_for_every_policy():
    # an order open at the start: 40 accepted (of 50 shipped, 10 rejected) on day 2
    inp = inputs(np.full(28, 10.0), 14, opening=20.0, qty=0.0)  # no rule: never orders
    inp.pipeline = pd.DataFrame({"series": [0], "day": [2], "qty": [40.0], "shipped": [50.0]})
    out = replay(inp, naive_rule(inp), make_draws(1, 2, 0))
    # stock 10, 0 after days 0-1, day 2: +40 -> 30, then 20 10 0 -> served 20 + 40 = 60
    assert out.served_units == 60 and out.demand_units == 140


def test_partial_delivery_and_qc_rejects_follow_the_measured_shares():
    inp = inputs(np.full(28, 10.0), 14, partial=1.0, share=0.6, delay=5, reject=0.1)
    ships = _shipments(inp, make_draws(1, 2, 0), 0, 0, 100.0)
    # 60 after 3 d (6 rejected), the other 40 five days later (4 rejected)
    assert ships == [(3, 60.0, 54.0), (8, 40.0, 36.0)]


def test_same_decisions_give_the_same_outcome_common_random_numbers():
    rng = np.random.default_rng(1)
    demand = rng.poisson(4.0, size=(3, 120)).astype(float)
    inp = inputs(demand, 60, partial=0.5, share=0.5, delay=4, reject=0.05, level=40, qty=60)
    inp.behaviour.lead_times = [np.array([2.0, 3.0, 5.0, 9.0])] * 3
    draws = make_draws(3, 10, 7)
    a = replay(inp, naive_rule(inp), draws)
    b = replay(inp, naive_rule(inp), draws)
    assert a.summary() == b.summary()
    other = replay(inp, naive_rule(inp), make_draws(3, 10, 8))
    assert other.summary() != a.summary()  # the draws matter: lead times 2-9 d


def flat_forecaster(seen):
    """A forecaster that records what it was shown: the mean of the last 28 days."""

    def run(hist, _start):
        seen.append(hist.shape[1])
        d = np.nan_to_num(np.nanmean(hist[:, -28:], axis=1))
        errors = hist[:, None, -28:] - d[:, None, None]
        return np.repeat(d[:, None], 40, axis=1), errors, np.zeros(len(d), bool)

    return run


def test_replay_is_deterministic_and_the_json_has_exactly_the_fields():
    rng = np.random.default_rng(3)
    demand = rng.poisson(5.0, size=(4, 150)).astype(float)
    inp = inputs(demand, 80, level=60, qty=80)
    a = replay_policies(inp, flat_forecaster([]), targets=(0.9, 0.95, 0.99), seed=5)
    b = replay_policies(inp, flat_forecaster([]), targets=(0.9, 0.95, 0.99), seed=5)
    assert a == b
    assert set(a) == {
        "window_days",
        "series",
        "naive",
        "planning",
        "inventory_reduction_at_equal_fill",
    }
    assert a["window_days"] == 70 and a["series"] == 4
    assert set(a["naive"]) == {"fill_rate", "avg_inventory_value", "stockout_days", "orders"}
    assert [p["target"] for p in a["planning"]] == [0.9, 0.95, 0.99]
    assert all(
        set(p) == {"target", "fill_rate", "avg_inventory_value", "stockout_days", "orders"}
        for p in a["planning"]
    )
    fills = [p["fill_rate"] for p in a["planning"]]
    values = [p["avg_inventory_value"] for p in a["planning"]]
    assert fills == sorted(fills) and values == sorted(values)  # a higher target costs stock


def test_each_review_sees_only_the_days_before_it():
    rng = np.random.default_rng(4)
    demand = rng.poisson(5.0, size=(2, 120)).astype(float)
    inp = inputs(demand, 64)
    seen = []
    levels = planning_levels(inp, flat_forecaster(seen), [0.95])[0.95]
    assert seen == [64 + 7 * r for r in range(8)]
    # change demand from day 92 on: the reviews on days 64 .. 92 decide exactly as before
    changed = demand.copy()
    changed[:, 92:] *= 5
    inp2 = inputs(changed, 64)
    levels2 = planning_levels(inp2, flat_forecaster([]), [0.95])[0.95]
    np.testing.assert_array_equal(levels[:5], levels2[:5])
    assert not np.array_equal(levels[5:], levels2[5:])


def test_planning_rule_orders_up_to_the_level():
    inp = inputs(np.full(28, 10.0), 14, opening=0.0)
    levels = np.array([[70.0], [70.0]])
    out = replay(inp, planning_rule(inp, levels), make_draws(1, 2, 0))
    # day 0: order 70, arrives day 3; days 0-2 short; 70 -> 60 .. 30 on days 3-6;
    # day 7: position 30 -> order 40, arrives day 10; 20 10 0 on days 7-9; day 10: +40 -> 30
    assert out.orders == 2
    assert out.served_units == 4 * 10 + 3 * 10 + 4 * 10


def test_reduction_at_equal_fill_interpolates_the_frontier():
    naive = {"fill_rate": 0.93, "avg_inventory_value": 1000.0}
    frontier = [
        {"fill_rate": 0.90, "avg_inventory_value": 500.0},
        {"fill_rate": 0.95, "avg_inventory_value": 700.0},
        {"fill_rate": 0.98, "avg_inventory_value": 900.0},
    ]
    # at 0.93: 500 + (0.03 / 0.05) * 200 = 620 -> 1 - 620 / 1000 = 0.38
    assert reduction_at_equal_fill(naive, frontier) == pytest.approx(0.38)
    # below the frontier: its lowest point (conservative); above it: no equal-fill point
    assert reduction_at_equal_fill({**naive, "fill_rate": 0.8}, frontier) == pytest.approx(0.5)
    assert reduction_at_equal_fill({**naive, "fill_rate": 0.99}, frontier) is None


def test_reviews_refitted_in_worker_processes_give_the_same_levels():
    rng = np.random.default_rng(5)
    inp = inputs(rng.poisson(5.0, size=(3, 120)).astype(float), 64)
    one = planning_levels(inp, flat_forecaster([]), [0.9, 0.99])
    two = planning_levels(inp, flat_forecaster([]), [0.9, 0.99], workers=2)
    for t in (0.9, 0.99):
        np.testing.assert_array_equal(one[t], two[t])
    assert (one[0.99] > one[0.9]).all()


def test_hindsight_bound_hand_computed():
    # 2 a day, lead time 0 (an order at a review arrives before that day's demand),
    # opening stock 0, weekly reviews, 14 measured days, unit cost 2.00.
    # Full fill needs S >= 14 (a week's demand): closing stock 12 10 8 6 4 2 0 each week,
    # average 42 / 7 = 6 units = 12.00. At fill 12/14 the cheapest level is S = 12:
    # closing 10 8 6 4 2 0 0 (day 6 short by 2), average 30 / 7 units = 60 / 7 = 8.571.
    from forecasting.simulate import hindsight_bound

    inp = inputs(np.full(28, 2.0), 14, lead=0, opening=0.0)
    full = hindsight_bound(inp, 1.0)
    assert full["fill_rate"] == pytest.approx(1.0)
    assert full["avg_inventory_value"] == pytest.approx(12.0)
    part = hindsight_bound(inp, 12 / 14)
    assert part["fill_rate"] == pytest.approx(12 / 14)
    assert part["avg_inventory_value"] == pytest.approx(60 / 7)
    # a fill no fixed level reaches (demand before any stock can arrive) -> None
    late = inputs(np.full(28, 2.0), 14, lead=30, opening=0.0)
    assert hindsight_bound(late, 0.5)["avg_inventory_value"] is None


def test_replications_are_pooled_units_over_units_and_means():
    from forecasting.simulate import PolicyOutcome, pooled

    # replication 1: 90 of 100 units served, 10.00 of stock; replication 2: 50 of 100, 30.00
    a = PolicyOutcome(0.9, 10.0, 3, 2, 100.0, 90.0)
    b = PolicyOutcome(0.5, 30.0, 5, 4, 100.0, 50.0)
    assert pooled([a, b]) == {
        "fill_rate": 0.7,
        "avg_inventory_value": 20.0,
        "stockout_days": 4,
        "orders": 3,
    }
    # units over units, not the mean of the fill rates: 90 + 10 of 100 + 20 -> 100 / 120
    c = PolicyOutcome(0.5, 0.0, 0, 0, 20.0, 10.0)
    assert pooled([a, c])["fill_rate"] == round(100 / 120, 6)


def test_replications_replay_each_stream_and_pool_them():
    from forecasting.simulate import replay_frontiers, replication_draws

    rng = np.random.default_rng(6)
    demand = rng.poisson(5.0, size=(4, 150)).astype(float)
    inp = inputs(demand, 80, level=40, qty=60)
    # lead times vary (1-9 days), so each stream delivers differently
    inp.behaviour.lead_times = [np.arange(1, 10)] * 4
    one = replay_policies(inp, flat_forecaster([]), targets=(0.9, 0.99), seed=5, replications=1)
    # one replication is the single stream of the seed, as before replications existed
    draws = make_draws(4, 10, 5)
    assert one["naive"] == replay(inp, naive_rule(inp), draws).summary()
    three, per = replay_frontiers(
        inp, flat_forecaster([]), targets=(0.9, 0.99), seed=5, replications=3
    )
    assert len(per) == 3 and per[0] == one["inventory_reduction_at_equal_fill"]
    runs = [replay(inp, naive_rule(inp), replication_draws(4, 10, 5, k)) for k in range(3)]
    assert len({r.served_units for r in runs}) > 1  # the streams differ
    assert three["naive"]["fill_rate"] == round(
        sum(r.served_units for r in runs) / sum(r.demand_units for r in runs), 6
    )
    assert three["naive"]["avg_inventory_value"] == round(
        sum(r.avg_inventory_value for r in runs) / 3, 2
    )
    assert replay_policies(
        inp, flat_forecaster([]), targets=(0.9,), seed=5, replications=3
    ) == replay_policies(inp, flat_forecaster([]), targets=(0.9,), seed=5, replications=3)
    with pytest.raises(ValueError, match="replications: 0"):
        replay_policies(inp, flat_forecaster([]), replications=0)

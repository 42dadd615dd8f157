"""Planning parameters live in one place (forecasting.parameters): every default that
used to repeat them reads that definition, and a run's parameters reach the plan."""

from __future__ import annotations

import inspect

import pandas as pd

import forecasting
from forecasting import parameters, policy, replenishment, simulate
from forecasting.parameters import PLANNING_DEFAULTS, PlanningParameters
from pipelines import planning as planning_module
from pipelines import simulation


def test_defaults_are_defined_once():
    assert PLANNING_DEFAULTS == PlanningParameters(
        review_period_days=7,
        fill_target=0.97,
        fill_floors={"A": 0.80, "B": 0.70, "C": 0.50},
        min_horizon_days=28,
        horizon_lead_time_stds=2.0,
    )
    # the library's names are the same objects, not copies of the numbers
    assert policy.DEFAULT_FILL_TARGET is parameters.DEFAULT_FILL_TARGET
    assert policy.DEFAULT_FILL_FLOORS is parameters.DEFAULT_FILL_FLOORS
    assert forecasting.DEFAULT_FILL_FLOORS is PLANNING_DEFAULTS.fill_floors
    assert planning_module.REVIEW_PERIOD_DAYS == simulation.REVIEW_PERIOD_DAYS == 7
    defaults = {
        (replenishment.plan_replenishment, "review_period_days"): 7,
        (replenishment.plan_replenishment, "fill_target"): 0.97,
        (simulate.replay, "review_period"): 7,
        (simulate.planning_levels, "review_period"): 7,
        (simulate.replay_policies, "review_period"): 7,
        (simulate.hindsight_bound, "review_period"): 7,
    }
    for (fn, name), value in defaults.items():
        assert inspect.signature(fn).parameters[name].default == value, (fn, name)


def test_horizon_days():
    p = PLANNING_DEFAULTS
    assert p.horizon_days(None) == 28  # no terms: the floor
    assert p.horizon_days(float("nan")) == 28
    assert p.horizon_days(16.0) == 28  # 16 + 7 = 23 < 28
    assert p.horizon_days(21.2) == 29  # ceil(21.2) = 22, + 7
    assert PlanningParameters(review_period_days=14).horizon_days(21.2) == 36


def test_forecast_horizon_reads_the_parameters(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        forecasting,
        "forecast_for_planning",
        lambda history, horizon, as_of=None: seen.setdefault("h", horizon),
    )
    terms = pd.DataFrame({"lead_time_days": [10.0, 20.0], "lead_time_std_days": [1.0, 2.5]})
    inputs = {"terms": terms, "history": pd.DataFrame()}
    planning_module.forecast(inputs)
    assert seen.pop("h") == 32  # 20 + 2 × 2.5 = 25, + 7
    planning_module.forecast(
        inputs, params=PlanningParameters(review_period_days=3, min_horizon_days=40)
    )
    assert seen.pop("h") == 40  # 25 + 3 = 28 < 40


def test_a_run_fill_target_overrides_only_the_target():
    p = planning_module.parameters(0.9)
    assert (p.fill_target, p.review_period_days, dict(p.fill_floors)) == (
        0.9,
        7,
        {"A": 0.80, "B": 0.70, "C": 0.50},
    )
    assert planning_module.parameters() is PLANNING_DEFAULTS
    own = PlanningParameters(review_period_days=14)
    assert planning_module.parameters(None, own) is own

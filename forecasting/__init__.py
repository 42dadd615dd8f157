"""Quartermaster demand forecasting and replenishment - a pure pandas/numpy/scikit-learn library.

No database, no Dagster, no imports from transactional/, pipelines/ or dashboards/:
DataFrames in, DataFrames out. See docs/forecasting.md.
"""

from .backtest import CANDIDATES, MODEL_ORDER, BacktestResult, run_backtest, select_models
from .classify import DemandClass, classify_demand, syntetos_boylan
from .forecast import ForecastResult, forecast_demand, to_panel
from .intermittent import croston_sba
from .models import (
    MODELS,
    croston,
    global_gbm,
    holt_winters,
    moving_average,
    sba,
    seasonal_naive,
    ses,
    tsb,
)
from .policy import (
    DEFAULT_SERVICE_LEVELS,
    choose_supplier,
    intermittent_levels,
    normal_levels,
    order_quantities,
    policy_levels,
    safety_stock_normal,
    service_level_for_class,
    suggest_order,
)
from .replenishment import plan_replenishment
from .simulate import SimulationResult, simulate_policy

__all__ = [
    "CANDIDATES",
    "DEFAULT_SERVICE_LEVELS",
    "MODELS",
    "MODEL_ORDER",
    "BacktestResult",
    "DemandClass",
    "ForecastResult",
    "SimulationResult",
    "choose_supplier",
    "classify_demand",
    "croston",
    "croston_sba",
    "forecast_demand",
    "global_gbm",
    "holt_winters",
    "intermittent_levels",
    "moving_average",
    "normal_levels",
    "order_quantities",
    "plan_replenishment",
    "policy_levels",
    "run_backtest",
    "safety_stock_normal",
    "sba",
    "seasonal_naive",
    "select_models",
    "service_level_for_class",
    "ses",
    "simulate_policy",
    "suggest_order",
    "syntetos_boylan",
    "to_panel",
    "tsb",
]

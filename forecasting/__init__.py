"""Quartermaster demand forecasting and replenishment - a pure pandas/numpy/scikit-learn library.

No database, no Dagster, no imports from transactional/, pipelines/ or dashboards/:
DataFrames in, DataFrames out. See docs/forecasting.md.
"""

from .api import cross_validate, forecast
from .backtest import CANDIDATES, MODEL_ORDER, BacktestResult, run_backtest, select_models
from .classify import DemandClass, classify_demand, syntetos_boylan
from .daily import ForecastResult, forecast_demand, to_panel
from .intermittent import croston_sba
from .lumps import cap_history, cap_panel, lump_thresholds
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
from .parameters import PLANNING_DEFAULTS, REVIEW_PERIOD_DAYS, PlanningParameters
from .policy import (
    DEFAULT_FILL_FLOORS,
    DEFAULT_FILL_TARGET,
    DemandOverExposure,
    accumulated_error_variance,
    allocate_fill_rates,
    choose_supplier,
    fill_rate,
    normal_loss,
    order_quantities,
    order_up_to_for_fill,
    service_floor_for_class,
    suggest_order,
)
from .replenishment import forecast_for_planning, plan_replenishment
from .simulate import (
    DEFAULT_REPLICATIONS,
    ReplayInputs,
    SupplierBehaviour,
    reduction_at_equal_fill,
    replay_frontiers,
    replay_policies,
)

__all__ = [
    "PLANNING_DEFAULTS",
    "PlanningParameters",
    "REVIEW_PERIOD_DAYS",
    "cap_history",
    "cap_panel",
    "forecast_for_planning",
    "lump_thresholds",
    "DEFAULT_FILL_FLOORS",
    "DEFAULT_FILL_TARGET",
    "DemandOverExposure",
    "accumulated_error_variance",
    "allocate_fill_rates",
    "fill_rate",
    "normal_loss",
    "order_up_to_for_fill",
    "service_floor_for_class",
    "CANDIDATES",
    "MODELS",
    "MODEL_ORDER",
    "BacktestResult",
    "DemandClass",
    "ForecastResult",
    "ReplayInputs",
    "SupplierBehaviour",
    "choose_supplier",
    "classify_demand",
    "croston",
    "croston_sba",
    "cross_validate",
    "forecast",
    "forecast_demand",
    "global_gbm",
    "holt_winters",
    "moving_average",
    "order_quantities",
    "plan_replenishment",
    "run_backtest",
    "sba",
    "seasonal_naive",
    "select_models",
    "ses",
    "reduction_at_equal_fill",
    "replay_frontiers",
    "replay_policies",
    "DEFAULT_REPLICATIONS",
    "suggest_order",
    "syntetos_boylan",
    "to_panel",
    "tsb",
]

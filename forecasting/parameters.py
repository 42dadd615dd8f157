"""Planning parameters, defined once.

Every number the business sets for planning - how often it reviews, the aggregate
fill-rate target, the fill-rate floor of each ABC class, how far ahead it forecasts -
is a field of :class:`PlanningParameters`; its defaults are the only definition in the
project. The forecasting library's defaults (:mod:`forecasting.policy`,
:mod:`forecasting.replenishment`, :mod:`forecasting.simulate`), the live plan and the
policy replay (``pipelines.planning``, ``pipelines.simulation``) and ``qm plan`` read
them from here; a run that plans differently (``qm plan --fill-target 0.95``) passes a
changed copy (:func:`dataclasses.replace`) along. docs/planning.md, "Planning
parameters".

The ABC/XYZ class *thresholds* are data of the warehouse, not of planning
(``dbt_project/seeds/abc_thresholds.csv``, ``xyz_thresholds.csv``); the business's own
reorder rules are master data (``reorder_rule``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field


def _default_floors() -> dict[str, float]:
    return {"A": 0.80, "B": 0.70, "C": 0.50}


@dataclass(frozen=True)
class PlanningParameters:
    """What a planning run is sized by.

    * ``review_period_days`` (R): days between two reviews; an order placed now must last
      lead time + R (the exposure E).
    * ``fill_target``: the aggregate fill rate (units served from stock / units demanded)
      the plan sizes stock for, allocated over the series at the least stock value.
    * ``fill_floors``: per ABC class the lowest fill rate any series of that class gets
      (a missing or unknown class counts as C).
    * ``min_horizon_days``: the forecast horizon is at least this many days...
    * ``horizon_lead_time_stds``: ...and otherwise the longest lead time plus this many
      of its standard deviations plus the review period.
    """

    review_period_days: int = 7
    fill_target: float = 0.97
    fill_floors: Mapping[str, float] = field(default_factory=_default_floors)
    min_horizon_days: int = 28
    horizon_lead_time_stds: float = 2.0

    def horizon_days(self, longest_lead_time_days: float | None) -> int:
        """Forecast days a run needs: the longest lead time (already + its standard
        deviations) plus the review period, at least ``min_horizon_days``."""
        longest = (
            0.0
            if longest_lead_time_days is None or math.isnan(longest_lead_time_days)
            else float(longest_lead_time_days)
        )
        return max(self.min_horizon_days, math.ceil(longest) + self.review_period_days)


PLANNING_DEFAULTS = PlanningParameters()
# the defaults under the names the library has always used
REVIEW_PERIOD_DAYS = PLANNING_DEFAULTS.review_period_days
DEFAULT_FILL_TARGET = PLANNING_DEFAULTS.fill_target
DEFAULT_FILL_FLOORS = PLANNING_DEFAULTS.fill_floors

"""The knobs of the demo company: sizes per scale and the behaviour of demand, suppliers,
customers and the warehouse. Everything the generator does is driven from here, so the
statistical tests can assert the data against the same numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class CategorySpec:
    """A product category: yearly seasonality (peak month, amplitude of a cosine) and a
    yearly demand trend (+0.25 = 25 % more per year)."""

    name: str
    peak_month: int
    amplitude: float
    trend: float
    cost_range: tuple[float, float]  # unit cost from a supplier
    vat_rate: str = "0.20"


CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec("Fasteners", 4, 0.10, 0.00, (0.2, 4.0)),
    CategorySpec("Hand tools", 12, 0.35, 0.05, (4.0, 40.0)),
    CategorySpec("Power tools", 12, 0.40, 0.30, (35.0, 260.0)),
    CategorySpec("Garden", 5, 0.65, 0.10, (3.0, 80.0)),
    CategorySpec("Heating", 1, 0.75, -0.20, (15.0, 180.0)),
    CategorySpec("Lighting", 11, 0.30, 0.25, (2.0, 45.0)),
    CategorySpec("Paint", 4, 0.30, -0.12, (5.0, 60.0)),
    CategorySpec("Plumbing", 2, 0.15, 0.03, (1.0, 50.0)),
    CategorySpec("Electrical", 10, 0.15, 0.08, (0.5, 35.0)),
    CategorySpec("Safety", 3, 0.10, 0.15, (2.0, 30.0), "0.10"),
    CategorySpec("Cleaning", 9, 0.10, -0.05, (1.0, 15.0)),
    CategorySpec("Seasonal decor", 12, 1.30, 0.00, (2.0, 25.0)),
)

# Monday … Sunday: a B2B wholesaler; Saturday is a half day and Sunday is closed
WEEKDAY_FACTOR = (1.25, 1.15, 1.10, 1.05, 0.95, 0.35, 0.0)
CLOSED_DAYS = ((12, 25), (12, 26), (1, 1))  # (month, day) public holidays

REGIONS = ("North", "South", "East", "West", "Central")
ROLES = ("admin", "manager", "sales", "purchasing", "warehouse", "finance", "planner")


@dataclass(frozen=True)
class Scale:
    """Sizes of one demo scale; `so_lines` is the target number of sales order lines."""

    name: str
    items: int
    categories: int
    warehouses: int
    customers: int
    regions: int
    suppliers: int
    carriers: int
    months: int
    so_lines: int


# so_lines counts demand events; a customer asking for the same item twice on a day gets
# one line, so the orders end up with about 6 % fewer lines (~4k, ~100k and ~1M)
SCALES: dict[str, Scale] = {
    "small": Scale("small", 40, 6, 2, 20, 2, 5, 2, 6, 4_250),
    "medium": Scale("medium", 300, 12, 3, 80, 4, 15, 3, 24, 106_000),
    "large": Scale("large", 2000, 12, 5, 400, 5, 40, 5, 24, 1_060_000),
}


@dataclass(frozen=True)
class Knobs:
    """Behaviour shared by every scale (probabilities per event unless said otherwise)."""

    intermittent_share: float = 0.30  # items with slow, lumpy demand
    yearly_peak_month: int = 12  # the whole trade peaks before year end…
    yearly_amplitude: float = 0.20  # …by this much (on top of each category's season)
    launched_share: float = 0.08  # items launched during the history
    discontinued_share: float = 0.06  # items discontinued during the history
    lines_per_order: float = 9.0  # mean sales order lines per order (B2B)
    promos_per_year: int = 6
    promo_weeks: tuple[int, int] = (2, 4)
    promo_discount: tuple[float, float] = (0.10, 0.25)
    promo_lift: tuple[float, float] = (1.4, 2.0)
    return_rate: float = 0.02  # share of delivered quantity returned
    split_delivery: float = 0.04  # orders shipped in two deliveries
    next_day_shipping: float = 0.30  # orders shipped the next working day
    supplier_late_share: float = 0.30  # suppliers that are often late
    late_prob_reliable: tuple[float, float] = (0.02, 0.10)
    late_prob_unreliable: tuple[float, float] = (0.35, 0.60)
    partial_delivery: tuple[float, float] = (0.05, 0.25)
    qc_reject_line: tuple[float, float] = (0.005, 0.05)
    purchase_return_line: float = 0.012  # receipt lines with a defect found next day
    price_change_per_year: float = 1.0  # supplier price revisions per supplier and year
    shrink_rate: float = 0.002  # share of counted units missing per monthly count
    surplus_prob: float = 0.01  # count lines finding a few units more
    cancel_rate: float = 0.002  # documents cancelled and redone
    po_reject_rate: float = 0.01  # purchase orders a manager rejects
    close_through_months: int = 2  # months kept open before the period close


@dataclass(frozen=True)
class DemoConfig:
    """One generation run: the scale, the seed and the simulated calendar."""

    scale: Scale
    seed: int = 42
    start: dt.date = dt.date(2024, 1, 1)
    months: int = 24
    knobs: Knobs = field(default_factory=Knobs)

    @property
    def end(self) -> dt.date:
        """The first day after the history."""
        return add_months(self.start, self.months)

    @property
    def target_lines(self) -> int:
        """Sales order lines to aim for, pro rata to the months simulated."""
        return max(200, round(self.scale.so_lines * self.months / self.scale.months))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (clamped to the month's last day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def default_start(months: int, today: dt.date | None = None) -> dt.date:
    """A start date so that the history ends yesterday."""
    return add_months(today or dt.date.today(), -months)


def make_config(
    scale: str | Scale,
    seed: int = 42,
    start: dt.date | str | None = None,
    months: int | None = None,
    **knobs,
) -> DemoConfig:
    """A DemoConfig for a named (or custom) scale; `months` defaults to the scale's."""
    spec = scale if isinstance(scale, Scale) else SCALES[scale]
    months = months or spec.months
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    return DemoConfig(spec, seed, start or default_start(months), months, replace(Knobs(), **knobs))

"""Customer demand: compound-Poisson order lines per item, warehouse and day, shaped by
weekly and yearly seasonality, category trends, promotions and item life cycles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from demo.config import CLOSED_DAYS, WEEKDAY_FACTOR, DemoConfig
from demo.world import World

RAMP_DAYS = 60  # a new item's demand ramps up, a discontinued one's fades out


def is_open(day: dt.date) -> bool:
    """The business works Monday to Saturday, except public holidays."""
    return day.weekday() != 6 and (day.month, day.day) not in CLOSED_DAYS


def next_open(day: dt.date) -> dt.date:
    """`day` or the next working day."""
    while not is_open(day):
        day += dt.timedelta(days=1)
    return day


@dataclass
class Promo:
    """A promotion: items sold at a discount for some weeks, lifting demand."""

    start: dt.date
    end: dt.date  # exclusive
    items: list[int]
    discount: float
    lift: float


class Demand:
    """The demand model; `lines(day)` draws the order lines of one day."""

    def __init__(self, cfg: DemoConfig, world: World, rng: np.random.Generator):
        self.cfg, self.world, self.rng = cfg, world, rng
        self.days = [cfg.start + dt.timedelta(days=d) for d in range((cfg.end - cfg.start).days)]
        n_days, items = len(self.days), world.items
        doy = np.array([d.timetuple().tm_yday for d in self.days], dtype=float)
        years = np.arange(n_days, dtype=float) / 365.25
        cats = sorted({it.cat for it in items})
        season = np.ones((max(cats) + 1, n_days))
        trend = np.ones_like(season)
        year_doy = np.arange(1, 366, dtype=float)
        for it in items:
            c, spec = it.cat, it.category
            peak = (spec.peak_month - 0.5) * 365.25 / 12
            shape = np.maximum(
                0.15, 1 + spec.amplitude * np.cos(2 * np.pi * (year_doy - peak) / 365.25)
            )
            curve = np.maximum(0.15, 1 + spec.amplitude * np.cos(2 * np.pi * (doy - peak) / 365.25))
            season[c] = curve / shape.mean()  # a year of it averages 1
            trend[c] = (1 + spec.trend) ** years
        weekday = np.array([WEEKDAY_FACTOR[d.weekday()] if is_open(d) else 0.0 for d in self.days])
        life = np.ones((len(items), n_days))
        day_idx = {d: k for k, d in enumerate(self.days)}
        for it in items:
            if it.launched_on:
                k = day_idx[it.launched_on]
                life[it.idx, :k] = 0
                ramp = np.linspace(0.2, 1.0, RAMP_DAYS)[: n_days - k]
                life[it.idx, k : k + len(ramp)] = ramp
            if it.discontinued_on:
                k = day_idx[it.discontinued_on]
                fade = (
                    np.linspace(1.0, 0.3, RAMP_DAYS)[-k:]
                    if k < RAMP_DAYS
                    else np.linspace(1.0, 0.3, RAMP_DAYS)
                )
                life[it.idx, k - len(fade) : k] *= fade
                life[it.idx, k:] = 0
        self.promos = self._promos(rng)
        lift = np.ones((len(items), n_days))
        self.discount = np.zeros((len(items), n_days))
        for p in self.promos:
            a, b = day_idx[p.start], day_idx.get(p.end, n_days)
            after = min(n_days, b + 14)
            for i in p.items:
                lift[i, a:b] *= p.lift
                lift[i, b:after] *= 0.85  # customers bought ahead: a dip after the promo
                self.discount[i, a:b] = p.discount
        kn = cfg.knobs
        trade = 1 + kn.yearly_amplitude * np.cos(
            2 * np.pi * (doy - (kn.yearly_peak_month - 0.5) * 365.25 / 12) / 365.25
        )
        cat_of = np.array([it.cat for it in items])
        self.factor = season[cat_of] * trend[cat_of] * life * lift * (weekday * trade)[None, :]
        base = np.array([it.rate for it in items])
        regular = np.array([not it.intermittent for it in items])
        fixed = (self.factor[~regular].sum(axis=1) * base[~regular]).sum()
        free = (self.factor[regular].sum(axis=1) * base[regular]).sum()
        scale = max(0.05, (cfg.target_lines - fixed) / max(free, 1e-9))
        self.rate = np.where(regular, base * scale, base)
        self.wh_share = world.wh_share
        self.mean_packs = np.array([it.mean_packs for it in items])
        self.pack = np.array([it.pack for it in items])
        self.intermittent = ~regular

    def _promos(self, rng: np.random.Generator) -> list[Promo]:
        kn, items = self.cfg.knobs, self.world.items
        n = max(1, round(kn.promos_per_year * len(self.days) / 365))
        out = []
        for _ in range(n):
            weeks = int(rng.integers(kn.promo_weeks[0], kn.promo_weeks[1] + 1))
            start = self.days[int(rng.integers(0, max(1, len(self.days) - 7 * weeks)))]
            if rng.random() < 0.5:  # a whole category…
                cat = items[int(rng.integers(len(items)))].cat
                chosen = [it.idx for it in items if it.cat == cat and not it.intermittent]
            else:  # …or a handful of best sellers
                chosen = sorted(
                    rng.choice(len(items), size=max(2, len(items) // 20), replace=False).tolist()
                )
            out.append(
                Promo(
                    start,
                    start + dt.timedelta(days=7 * weeks),
                    chosen,
                    round(float(rng.uniform(*kn.promo_discount)), 2),
                    float(rng.uniform(*kn.promo_lift)),
                )
            )
        return sorted(out, key=lambda p: p.start)

    def expected_daily_units(self, day_index: int, window: int = 28) -> np.ndarray:
        """Items × warehouses: mean units per day around `day_index`, without promotions'
        or seasons' knowledge — what a naive planner would estimate (used at the start)."""
        f = self.factor[:, day_index : day_index + window].mean(axis=1)
        units = self.rate * f * self.mean_packs * self.pack
        return units[:, None] * self.wh_share

    def lines(self, k: int) -> list[tuple[int, int, int]]:
        """The order lines (item, warehouse, quantity) of day `k`, in a stable order."""
        lam = (self.rate * self.factor[:, k])[:, None] * self.wh_share
        counts = self.rng.poisson(lam)
        idx_i, idx_w = np.nonzero(counts)
        out = []
        for i, w in zip(idx_i.tolist(), idx_w.tolist()):
            for _ in range(int(counts[i, w])):
                if self.intermittent[i]:  # lumpy: few, large and very variable orders
                    packs = int(self.rng.geometric(1.0 / self.mean_packs[i]))
                else:
                    packs = 1 + int(self.rng.poisson(self.mean_packs[i] - 1))
                out.append((i, w, packs * int(self.pack[i])))
        return out

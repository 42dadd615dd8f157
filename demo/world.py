"""The demo company's master data as a plan: items, warehouses, customers, suppliers and
carriers with the hidden behaviour the simulation draws from (demand rates, payment
habits, supplier reliability). Pure: built from the config and a seeded generator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from demo import names
from demo.config import CATEGORIES, REGIONS, CategorySpec, DemoConfig

CENT = Decimal("0.01")


def cents(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


@dataclass
class ItemPlan:
    idx: int
    sku: str
    name: str
    cat: int
    category: CategorySpec
    pack: int
    moq: int
    vat: str
    cost: Decimal  # primary supplier's price at the start
    list_price: Decimal
    intermittent: bool
    rate: float  # sales order lines per day (all warehouses), base level
    mean_packs: float  # mean packs per order line
    launched_on: dt.date | None
    discontinued_on: dt.date | None
    supplier: int  # primary supplier index
    alt_supplier: int | None
    id: int = 0


@dataclass
class WarehousePlan:
    idx: int
    code: str
    name: str
    size: float  # relative floor space (shares the rent)
    id: int = 0


@dataclass
class CustomerPlan:
    idx: int
    code: str
    name: str
    region: str
    warehouse: int
    weight: float
    order_days: tuple[int, ...]  # weekdays (0 = Monday) the customer orders on
    pay_day: int  # weekday of the customer's payment run
    terms: int
    lateness: tuple[float, float]  # days paid after due: mean, spread
    discount: Decimal
    credit_limit: Decimal  # months of purchases at first, then the amount
    carrier: int
    id: int = 0


@dataclass
class SupplierPlan:
    idx: int
    code: str
    name: str
    terms: int
    quoted_lead: int
    lead_mean: float  # actual lead time: mean and spread, in days
    lead_sd: float
    late_prob: float
    late_extra: float
    partial_prob: float
    qc_prob: float
    often_late: bool
    order_day: int  # weekday the buyer reviews this supplier's items
    price_changes: list[tuple[dt.date, float]] = field(default_factory=list)
    id: int = 0


@dataclass
class CarrierPlan:
    idx: int
    code: str
    name: str
    transit: int
    late_prob: float
    base_fee: Decimal
    per_line: Decimal
    value_share: Decimal
    id: int = 0


@dataclass
class World:
    items: list[ItemPlan]
    warehouses: list[WarehousePlan]
    customers: list[CustomerPlan]
    suppliers: list[SupplierPlan]
    carriers: list[CarrierPlan]
    wh_share: np.ndarray  # items × warehouses: share of an item's lines per warehouse


def plan_world(cfg: DemoConfig, rng: np.random.Generator) -> World:
    """Draw the master data and its hidden behaviour for one configuration."""
    sc, kn = cfg.scale, cfg.knobs
    cats = CATEGORIES[: sc.categories]
    suppliers = _suppliers(cfg, rng)
    cat_suppliers = [
        rng.choice(len(suppliers), size=min(len(suppliers), 1 + i % 3), replace=False).tolist()
        for i in range(len(cats))
    ]
    for i, s in enumerate(range(len(suppliers))):  # every supplier serves some category
        if not any(s in cs for cs in cat_suppliers):
            cat_suppliers[i % len(cats)].append(s)
    history_days = (cfg.end - cfg.start).days
    items = []
    n_int = round(sc.items * kn.intermittent_share)
    intermittent = set(rng.choice(sc.items, size=n_int, replace=False).tolist())
    lifecycle = rng.permutation(sc.items)
    n_launch = round(sc.items * kn.launched_share)
    n_disc = round(sc.items * kn.discontinued_share)
    launched = set(lifecycle[:n_launch].tolist())
    discontinued = set(lifecycle[n_launch : n_launch + n_disc].tolist())
    seen: set[str] = set()
    for i in range(sc.items):
        c = i % len(cats)
        cat = cats[c]
        nouns, variants = names.PRODUCTS[cat.name]
        base = (
            f"{nouns[int(rng.integers(len(nouns)))]} {variants[int(rng.integers(len(variants)))]}"
        )
        name, k = base, 2
        while name in seen:
            name, k = f"{base} v{k}", k + 1
        seen.add(name)
        lo, hi = cat.cost_range
        cost = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        pack = int(rng.choice([1, 1, 1, 2, 5, 6, 10, 12, 24, 50])) if cost < 20 else 1
        moq = pack * int(rng.choice([1, 1, 2, 5]))
        is_int = i in intermittent
        rate = float(rng.uniform(0.012, 0.10)) if is_int else float(0.45 + rng.lognormal(0.0, 0.9))
        mean_packs = (
            float(rng.uniform(3, 12))
            if is_int
            else float(1 + rng.gamma(1.5, 1.2 if pack > 1 else 2.0))
        )
        launch = disc = None
        if i in launched:
            launch = cfg.start + dt.timedelta(
                days=int(rng.integers(history_days // 6, history_days * 3 // 4))
            )
        if i in discontinued:
            disc = cfg.start + dt.timedelta(
                days=int(rng.integers(history_days // 4, history_days * 5 // 6))
            )
        sups = cat_suppliers[c]
        primary = sups[int(rng.integers(len(sups)))]
        alt = None
        if len(suppliers) > 1 and rng.random() < 0.3:
            alt = int((primary + 1 + rng.integers(len(suppliers) - 1)) % len(suppliers))
        items.append(
            ItemPlan(
                i,
                f"{cat.name[:3].upper()}-{i + 1:05d}",
                name,
                c,
                cat,
                pack,
                moq,
                cat.vat_rate,
                cents(cost),
                cents(cost * rng.uniform(1.35, 1.9)),
                is_int,
                rate,
                mean_packs,
                launch,
                disc,
                primary,
                alt,
            )
        )
    # the central distribution centre is twice a depot's size (and rent)
    warehouses = [
        WarehousePlan(w, code, name, 2.0 if w == 0 else float(rng.uniform(0.8, 1.2)))
        for w, (code, name) in enumerate(names.WAREHOUSES[: sc.warehouses])
    ]
    carriers = [
        CarrierPlan(k, code, name, transit, late, Decimal(fee), Decimal(per_line), Decimal(share))
        for k, (code, name, transit, late, fee, per_line, share) in enumerate(
            names.CARRIERS[: sc.carriers]
        )
    ]
    customers = _customers(cfg, rng, len(warehouses), len(carriers))
    served = np.zeros(len(warehouses))
    for cu in customers:
        served[cu.warehouse] += cu.weight
    share = served / served.sum()
    # regional taste: each item sells a bit more or less in each warehouse's region
    wh_share = share[None, :] * rng.uniform(0.6, 1.4, size=(sc.items, len(warehouses)))
    wh_share /= wh_share.sum(axis=1, keepdims=True)
    return World(items, warehouses, customers, suppliers, carriers, wh_share)


def _suppliers(cfg: DemoConfig, rng: np.random.Generator) -> list[SupplierPlan]:
    kn, out = cfg.knobs, []
    n = cfg.scale.suppliers
    late = set(
        rng.choice(n, size=max(1, round(n * kn.supplier_late_share)), replace=False).tolist()
    )
    years = cfg.months / 12
    for s in range(n):
        word = names.COMPANY_WORDS[(s * 7 + 3) % len(names.COMPANY_WORDS)]
        kind = names.SUPPLIER_KINDS[s % len(names.SUPPLIER_KINDS)]
        quoted = int(rng.choice([5, 7, 10, 14, 14, 21, 28, 35]))
        often_late = s in late
        lp = kn.late_prob_unreliable if often_late else kn.late_prob_reliable
        changes = []
        for _ in range(int(rng.poisson(kn.price_change_per_year * years))):
            day = cfg.start + dt.timedelta(
                days=int(rng.integers(30, max(31, (cfg.end - cfg.start).days)))
            )
            up = rng.random() < 0.8
            changes.append(
                (day, float(rng.uniform(0.02, 0.09) if up else -rng.uniform(0.02, 0.05)))
            )
        out.append(
            SupplierPlan(
                s,
                f"S{s + 1:03d}",
                f"{word} {kind}",
                int(rng.choice([30, 30, 45, 60])),
                quoted,
                # a reliable supplier quotes with a margin and varies little; an unreliable one
                # quotes its average and varies a lot (then is often late on top)
                quoted * float(rng.uniform(0.95, 1.05) if often_late else rng.uniform(0.8, 0.92)),
                float(
                    rng.uniform(0.5, 1.5) + quoted * rng.uniform(0.06, 0.12)
                    if often_late
                    else rng.uniform(0.3, 1.0) + quoted * rng.uniform(0.02, 0.06)
                ),
                float(rng.uniform(*lp)),
                float(rng.uniform(3, 12)),
                float(rng.uniform(*kn.partial_delivery)),
                float(rng.uniform(*kn.qc_reject_line)),
                often_late,
                s % 5,
                sorted(changes),
            )
        )
    return out


def _customers(
    cfg: DemoConfig, rng: np.random.Generator, n_wh: int, n_carriers: int
) -> list[CustomerPlan]:
    sc, out = cfg.scale, []
    regions = REGIONS[: sc.regions]
    # region → warehouse: the first regions get their own depot, the rest the central one
    region_wh = {r: (k + 1 if k + 1 < n_wh else 0) for k, r in enumerate(regions)}
    if n_wh == len(regions):
        region_wh = {r: k for k, r in enumerate(regions)}
    weekday_w = np.array([1.3, 1.15, 1.1, 1.05, 0.95, 0.35])
    weekday_w /= weekday_w.sum()
    # payment habits by share, at least one customer of each: prompt (pays a few days
    # before the due date), a bit late, slow, and very bad payers (still overdue at the end)
    n = sc.customers
    n_bad, n_slow = max(1, round(0.03 * n)), max(1, round(0.12 * n))
    n_late = max(1, round(0.30 * n))
    habit_of = np.empty(n, dtype=int)
    habit_of[rng.permutation(n)] = np.repeat(
        [3, 2, 1, 0], [n_bad, n_slow, n_late, n - n_bad - n_slow - n_late]
    )
    habits = ((-4, 2), (12, 6), (35, 12), (110, 30))
    for c in range(sc.customers):
        region = regions[c % len(regions)]
        weight = float(rng.lognormal(0.0, 0.9))
        n_days = int(np.clip(round(1 + weight), 1, 4))
        days = tuple(sorted(rng.choice(6, size=n_days, replace=False, p=weekday_w).tolist()))
        lateness = habits[habit_of[c]]
        word = names.COMPANY_WORDS[int(rng.integers(len(names.COMPANY_WORDS)))]
        kind = names.CUSTOMER_KINDS[int(rng.integers(len(names.CUSTOMER_KINDS)))]
        # a fifth of the customers have a credit limit: months of purchases it allows
        limit = Decimal(f"{rng.uniform(2.0, 4.0):.2f}") if rng.random() < 0.2 else Decimal(0)
        out.append(
            CustomerPlan(
                c,
                f"C{c + 1:04d}",
                f"{word} {kind} ({region})",
                region,
                region_wh[region],
                weight,
                days,
                int(rng.integers(0, 5)),
                int(rng.choice([14, 30, 30, 30, 45, 60])),
                (float(lateness[0]), float(lateness[1])),
                Decimal(str(rng.choice(["0", "0", "0.02", "0.05", "0.08"]))),
                limit,
                int(rng.integers(n_carriers)),
            )
        )
    return out

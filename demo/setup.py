"""The first morning: demo users (one per role), master data through create_master, the
naive reorder policy — written as reorder_rule master data and read back from there —
and the dates on which a few documents will be cancelled."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select

from demo.config import ROLES
from transactional.models import ReorderRule, User
from transactional.services import create_master, create_user

if TYPE_CHECKING:
    from demo.sim import Sim

CANCELLABLE = (
    "sales_order",
    "delivery",
    "sales_invoice",
    "customer_payment",
    "purchase_order",
    "goods_receipt",
    "supplier_bill",
    "journal_entry",
    "stock_transfer",
)
LAUNCH_LEAD_DAYS = 60  # a new item's master data exists this long before its launch
SAFETY_DAYS = 10  # the naive reorder level's cushion, in days of average demand
ORDER_DAYS = 42  # the naive order quantity: six weeks of average demand


def demo_password(role: str) -> str:
    """The demo password of a role's user: the role name + "-demo"."""
    return f"{role}-demo"


def create_users(sim: Sim) -> None:
    """One user per role, named after the role; existing users are left alone."""
    existing = set(sim.session.execute(select(User.username)).scalars())
    for role in ROLES:
        sim.setup_bar.update(1)
        if role in existing:
            continue
        # a salt derived from the seed keeps the database identical run to run; these
        # passwords are published in the docs anyway
        salt = hashlib.sha256(f"qm-demo/{sim.cfg.seed}/{role}".encode()).digest()[:16]
        create_user(sim.session, role, role, demo_password(role), now=sim.clock(), salt=salt)


def create_master_data(sim: Sim) -> None:
    """Warehouses, carriers, suppliers, customers, the reorder policy, and the items
    already on sale at the start with their supplier terms and reorder rules."""
    w, ctx = sim.world, sim.ctx["admin"]
    sim.orm = {
        "warehouse": {},
        "carrier": {},
        "supplier": {},
        "customer": {},
        "item": {},
        "supplier_item": {},
    }
    for wh in w.warehouses:
        _keep(
            sim,
            "warehouse",
            wh,
            create_master(ctx, "warehouse", {"code": wh.code, "name": wh.name}),
        )
    for ca in w.carriers:
        _keep(sim, "carrier", ca, create_master(ctx, "carrier", {"code": ca.code, "name": ca.name}))
    for su in w.suppliers:
        _keep(
            sim,
            "supplier",
            su,
            create_master(
                ctx,
                "supplier",
                {
                    "code": su.code,
                    "name": su.name,
                    "payment_terms_days": su.terms,
                    "default_lead_time_days": su.quoted_lead,
                },
            ),
        )
    from demo.finance_flow import monthly_revenue_estimate

    sim.revenue_estimate = monthly_revenue_estimate(sim)
    total_weight = sum(cu.weight for cu in w.customers)
    for cu in w.customers:
        if cu.credit_limit:  # months of expected purchases (with VAT), rounded to 1,000
            monthly = float(sim.revenue_estimate) * cu.weight / total_weight * 1.2
            cu.credit_limit = Decimal(
                max(1, math.ceil(monthly * float(cu.credit_limit) / 1000)) * 1000
            )
        _keep(
            sim,
            "customer",
            cu,
            create_master(
                ctx,
                "customer",
                {
                    "code": cu.code,
                    "name": cu.name,
                    "region": cu.region,
                    "credit_limit": cu.credit_limit,
                    "payment_terms_days": cu.terms,
                },
            ),
        )
    set_reorder_policy(sim)
    for it in w.items:
        if (
            it.launched_on is None
            or it.launched_on - dt.timedelta(days=LAUNCH_LEAD_DAYS) <= sim.cfg.start
        ):
            create_item(sim, it)


def create_item(sim: Sim, it) -> None:
    """An item, its supplier terms (primary, and an alternative for some items) and its
    reorder rule in every warehouse."""
    ctx, rng = sim.ctx["admin"], sim.rng_world
    launched = it.launched_on or sim.cfg.start - dt.timedelta(days=int(rng.integers(200, 2500)))
    row = create_master(
        ctx,
        "item",
        {
            "sku": it.sku,
            "name": it.name,
            "category": it.category.name,
            "unit": "pcs",
            "pack_size": it.pack,
            "moq": it.moq,
            "vat_rate": it.vat,
            "list_price": it.list_price,
            "launched_on": launched,
        },
    )
    _keep(sim, "item", it, row)
    for s, markup in ((it.supplier, 1.0), (it.alt_supplier, float(rng.uniform(1.03, 1.10)))):
        if s is None:
            continue
        su = sim.world.suppliers[s]
        price = (it.cost * Decimal(f"{markup:.4f}")).quantize(Decimal("0.01"))
        lead = max(1, su.quoted_lead + int(rng.integers(-2, 3)))
        terms = create_master(
            ctx,
            "supplier_item",
            {
                "supplier_id": su.id,
                "item_id": row.id,
                "price": price,
                "lead_time_days": lead,
                "moq": it.moq,
                "pack_size": it.pack,
            },
        )
        sim.orm["supplier_item"][(s, it.idx)] = terms
        sim.price[(s, it.idx)] = price
    create_reorder_rules(sim, it)


def create_reorder_rules(sim: Sim, it) -> None:
    """The item's reorder rule per warehouse, as master data, with the level and quantity
    of the naive policy; then the simulation's copy is read back from the stored rules,
    so what the history was generated with is exactly what the database says."""
    ctx = sim.ctx["admin"]
    level, qty = sim.reorder_plan
    for w, wh in enumerate(sim.world.warehouses):
        create_master(
            ctx,
            "reorder_rule",
            {
                "item_id": it.id,
                "warehouse_id": wh.id,
                "reorder_level": int(level[it.idx, w]),
                "reorder_qty": int(qty[it.idx, w]),
            },
        )
    load_reorder_rules(sim, it)


def load_reorder_rules(sim: Sim, it) -> None:
    """Fill sim.rop / sim.order_qty of one item from its stored reorder rules (whole units:
    a level of 12.5 reorders at a position of 12 or less, as 12 does)."""
    column = {wh.id: w for w, wh in enumerate(sim.world.warehouses)}
    # columns, not ORM objects: the figures as the database holds them
    rules = sim.session.execute(
        select(ReorderRule.warehouse_id, ReorderRule.reorder_level, ReorderRule.reorder_qty).where(
            ReorderRule.item_id == it.id
        )
    ).all()
    for warehouse_id, level, qty in rules:
        w = column.get(warehouse_id)
        if w is not None:
            sim.rop[it.idx, w] = int(level)
            sim.order_qty[it.idx, w] = int(qty)


def _keep(sim: Sim, kind: str, plan, row) -> None:
    plan.id = row.id
    sim.orm[kind][plan.idx] = row  # a strong reference keeps it in the identity map
    if sim.setup_bar is not None:
        sim.setup_bar.update(1)
    if kind == "item":
        sim.item_index[row.id] = plan.idx


def set_reorder_policy(sim: Sim) -> None:
    """Work out the naive reorder policy (see `reorder_policy`) of every item, those
    launched later too. It takes effect item by item: create_item writes the item's
    reorder rules with these figures and fills sim.rop / sim.order_qty from them."""
    sim.reorder_plan = reorder_policy(sim.world, sim.demand)


def reorder_policy(world, demand) -> tuple[np.ndarray, np.ndarray]:
    """Fixed reorder level and quantity per item-warehouse (items × warehouses), set once
    from the average demand of a year — deliberately naive (blind to trend, season and
    promotions), so planning has something to beat. Reviewed weekly: the level covers
    the quoted lead time, the week to the next review and ten days of safety; an order
    brings six weeks of average demand."""
    n_days = len(demand.days)
    rop = np.zeros((len(world.items), len(world.warehouses)), dtype=np.int64)
    order_qty = np.zeros_like(rop)
    for it in world.items:
        k0 = demand.days.index(it.launched_on) if it.launched_on else 0
        window = demand.factor[it.idx, k0 : k0 + min(365, n_days)]
        daily = (
            demand.rate[it.idx]
            * (window.mean() if len(window) else 0)
            * demand.mean_packs[it.idx]
            * it.pack
            * demand.wh_share[it.idx]
        )
        lead = world.suppliers[it.supplier].quoted_lead
        for w, units in enumerate(daily):
            level = math.ceil(units * (lead + 7 + SAFETY_DAYS))
            if it.intermittent:  # hold about one and a half typical orders of a slow mover
                level = max(level, it.pack * round(1.5 * it.mean_packs))
            rop[it.idx, w] = level
            order_qty[it.idx, w] = max(
                it.moq, it.pack, math.ceil(units * ORDER_DAYS / it.pack) * it.pack
            )
    return rop, order_qty


def plan_cancellations(sim: Sim) -> None:
    """A few documents of several types get cancelled (wrong entries, a bounced payment,
    a customer changing their mind): at least one of each, about one per type and year."""
    cfg, rng = sim.cfg, sim.rng_misc
    span = (cfg.end - cfg.start).days
    for doc_type in CANCELLABLE:
        n = 1 + int(rng.poisson(cfg.months / 12))
        days = sorted(
            int(x) for x in rng.integers(min(20, span // 3), max(span - 10, span // 2 + 1), size=n)
        )
        sim.cancel_plan[doc_type] = [cfg.start + dt.timedelta(days=x) for x in days]

"""The simulation loop: the day-by-day life of the demo company over its `Sim` state
(demo/sim.py).

Every figure reaches the database through the service layer (create_and_post_many in
batches, create_draft/post_document and friends) with a Context whose clock is the
simulated time, so the history is exactly what users would have produced by hand. The in-memory picture only decides what to do
next (how much is available to promise, when to reorder); the core still validates
everything it is asked to post.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from tqdm import tqdm

from demo import finance_flow, purchase_flow, sales_flow, stock_flow
from demo.config import ROLES
from demo.demand import is_open
from demo.setup import (
    LAUNCH_LEAD_DAYS,
    create_master_data,
    create_users,
    plan_cancellations,
)
from demo.sim import Sim, SimClock, plan

__all__ = ["Sim", "SimClock", "plan", "run", "simulate_day"]


def run(sim: Sim) -> dict:
    """Generate the whole history into the database of `sim`; returns its stats."""
    started, cpu = time.perf_counter(), time.process_time()
    cfg = sim.cfg
    w = sim.world
    on_sale = sum(
        1
        for it in w.items
        if it.launched_on is None
        or it.launched_on - dt.timedelta(days=LAUNCH_LEAD_DAYS) <= cfg.start
    )
    setup = tqdm(
        total=len(ROLES)
        + len(w.warehouses)
        + len(w.carriers)
        + len(w.suppliers)
        + len(w.customers)
        + on_sale,
        desc="setup",
        unit="row",
        file=sys.stderr,
        disable=not sim.progress,
        dynamic_ncols=True,
    )
    sim.setup_bar = setup
    create_users(sim)
    create_master_data(sim)
    plan_cancellations(sim)
    sim.session.commit()
    setup.close()
    sim.setup_bar = None
    n_days = (cfg.end - cfg.start).days
    bar = tqdm(
        total=n_days,
        desc="history",
        unit="day",
        file=sys.stderr,
        disable=not sim.progress,
        dynamic_ncols=True,
    )
    try:
        for k in range(n_days):
            sim.k, sim.day = k, cfg.start + dt.timedelta(days=k)
            simulate_day(sim)
            sim.flush()  # what is still queued: one transaction per day
            sim.session.commit()
            sim.agenda.pop(sim.day, None)
            bar.update(1)
            if k % 7 == 0:
                bar.set_postfix(day=str(sim.day), docs=sum(sim.counts.values()), refresh=False)
    except BaseException:
        sim.session.rollback()
        raise
    finally:
        bar.close()
    sim.stats["seconds"] = time.perf_counter() - started
    sim.stats["cpu_seconds"] = time.process_time() - cpu
    return sim.stats


def simulate_day(sim: Sim) -> None:
    """One business day, in the order a real company would live it."""
    day = sim.day
    sim.clock.at(day, 7)
    if sim.k == 0:
        finance_flow.opening_balances(sim)
        stock_flow.opening_stock(sim)
    finance_flow.month_routines(sim)
    purchase_flow.master_changes(sim)
    if not is_open(day):
        return
    sim.clock.at(day, 7, 30)
    stock_flow.receive_transfers(sim)
    purchase_flow.receive_goods(sim)
    sim.clock.at(day, 8)
    sales_flow.ship_queued(sim)
    sim.clock.at(day, 9)
    sales_flow.take_orders(sim)
    sim.clock.at(day, 13)
    sales_flow.ship_queued(sim)
    sim.clock.at(day, 15)
    sales_flow.receive_returns(sim)
    sim.clock.at(day, 16)
    sales_flow.invoice_deliveries(sim)
    sales_flow.collect_payments(sim)
    purchase_flow.book_bills(sim)
    purchase_flow.pay_suppliers(sim)
    sim.clock.at(day, 16, 30)
    stock_flow.rebalance(sim)
    sim.clock.at(day, 17)
    purchase_flow.review_reorders(sim)
    sim.clock.at(day, 18)
    stock_flow.month_end_count(sim)

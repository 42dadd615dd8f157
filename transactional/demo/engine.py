"""The simulation: a simulated clock, the company's in-memory picture of its own stock
and open items, posting helpers over the service layer, and the day-by-day loop.

Every figure reaches the database through the service layer (create_draft/post_document
and friends) with a Context whose clock is the simulated time, so the history is exactly
what users would have produced by hand. The in-memory picture only decides what to do
next (how much is available to promise, when to reorder); the core still validates
everything it is asked to post.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal

import numpy as np
from tqdm import tqdm

from transactional.db import session_factory
from transactional.demo import finance_flow, purchase_flow, sales_flow, stock_flow
from transactional.demo.config import ROLES, DemoConfig
from transactional.demo.demand import Demand, is_open
from transactional.demo.setup import (
    LAUNCH_LEAD_DAYS,
    create_master_data,
    create_users,
    plan_cancellations,
)
from transactional.demo.world import World, plan_world
from transactional.services import (
    Context,
    approve_purchase_order,
    cancel_document,
    create_and_post,
    create_draft,
    post_document,
)


class SimClock:
    """The simulated time: each business activity starts at its hour of the day and every
    operation advances the clock a little, so created_at/posted_at read like a real day."""

    def __init__(self, start: dt.date):
        self.now = dt.datetime.combine(start, dt.time(7, 0))

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, day: dt.date, hour: int, minute: int = 0) -> None:
        self.now = max(self.now, dt.datetime.combine(day, dt.time(hour, minute)))

    def tick(self, seconds: int = 17) -> None:
        self.now += dt.timedelta(seconds=seconds)


def plan(cfg: DemoConfig) -> tuple[World, Demand, list[np.random.Generator]]:
    """The company plan and demand model of a configuration, without touching a database
    (the tests compare the generated history with it). Also returns the remaining
    random streams, in the order the simulation uses them."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(6)]
    world = plan_world(cfg, streams[0])
    return world, Demand(cfg, world, streams[1]), streams


class Sim:
    """One generation run: configuration, plan, database session and the running state."""

    def __init__(self, cfg: DemoConfig, url: str, progress: bool = True):
        self.cfg, self.url, self.progress = cfg, url, progress
        self.world, self.demand, streams = plan(cfg)
        self.rng_world, self.rng_demand, self.rng_sales, self.rng_supply, self.rng_stock, \
            self.rng_misc = streams
        self.session = session_factory(url)()
        self.clock = SimClock(cfg.start)
        self.ctx = {r: Context(self.session, username=r, role=r, clock=self.clock)
                    for r in ROLES}
        self.day = cfg.start
        self.k = 0                                   # index of the simulated day
        n_i, n_w = len(self.world.items), len(self.world.warehouses)
        self.on_hand = np.zeros((n_i, n_w), dtype=np.int64)
        self.committed = np.zeros_like(self.on_hand)  # ordered, not yet shipped
        self.on_order = np.zeros_like(self.on_hand)   # approved PO qty not yet received
        self.in_transit = np.zeros_like(self.on_hand)  # transfers on the way in
        # the naive reorder policy as stored in reorder_rule (read back by setup.py
        # load_reorder_rules when an item is created); reorder_plan: the figures written
        self.rop = np.zeros_like(self.on_hand)
        self.order_qty = np.zeros_like(self.on_hand)
        self.reorder_plan: tuple[np.ndarray, np.ndarray] | None = None
        self.list_price = [it.list_price for it in self.world.items]
        self.primary_supplier = np.array([it.supplier for it in self.world.items])
        self.price: dict[tuple[int, int], Decimal] = {}  # (supplier, item) → current price
        self.agenda: dict[dt.date, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        self.open_invoices: dict[int, list[list]] = defaultdict(list)  # customer → items
        self.open_bills: dict[int, list[list]] = defaultdict(list)     # supplier → items
        self.cancel_plan: dict[str, list[dt.date]] = {}
        self.counts: Counter = Counter()
        self.cancelled: Counter = Counter()
        self.cpu_by_type: Counter = Counter()        # CPU seconds spent posting, per type
        self.stats: Counter = Counter()              # demand, lost, shrink… for the summary
        self.orm: dict[str, dict] = {}               # master rows kept alive in the session
        self.item_index: dict[int, int] = {}         # item id → index in the plan
        self.todays_deliveries: list = []
        self.setup_bar = None                        # the "setup" progress bar while open
        self.revenue_estimate = Decimal(0)

    # ------------------------------------------------------------ posting helpers
    def draft(self, role: str, doc_type: str, data: dict):
        self.clock.tick()
        return create_draft(self.ctx[role], doc_type,
                            {"doc_date": self.day, "origin": "demo", **data})

    def post(self, role: str, doc_type: str, data: dict, poster: str | None = None):
        """Create and post a document dated today (created by `role`, posted by `poster`)."""
        started = time.process_time()
        try:
            return self._post(role, doc_type, data, poster)
        finally:
            self.cpu_by_type[doc_type] += time.process_time() - started

    def _post(self, role: str, doc_type: str, data: dict, poster: str | None):
        if doc_type != "purchase_order" and poster in (None, role):
            self.clock.tick()
            doc = create_and_post(self.ctx[role], doc_type,
                                  {"doc_date": self.day, "origin": "demo", **data})
        else:
            doc = self.draft(role, doc_type, data)
            if doc_type == "purchase_order":
                approve_purchase_order(self.ctx[poster or "manager"], doc.id)
            else:
                post_document(self.ctx[poster or role], doc.id)
        self.counts[doc_type] += 1
        return doc

    def cancel(self, role: str, doc, reason: str) -> None:
        """Cancel a posted document today (exact reversal by the core)."""
        self.clock.tick()
        cancel_document(self.ctx[role], doc.id, self.day, reason=reason)
        self.cancelled[doc.doc_type] += 1

    def wants_cancel(self, doc_type: str) -> bool:
        """True once per planned cancellation date of this document type."""
        plan = self.cancel_plan.get(doc_type)
        if plan and plan[0] <= self.day:
            plan.pop(0)
            return True
        return False

    def schedule(self, day: dt.date, kind: str, entry) -> None:
        if day < self.cfg.end:
            self.agenda[day][kind].append(entry)

    def due(self, kind: str) -> list:
        return self.agenda[self.day].pop(kind, [])

    # ------------------------------------------------------------ the run
    def run(self) -> dict:
        started, cpu = time.perf_counter(), time.process_time()
        cfg = self.cfg
        w = self.world
        on_sale = sum(1 for it in w.items if it.launched_on is None or
                      it.launched_on - dt.timedelta(days=LAUNCH_LEAD_DAYS) <= cfg.start)
        setup = tqdm(total=len(ROLES) + len(w.warehouses) + len(w.carriers) + len(w.suppliers)
                     + len(w.customers) + on_sale, desc="setup", unit="row",
                     file=sys.stderr, disable=not self.progress, dynamic_ncols=True)
        self.setup_bar = setup
        create_users(self)
        create_master_data(self)
        plan_cancellations(self)
        self.session.commit()
        setup.close()
        self.setup_bar = None
        n_days = (cfg.end - cfg.start).days
        bar = tqdm(total=n_days, desc="history", unit="day", file=sys.stderr,
                   disable=not self.progress, dynamic_ncols=True)
        try:
            for k in range(n_days):
                self.k, self.day = k, cfg.start + dt.timedelta(days=k)
                self.simulate_day()
                self.session.commit()
                self.agenda.pop(self.day, None)
                bar.update(1)
                if k % 7 == 0:
                    bar.set_postfix(day=str(self.day), docs=sum(self.counts.values()),
                                    refresh=False)
        except BaseException:
            self.session.rollback()
            raise
        finally:
            bar.close()
        self.stats["seconds"] = time.perf_counter() - started
        self.stats["cpu_seconds"] = time.process_time() - cpu
        return self.stats

    def simulate_day(self) -> None:
        """One business day, in the order a real company would live it."""
        day = self.day
        self.clock.at(day, 7)
        if self.k == 0:
            finance_flow.opening_balances(self)
            stock_flow.opening_stock(self)
        finance_flow.month_routines(self)
        purchase_flow.master_changes(self)
        if not is_open(day):
            return
        self.clock.at(day, 7, 30)
        stock_flow.receive_transfers(self)
        purchase_flow.receive_goods(self)
        self.clock.at(day, 8)
        sales_flow.ship_queued(self)
        self.clock.at(day, 9)
        sales_flow.take_orders(self)
        self.clock.at(day, 13)
        sales_flow.ship_queued(self)
        self.clock.at(day, 15)
        sales_flow.receive_returns(self)
        self.clock.at(day, 16)
        sales_flow.invoice_deliveries(self)
        sales_flow.collect_payments(self)
        purchase_flow.book_bills(self)
        purchase_flow.pay_suppliers(self)
        self.clock.at(day, 16, 30)
        stock_flow.rebalance(self)
        self.clock.at(day, 17)
        purchase_flow.review_reorders(self)
        self.clock.at(day, 18)
        stock_flow.month_end_count(self)

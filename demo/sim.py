"""The state of one demo generation run (`Sim`): configuration, plan, database session,
the simulated clock, the company's in-memory picture of its own stock and open items, and
the posting helpers over the service layer.

The flows (sales, purchase, stock, finance, setup) act on a `Sim`; the day-by-day loop
that calls them is in engine.py. Keeping the state here lets the flows name the type
without importing the engine that imports them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from decimal import Decimal

import numpy as np

from demo.config import ROLES, DemoConfig
from demo.demand import Demand
from demo.world import World, plan_world
from transactional.commands import COMMANDS, parse_command
from transactional.db import session_factory
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
        (
            self.rng_world,
            self.rng_demand,
            self.rng_sales,
            self.rng_supply,
            self.rng_stock,
            self.rng_misc,
        ) = streams
        self.session = session_factory(url)()
        self.clock = SimClock(cfg.start)
        self.ctx = {r: Context(self.session, username=r, role=r, clock=self.clock) for r in ROLES}
        self.day = cfg.start
        self.k = 0  # index of the simulated day
        n_i, n_w = len(self.world.items), len(self.world.warehouses)
        self.on_hand = np.zeros((n_i, n_w), dtype=np.int64)
        self.committed = np.zeros_like(self.on_hand)  # ordered, not yet shipped
        self.on_order = np.zeros_like(self.on_hand)  # approved PO qty not yet received
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
        self.open_bills: dict[int, list[list]] = defaultdict(list)  # supplier → items
        self.cancel_plan: dict[str, list[dt.date]] = {}
        self.counts: Counter = Counter()
        self.cancelled: Counter = Counter()
        self.cpu_by_type: Counter = Counter()  # CPU seconds spent posting, per type
        self.stats: Counter = Counter()  # demand, lost, shrink… for the summary
        self.orm: dict[str, dict] = {}  # master rows kept alive in the session
        self.item_index: dict[int, int] = {}  # item id → index in the plan
        self.todays_deliveries: list = []
        self.setup_bar = None  # the "setup" progress bar while open
        self.revenue_estimate = Decimal(0)

    # ------------------------------------------------------------ posting helpers
    def command(self, doc_type: str, data: dict):
        """The document's command (transactional.commands), dated today (a year close
        has no date of its own: it is dated 31 December of its year)."""
        if "doc_date" not in COMMANDS[doc_type].model_fields:
            return parse_command(doc_type, data)
        return parse_command(doc_type, {"doc_date": self.day, **data})

    def draft(self, role: str, doc_type: str, data: dict):
        self.clock.tick()
        return create_draft(self.ctx[role], doc_type, self.command(doc_type, data), origin="demo")

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
            doc = create_and_post(
                self.ctx[role], doc_type, self.command(doc_type, data), origin="demo"
            )
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

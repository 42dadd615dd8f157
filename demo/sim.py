"""The state of one demo generation run (`Sim`): configuration, plan, database session,
the simulated clock, the company's in-memory picture of its own stock and open items, and
the posting helpers over the service layer.

The flows (sales, purchase, stock, finance, setup) act on a `Sim`; the day-by-day loop
that calls them is in engine.py. Keeping the state here lets the flows name the type
without importing the engine that imports them.

Posting goes the batch path (docs/demo.md, "How the demo posts"): `Sim.post` queues a
create-and-post command with a context of its own (the role that creates it, the clock
fixed at the time serial posting would have used) and returns a `Posting`; the queue is
posted through `create_and_post_many` when it holds `batch` documents, when a flow needs
a queued document (`Posting.doc`), before anything that reads or writes the database
(`Sim.flush`: drafts, cancellations, `Sim.act`, the finance flow's balance queries) and
at the end of the day. With `batch=1` every document posts at once through
`create_and_post`, as serial posting does. Either way the database writes come in the
same order with the same clocks, so both give the same history
(tests/core/test_batch_posting.py).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal

import numpy as np

from demo.config import ROLES, DemoConfig
from demo.demand import Demand
from demo.world import World, plan_world
from transactional.commands import COMMANDS, parse_command
from transactional.db import session_factory
from transactional.models import Document
from transactional.services import (
    BatchCommand,
    Context,
    approve_purchase_order,
    cancel_document,
    create_and_post,
    create_and_post_many,
    create_draft,
    post_document,
)
from transactional.services.base import filled


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


class Posting:
    """A document `Sim.post` created and posted, or queued to be: `doc` is the posted
    document (posting the queue first while it waits in it); `then(fn)` runs `fn(doc)`
    once it is posted (at once when it already is; otherwise right after its batch, in
    the order the documents were queued). A callback does bookkeeping only: no random
    draws, no database work, and whatever reads what it fills flushes first."""

    __slots__ = ("_callbacks", "_doc", "_sim")

    def __init__(self, sim: Sim, doc: Document | None = None):
        self._sim, self._doc = sim, doc
        self._callbacks: list[Callable[[Document], object]] = []

    @property
    def doc(self) -> Document:
        if self._doc is None:
            self._sim.flush()
        assert self._doc is not None
        return self._doc

    def then(self, fn: Callable[[Document], object]) -> None:
        if self._doc is None:
            self._callbacks.append(fn)
        else:
            fn(self._doc)

    def _posted(self, doc: Document) -> None:
        self._doc = doc

    def _run_callbacks(self) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            fn(self.doc)


class Sim:
    """One generation run: configuration, plan, database session and the running state."""

    def __init__(self, cfg: DemoConfig, url: str, progress: bool = True, batch: int = 50):
        if batch < 1:
            raise ValueError(f"batch must be at least 1, not {batch}")
        self.cfg, self.url, self.progress, self.batch = cfg, url, progress, batch
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
        # CPU seconds spent posting, per type: a serial call's own; a batch's CPU shared
        # by its documents equally (so in proportion to the counts of its types)
        self.cpu_by_type: Counter = Counter()
        self.queue: list[tuple[BatchCommand, Posting]] = []  # create-and-posts to flush
        self.batched: Counter = Counter()  # documents posted in batches, per type
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

    def draft(self, role: str, doc_type: str, data: dict) -> Document:
        self.flush()
        self.clock.tick()
        return create_draft(self.ctx[role], doc_type, self.command(doc_type, data), origin="demo")

    def post(self, role: str, doc_type: str, data: dict, poster: str | None = None) -> Posting:
        """Create and post a document dated today (created by `role`, posted by `poster`).
        A create-and-post is queued for the next batch (posted at once with batch=1); a
        purchase order (approved by a manager) or a document posted by another role is
        a draft then a posting, after flushing the queue."""
        if doc_type == "purchase_order" or poster not in (None, role):
            self.flush()
            started = time.process_time()
            doc = self.draft(role, doc_type, data)
            if doc_type == "purchase_order":
                approve_purchase_order(self.ctx[poster or "manager"], doc.id)
            else:
                post_document(self.ctx[poster or role], doc.id)
            self.cpu_by_type[doc_type] += time.process_time() - started
            self.counts[doc_type] += 1
            return Posting(self, doc)
        started = time.process_time()
        self.clock.tick()
        command = self.command(doc_type, data)
        if self.batch == 1:
            doc = create_and_post(self.ctx[role], doc_type, command, origin="demo")
            posting = Posting(self, doc)
        else:
            now = self.clock.now
            ctx = Context(self.session, username=role, role=role, clock=lambda: now)
            posting = Posting(self)
            self.queue.append((BatchCommand(doc_type, command, origin="demo", ctx=ctx), posting))
        self.cpu_by_type[doc_type] += time.process_time() - started
        self.counts[doc_type] += 1
        if len(self.queue) >= self.batch:
            self.flush()
        return posting

    def flush(self) -> None:
        """Post the queued documents, in the order queued: two or more through
        `create_and_post_many`, one alone through `create_and_post`; then run their
        callbacks. A document the batch refuses raises its error, as serial posting
        would (the demo expects none; the day's transaction is rolled back)."""
        if not self.queue:
            return
        queue, self.queue = self.queue, []
        started = time.process_time()
        if len(queue) == 1:
            cmd = queue[0][0]
            docs = [create_and_post(filled(cmd.ctx), cmd.doc_type, cmd.data, origin=cmd.origin)]
        else:
            results = create_and_post_many(filled(queue[0][0].ctx), [cmd for cmd, _ in queue])
            for result in results:
                if result.error is not None:
                    raise result.error
            docs = [filled(result.document) for result in results]
            self.stats["batches"] += 1
            self.stats["batched_documents"] += len(queue)
            self.batched.update(cmd.doc_type for cmd, _ in queue)
        share = (time.process_time() - started) / len(queue)
        for (cmd, posting), doc in zip(queue, docs):
            self.cpu_by_type[cmd.doc_type] += share
            posting._posted(doc)
        for _, posting in queue:
            posting._run_callbacks()

    def act(self, role: str, service: Callable, *args, tick: int = 17, **kwargs):
        """Call a service as `role` (`service(ctx, *args, **kwargs)`) once the queue is
        posted (it reads or writes the database), the clock advanced by `tick` seconds."""
        self.flush()
        self.clock.tick(tick)
        return service(self.ctx[role], *args, **kwargs)

    def cancel(self, role: str, doc: Posting | Document, reason: str) -> None:
        """Cancel a posted document today (exact reversal by the core)."""
        self.flush()
        if isinstance(doc, Posting):
            doc = doc.doc
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

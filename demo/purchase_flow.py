"""Purchasing: a naive fixed reorder policy raises purchase orders, a manager approves
them, suppliers deliver late or early, in one or two shipments, with QC rejects; defects
go back to the supplier, bills arrive days later (sometimes at a new price), and
suppliers are paid per their terms in a weekly payment run. Supplier price revisions,
item launches and discontinuations are master-data changes on their day."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from demo.demand import next_open
from demo.setup import LAUNCH_LEAD_DAYS, create_item
from transactional.services import close_order, reject_purchase_order, update_master

if TYPE_CHECKING:
    from demo.sim import Posting, Sim
    from transactional.models import Document

CENT = Decimal("0.01")
DAY = dt.timedelta(days=1)
STOP_ORDERING_DAYS = 90  # no new orders for an item this long before it is discontinued


@dataclass
class OpenOrder:
    """An approved purchase order as the buyer follows it."""

    po: object
    supplier: int
    warehouse: int
    open_qty: dict[int, int] = field(default_factory=dict)  # PO line id → not yet received
    item_of: dict[int, int] = field(default_factory=dict)  # PO line id → item index
    cancelled: bool = False


def master_changes(sim: Sim) -> None:
    """New items appear before their launch, discontinued items are switched off, and
    supplier price revisions (then list price updates a month later) take effect."""
    day = sim.day
    for it in sim.world.items:
        if it.launched_on and it.id == 0 and it.launched_on - DAY * LAUNCH_LEAD_DAYS <= day:
            sim.flush()  # master data after the documents queued before it
            sim.clock.tick()
            create_item(sim, it)
        if it.discontinued_on == day:
            sim.act(
                "purchasing",
                update_master,
                "item",
                it.id,
                {"active": False, "discontinued_on": day},
            )
    for su in sim.world.suppliers:
        for when, pct in su.price_changes:
            if when == day:
                _revise_prices(sim, su, pct)
    for i, price in sim.due("list_price"):
        sim.act("purchasing", update_master, "item", sim.world.items[i].id, {"list_price": price})
        sim.list_price[i] = price


def _revise_prices(sim: Sim, su, pct: float) -> None:
    factor = Decimal(f"{1 + pct:.4f}")
    for (s, i), terms in sim.orm["supplier_item"].items():
        if s != su.idx or not sim.world.items[i].id:
            continue
        new = (sim.price[(s, i)] * factor).quantize(CENT)
        sim.act("purchasing", update_master, "supplier_item", terms.id, {"price": new})
        sim.price[(s, i)] = new
        if sim.world.items[i].supplier == s:  # pass it on to customers a month later
            sim.schedule(
                sim.day + DAY * 30, "list_price", (i, (sim.list_price[i] * factor).quantize(CENT))
            )
    sim.stats["price_revisions"] += 1


def _orderable(sim: Sim) -> np.ndarray:
    """Items the buyer may order today: created, past the launch lead window and not
    about to be discontinued."""
    window = getattr(sim, "_order_window", None)
    if window is None:
        items, far = sim.world.items, dt.date.max.toordinal()
        lead = [sim.world.suppliers[it.supplier].quoted_lead for it in items]
        window = sim._order_window = (
            np.array(
                [
                    it.launched_on.toordinal() - ld - 7 if it.launched_on else 0
                    for it, ld in zip(items, lead)
                ]
            ),
            np.array(
                [
                    it.discontinued_on.toordinal() - STOP_ORDERING_DAYS
                    if it.discontinued_on
                    else far
                    for it in items
                ]
            ),
        )
    ordinal = sim.day.toordinal()
    created = np.array([it.id != 0 for it in sim.world.items])
    return created & (window[0] <= ordinal) & (ordinal < window[1])


def review_reorders(sim: Sim) -> None:
    """Each supplier's weekly review day: every item-warehouse of theirs at or below its
    reorder level gets its fixed order quantity (enough multiples to rise above the
    level), one PO per supplier and warehouse."""
    today = [su.idx for su in sim.world.suppliers if su.order_day == sim.day.weekday()]
    if not today:
        return
    position = sim.on_hand + sim.on_order + sim.in_transit - sim.committed
    reviewed = np.isin(sim.primary_supplier, today)
    low = (position <= sim.rop) & (_orderable(sim) & reviewed)[:, None]
    grouped: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for i, w in np.argwhere(low).tolist():
        q = int(sim.order_qty[i, w])
        n = max(1, math.ceil((int(sim.rop[i, w]) - int(position[i, w]) + 1) / q))
        grouped[(sim.world.items[i].supplier, w)].append((i, n * q))
    for (s, w), lines in sorted(grouped.items()):
        _raise_po(sim, s, w, lines)


def _raise_po(sim: Sim, s: int, w: int, lines: list[tuple[int, int]]) -> None:
    su, rng, items = sim.world.suppliers[s], sim.rng_supply, sim.world.items
    data = {
        "supplier_id": su.id,
        "warehouse_id": sim.world.warehouses[w].id,
        "lines": [
            {"item_id": items[i].id, "qty": q, "unit_price": sim.price[(s, i)]} for i, q in lines
        ],
    }
    if rng.random() < sim.cfg.knobs.po_reject_rate:
        po = sim.draft("purchasing", "purchase_order", data)
        sim.act("manager", reject_purchase_order, po.id, "quantities look high; re-check", tick=900)
        sim.stats["po_rejected"] += 1
        return  # still below the reorder level: tomorrow's review raises it again
    po = sim.post("purchasing", "purchase_order", data, poster="manager").doc  # posted now
    order = OpenOrder(po, s, w)
    for ln, (i, q) in zip(po.lines, lines):
        order.open_qty[ln.id], order.item_of[ln.id] = q, i
        sim.on_order[i, w] += q
    if sim.wants_cancel("purchase_order"):
        sim.schedule(next_open(sim.day + DAY), "po_cancel", order)
    _plan_shipments(sim, order, lines)


def _plan_shipments(sim: Sim, order: OpenOrder, lines) -> None:
    su, rng = sim.world.suppliers[order.supplier], sim.rng_supply
    lead = max(1, round(rng.normal(su.lead_mean, su.lead_sd)))
    if rng.random() < su.late_prob:
        lead += 1 + round(rng.exponential(su.late_extra))
    arrive = next_open(sim.day + DAY * lead)
    full = [(ln.id, q) for ln, (_, q) in zip(order.po.lines, lines)]
    if rng.random() < su.partial_prob:
        packs = {ln.id: sim.world.items[i].pack for ln, (i, _) in zip(order.po.lines, lines)}
        first = [
            (lid, q * int(rng.integers(40, 81)) // 100 // packs[lid] * packs[lid])
            for lid, q in full
        ]
        if any(q for _, q in first):
            sim.schedule(arrive, "arrival", (order, [x for x in first if x[1]], False))
            rest = [(lid, q - f) for (lid, q), (_, f) in zip(full, first) if q - f]
            sim.schedule(
                next_open(arrive + DAY * int(rng.integers(3, 11))), "arrival", (order, rest, True)
            )
            return
    sim.schedule(arrive, "arrival", (order, full, True))


def receive_goods(sim: Sim) -> None:
    """Cancel the orders a supplier could not take, then receive today's shipments."""
    for order in sim.due("po_cancel"):
        if any(q != order.open_qty[lid] for lid, q in _ordered(order).items()):
            continue  # something already arrived: too late to cancel
        sim.cancel("purchasing", order.po, "supplier cannot deliver")
        order.cancelled = True
        for lid, q in order.open_qty.items():
            sim.on_order[order.item_of[lid], order.warehouse] -= q
    for order, shipped, final in sim.due("arrival"):
        if not order.cancelled:
            _receive(sim, order, shipped, final)


def _ordered(order: OpenOrder) -> dict[int, int]:
    return {ln.id: int(ln.qty) for ln in order.po.lines}


def _receive(sim: Sim, order: OpenOrder, shipped, final: bool) -> None:
    su, rng, w = sim.world.suppliers[order.supplier], sim.rng_supply, order.warehouse
    lines = []
    for lid, q in shipped:
        rejected = 0
        if rng.random() < su.qc_prob:
            rejected = min(q, max(1, round(q * rng.uniform(0.02, 0.15))))
        lines.append({"source_line_id": lid, "qty": q - rejected, "rejected_qty": rejected})
    data = {"source_document_id": order.po.id, "lines": lines}
    gr = sim.post("warehouse", "goods_receipt", data)
    if sim.wants_cancel("goods_receipt"):
        sim.cancel("warehouse", gr, "quantities keyed wrongly; received again")
        gr = sim.post("warehouse", "goods_receipt", data)
    for ln in lines:
        i, acc = order.item_of[ln["source_line_id"]], ln["qty"]
        sim.on_hand[i, w] += acc
        sim.on_order[i, w] -= acc
        order.open_qty[ln["source_line_id"]] -= acc
        sim.stats["rejected_qty"] += ln["rejected_qty"]
    if final and any(order.open_qty.values()):
        sim.act("purchasing", close_order, order.po.id)  # rejects will not be replaced
        for lid, q in order.open_qty.items():
            sim.on_order[order.item_of[lid], w] -= q
            order.open_qty[lid] = 0
    returned = _return_defects(sim, order, gr, lines)
    sim.schedule(next_open(sim.day + DAY * int(rng.integers(2, 11))), "bill", (order, gr, returned))


def _return_defects(sim: Sim, order: OpenOrder, gr: Posting, lines: list[dict]) -> dict[int, int]:
    """Defects found in the receipt (`lines`: its lines as given) go back to the supplier;
    returns PO line id → quantity sent back."""
    rng, w, back = sim.rng_supply, order.warehouse, {}
    for ln in lines:
        i = order.item_of[ln["source_line_id"]]
        free = int(sim.on_hand[i, w] - sim.committed[i, w])
        if ln["qty"] > 0 and rng.random() < sim.cfg.knobs.purchase_return_line:
            q = min(free, max(1, round(ln["qty"] * rng.uniform(0.1, 0.5))))
            if q > 0:
                back[ln["source_line_id"]] = q
    if back:
        receipt = gr.doc
        sim.post(
            "purchasing",
            "purchase_return",
            {
                "source_document_id": receipt.id,
                "lines": [
                    {"source_line_id": ln.id, "qty": back[ln.source_line_id]}
                    for ln in receipt.lines
                    if ln.source_line_id in back
                ],
            },
            poster="warehouse",
        )
        for lid, q in back.items():
            sim.on_hand[order.item_of[lid], w] -= q
            sim.stats["purchase_returned_qty"] += q
    return back


def book_bills(sim: Sim) -> None:
    """Supplier bills for receipts: usually at the order price, at the new price when the
    supplier revised it meanwhile, now and then with a small discrepancy."""
    rng = sim.rng_supply
    for order, receipt, returned in sim.due("bill"):
        s, lines = order.supplier, []
        for ln in receipt.doc.lines:
            q = int(ln.qty) - returned.get(ln.source_line_id, 0)
            if q <= 0:
                continue
            price = ln.unit_price.quantize(CENT)
            current = sim.price[(s, order.item_of[ln.source_line_id])]
            if current != price and rng.random() < 0.5:
                price = current
            elif rng.random() < 0.03:
                price = (price * Decimal(f"{rng.uniform(0.97, 1.03):.4f}")).quantize(CENT)
            lines.append({"source_line_id": ln.id, "qty": q, "unit_price": price})
        if not lines:
            continue
        data = {"supplier_id": sim.world.suppliers[s].id, "lines": lines}
        bill = sim.post("finance", "supplier_bill", data)
        if sim.wants_cancel("supplier_bill"):
            sim.cancel("finance", bill, "entered twice")
            bill = sim.post("finance", "supplier_bill", data)
        bill.then(_open_bill(sim, s))


def _open_bill(sim: Sim, s: int) -> Callable[[Document], None]:
    """The callback that adds a posted bill to the supplier's open bills."""

    def add(bill: Document) -> None:
        sim.open_bills[s].append([bill.id, bill.gross_total, bill.due_date])

    return add


def pay_suppliers(sim: Sim) -> None:
    """Friday payment run: every bill falling due within the next week is paid."""
    if sim.day.weekday() != 4:
        return
    sim.flush()  # the open bills of the bills booked today (their callbacks)
    horizon = sim.day + DAY * 7
    for s in sorted(sim.open_bills):
        bills = sim.open_bills[s]
        due = [b for b in bills if b[2] <= horizon]
        if not due:
            continue
        sim.post(
            "finance",
            "supplier_payment",
            {
                "supplier_id": sim.world.suppliers[s].id,
                "amount": sum((b[1] for b in due), Decimal(0)),
                "lines": [{"allocated_document_id": b[0], "amount": b[1]} for b in due],
            },
        )
        sim.open_bills[s] = [b for b in bills if b[2] > horizon]

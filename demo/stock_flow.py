"""Warehouse: opening stock, weekly rebalancing transfers (dispatch, then receipt days
later) and the month-end stock count that finds a little shrinkage."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from demo.demand import next_open
from transactional.services import receive_transfer

if TYPE_CHECKING:
    from demo.sim import Sim

DAY = dt.timedelta(days=1)


def opening_stock(sim: Sim) -> None:
    """Opening stock per warehouse as an opening count, valued at the supplier price
    (booked against equity by the core)."""
    rng = sim.rng_stock
    for w, wh in enumerate(sim.world.warehouses):
        lines = []
        for it in sim.world.items:
            if not it.id or it.launched_on:
                continue
            q = int(sim.order_qty[it.idx, w])
            qty = int(sim.rop[it.idx, w]) + int(q * rng.uniform(0.3, 1.0)) // it.pack * it.pack
            if qty > 0:
                lines.append(
                    {"item_id": it.id, "qty": qty, "unit_cost": sim.price[(it.supplier, it.idx)]}
                )
                sim.on_hand[it.idx, w] = qty
        if lines:
            sim.post(
                "warehouse",
                "stock_count",
                {"warehouse_id": wh.id, "is_opening": True, "lines": lines},
            )


def _active(sim: Sim) -> np.ndarray:
    day = sim.day
    return np.array(
        [
            bool(it.id) and (it.discontinued_on is None or it.discontinued_on > day)
            for it in sim.world.items
        ]
    )


def receive_transfers(sim: Sim) -> None:
    """Transfers arriving today are booked in at the destination."""
    for transfer, w, lines in sim.due("transfer_in"):
        sim.act("warehouse", receive_transfer, transfer.doc.id, sim.day)
        for i, q in lines:
            sim.in_transit[i, w] -= q
            sim.on_hand[i, w] += q
        sim.stats["transfers_received"] += 1


def rebalance(sim: Sim) -> None:
    """Wednesdays: where a warehouse is below its reorder level and another holds more
    than its reorder level and half an order, move stock instead of buying more."""
    if sim.day.weekday() != 2 or len(sim.world.warehouses) < 2:
        return
    position = sim.on_hand + sim.on_order + sim.in_transit - sim.committed
    spare = sim.on_hand - sim.committed - (sim.rop + sim.order_qty // 2)
    active = _active(sim)
    needy = (position < sim.rop).any(axis=1) & (spare.max(axis=1) > 0) & active
    moves: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for i in np.nonzero(needy)[0].tolist():
        pack = sim.world.items[i].pack
        for w in np.nonzero(position[i] < sim.rop[i])[0].tolist():
            v = int(np.argmax(spare[i]))
            qty = min(int(spare[i, v]), int(sim.order_qty[i, w])) // pack * pack
            if v != w and qty > 0:
                moves[(v, w)].append((i, qty))
                spare[i, v] -= qty
    rng, whs = sim.rng_stock, sim.world.warehouses
    for (v, w), lines in sorted(moves.items()):
        doc = sim.post(
            "warehouse",
            "stock_transfer",
            {
                "warehouse_id": whs[v].id,
                "to_warehouse_id": whs[w].id,
                "lines": [{"item_id": sim.world.items[i].id, "qty": q} for i, q in lines],
            },
        )
        if sim.wants_cancel("stock_transfer"):
            sim.cancel("warehouse", doc, "truck not available; stock stays")
            continue
        for i, q in lines:
            sim.on_hand[i, v] -= q
            sim.in_transit[i, w] += q
        sim.schedule(
            next_open(sim.day + DAY * int(rng.integers(1, 4))), "transfer_in", (doc, w, lines)
        )


def month_end_count(sim: Sim) -> None:
    """The last working day of a month: every warehouse counts its stock; a few units
    are missing (shrinkage), now and then some turn up."""
    if next_open(sim.day + DAY).month == sim.day.month:
        return
    rng, kn = sim.rng_stock, sim.cfg.knobs
    active = _active(sim)
    for w, wh in enumerate(sim.world.warehouses):
        lines = []
        for i in np.nonzero(active & (sim.on_hand[:, w] > 0))[0].tolist():
            have = int(sim.on_hand[i, w])
            missing = min(int(rng.binomial(have, kn.shrink_rate)), have - int(sim.committed[i, w]))
            found = int(rng.integers(1, 4)) if rng.random() < kn.surplus_prob else 0
            counted = have - missing + found
            lines.append({"item_id": sim.world.items[i].id, "qty": counted})
            sim.on_hand[i, w] = counted
            sim.stats["shrink_qty"] += missing
            sim.stats["surplus_qty"] += found
        if lines:
            sim.post("warehouse", "stock_count", {"warehouse_id": wh.id, "lines": lines})

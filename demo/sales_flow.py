"""Sales: customers order what they need; what is not in stock is lost (recorded on the
order line as `lost_qty`); orders ship the same or the next working day with a carrier,
are invoiced on shipment, sometimes partly returned, and paid when each customer's
habits say so."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from demo.demand import next_open
from demo.sim import Posting
from transactional.services import approve_credit_override, close_order, post_document
from transactional.services.sales import open_order_value, open_receivable

if TYPE_CHECKING:
    from demo.sim import Sim
    from transactional.models import Document

CENT = Decimal("0.01")
DAY = dt.timedelta(days=1)
RETURN_FRACTION = (0.5, 1.0)  # a return sends back this share of a delivered line…
RETURN_LINES = 2.0  # …of about this many lines of the delivery


def _candidates(sim: Sim) -> dict:
    """Warehouse → weekday → (customer indexes, probabilities): who orders when."""
    cache = getattr(sim, "_order_candidates", None)
    if cache is None:
        cache = {}
        for w in range(len(sim.world.warehouses)):
            mine = [c for c in sim.world.customers if c.warehouse == w]
            for wd in range(7):
                todays = [c for c in mine if wd in c.order_days] or mine
                weights = np.array([c.weight for c in todays])
                cache[(w, wd)] = ([c.idx for c in todays], weights / weights.sum())
        sim._order_candidates = cache
    return cache


def take_orders(sim: Sim) -> None:
    """Today's demand, grouped into one order per customer."""
    lines = sim.demand.lines(sim.k)
    if not lines:
        return
    cands, rng = _candidates(sim), sim.rng_sales
    by_wh: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, w, qty in lines:
        by_wh[w].append((i, qty))
    orders: dict[int, dict[int, int]] = {}
    for w in sorted(by_wh):
        who, p = cands[(w, sim.day.weekday())]
        # as many orders as it takes to carry the day's lines at the usual order size,
        # from customers who order on this weekday (the bigger, the likelier)
        n = min(len(who), max(1, round(len(by_wh[w]) / sim.cfg.knobs.lines_per_order)))
        chosen = rng.choice(len(who), size=n, replace=False, p=p)
        share = p[chosen] / p[chosen].sum()
        picks = chosen[rng.choice(n, size=len(by_wh[w]), p=share)]
        for (i, qty), pick in zip(by_wh[w], picks.tolist()):
            wanted = orders.setdefault(who[pick], {})
            wanted[i] = wanted.get(i, 0) + qty
    for c in sorted(orders):
        place_order(sim, sim.world.customers[c], orders[c])


def place_order(sim: Sim, cu, wanted: dict[int, int]) -> None:
    """Post a sales order: promise what is available, record the rest as lost demand."""
    w, k, rng = cu.warehouse, sim.k, sim.rng_sales
    items, lines = sim.world.items, []
    for i in sorted(wanted):
        qty = wanted[i]
        served = int(min(qty, max(0, sim.on_hand[i, w] - sim.committed[i, w])))
        price = (
            sim.list_price[i] * (1 - cu.discount) * (1 - Decimal(str(sim.demand.discount[i, k])))
        )
        lines.append(
            {
                "item_id": items[i].id,
                "qty": served,
                "lost_qty": qty - served,
                "unit_price": price.quantize(CENT),
            }
        )
        sim.committed[i, w] += served
        sim.stats["demand_qty"] += qty
        sim.stats["lost_qty"] += qty - served
    # promised for the day after shipping plus the usual carrier's transit time
    expected = next_open(sim.day + DAY * (1 + sim.world.carriers[cu.carrier].transit))
    data = {
        "customer_id": cu.id,
        "warehouse_id": sim.world.warehouses[w].id,
        "expected_date": expected,
        "lines": lines,
    }
    so = _post_order(sim, cu, data)
    sim.stats["so_lines"] += len(lines)
    # (line index, qty) of the lines promised: the deliveries read the order's lines
    # when they ship, by then posted
    served = [(j, ln["qty"]) for j, ln in enumerate(lines) if ln["qty"] > 0]
    if not served:  # nothing in stock: the order only records lost demand
        sim.act("sales", close_order, so.doc.id)
        return
    ship = sim.day if rng.random() >= sim.cfg.knobs.next_day_shipping else next_open(sim.day + DAY)
    if len(served) >= 2 and rng.random() < sim.cfg.knobs.split_delivery:
        cut = len(served) // 2  # the rest follows from the next truck
        sim.schedule(ship, "ship", (so, cu, served[:cut], False))
        later = next_open(ship + DAY * int(rng.integers(1, 4)))
        sim.schedule(later, "ship", (so, cu, served[cut:], False))
    else:
        sim.schedule(ship, "ship", (so, cu, served, True))


def _post_order(sim: Sim, cu, data: dict) -> Posting:
    """Post the order; one that would take the customer over its credit limit waits for
    a manager's override first (the core would refuse it otherwise). A customer with a
    credit limit has its exposure read from the database: a draft, after the queue."""
    if cu.credit_limit <= 0:
        return sim.post("sales", "sales_order", data)
    so = sim.draft("sales", "sales_order", data)
    ctx = sim.ctx["sales"]
    exposure = open_receivable(ctx, cu.id) + open_order_value(ctx, cu.id) + so.gross_total
    if exposure > cu.credit_limit:
        sim.act("manager", approve_credit_override, so.id, tick=600)
        sim.stats["credit_overrides"] += 1
    post_document(sim.ctx["sales"], so.id)
    sim.counts["sales_order"] += 1
    return Posting(sim, so)


def ship_queued(sim: Sim) -> None:
    """Ship the deliveries planned for now; a few orders are cancelled before shipping."""
    rng, carriers = sim.rng_sales, sim.world.carriers
    for order, cu, served, whole in sim.due("ship"):
        so, w = order.doc, cu.warehouse
        lines = [(so.lines[j], qty) for j, qty in served]
        if whole and sim.wants_cancel("sales_order"):
            sim.cancel("sales", so, "customer cancelled before shipment")
            for ln, qty in lines:
                sim.committed[_idx(sim, ln.item_id), w] -= qty
            continue
        ca = (
            carriers[cu.carrier]
            if rng.random() < 0.8
            else carriers[int(rng.integers(len(carriers)))]
        )
        value = sum((ln.unit_price * qty for ln, qty in lines), Decimal(0))
        freight = (ca.base_fee + ca.per_line * len(lines) + ca.value_share * value).quantize(CENT)
        transit = ca.transit + (int(rng.integers(1, 4)) if rng.random() < ca.late_prob else 0)
        data = {
            "source_document_id": so.id,
            "carrier_id": ca.id,
            "tracking_number": f"{ca.code}{int(rng.integers(10**9, 10**10))}",
            "freight_cost": freight,
            "delivered_on": sim.day + DAY * transit,
            "lines": [{"source_line_id": ln.id, "qty": qty} for ln, qty in lines],
        }
        dn = sim.post("warehouse", "delivery", data)
        if sim.wants_cancel("delivery"):
            sim.cancel("warehouse", dn, "wrong items picked; shipped again")
            dn = sim.post("warehouse", "delivery", data)
        for ln, qty in lines:
            i = _idx(sim, ln.item_id)
            sim.on_hand[i, w] -= qty
            sim.committed[i, w] -= qty
            sim.stats["shipped_qty"] += qty
        sim.todays_deliveries.append((so, cu, lines))
        _maybe_return(sim, dn, cu, lines)


def _maybe_return(sim: Sim, dn: Posting, cu, lines: list) -> None:
    """About one delivery in ten sees a line or two sent back, mostly in full, so that
    about `return_rate` of the delivered quantity returns. `lines`: the delivery's
    (order line, qty), in the order of its lines."""
    rng = sim.rng_sales
    share = RETURN_LINES / len(lines) if len(lines) > RETURN_LINES else 1.0
    p = min(1.0, sim.cfg.knobs.return_rate / (share * sum(RETURN_FRACTION) / 2))
    if rng.random() >= p:
        return
    k = min(len(lines), 1 + int(rng.poisson(RETURN_LINES - 1)))
    back = []
    for j in sorted(rng.choice(len(lines), size=k, replace=False).tolist()):
        ln, qty = lines[j]
        back.append((j, ln.item_id, max(1, min(qty, round(qty * rng.uniform(*RETURN_FRACTION))))))
    sim.schedule(next_open(sim.day + DAY * int(rng.integers(3, 26))), "return", (dn, cu, back))


def _idx(sim: Sim, item_id: int) -> int:
    return sim.item_index[item_id]


def receive_returns(sim: Sim) -> None:
    """Customers send goods back (damaged, wrong size): stock in at the shipped cost and a
    credit note, which the customer deducts from its next payment."""
    for delivery, cu, back in sim.due("return"):
        dn = delivery.doc
        ret = sim.post(
            "warehouse",
            "sales_return",
            {
                "source_document_id": dn.id,
                "lines": [{"source_line_id": dn.lines[j].id, "qty": qty} for j, _, qty in back],
            },
        )
        ret.then(_open_item(sim, cu))
        for _, item_id, qty in back:
            sim.on_hand[_idx(sim, item_id), cu.warehouse] += qty
            sim.stats["returned_qty"] += qty


def invoice_deliveries(sim: Sim) -> None:
    """One invoice per delivery; when it will be paid depends on the customer."""
    rng = sim.rng_sales
    for so, cu, lines in sim.todays_deliveries:
        data = {
            "source_document_id": so.id,
            "lines": [{"source_line_id": ln.id, "qty": qty} for ln, qty in lines],
        }
        inv = sim.post("finance", "sales_invoice", data)
        if sim.wants_cancel("sales_invoice"):
            sim.cancel("finance", inv, "wrong invoice address; reissued")
            inv = sim.post("finance", "sales_invoice", data)
        late = max(-10.0, float(rng.normal(*cu.lateness)))
        inv.then(_open_item(sim, cu, late=round(late)))
    sim.todays_deliveries = []


def _open_item(sim: Sim, cu, late: int | None = None) -> Callable[[Document], None]:
    """The callback that adds a posted document to the customer's open items: an invoice
    with the day the customer will pay it (`late` days after its due date), a credit
    note (negative, usable from today)."""
    today = sim.day

    def add(doc: Document) -> None:
        if late is None:
            sim.open_invoices[cu.idx].append([doc.id, -doc.gross_total, today])
        else:
            sim.open_invoices[cu.idx].append([doc.id, doc.gross_total, doc.due_date + DAY * late])

    return add


def collect_payments(sim: Sim) -> None:
    """Each customer pays on its weekly payment day every invoice it has decided to pay,
    less the credit notes it holds (applied in the same payment); a few payments bounce
    and are cancelled."""
    sim.flush()  # the open items of today's invoices and returns (their callbacks)
    for pay, cu, paid in sim.due("bounce"):
        sim.cancel("finance", pay, "payment returned by the bank")
        sim.open_invoices[cu.idx].extend([e[0], e[1], sim.day] for e in paid)
    wd = sim.day.weekday()
    for cu in sim.world.customers:
        if cu.pay_day != wd:
            continue
        open_items = sim.open_invoices[cu.idx]
        due = [e for e in open_items if e[2] <= sim.day]
        if not due:
            continue
        amount = sum((e[1] for e in due), Decimal(0))
        if amount <= 0:  # only credits (or more credit than due): they wait for invoices
            continue
        pay = sim.post(
            "finance",
            "customer_payment",
            {
                "customer_id": cu.id,
                "amount": amount,
                "lines": [{"allocated_document_id": e[0], "amount": e[1]} for e in due],
            },
        )
        sim.open_invoices[cu.idx] = [e for e in open_items if e[2] > sim.day]
        if sim.wants_cancel("customer_payment"):
            sim.schedule(next_open(sim.day + DAY * 3), "bounce", (pay, cu, due))

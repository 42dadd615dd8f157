"""Make-to-order needs raised when a sales order is posted.

When a sales order is *posted* (the moment it becomes a commitment: it enters
`committed`, the credit check has passed), every line of an item whose supply mode is
`make_to_order` is checked against its item-warehouse:

    uncovered = open sales-order quantity (posted, not closed, not delivered; this order's
                lines up to and including this one)
              − on hand (stock balance)
              − open supply: approved purchase-order lines not yet received (orders not
                closed) + lines of make-to-order drafts already raised (origin 'mto',
                status draft)
    need      = min(uncovered, the line's quantity)

A need > 0 becomes a line of a draft purchase order (origin 'mto', `demand_document_id`
= the sales order), one draft per supplier, raised through the service layer in the
posting's own transaction — a refused post writes nothing. The supplier is the
fastest: shortest agreed lead time, then the lowest price, then the lowest supplier id,
among active suppliers with terms for the item (a customer is waiting). The quantity is
rounded up to the supplier's pack size and raised to its MOQ (in packs). Header memo
and line memo say why, naming the order and line.

Saved drafts raise nothing: a draft is not a commitment (not in `committed`, no credit
check, edited and deleted freely) — its need is raised when it is posted.

Idempotent: a sales order is posted once; the cap at the line's quantity and the drafts
already raised counted as supply mean a later order raises only its own shortfall, never
an earlier order's. Cancelling the sales order deletes the drafts it raised that nobody
touched (still draft, not flagged planner_touched — an edit sets it); touched, approved or
rejected ones are kept. A line whose item has no supplier terms raises nothing (the next
planning run names the shortfall).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from sqlalchemy import or_, select

from transactional.models import (
    Document,
    DocumentLine,
    Item,
    StockBalance,
    Supplier,
    SupplierItem,
)
from transactional.services.base import Context, filled

MTO_ORIGIN = "mto"
MTO_USER = "mto"  # the acting user of raised drafts (role planner: may create/delete POs)
ZERO = Decimal(0)


@dataclass
class Terms:
    supplier_id: int
    supplier_code: str
    price: Decimal
    lead_time_days: int
    pack_size: Decimal
    moq: Decimal


def q(x: Decimal) -> str:
    """A quantity for people: no trailing zeros."""
    return f"{Decimal(x).normalize():f}"


def order_qty(need: Decimal, pack_size: Decimal, moq: Decimal) -> Decimal:
    """`need` rounded up to whole packs (pack ≤ 0 means 1), at least the MOQ in packs."""
    pack = pack_size if pack_size and pack_size > 0 else Decimal(1)
    packs = (need / pack).to_integral_value(ROUND_CEILING)
    moq_packs = (max(moq or ZERO, ZERO) / pack).to_integral_value(ROUND_CEILING)
    return max(packs, moq_packs) * pack


def fastest_terms(ctx: Context, item_id: int) -> Terms | None:
    """The supplier a make-to-order need is bought from: shortest agreed lead time, then
    lowest price, then lowest supplier id, among active suppliers."""
    row = ctx.session.execute(
        select(SupplierItem, Supplier.code)
        .join(Supplier, Supplier.id == SupplierItem.supplier_id)
        .where(SupplierItem.item_id == item_id, Supplier.active.is_(True))
        .order_by(SupplierItem.lead_time_days, SupplierItem.price, SupplierItem.supplier_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    si, code = row
    return Terms(
        si.supplier_id,
        code,
        si.price,
        si.lead_time_days,
        si.pack_size or Decimal(1),
        si.moq or ZERO,
    )


def _open_sales(ctx: Context, item_id: int, warehouse_id: int, exclude: int) -> Decimal:
    rows = ctx.session.execute(
        select(DocumentLine.qty, DocumentLine.delivered_qty)
        .join(Document, DocumentLine.document_id == Document.id)
        .where(
            Document.doc_type == "sales_order",
            Document.status == "posted",
            or_(Document.fulfilment_status.is_(None), Document.fulfilment_status != "closed"),
            Document.warehouse_id == warehouse_id,
            Document.id != exclude,
            DocumentLine.item_id == item_id,
        )
    ).all()
    return sum((max(qty - done, ZERO) for qty, done in rows), ZERO)


def _on_order(ctx: Context, item_id: int, warehouse_id: int) -> Decimal:
    """Approved purchase-order quantity not yet received (orders not closed)."""
    rows = ctx.session.execute(
        select(DocumentLine.qty, DocumentLine.received_qty)
        .join(Document, DocumentLine.document_id == Document.id)
        .where(
            Document.doc_type == "purchase_order",
            Document.status == "approved",
            or_(Document.fulfilment_status.is_(None), Document.fulfilment_status != "closed"),
            Document.warehouse_id == warehouse_id,
            DocumentLine.item_id == item_id,
        )
    ).all()
    return sum((max(qty - done, ZERO) for qty, done in rows), ZERO)


def _mto_drafts(ctx: Context, item_id: int, warehouse_id: int) -> Decimal:
    """Quantity on make-to-order drafts already raised (not yet approved)."""
    rows = (
        ctx.session.execute(
            select(DocumentLine.qty)
            .join(Document, DocumentLine.document_id == Document.id)
            .where(
                Document.doc_type == "purchase_order",
                Document.status == "draft",
                Document.origin == MTO_ORIGIN,
                Document.warehouse_id == warehouse_id,
                DocumentLine.item_id == item_id,
            )
        )
        .scalars()
        .all()
    )
    return sum(rows, ZERO)


def _on_hand(ctx: Context, item_id: int, warehouse_id: int) -> Decimal:
    bal = ctx.session.get(StockBalance, (item_id, warehouse_id))
    return bal.qty if bal is not None else ZERO


def _system(ctx: Context) -> Context:
    """The same session and clock, acting as the make-to-order service."""
    return Context(ctx.session, username=MTO_USER, role="planner", clock=ctx.clock)


@dataclass
class _ItemState:
    """What one make-to-order item-warehouse has while an order's lines are raised."""

    others: Decimal  # open sales-order quantity of other orders
    on_hand: Decimal
    on_order: Decimal  # approved purchase-order lines not yet received
    drafts: Decimal  # make-to-order drafts already raised
    terms: Terms | None  # the fastest supplier's, None when no supplier has terms
    this_order: Decimal = ZERO  # this order's lines up to the current one
    raised: Decimal = ZERO  # raised for this order so far


def raise_needs(ctx: Context, order: Document) -> list[Document]:
    """Draft purchase orders for the uncovered make-to-order lines of `order` (a sales
    order being posted, in its transaction); returns them (none when all is covered)."""
    item_ids = sorted({ln.item_id for ln in order.lines if ln.item_id and ln.qty > 0})
    if not item_ids:
        return []
    mto = (
        ctx.session.execute(
            select(Item.id)
            .where(  # one query on the posting path
                Item.id.in_(item_ids), Item.supply_mode == "make_to_order"
            )
            .order_by(Item.id)
        )
        .scalars()
        .all()
    )
    if not mto:
        return []
    # lock the items' rows: two orders of one make-to-order item posted at once are
    # serialised, so the second sees the first's draft (PostgreSQL; SQLite has one writer).
    # FOR NO KEY UPDATE: it does not wait for the key-share locks that inserting lines
    # referencing the item takes (FOR UPDATE would deadlock two such postings)
    ctx.session.execute(
        select(Item.id).where(Item.id.in_(mto)).order_by(Item.id).with_for_update(key_share=True)
    ).all()
    wh = filled(order.warehouse_id)
    state = {
        i: _ItemState(
            others=_open_sales(ctx, i, wh, order.id),
            on_hand=_on_hand(ctx, i, wh),
            on_order=_on_order(ctx, i, wh),
            drafts=_mto_drafts(ctx, i, wh),
            terms=fastest_terms(ctx, i),
        )
        for i in mto
    }
    plans: dict[int, list[tuple[DocumentLine, Decimal, str]]] = {}
    for ln in order.lines:
        s = state.get(ln.item_id) if ln.item_id is not None else None
        if s is None or ln.qty <= 0:
            continue
        s.this_order += ln.qty
        ordered = s.others + s.this_order
        supply = s.on_order + s.drafts + s.raised
        need = min(ordered - s.on_hand - supply, ln.qty)
        terms = s.terms
        if need <= 0 or terms is None:
            continue
        qty = order_qty(need, terms.pack_size, terms.moq)
        why = (
            f"Make to order for {order.number} line {ln.line_no}: {q(ordered)} ordered "
            f"and not delivered, {q(s.on_hand)} on hand, {q(supply)} on order "
            f"({q(s.on_order)} approved + {q(s.drafts + s.raised)} on "
            f"make-to-order drafts) → short {q(need)} of this line's {q(ln.qty)}, buy "
            f"{q(qty)} from {terms.supplier_code} (pack {q(terms.pack_size)}, MOQ "
            f"{q(terms.moq)}, {terms.lead_time_days} d lead time)"
        )
        s.raised += qty
        plans.setdefault(terms.supplier_id, []).append((ln, qty, why))
    if not plans:
        return []
    from transactional.services.documents import create_draft

    system, today = _system(ctx), ctx.now().date()
    raised = []
    for supplier_id, lines in sorted(plans.items()):
        lead = max(filled(state[filled(ln.item_id)].terms).lead_time_days for ln, _, _ in lines)
        doc = create_draft(
            system,
            "purchase_order",
            {
                "supplier_id": supplier_id,
                "warehouse_id": wh,
                "doc_date": today,
                "expected_date": today + dt.timedelta(days=lead),
                "memo": "\n".join(why for _, _, why in lines),
                "lines": [{"item_id": ln.item_id, "qty": qty} for ln, qty, _ in lines],
            },
        )
        doc.origin, doc.demand_document_id = MTO_ORIGIN, order.id
        for po_line, (_, _, why) in zip(doc.lines, lines, strict=True):
            po_line.memo = why
        ctx.session.flush()
        raised.append(doc)
    return raised


def raised_for(ctx: Context, order_id: int) -> list[Document]:
    """The make-to-order purchase orders raised for a sales order (any status)."""
    return list(
        ctx.session.execute(
            select(Document)
            .where(
                Document.doc_type == "purchase_order",
                Document.origin == MTO_ORIGIN,
                Document.demand_document_id == order_id,
            )
            .order_by(Document.id)
        ).scalars()
    )


def touched(doc: Document) -> bool:
    """Someone acted on a raised draft: edited (update_draft flags planner_touched on
    planning and make-to-order drafts), approved or rejected."""
    return bool(doc.planner_touched) or doc.status != "draft"


def withdraw_needs(ctx: Context, order: Document) -> tuple[int, int]:
    """On cancelling `order`: delete its untouched make-to-order drafts (through the
    service layer, same transaction); returns (deleted, kept)."""
    from transactional.services.documents import delete_draft

    deleted = kept = 0
    for doc in raised_for(ctx, order.id):
        if doc.status != "draft":
            continue
        if touched(doc):
            kept += 1
            continue
        delete_draft(_system(ctx), doc.id, "purchase_order")
        deleted += 1
    return deleted, kept

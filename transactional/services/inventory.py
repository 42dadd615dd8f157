"""Warehouse documents: stock transfer (dispatch → in transit → receive) and stock count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from transactional.errors import Conflict, ValidationError
from transactional.ledger.rules import Amount
from transactional.ledger.store import StockBook, StockMove, post_journal
from transactional.models import Document, StockLedgerEntry, Warehouse
from transactional.services.base import (
    Context,
    audit,
    date_field,
    ensure_open_period,
    summary,
    touch,
)
from transactional.services.handler import (
    Handler,
    active_item,
    filled,
    price_field,
    qty_field,
    usable_warehouse,
)


class StockTransfer(Handler):
    """Posting dispatches (source → 1210 in transit); `receive_transfer` books arrival."""

    doc_type = "stock_transfer"
    moves_stock = True

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        usable_warehouse(ctx, data.get("warehouse_id"), "warehouse_id")
        usable_warehouse(ctx, data.get("to_warehouse_id"), "to_warehouse_id")
        if data["warehouse_id"] == data["to_warehouse_id"]:
            raise ValidationError(
                "to_warehouse_id must differ from warehouse_id",
                field="to_warehouse_id",
                value=data["to_warehouse_id"],
                rule="different_warehouses",
            )
        doc.warehouse_id, doc.to_warehouse_id = data["warehouse_id"], data["to_warehouse_id"]
        doc.lines = []
        for i, ln in enumerate(data["lines"]):
            item = active_item(ctx, ln.get("item_id"), f"lines[{i}].item_id")
            from transactional.models import DocumentLine

            doc.lines.append(
                DocumentLine(
                    line_no=i + 1, item_id=item.id, qty=qty_field(ln.get("qty"), f"lines[{i}].qty")
                )
            )

    def post(self, ctx: Context, doc: Document) -> None:
        transit, warehouse_id = transit_warehouse_id(ctx), filled(doc.warehouse_id)
        book = StockBook(
            ctx.session,
            {(filled(ln.item_id), w) for ln in doc.lines for w in (warehouse_id, transit)},
        )
        now, amounts = ctx.now(), []
        for ln in doc.lines:
            item_id = filled(ln.item_id)
            row = book.move(
                doc, StockMove(item_id, warehouse_id, -ln.qty, line_id=ln.id), doc.doc_date, now
            )
            book.move(
                doc,
                StockMove(item_id, transit, ln.qty, value=-row.value, line_id=ln.id),
                doc.doc_date,
                now,
            )
            ln.unit_cost = row.unit_cost
            amounts.append(
                Amount(
                    "dispatched_value",
                    -row.value,
                    item_id=ln.item_id,
                    warehouse_id=doc.warehouse_id,
                )
            )
        post_journal(ctx.session, doc, doc.doc_date, now, amounts)
        doc.transfer_state = "in_transit"


def receive_transfer(ctx: Context, doc_id: int, received_on: Any = None) -> Document:
    """Book the arrival of a dispatched transfer at the destination, at the dispatched
    value (1200 destination ← 1210 in transit)."""
    from transactional.services.documents import lock_document

    doc = lock_document(ctx, doc_id, "stock_transfer")
    ctx.authorize("stock_transfer", "receive")
    if doc.status != "posted" or doc.transfer_state != "in_transit":
        raise Conflict(
            f"{doc.number} is {doc.status}/{doc.transfer_state}; only a dispatched "
            "transfer in transit can be received",
            field="transfer_state",
            value=doc.transfer_state,
            rule="in_transit_to_received",
        )
    on = date_field(received_on, "received_on", required=False) or ctx.now().date()
    if on < doc.doc_date:
        raise ValidationError(
            f"received_on {on} is before dispatch {doc.doc_date}",
            field="received_on",
            value=on,
            rule="not_before_dispatch",
        )
    ensure_open_period(ctx.session, on, f"receipt of {doc.number}")
    before = summary(doc)
    transit = transit_warehouse_id(ctx)
    in_transit = (
        ctx.session.execute(
            select(StockLedgerEntry)
            .where(
                StockLedgerEntry.document_id == doc.id,
                StockLedgerEntry.is_reversal.is_(False),
                StockLedgerEntry.warehouse_id == transit,
            )
            .order_by(StockLedgerEntry.id)
        )
        .scalars()
        .all()
    )
    to_warehouse_id = filled(doc.to_warehouse_id)
    book = StockBook(
        ctx.session, {(r.item_id, w) for r in in_transit for w in (transit, to_warehouse_id)}
    )
    now, amounts = ctx.now(), []
    for r in in_transit:
        book.move(
            doc,
            StockMove(r.item_id, transit, -r.qty, value=-r.value, line_id=r.document_line_id),
            on,
            now,
        )
        row = book.move(
            doc,
            StockMove(r.item_id, to_warehouse_id, r.qty, value=r.value, line_id=r.document_line_id),
            on,
            now,
        )
        amounts.append(
            Amount("received_value", row.value, item_id=r.item_id, warehouse_id=doc.to_warehouse_id)
        )
    post_journal(ctx.session, doc, on, now, amounts)
    doc.transfer_state, doc.received_on = "received", on
    touch(ctx, doc)
    audit(ctx, "receive", doc.doc_type, doc.id, doc.number, before, summary(doc))
    return doc


def transit_warehouse_id(ctx: Context) -> int:
    """The virtual in-transit warehouse (seeded by `qm db upgrade`)."""
    return filled(
        ctx.session.execute(
            select(Warehouse.id).where(Warehouse.is_transit.is_(True)).order_by(Warehouse.id)
        )
        .scalars()
        .first()
    )


class StockCount(Handler):
    """Counted vs system quantity at posting; the difference is valued at the moving
    average (or at the line's unit cost when the shelf was empty) and booked to 5200 —
    or to 3000 equity when the count records opening stock."""

    doc_type = "stock_count"
    moves_stock = True

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        usable_warehouse(ctx, data.get("warehouse_id"), "warehouse_id")
        doc.warehouse_id = data["warehouse_id"]
        doc.is_opening = bool(data.get("is_opening"))
        from transactional.models import DocumentLine

        doc.lines, seen = [], set()
        for i, ln in enumerate(data["lines"]):
            item = active_item(ctx, ln.get("item_id"), f"lines[{i}].item_id")
            if item.id in seen:
                raise ValidationError(
                    f"lines[{i}].item_id: item {item.sku} is counted twice",
                    field=f"lines[{i}].item_id",
                    value=item.id,
                    rule="unique_item_per_count",
                )
            seen.add(item.id)
            counted = qty_field(ln.get("qty"), f"lines[{i}].qty", allow_zero=True)
            unit_cost = None
            if ln.get("unit_cost") is not None:
                unit_cost = price_field(ln["unit_cost"], f"lines[{i}].unit_cost")
            doc.lines.append(
                DocumentLine(line_no=i + 1, item_id=item.id, qty=counted, unit_cost=unit_cost)
            )

    def post(self, ctx: Context, doc: Document) -> None:
        warehouse_id = filled(doc.warehouse_id)
        book = StockBook(ctx.session, {(filled(ln.item_id), warehouse_id) for ln in doc.lines})
        now, amounts = ctx.now(), []
        kind = "opening_stock" if doc.is_opening else "count_difference"
        for i, ln in enumerate(doc.lines):
            item_id = filled(ln.item_id)
            bal = book.balances[(item_id, warehouse_id)]
            ln.system_qty = bal.qty
            diff = ln.qty - bal.qty
            if diff == 0:
                continue
            move = StockMove(item_id, warehouse_id, diff, line_id=ln.id)
            if diff > 0:
                avg = book.average_cost(item_id, warehouse_id)
                move.unit_cost = (
                    ln.unit_cost
                    if (ln.unit_cost is not None and (avg is None or doc.is_opening))
                    else avg
                )
                if move.unit_cost is None:
                    raise ValidationError(
                        f"lines[{i}].unit_cost is required: item {ln.item_id} has no stock "
                        "and so no average cost to value the surplus",
                        field=f"lines[{i}].unit_cost",
                        value=None,
                        rule="required_when_empty",
                    )
            row = book.move(doc, move, doc.doc_date, now)
            amounts.append(
                Amount(kind, row.value, item_id=ln.item_id, warehouse_id=doc.warehouse_id)
            )
        post_journal(ctx.session, doc, doc.doc_date, now, amounts)

"""Purchasing documents: order, goods receipt, supplier bill, supplier payment, return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from transactional.errors import Conflict, ValidationError
from transactional.ledger.rules import ZERO, Amount, money
from transactional.ledger.store import StockBook, StockMove, post_journal
from transactional.models import Document, DocumentLine, Supplier, SupplierItem
from transactional.services.base import Context, date_field, must_exist
from transactional.services.handler import (
    Handler,
    active_item,
    filled,
    posted_source,
    price_field,
    qty_field,
    refuse_if_allocated,
    set_totals,
    source_line,
    source_lines,
    usable_warehouse,
)
from transactional.services.sales import CustomerPayment, _check_remaining, _refresh_order_status


class PurchaseOrder(Handler):
    """Draft → approved (its 'post') → closed; drafts may come from planning."""

    doc_type = "purchase_order"
    posts_to_books = False
    posted_status = "approved"

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        supplier = must_exist(ctx.session, Supplier, data.get("supplier_id"), "supplier_id")
        usable_warehouse(ctx, data.get("warehouse_id"), "warehouse_id")
        doc.supplier_id, doc.warehouse_id = supplier.id, data["warehouse_id"]
        doc.expected_date = date_field(
            data.get("expected_date"), "expected_date", required=False
        ) or (doc.doc_date + dt.timedelta(days=supplier.default_lead_time_days))
        if doc.expected_date < doc.doc_date:
            raise ValidationError(
                "expected_date is before doc_date",
                field="expected_date",
                value=doc.expected_date,
                rule="not_before_doc_date",
            )
        doc.due_date = doc.expected_date + dt.timedelta(days=supplier.payment_terms_days)
        lines = []
        for i, ln in enumerate(data["lines"]):
            item = active_item(ctx, ln.get("item_id"), f"lines[{i}].item_id")
            qty = qty_field(ln.get("qty"), f"lines[{i}].qty")
            terms = ctx.session.execute(
                select(SupplierItem).where(
                    SupplierItem.supplier_id == supplier.id, SupplierItem.item_id == item.id
                )
            ).scalar_one_or_none()
            price = price_field(
                ln.get("unit_price"),
                f"lines[{i}].unit_price",
                default=terms.price if terms else None,
            )
            net = money(qty * price)
            lines.append(
                DocumentLine(
                    line_no=i + 1,
                    item_id=item.id,
                    qty=qty,
                    unit_price=price,
                    vat_rate=item.vat_rate,
                    net_amount=net,
                    vat_amount=money(net * item.vat_rate),
                )
            )
        doc.lines = lines
        set_totals(doc)

    def post(self, ctx: Context, doc: Document) -> None:
        doc.fulfilment_status = "open"
        doc.approved_by, doc.approved_at = ctx.username, ctx.now()

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        if any(ln.received_qty or ln.billed_qty for ln in doc.lines):
            raise Conflict(
                f"{doc.number} has receipts; close it instead of cancelling",
                field="status",
                value=doc.status,
                rule="no_dependent_documents",
            )


class GoodsReceipt(Handler):
    """Accepted quantity enters stock at the order price; rejected quantity stays open."""

    doc_type = "goods_receipt"
    moves_stock = True

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        order = posted_source(ctx, data, "purchase_order", ("approved",))
        doc.source_document_id, doc.supplier_id = order.id, order.supplier_id
        doc.warehouse_id = data.get("warehouse_id") or order.warehouse_id
        usable_warehouse(ctx, doc.warehouse_id, "warehouse_id")
        lines = []
        for i, ln in enumerate(data["lines"]):
            src = source_line(ctx, f"lines[{i}].source_line_id", ln.get("source_line_id"), order)
            qty = qty_field(ln.get("qty"), f"lines[{i}].qty", allow_zero=True)
            rejected = qty_field(
                ln.get("rejected_qty") or 0, f"lines[{i}].rejected_qty", allow_zero=True
            )
            if qty + rejected <= 0:
                raise ValidationError(
                    f"lines[{i}]: accepted + rejected must be > 0",
                    field=f"lines[{i}].qty",
                    value=qty,
                    rule="greater_than_zero",
                )
            _check_remaining(
                qty + rejected, src.qty - src.received_qty, f"lines[{i}].qty", "received", "ordered"
            )
            lines.append(
                DocumentLine(
                    line_no=i + 1,
                    item_id=src.item_id,
                    qty=qty,
                    rejected_qty=rejected,
                    source_line_id=src.id,
                    unit_price=src.unit_price,
                    vat_rate=src.vat_rate,
                    net_amount=money(qty * src.unit_price),
                )
            )
        doc.lines = lines
        set_totals(doc)

    def post(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        warehouse_id = filled(doc.warehouse_id)
        book = StockBook(
            ctx.session, {(filled(ln.item_id), warehouse_id) for ln in doc.lines if ln.qty > 0}
        )
        now, amounts = ctx.now(), []
        for i, ln in enumerate(doc.lines):
            po_line = src[filled(ln.source_line_id)]
            _check_remaining(
                ln.qty + ln.rejected_qty,
                po_line.qty - po_line.received_qty,
                f"lines[{i}].qty",
                "received",
                "ordered",
            )
            if ln.qty > 0:
                row = book.move(
                    doc,
                    StockMove(
                        filled(ln.item_id),
                        warehouse_id,
                        ln.qty,
                        unit_cost=ln.unit_price,
                        line_id=ln.id,
                    ),
                    doc.doc_date,
                    now,
                )
                amounts.append(
                    Amount(
                        "received_value",
                        row.value,
                        item_id=ln.item_id,
                        warehouse_id=doc.warehouse_id,
                        supplier_id=doc.supplier_id,
                    )
                )
            po_line.received_qty += ln.qty
        post_journal(ctx.session, doc, doc.doc_date, now, amounts)
        _refresh_order_status(ctx, filled(doc.source_document_id), "received_qty")

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        if any(ln.billed_qty or ln.returned_qty for ln in doc.lines):
            raise Conflict(
                f"{doc.number} is billed or returned; cancel those first",
                field="status",
                value=doc.status,
                rule="no_dependent_documents",
            )

    def undo(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        for ln in doc.lines:
            src[filled(ln.source_line_id)].received_qty -= ln.qty
        _refresh_order_status(ctx, filled(doc.source_document_id), "received_qty")


def _billable(receipt_line: DocumentLine) -> Decimal:
    return receipt_line.qty - receipt_line.billed_qty - receipt_line.returned_qty


class SupplierBill(Handler):
    """3-way match: bill lines match receipt lines of one supplier; the bill price may
    differ from the order price (the difference is purchase price variance)."""

    doc_type = "supplier_bill"

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        supplier = must_exist(ctx.session, Supplier, data.get("supplier_id"), "supplier_id")
        doc.supplier_id = supplier.id
        doc.due_date = date_field(data.get("due_date"), "due_date", required=False) or (
            doc.doc_date + dt.timedelta(days=supplier.payment_terms_days)
        )
        lines = []
        for i, ln in enumerate(data["lines"]):
            f = f"lines[{i}].source_line_id"
            src = must_exist(ctx.session, DocumentLine, ln.get("source_line_id"), f)
            receipt = src.document
            if (
                receipt.doc_type != "goods_receipt"
                or receipt.status != "posted"
                or receipt.supplier_id != supplier.id
            ):
                raise ValidationError(
                    f"{f}: line {src.id} is not a posted goods receipt line "
                    f"of supplier {supplier.code}",
                    field=f,
                    value=src.id,
                    rule="receipt_line_of_supplier",
                )
            qty = qty_field(ln.get("qty"), f"lines[{i}].qty")
            _check_remaining(qty, _billable(src), f"lines[{i}].qty", "billed", "received")
            price = price_field(
                ln.get("unit_price"), f"lines[{i}].unit_price", default=src.unit_price
            )
            net = money(qty * price)
            lines.append(
                DocumentLine(
                    line_no=i + 1,
                    item_id=src.item_id,
                    qty=qty,
                    source_line_id=src.id,
                    unit_price=price,
                    unit_cost=src.unit_price,
                    vat_rate=src.vat_rate,
                    net_amount=net,
                    vat_amount=money(net * src.vat_rate),
                )
            )
        doc.lines = lines
        set_totals(doc)
        doc.party_balance_effect = doc.gross_total

    def post(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        s, amounts = doc.supplier_id, []
        for i, ln in enumerate(doc.lines):
            r_line = src[filled(ln.source_line_id)]
            _check_remaining(ln.qty, _billable(r_line), f"lines[{i}].qty", "billed", "received")
            received_value = money(ln.qty * r_line.unit_price)
            amounts.append(
                Amount("received_value", received_value, supplier_id=s, item_id=ln.item_id)
            )
            amounts.append(
                Amount(
                    "price_variance",
                    ln.net_amount - received_value,
                    supplier_id=s,
                    item_id=ln.item_id,
                )
            )
            r_line.billed_qty += ln.qty
            po_line = filled(ctx.session.get(DocumentLine, r_line.source_line_id))
            po_line.billed_qty += ln.qty
        amounts.append(Amount("vat", doc.vat_total, supplier_id=s))
        post_journal(ctx.session, doc, doc.doc_date, ctx.now(), amounts)

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        refuse_if_allocated(doc)

    def undo(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        for ln in doc.lines:
            src[filled(ln.source_line_id)].billed_qty -= ln.qty
            filled(
                ctx.session.get(DocumentLine, src[filled(ln.source_line_id)].source_line_id)
            ).billed_qty -= ln.qty


class SupplierPayment(CustomerPayment):
    doc_type = "supplier_payment"
    party_field = "supplier_id"
    party_model = Supplier
    open_type, credit_type = "supplier_bill", "purchase_return"


class PurchaseReturn(Handler):
    """Goods back to the supplier at the current average; unbilled quantity clears GRNI
    at the receipt price, billed quantity becomes a debit note against AP; any difference
    between average cost and receipt price is purchase price variance."""

    doc_type = "purchase_return"
    moves_stock = True

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        receipt = posted_source(ctx, data, "goods_receipt")
        doc.source_document_id, doc.supplier_id = receipt.id, receipt.supplier_id
        doc.warehouse_id = receipt.warehouse_id
        lines = []
        for i, ln in enumerate(data["lines"]):
            src = source_line(ctx, f"lines[{i}].source_line_id", ln.get("source_line_id"), receipt)
            qty = qty_field(ln.get("qty"), f"lines[{i}].qty")
            _check_remaining(
                qty, src.qty - src.returned_qty, f"lines[{i}].qty", "returned", "received"
            )
            lines.append(
                DocumentLine(
                    line_no=i + 1,
                    item_id=src.item_id,
                    qty=qty,
                    source_line_id=src.id,
                    unit_price=src.unit_price,
                    vat_rate=src.vat_rate,
                    net_amount=money(qty * src.unit_price),
                )
            )
        doc.lines = lines
        set_totals(doc)

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        refuse_if_allocated(doc)

    def post(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        warehouse_id = filled(doc.warehouse_id)
        book = StockBook(ctx.session, {(filled(ln.item_id), warehouse_id) for ln in doc.lines})
        now, s, amounts, debit_note = ctx.now(), doc.supplier_id, [], ZERO
        for i, ln in enumerate(doc.lines):
            r_line = src[filled(ln.source_line_id)]
            _check_remaining(
                ln.qty, r_line.qty - r_line.returned_qty, f"lines[{i}].qty", "returned", "received"
            )
            unbilled_qty = min(ln.qty, max(_billable(r_line), ZERO))
            billed_qty = ln.qty - unbilled_qty
            row = book.move(
                doc,
                StockMove(filled(ln.item_id), warehouse_id, -ln.qty, line_id=ln.id),
                doc.doc_date,
                now,
            )
            unbilled = money(unbilled_qty * r_line.unit_price)
            billed = money(billed_qty * r_line.unit_price)
            billed_vat = money(billed * r_line.vat_rate)
            dims = dict(supplier_id=s, item_id=ln.item_id, warehouse_id=doc.warehouse_id)
            amounts += [
                Amount("unbilled_value", unbilled, **dims),
                Amount("billed_value", billed, **dims),
                Amount("billed_vat", billed_vat, supplier_id=s),
                Amount("cost_difference", -row.value - unbilled - billed, **dims),
            ]
            debit_note += billed + billed_vat
            ln.unit_cost = row.unit_cost
            r_line.returned_qty += ln.qty
        doc.party_balance_effect = -debit_note
        post_journal(ctx.session, doc, doc.doc_date, now, amounts)

    def undo(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        for ln in doc.lines:
            src[filled(ln.source_line_id)].returned_qty -= ln.qty

"""Sales documents: order, delivery, invoice, customer payment, sales return."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from transactional.errors import Conflict, CreditLimitExceeded, ValidationError
from transactional.ledger.rules import ZERO, Amount, money
from transactional.ledger.store import StockBook, StockMove, post_journal
from transactional.models import Carrier, Customer, Document, DocumentLine, Item, Supplier
from transactional.services import mto
from transactional.services.base import Context, date_field, decimal_field, must_exist, text_field
from transactional.services.handler import (
    QTY_PLACES,
    Handler,
    active_item,
    filled,
    fulfilment,
    locked_document,
    posted_source,
    price_field,
    qty_field,
    refuse_if_allocated,
    set_totals,
    source_line,
    source_lines,
    usable_warehouse,
)


def open_receivable(ctx: Context, customer_id: int) -> Decimal:
    """Invoices − credit notes − payments of the customer (posted documents)."""
    return Decimal(
        ctx.session.execute(
            select(func.coalesce(func.sum(Document.party_balance_effect), 0)).where(
                Document.customer_id == customer_id, Document.status == "posted"
            )
        ).scalar_one()
    )


def open_order_value(ctx: Context, customer_id: int) -> Decimal:
    """Gross value of posted, not closed sales order lines not yet invoiced."""
    rows = ctx.session.execute(
        select(
            DocumentLine.qty,
            DocumentLine.invoiced_qty,
            DocumentLine.unit_price,
            DocumentLine.vat_rate,
        )
        .join(Document, DocumentLine.document_id == Document.id)
        .where(
            Document.doc_type == "sales_order",
            Document.customer_id == customer_id,
            Document.status == "posted",
            Document.fulfilment_status != "closed",
            DocumentLine.qty > DocumentLine.invoiced_qty,
        )
    ).all()  # only what is open
    return money(sum(((q - inv) * p * (1 + v) for q, inv, p, v in rows), ZERO))


class SalesOrder(Handler):
    doc_type = "sales_order"
    batch_barrier = True  # the credit check and make-to-order needs query open documents

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        customer = must_exist(ctx.session, Customer, data.get("customer_id"), "customer_id")
        usable_warehouse(ctx, data.get("warehouse_id"), "warehouse_id")
        doc.customer_id, doc.warehouse_id = customer.id, data["warehouse_id"]
        doc.expected_date = date_field(data.get("expected_date"), "expected_date", required=False)
        if doc.expected_date and doc.expected_date < doc.doc_date:
            raise ValidationError(
                "expected_date is before doc_date",
                field="expected_date",
                value=doc.expected_date,
                rule="not_before_doc_date",
            )
        doc.due_date = doc.doc_date + dt.timedelta(days=customer.payment_terms_days)
        lines = []
        for i, ln in enumerate(data["lines"]):
            item = active_item(ctx, ln.get("item_id"), f"lines[{i}].item_id")
            lost = decimal_field(
                ln.get("lost_qty"),
                f"lines[{i}].lost_qty",
                non_negative=True,
                default=ZERO,
                places=QTY_PLACES,
            )
            # a line may record demand lost to a stockout only (qty 0, lost_qty > 0), so
            # analysts see demand = qty + lost_qty even when nothing could be promised
            qty = qty_field(ln.get("qty"), f"lines[{i}].qty", allow_zero=lost > 0)
            price = price_field(
                ln.get("unit_price"),
                f"lines[{i}].unit_price",
                default=_list_price(item, f"lines[{i}].unit_price", ln.get("unit_price")),
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
                    lost_qty=lost,
                )
            )
        doc.lines = lines
        set_totals(doc)

    def post(self, ctx: Context, doc: Document) -> None:
        customer = filled(ctx.session.get(Customer, doc.customer_id))
        if customer.credit_limit > 0 and not doc.credit_override_by:
            receivable = open_receivable(ctx, customer.id)
            orders = open_order_value(ctx, customer.id)
            exposure = receivable + orders + doc.gross_total
            if exposure > customer.credit_limit:
                raise CreditLimitExceeded(
                    f"customer {customer.code} would be over its credit limit: open "
                    f"receivables {receivable} + open orders {orders} + this order "
                    f"{doc.gross_total} = {exposure} > limit {customer.credit_limit}; a manager "
                    f"may approve an override",
                    field="customer_id",
                    value=customer.id,
                    rule="credit_limit",
                )
        doc.fulfilment_status = "open"
        # make-to-order lines that stock and open supply cannot cover raise a draft
        # purchase order, in this transaction (services/mto.py)
        mto.raise_needs(ctx, doc)

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        if any(ln.delivered_qty or ln.invoiced_qty for ln in doc.lines):
            raise Conflict(
                f"{doc.number} has deliveries or invoices; close it instead of cancelling",
                field="status",
                value=doc.status,
                rule="no_dependent_documents",
            )

    def undo(self, ctx: Context, doc: Document) -> None:
        # the make-to-order drafts this order raised go with it, unless someone touched them
        mto.withdraw_needs(ctx, doc)


class Delivery(Handler):
    doc_type = "delivery"
    moves_stock = True

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        order = posted_source(ctx, data, "sales_order")
        doc.source_document_id, doc.customer_id = order.id, order.customer_id
        doc.warehouse_id = data.get("warehouse_id") or order.warehouse_id
        usable_warehouse(ctx, doc.warehouse_id, "warehouse_id")
        if data.get("carrier_id") is not None:
            must_exist(ctx.session, Carrier, data["carrier_id"], "carrier_id")
        doc.carrier_id = data.get("carrier_id")
        doc.tracking_number = text_field(
            data.get("tracking_number"), "tracking_number", max_length=80
        )
        doc.freight_cost = money(
            decimal_field(data.get("freight_cost"), "freight_cost", non_negative=True, default=ZERO)
        )
        doc.delivered_on = date_field(data.get("delivered_on"), "delivered_on", required=False)
        if doc.delivered_on and doc.delivered_on < doc.doc_date:
            raise ValidationError(
                "delivered_on is before the shipping date",
                field="delivered_on",
                value=doc.delivered_on,
                rule="not_before_doc_date",
            )
        doc.lines = [self._line(ctx, order, i, ln) for i, ln in enumerate(data["lines"])]
        set_totals(doc)

    def _line(self, ctx: Context, order: Document, i: int, ln: dict[str, Any]) -> DocumentLine:
        src = source_line(ctx, f"lines[{i}].source_line_id", ln.get("source_line_id"), order)
        qty = qty_field(ln.get("qty"), f"lines[{i}].qty")
        _check_remaining(
            qty, src.qty - src.delivered_qty, f"lines[{i}].qty", "delivered", "ordered"
        )
        return DocumentLine(
            line_no=i + 1,
            item_id=src.item_id,
            qty=qty,
            source_line_id=src.id,
            unit_price=src.unit_price,
            net_amount=money(qty * src.unit_price),
        )

    def post(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        warehouse_id = filled(doc.warehouse_id)
        book = StockBook(ctx.session, {(filled(ln.item_id), warehouse_id) for ln in doc.lines})
        now, amounts = ctx.now(), []
        for i, ln in enumerate(doc.lines):
            so_line = src[filled(ln.source_line_id)]
            _check_remaining(
                ln.qty,
                so_line.qty - so_line.delivered_qty,
                f"lines[{i}].qty",
                "delivered",
                "ordered",
            )
            row = book.move(
                doc,
                StockMove(filled(ln.item_id), warehouse_id, -ln.qty, line_id=ln.id),
                doc.doc_date,
                now,
            )
            ln.unit_cost = row.unit_cost
            amounts.append(
                Amount(
                    "cost_of_goods",
                    -row.value,
                    item_id=ln.item_id,
                    warehouse_id=doc.warehouse_id,
                    customer_id=doc.customer_id,
                )
            )
            so_line.delivered_qty += ln.qty
        amounts.append(Amount("freight", doc.freight_cost, customer_id=doc.customer_id))
        post_journal(ctx.session, doc, doc.doc_date, now, amounts)
        _refresh_order_status(ctx, filled(doc.source_document_id), "delivered_qty")

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        for ln in doc.lines:
            so_line = src[filled(ln.source_line_id)]
            if ln.returned_qty > 0 or so_line.delivered_qty - ln.qty < so_line.invoiced_qty:
                raise Conflict(
                    f"{doc.number} is already invoiced or returned; cancel those first",
                    field="status",
                    value=doc.status,
                    rule="no_dependent_documents",
                )

    def undo(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        for ln in doc.lines:
            src[filled(ln.source_line_id)].delivered_qty -= ln.qty
        _refresh_order_status(ctx, filled(doc.source_document_id), "delivered_qty")


class SalesInvoice(Handler):
    doc_type = "sales_invoice"

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        order = posted_source(ctx, data, "sales_order")
        customer = filled(ctx.session.get(Customer, order.customer_id))
        doc.source_document_id, doc.customer_id = order.id, order.customer_id
        doc.due_date = date_field(data.get("due_date"), "due_date", required=False) or (
            doc.doc_date + dt.timedelta(days=customer.payment_terms_days)
        )
        lines = []
        for i, ln in enumerate(data["lines"]):
            src = source_line(ctx, f"lines[{i}].source_line_id", ln.get("source_line_id"), order)
            qty = qty_field(ln.get("qty"), f"lines[{i}].qty")
            _check_remaining(
                qty,
                src.delivered_qty - src.invoiced_qty,
                f"lines[{i}].qty",
                "invoiced",
                "delivered",
            )
            net = money(qty * src.unit_price)
            lines.append(
                DocumentLine(
                    line_no=i + 1,
                    item_id=src.item_id,
                    qty=qty,
                    source_line_id=src.id,
                    unit_price=src.unit_price,
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
        for i, ln in enumerate(doc.lines):
            so_line = src[filled(ln.source_line_id)]
            _check_remaining(
                ln.qty,
                so_line.delivered_qty - so_line.invoiced_qty,
                f"lines[{i}].qty",
                "invoiced",
                "delivered",
            )
            so_line.invoiced_qty += ln.qty
        c = doc.customer_id
        post_journal(
            ctx.session,
            doc,
            doc.doc_date,
            ctx.now(),
            [
                Amount("net", doc.net_total, customer_id=c),
                Amount("vat", doc.vat_total, customer_id=c),
            ],
        )

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        refuse_if_allocated(doc)

    def undo(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        for ln in doc.lines:
            src[filled(ln.source_line_id)].invoiced_qty -= ln.qty


class CustomerPayment(Handler):
    """Money in, allocated to open invoices; credit notes (sales returns) of the same
    customer may be applied in the same payment as negative allocations, so the payment
    is what the customer actually transfers: invoices less credits."""

    doc_type = "customer_payment"
    party_field = "customer_id"
    party_model: type[Customer | Supplier] = Customer
    open_type, credit_type = "sales_invoice", "sales_return"

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        party = must_exist(
            ctx.session, self.party_model, data.get(self.party_field), self.party_field
        )
        setattr(doc, self.party_field, party.id)
        doc.amount = money(decimal_field(data.get("amount"), "amount", positive=True))
        lines, allocated, credits = [], ZERO, ZERO
        for i, ln in enumerate(data.get("lines") or []):
            f = f"lines[{i}].allocated_document_id"
            target = must_exist(ctx.session, Document, ln.get("allocated_document_id"), f)
            if (
                target.doc_type not in (self.open_type, self.credit_type)
                or target.status != "posted"
                or getattr(target, self.party_field) != party.id
            ):
                raise ValidationError(
                    f"{f}: {target.number} is not a posted {self.open_type} "
                    f"or {self.credit_type} of this party",
                    field=f,
                    value=target.id,
                    rule="open_document_of_party",
                )
            amount = money(decimal_field(ln.get("amount"), f"lines[{i}].amount"))
            _check_sign(amount, target, self.credit_type, f"lines[{i}].amount")
            _check_open(amount, target, f"lines[{i}].amount")
            allocated += amount
            credits += min(amount, ZERO)
            lines.append(
                DocumentLine(line_no=i + 1, allocated_document_id=target.id, net_amount=amount)
            )
        if allocated < 0:
            raise ValidationError(
                f"credits applied ({-credits}) exceed the invoices they "
                f"settle ({allocated - credits})",
                field="lines",
                value=str(allocated),
                rule="credits_within_allocations",
            )
        if allocated > doc.amount:
            raise ValidationError(
                f"allocations {allocated} exceed the payment {doc.amount}",
                field="lines",
                value=str(allocated),
                rule="allocations_within_amount",
            )
        doc.lines = lines
        doc.net_total = doc.gross_total = doc.amount
        doc.party_balance_effect = -doc.amount

    def post(self, ctx: Context, doc: Document) -> None:
        for i, ln in enumerate(doc.lines):
            target = _lock_doc(ctx, filled(ln.allocated_document_id))
            if target.status != "posted":
                raise Conflict(
                    f"lines[{i}]: {target.number} is {target.status}",
                    field=f"lines[{i}].allocated_document_id",
                    value=target.id,
                    rule="open_document_of_party",
                )
            _check_open(ln.net_amount, target, f"lines[{i}].amount")
            target.paid_amount += ln.net_amount
        post_journal(
            ctx.session,
            doc,
            doc.doc_date,
            ctx.now(),
            [Amount("amount", doc.amount, **{self.party_field: getattr(doc, self.party_field)})],
        )

    def undo(self, ctx: Context, doc: Document) -> None:
        for ln in doc.lines:
            _lock_doc(ctx, filled(ln.allocated_document_id)).paid_amount -= ln.net_amount


class SalesReturn(Handler):
    """Goods back at the cost they left with, and a credit note at the order price."""

    doc_type = "sales_return"
    moves_stock = True

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        delivery = posted_source(ctx, data, "delivery")
        doc.source_document_id, doc.customer_id = delivery.id, delivery.customer_id
        doc.warehouse_id = delivery.warehouse_id
        lines = []
        for i, ln in enumerate(data["lines"]):
            src = source_line(ctx, f"lines[{i}].source_line_id", ln.get("source_line_id"), delivery)
            qty = qty_field(ln.get("qty"), f"lines[{i}].qty")
            _check_remaining(
                qty, src.qty - src.returned_qty, f"lines[{i}].qty", "returned", "delivered"
            )
            so_line = filled(ctx.session.get(DocumentLine, src.source_line_id))
            net = money(qty * src.unit_price)
            lines.append(
                DocumentLine(
                    line_no=i + 1,
                    item_id=src.item_id,
                    qty=qty,
                    source_line_id=src.id,
                    unit_price=src.unit_price,
                    unit_cost=src.unit_cost,
                    vat_rate=so_line.vat_rate,
                    net_amount=net,
                    vat_amount=money(net * so_line.vat_rate),
                )
            )
        doc.lines = lines
        set_totals(doc)
        doc.party_balance_effect = -doc.gross_total

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        refuse_if_allocated(doc)

    def post(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        warehouse_id = filled(doc.warehouse_id)
        book = StockBook(ctx.session, {(filled(ln.item_id), warehouse_id) for ln in doc.lines})
        now, c = ctx.now(), doc.customer_id
        amounts = [
            Amount("credit_net", doc.net_total, customer_id=c),
            Amount("credit_vat", doc.vat_total, customer_id=c),
        ]
        for i, ln in enumerate(doc.lines):
            d_line = src[filled(ln.source_line_id)]
            _check_remaining(
                ln.qty, d_line.qty - d_line.returned_qty, f"lines[{i}].qty", "returned", "delivered"
            )
            row = book.move(
                doc,
                StockMove(
                    filled(ln.item_id),
                    warehouse_id,
                    ln.qty,
                    unit_cost=d_line.unit_cost,
                    line_id=ln.id,
                ),
                doc.doc_date,
                now,
            )
            amounts.append(
                Amount(
                    "returned_cost",
                    row.value,
                    item_id=ln.item_id,
                    warehouse_id=doc.warehouse_id,
                    customer_id=c,
                )
            )
            d_line.returned_qty += ln.qty
            so_line = filled(ctx.session.get(DocumentLine, d_line.source_line_id))
            so_line.returned_qty += ln.qty
        post_journal(ctx.session, doc, doc.doc_date, now, amounts)

    def undo(self, ctx: Context, doc: Document) -> None:
        src = source_lines(ctx, [filled(ln.source_line_id) for ln in doc.lines], lock=True)
        for ln in doc.lines:
            src[filled(ln.source_line_id)].returned_qty -= ln.qty
            filled(
                ctx.session.get(DocumentLine, src[filled(ln.source_line_id)].source_line_id)
            ).returned_qty -= ln.qty


# ---------------------------------------------------------------- shared helpers
def _list_price(item: Item, field: str, given: Any) -> Decimal | None:
    """The price a sales line without one takes: the item's list price, only when one is
    set (> 0). Money never defaults silently to zero: no price and no list price → 422."""
    if given is not None and given != "":
        return None
    if item.list_price is None or item.list_price <= 0:
        raise ValidationError(
            f"{field} is required: item {item.sku} has no list price",
            field=field,
            value=given,
            rule="price_required",
        )
    return item.list_price


def _check_remaining(qty: Decimal, remaining: Decimal, field: str, done: str, basis: str) -> None:
    if qty > remaining:
        raise ValidationError(
            f"{field}: {qty.normalize():f} would be more {done} than "
            f"{basis}; only {max(remaining, ZERO).normalize():f} remain",
            field=field,
            value=qty,
            rule=f"{done}_within_{basis}",
        )


def _check_sign(amount: Decimal, target: Document, credit_type: str, field: str) -> None:
    """Invoices and bills take positive allocations; credit and debit notes negative ones
    (the credit the payment uses up)."""
    credit = target.doc_type == credit_type
    if amount == 0 or (amount < 0) != credit:
        raise ValidationError(
            f"{field}: an allocation to {target.number} must be "
            f"{'negative (the credit applied)' if credit else 'positive'}, got {amount}",
            field=field,
            value=amount,
            rule="negative_for_credit_note" if credit else "positive_for_invoice",
        )


def _check_open(amount: Decimal, target: Document, field: str) -> None:
    """An allocation may settle at most what is open: the document's effect on the party
    balance less what is allocated to it already (both negative for credit notes)."""
    open_amount = target.party_balance_effect - target.paid_amount
    if abs(amount) > abs(open_amount) or (amount < 0) != (open_amount < 0):
        raise ValidationError(
            f"{field}: {amount} exceeds the open amount {open_amount} of {target.number}",
            field=field,
            value=amount,
            rule="allocation_within_open_amount",
        )


def _lock_doc(ctx: Context, doc_id: int) -> Document:
    # already locked by the kernel in the global order (lock_sources)
    return locked_document(ctx, doc_id)


def _refresh_order_status(ctx: Context, order_id: int, done_attr: str) -> None:
    order = filled(ctx.session.get(Document, order_id))
    if order.fulfilment_status != "closed":
        order.fulfilment_status = fulfilment(order.lines, done_attr)

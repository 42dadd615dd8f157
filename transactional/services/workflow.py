"""Approvals and decisions around documents: approve / reject purchase orders (recording
planner decisions for planning drafts), close orders, credit-limit overrides; closing and
reopening a year by its number (the year close document, docs/ledger.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from transactional.commands import EARLIEST_YEAR, LATEST_YEAR
from transactional.errors import Conflict, NotFound, ValidationError
from transactional.models import Document, PlannerDecision
from transactional.services.base import Context, audit, summary, touch
from transactional.services.documents import (
    approve_document,
    cancel_document,
    create_and_post,
    lock_document,
    update_draft,
)
from transactional.services.handler import qty_field


def _decide(
    ctx: Context,
    doc: Document,
    action: str,
    reason: str | None = None,
    changes: list[tuple[int | None, int | None, Decimal, Decimal]] | None = None,
) -> None:
    """Record a planner's decision on a planning draft: one row per line (approve,
    reject) or per changed line (edit: line id or None when dropped, item, old and new
    quantity)."""
    if doc.origin != "planning":
        return
    now = ctx.now()
    if changes is None:
        changes = [
            (ln.id, ln.item_id, ln.qty, Decimal(0) if action == "reject" else ln.qty)
            for ln in doc.lines
        ]
    for line_id, item_id, suggested, final in changes:
        ctx.session.add(
            PlannerDecision(
                document_id=doc.id,
                document_line_id=line_id,
                item_id=item_id,
                planning_run_id=doc.planning_run_id,
                action=action,
                suggested_qty=suggested,
                final_qty=final,
                reason=reason,
                decided_by=ctx.username,
                decided_at=now,
            )
        )


def approve_purchase_order(ctx: Context, doc_id: int) -> Document:
    """Draft → approved by a planner or manager (`purchase_order:approve`); a planning
    draft's approval is recorded as a planner decision."""
    doc = approve_document(ctx, doc_id, "purchase_order")
    _decide(ctx, doc, "approve")
    doc.planner_touched = True
    return doc


def reject_purchase_order(ctx: Context, doc_id: int, reason: str) -> Document:
    """Draft → rejected, with a reason (required)."""
    doc = lock_document(ctx, doc_id, "purchase_order")
    ctx.authorize("purchase_order", "reject")
    if not reason or not reason.strip():
        raise ValidationError(
            "a rejection needs a reason", field="reason", value=reason, rule="required"
        )
    if doc.status != "draft":
        raise Conflict(
            f"cannot reject {doc.number}: it is {doc.status}, must be draft",
            field="status",
            value=doc.status,
            rule="draft_to_rejected",
        )
    before = summary(doc)
    doc.status, doc.reject_reason, doc.planner_touched = "rejected", reason.strip(), True
    _decide(ctx, doc, "reject", reason.strip())
    touch(ctx, doc)
    audit(ctx, "reject", doc.doc_type, doc.id, doc.number, before, summary(doc))
    return doc


def edit_purchase_order_quantities(
    ctx: Context, doc_id: int, quantities: dict[int, Decimal]
) -> Document:
    """A planner changes line quantities of a draft PO (line id → new qty; 0 drops it)."""
    doc = lock_document(ctx, doc_id, "purchase_order")
    if doc.status != "draft":
        raise Conflict(
            f"cannot edit {doc.number}: it is {doc.status}, must be draft",
            field="status",
            value=doc.status,
            rule="draft_to_update",
        )
    known = {ln.id for ln in doc.lines}
    unknown = [k for k in quantities if k not in known]
    if unknown:
        raise ValidationError(
            f"line {unknown[0]} is not a line of {doc.number}",
            field="quantities",
            value=unknown[0],
            rule="line_of_document",
        )
    new_qty = {
        ln.id: qty_field(quantities.get(ln.id, ln.qty), f"quantities[{ln.id}]", allow_zero=True)
        for ln in doc.lines
    }
    # (old line id, item, unit price, suggested, final) of every line, in line order
    before = [(ln.id, ln.item_id, ln.unit_price, ln.qty, new_qty[ln.id]) for ln in doc.lines]
    kept = [b for b in before if b[4] != 0]
    doc = update_draft(
        ctx,
        doc.id,
        {
            "lines": [
                {"item_id": item, "unit_price": price, "qty": final}
                for _, item, price, _, final in kept
            ]
        },
        "purchase_order",
    )
    edited = [b for b in before if b[4] != b[3]]
    if edited:
        # the rewrite gives the kept lines new ids, in the same order
        new_id = {b[0]: ln.id for b, ln in zip(kept, doc.lines, strict=True)}
        _decide(
            ctx,
            doc,
            "edit",
            None,
            [
                (new_id.get(line_id), item, suggested, final)
                for line_id, item, _, suggested, final in edited
            ],
        )
    return doc


def close_order(ctx: Context, doc_id: int) -> Document:
    """Short-close a posted sales order or approved purchase order: what is not yet
    delivered/received will not be."""
    doc = lock_document(ctx, doc_id)
    if doc.doc_type not in ("sales_order", "purchase_order"):
        raise ValidationError(
            f"{doc.number} is not an order", field="id", value=doc_id, rule="order_only"
        )
    ctx.authorize(doc.doc_type, "close")
    if doc.status not in ("posted", "approved") or doc.fulfilment_status == "closed":
        raise Conflict(
            f"cannot close {doc.number}: it is {doc.status}/{doc.fulfilment_status}",
            field="status",
            value=doc.status,
            rule="open_to_closed",
        )
    before = summary(doc)
    doc.fulfilment_status = "closed"
    touch(ctx, doc)
    audit(ctx, "close", doc.doc_type, doc.id, doc.number, before, summary(doc))
    return doc


def approve_credit_override(ctx: Context, doc_id: int) -> Document:
    """A manager lets a sales order exceed the customer's credit limit (recorded)."""
    doc = lock_document(ctx, doc_id, "sales_order")
    ctx.authorize("sales_order", "credit_override")
    if doc.status != "draft":
        raise Conflict(
            f"{doc.number} is {doc.status}; overrides apply to drafts",
            field="status",
            value=doc.status,
            rule="draft_only",
        )
    doc.credit_override_by, doc.credit_override_at = ctx.username, ctx.now()
    touch(ctx, doc)
    audit(
        ctx,
        "credit_override",
        doc.doc_type,
        doc.id,
        doc.number,
        None,
        {"credit_override_by": ctx.username},
    )
    return doc


def close_year(ctx: Context, year: int, memo: str | None = None) -> Document:
    """Close `year`: create and post its year close (`year_close`: the closing entry to
    3100 Retained earnings, dated 31 December, and the books closed through that day)."""
    command: dict[str, object] = {"year": year}
    if memo is not None:
        command["memo"] = memo
    return create_and_post(ctx, "year_close", command)


def reopen_year(ctx: Context, year: int, reason: str | None = None) -> Document:
    """Reopen `year`: cancel its posted year close (the closing entry's exact reversal,
    on the same 31 December); only the latest close may be reopened."""
    ctx.authorize("year_close", "cancel")
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValidationError(
            f"year must be a calendar year from {EARLIEST_YEAR} to {LATEST_YEAR}, got {year}",
            field="year",
            value=year,
            rule="year_range",
        )
    doc_id = ctx.session.execute(
        select(Document.id).where(
            Document.doc_type == "year_close",
            Document.status == "posted",
            Document.doc_date == dt.date(year, 12, 31),
        )
    ).scalar_one_or_none()
    if doc_id is None:
        raise NotFound(
            f"year {year} is not closed: no posted year close",
            field="year",
            value=year,
            rule="year_closed",
        )
    return cancel_document(ctx, doc_id, None, "year_close", reason)

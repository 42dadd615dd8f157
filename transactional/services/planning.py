"""Planning write-back: a planning run's suggestions become draft purchase orders.

The rule, in one transaction (the caller's), as a planner (`purchase_order` create and
delete):

1. every planning draft (origin 'planning', status draft) that no planner touched is
   deleted through `delete_draft`, each re-checked under its row lock — "replaced";
   touched drafts are kept ("kept");
2. item-warehouses a planner has in hand are skipped ("skipped_lines"): the lines of
   planning drafts a planner edited, and of planning orders approved or rejected *after*
   the warehouse snapshot the run was planned on (document `change_seq` above
   `snapshot_seq`): the positions do not count those yet, and suggesting them again
   would duplicate the planner's decision. Once the warehouse has extracted a decision,
   an approval is on order and planning nets it out; a rejection no longer blocks;
3. the remaining suggestions become one draft purchase order per supplier × warehouse
   (suppliers, then warehouses, in id order; lines in item order) through `create_draft`
   — the normal purchase-order path — with origin 'planning', `planning_run_id` = the run
   and the suggestion's price (default: the supplier-item price). A line planned for
   open sales orders names them in its memo.

Idempotent per run id: the result is written to the audit log (action `apply_plan`,
entity `planning_run`, entity id = the run id) with a digest of the run's input.
Applying a run id again changes nothing and returns the stored result; applying it with
other suggestions is refused (409, rule `run_id_applied_with_other_input`). Runs are
serialised: SQLite takes its write lock at BEGIN, PostgreSQL a transaction advisory lock.

Every suggestion is checked before anything is written (field `suggestions[i].…`, the
value and the rule); the caller rolls the transaction back on any error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from transactional.commands import (
    PlanningRunIn,
    PlanningSuggestion,
    PurchaseOrderIn,
    PurchaseOrderLine,
    validate,
)
from transactional.errors import Conflict, ValidationError
from transactional.models import AuditLog, Document, Supplier, SupplierItem
from transactional.services.base import Context, audit, filled, must_exist
from transactional.services.documents import create_draft, delete_draft, lock_document
from transactional.services.handler import active_item, price_field, qty_field, usable_warehouse

PLANNING_ORIGIN = "planning"
PLANNING_USER, PLANNING_ROLE = "planning", "planner"  # who the write-back acts as
APPLY_ACTION, RUN_ENTITY = "apply_plan", "planning_run"  # its audit-log record
# a PostgreSQL transaction advisory lock serialises write-backs ("qm-plan")
_PG_LOCK_KEY = int.from_bytes(b"qm-plan", "big")
SALES_ORDER_MEMO = "For open sales orders stock and open supply cannot cover: {orders}"


@dataclass(frozen=True)
class PlanApplied:
    """What a write-back did: drafts created, untouched drafts replaced, touched drafts
    kept, suggestion lines skipped (a planner has the item-warehouse in hand) and the
    numbers of the new drafts."""

    run_id: str
    created: int
    replaced: int
    kept: int
    skipped_lines: int
    documents: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """created, replaced, kept, skipped_lines, documents (a list): the shape
        `pipelines.planning.write_back` returns."""
        return {
            "created": self.created,
            "replaced": self.replaced,
            "kept": self.kept,
            "skipped_lines": self.skipped_lines,
            "documents": list(self.documents),
        }


def apply_plan(
    ctx: Context,
    run_id: str,
    suggestions: Sequence[PlanningSuggestion | Mapping[str, Any]],
    snapshot_seq: int | None = None,
) -> PlanApplied:
    """Write a planning run back as draft purchase orders (the rule in the module
    docstring), in the caller's transaction; the caller commits, or rolls back on error.
    `suggestions`: `PlanningSuggestion` commands (or mappings validated as them), one per
    item-warehouse, quantity > 0."""
    plan = validate(
        PlanningRunIn,
        {"run_id": run_id, "snapshot_seq": snapshot_seq, "suggestions": list(suggestions)},
        "planning run",
    )
    ctx.authorize("purchase_order", "create")
    ctx.authorize("purchase_order", "delete")
    _serialise(ctx)
    digest = _digest(plan)
    previous = _applied(ctx, plan.run_id)
    if previous is not None:
        if previous.get("digest") != digest:
            raise Conflict(
                f"planning run {plan.run_id} was applied already with other "
                "suggestions; a new plan needs a new run id",
                field="run_id",
                value=plan.run_id,
                rule="run_id_applied_with_other_input",
            )
        return _result(plan.run_id, previous["result"])
    _check(ctx, plan.suggestions)

    replaced = kept = 0
    drafts = (
        ctx.session.execute(
            select(Document.id)
            .where(
                Document.doc_type == "purchase_order",
                Document.origin == PLANNING_ORIGIN,
                Document.status == "draft",
            )
            .order_by(Document.id)
        )
        .scalars()
        .all()
    )
    for doc_id in drafts:
        doc = lock_document(ctx, doc_id, "purchase_order")
        if doc.planner_touched:
            kept += 1
        else:
            delete_draft(ctx, doc_id, "purchase_order")
            replaced += 1

    held = held_item_warehouses(ctx, plan.snapshot_seq)
    groups: dict[tuple[int, int], list[PlanningSuggestion]] = {}
    skipped = 0
    for s in plan.suggestions:
        if (s.item_id, s.warehouse_id) in held:
            skipped += 1
        else:
            groups.setdefault((s.supplier_id, s.warehouse_id), []).append(s)
    numbers = []
    for (supplier_id, warehouse_id), lines in sorted(groups.items()):
        lines.sort(key=lambda s: s.item_id)
        command = PurchaseOrderIn(
            supplier_id=supplier_id,
            warehouse_id=warehouse_id,
            memo=f"planning run {plan.run_id}",
            lines=[
                PurchaseOrderLine(item_id=s.item_id, qty=s.qty, unit_price=s.unit_price)
                for s in lines
            ],
        )
        doc = create_draft(
            ctx, "purchase_order", command, origin=PLANNING_ORIGIN, planning_run_id=plan.run_id
        )
        for po_line, s in zip(doc.lines, lines, strict=True):
            if s.sales_orders:  # the line names the sales orders it is for
                po_line.memo = SALES_ORDER_MEMO.format(orders=s.sales_orders)
        numbers.append(doc.number)
    ctx.session.flush()
    result = PlanApplied(plan.run_id, len(numbers), replaced, kept, skipped, tuple(numbers))
    audit(
        ctx,
        APPLY_ACTION,
        RUN_ENTITY,
        plan.run_id,
        after={
            "digest": digest,
            "snapshot_seq": plan.snapshot_seq,
            "suggestions": len(plan.suggestions),
            "result": result.as_dict(),
        },
    )
    return result


def held_item_warehouses(ctx: Context, snapshot_seq: int | None) -> set[tuple[int, int]]:
    """(item, warehouse) pairs a planner has in hand: lines of planning drafts a planner
    edited, and of planning orders approved or rejected after the warehouse snapshot
    (`change_seq` > `snapshot_seq`; every decided order when `snapshot_seq` is None)."""
    rows = ctx.session.execute(
        select(Document).where(
            Document.doc_type == "purchase_order",
            Document.origin == PLANNING_ORIGIN,
            Document.planner_touched.is_(True),
        )
    ).scalars()
    keys: set[tuple[int, int]] = set()
    for doc in rows:
        fresh = snapshot_seq is None or (doc.change_seq or 0) > snapshot_seq
        if doc.status == "draft" or (doc.status in ("approved", "rejected") and fresh):
            keys |= {(filled(ln.item_id), filled(doc.warehouse_id)) for ln in doc.lines}
    return keys


def applied_run(ctx: Context, run_id: str) -> PlanApplied | None:
    """The stored result of a run already applied, else None."""
    previous = _applied(ctx, run_id)
    return None if previous is None else _result(run_id, previous["result"])


def _check(ctx: Context, suggestions: list[PlanningSuggestion]) -> None:
    """Everything the database can refuse, before anything is written: quantity > 0 and
    price ≥ 0 within their columns' places, an active item, a usable warehouse, an
    existing supplier, a price (given, or the supplier-item's), and one suggestion per
    item-warehouse."""
    seen: dict[tuple[int, int], int] = {}
    for i, s in enumerate(suggestions):
        at = f"suggestions[{i}]"
        qty_field(s.qty, f"{at}.qty")
        if s.unit_price is not None:
            price_field(s.unit_price, f"{at}.unit_price")
        active_item(ctx, s.item_id, f"{at}.item_id")
        usable_warehouse(ctx, s.warehouse_id, f"{at}.warehouse_id")
        must_exist(ctx.session, Supplier, s.supplier_id, f"{at}.supplier_id")
        if (
            s.unit_price is None
            and ctx.session.execute(
                select(SupplierItem.id).where(
                    SupplierItem.supplier_id == s.supplier_id, SupplierItem.item_id == s.item_id
                )
            ).first()
            is None
        ):
            raise ValidationError(
                f"{at}.unit_price is required: supplier {s.supplier_id} has no price for "
                f"item {s.item_id}",
                field=f"{at}.unit_price",
                value=None,
                rule="required",
            )
        key = (s.item_id, s.warehouse_id)
        if key in seen:
            raise ValidationError(
                f"{at}.item_id: item {s.item_id} at warehouse {s.warehouse_id} is suggested twice "
                f"(also suggestions[{seen[key]}]); a run has one suggestion per "
                "item-warehouse",
                field=f"{at}.item_id",
                value=s.item_id,
                rule="one_suggestion_per_item_warehouse",
            )
        seen[key] = i


def _serialise(ctx: Context) -> None:
    """One write-back at a time: two runs (or the same run twice) never interleave. On
    SQLite the transaction holds the write lock already (BEGIN IMMEDIATE)."""
    conn = ctx.session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def _applied(ctx: Context, run_id: str) -> dict[str, Any] | None:
    return ctx.session.execute(
        select(AuditLog.after)
        .where(
            AuditLog.action == APPLY_ACTION,
            AuditLog.entity == RUN_ENTITY,
            AuditLog.entity_id == run_id,
        )
        .order_by(AuditLog.id)
        .limit(1)
    ).scalar_one_or_none()


def _result(run_id: str, stored: Mapping[str, Any]) -> PlanApplied:
    return PlanApplied(
        run_id,
        int(stored["created"]),
        int(stored["replaced"]),
        int(stored["kept"]),
        int(stored["skipped_lines"]),
        tuple(stored["documents"]),
    )


def _plain(number: Decimal | None) -> str | None:
    """A decimal as text without trailing zeros (40, 40.0 and 40.00 are one quantity)."""
    return None if number is None else format(number.normalize(), "f")


def _digest(plan: PlanningRunIn) -> str:
    """SHA-256 of the run's input, independent of the order of its suggestions."""
    rows = sorted(
        (
            s.item_id,
            s.warehouse_id,
            s.supplier_id,
            _plain(s.qty),
            _plain(s.unit_price),
            s.sales_orders or "",
        )
        for s in plan.suggestions
    )
    body = json.dumps([plan.run_id, plan.snapshot_seq, rows], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()

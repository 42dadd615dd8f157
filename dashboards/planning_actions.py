"""The planner's side of planning drafts: read the draft purchase orders planning left in
the OLTP database, and approve / edit / reject them through the service layer as the
signed-in user (so permissions, audit and planner_decision rows follow). No Streamlit."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from transactional.config import database_url
from transactional.db import session_scope
from transactional.errors import DomainError
from transactional.models import Document, DocumentLine, Item, PlannerDecision, Supplier, Warehouse
from transactional.services import (
    Context,
    approve_purchase_order,
    edit_purchase_order_quantities,
    reject_purchase_order,
)

DRAFT_COLUMNS = [
    "document_id",
    "number",
    "supplier_id",
    "supplier",
    "warehouse_id",
    "warehouse",
    "doc_date",
    "expected_date",
    "planning_run_id",
    "planner_touched",
    "line_id",
    "line_no",
    "item_id",
    "sku",
    "item_name",
    "qty",
    "unit_price",
    "net_amount",
]


def draft_lines(url: str | None = None) -> pd.DataFrame:
    """Every line of draft purchase orders with origin='planning', with names."""
    with session_scope(url or database_url()) as session:
        rows = session.execute(
            select(
                Document.id,
                Document.number,
                Document.supplier_id,
                Supplier.name,
                Document.warehouse_id,
                Warehouse.name,
                Document.doc_date,
                Document.expected_date,
                Document.planning_run_id,
                Document.planner_touched,
                DocumentLine.id,
                DocumentLine.line_no,
                DocumentLine.item_id,
                Item.sku,
                Item.name,
                DocumentLine.qty,
                DocumentLine.unit_price,
                DocumentLine.net_amount,
            )
            .join(DocumentLine, DocumentLine.document_id == Document.id)
            .join(Supplier, Supplier.id == Document.supplier_id)
            .join(Warehouse, Warehouse.id == Document.warehouse_id)
            .join(Item, Item.id == DocumentLine.item_id)
            .where(
                Document.doc_type == "purchase_order",
                Document.status == "draft",
                Document.origin == "planning",
            )
            .order_by(Supplier.name, Warehouse.name, Document.number, DocumentLine.line_no)
        ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=DRAFT_COLUMNS)


def decisions(url: str | None = None, limit: int = 5000) -> pd.DataFrame:
    """The newest planner decisions with the document number."""
    with session_scope(url or database_url()) as session:
        rows = session.execute(
            select(
                PlannerDecision.decided_at,
                PlannerDecision.decided_by,
                Document.number,
                Item.sku,
                PlannerDecision.document_id,
                PlannerDecision.document_line_id,
                PlannerDecision.planning_run_id,
                PlannerDecision.action,
                PlannerDecision.suggested_qty,
                PlannerDecision.final_qty,
                PlannerDecision.reason,
            )
            .join(Document, Document.id == PlannerDecision.document_id)
            .outerjoin(Item, Item.id == PlannerDecision.item_id)
            .order_by(PlannerDecision.id.desc())
            .limit(limit)
        ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[
            "decided_at",
            "decided_by",
            "number",
            "sku",
            "document_id",
            "document_line_id",
            "planning_run_id",
            "action",
            "suggested_qty",
            "final_qty",
            "reason",
        ],
    )


def acceptance(decided: pd.DataFrame) -> dict[str, float | int | None]:
    """Per planning document: approved as suggested, approved after an edit, rejected.
    acceptance_rate = approved / decided; as_suggested_rate = unedited approvals / decided."""
    if decided.empty:
        return {
            "decided": 0,
            "approved": 0,
            "edited": 0,
            "rejected": 0,
            "acceptance_rate": None,
            "as_suggested_rate": None,
        }
    per_doc = decided.groupby("document_id")["action"].agg(set)
    approved = per_doc.map(lambda a: "approve" in a)
    rejected = per_doc.map(lambda a: "reject" in a)
    edited = per_doc.map(lambda a: "edit" in a)
    n = int((approved | rejected).sum())
    return {
        "decided": n,
        "approved": int(approved.sum()),
        "edited": int((approved & edited).sum()),
        "rejected": int(rejected.sum()),
        "acceptance_rate": approved.sum() / n if n else None,
        "as_suggested_rate": (approved & ~edited).sum() / n if n else None,
    }


@dataclass
class Outcome:
    """What a (bulk) action did: numbers done, and the refusals with their reasons."""

    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _run(user: dict, fn, doc_id: int, url: str | None, *args) -> str:
    with session_scope(url or database_url()) as session:
        ctx = Context(session, username=user["username"], role=user["role"])
        doc = fn(ctx, doc_id, *args)
        return doc.number


def _each(user: dict, doc_ids, fn, url, *args) -> Outcome:
    out = Outcome()
    for doc_id in doc_ids:  # one transaction per PO: one refusal does not undo the rest
        try:
            out.done.append(_run(user, fn, int(doc_id), url, *args))
        except DomainError as exc:
            out.failed.append(f"#{doc_id}: {exc.message}")
    return out


def approve(user: dict, doc_ids, url: str | None = None) -> Outcome:
    """Approve planning drafts (draft → approved), each in its own transaction."""
    return _each(user, doc_ids, approve_purchase_order, url)


def reject(user: dict, doc_ids, reason: str, url: str | None = None) -> Outcome:
    """Reject planning drafts with a reason (required by the service)."""
    return _each(user, doc_ids, reject_purchase_order, url, reason)


def edit_quantities(
    user: dict, doc_id: int, quantities: dict[int, Decimal], url: str | None = None
) -> Outcome:
    """Change line quantities of one draft (line id → qty; 0 drops the line)."""
    return _each(
        user,
        [doc_id],
        edit_purchase_order_quantities,
        url,
        {int(k): Decimal(str(v)) for k, v in quantities.items()},
    )

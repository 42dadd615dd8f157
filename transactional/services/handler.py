"""The handler contract each document type fulfils, and helpers shared by handlers."""

from __future__ import annotations

import datetime as dt
import weakref
from abc import ABC, abstractmethod
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from transactional.commands import COMMANDS, command_fields
from transactional.errors import Conflict, ValidationError
from transactional.ledger.rules import ZERO, money
from transactional.models import Document, DocumentLine, Item, Warehouse
from transactional.services.base import Context, decimal_field, filled, must_exist


class Handler(ABC):
    """One document type: how a draft is built and validated, what posting writes,
    what must hold before it may be cancelled and which tallies cancelling undoes."""

    doc_type = ""
    posts_to_books = True
    posted_status = "posted"
    # batch posting (services/batch.py): the balances a document of this type moves are
    # (line item, document warehouse), locked set-wise before the batch posts
    moves_stock = False
    # posting reads what earlier documents wrote through queries (credit exposure, open
    # supply, closed periods, drafts in a period): a batch flushes before and after it
    batch_barrier = False
    # posted, it closes every day through its date (services.base.CLOSE_TYPES); only the
    # latest close may be cancelled (`check_cancel`), which reopens those days
    closes_period = False

    @abstractmethod
    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        """Set the draft's header fields, lines and totals from the command's values
        (`transactional.commands`: shapes and types are checked already), checking what
        needs the database: references, signs and places per column, remaining
        quantities."""

    @abstractmethod
    def post(self, ctx: Context, doc: Document) -> None:
        """Re-validate against the current state and write stock and journal rows."""

    def draft_date(self, values: dict[str, Any]) -> Any:
        """The date a draft takes from its command's values (None: today)."""
        return values.get("doc_date")

    def reversal_date(self, doc: Document, asked: dt.date | None, today: dt.date) -> dt.date:
        """The date a cancellation's reversal is posted on: the cancel date asked for,
        else today."""
        return asked or today

    def check_cancel(self, ctx: Context, doc: Document) -> None:  # noqa: B027 - optional hook
        """Raise Conflict when later documents depend on this one."""

    def undo(self, ctx: Context, doc: Document) -> None:  # noqa: B027 - optional hook
        """Roll back tallies on source documents after the reversal was posted."""

    def dump(self, doc: Document) -> dict[str, Any]:
        """The editable input of a draft, in the fields of its command (used to merge
        partial updates)."""
        header_fields, line_fields = command_fields(self.doc_type)
        out: dict[str, Any] = {f: getattr(doc, f) for f in header_fields if hasattr(doc, f)}
        if "lines" in COMMANDS[self.doc_type].model_fields:
            out["lines"] = [
                {f: getattr(ln, f) for f in line_fields if hasattr(ln, f)} for ln in doc.lines
            ]
        return out


def active_item(ctx: Context, item_id: Any, field: str) -> Item:
    item = must_exist(ctx.session, Item, item_id, field)
    if not item.active:
        raise ValidationError(
            f"{field}: item {item.sku} is inactive", field=field, value=item_id, rule="item_active"
        )
    return item


def usable_warehouse(ctx: Context, warehouse_id: Any, field: str) -> Warehouse:
    """A real, active warehouse (not the virtual in-transit one)."""
    wh = must_exist(ctx.session, Warehouse, warehouse_id, field)
    if wh.is_transit or not wh.active:
        raise ValidationError(
            f"{field}: warehouse {wh.code} is "
            f"{'the in-transit warehouse' if wh.is_transit else 'inactive'}",
            field=field,
            value=warehouse_id,
            rule="usable_warehouse",
        )
    return wh


QTY_PLACES, PRICE_PLACES = 4, 6  # the scales of the Qty and UnitCost columns


def qty_field(value: Any, field: str, *, allow_zero: bool = False) -> Decimal:
    return decimal_field(
        value, field, positive=not allow_zero, non_negative=allow_zero, places=QTY_PLACES
    )


def price_field(value: Any, field: str, default: Decimal | None = None) -> Decimal:
    """A unit price or cost: ≥ 0, at most six decimal places (the UnitCost column)."""
    return decimal_field(value, field, non_negative=True, default=default, places=PRICE_PLACES)


def source_lines(ctx: Context, ids: Sequence[int], *, lock: bool) -> dict[int, DocumentLine]:
    """Load source lines (order/receipt/delivery lines) by id. With `lock`, their
    documents are locked first in the one global order (`lock_sources`: headers, then
    every line of those documents), so a partial delivery cannot lock an order's lines in
    another order than a concurrent one."""
    if not ids:
        return {}
    if lock:
        lock_sources(ctx, ids)
        locked = _locked_lines_in_transaction(ctx.session)
        if locked.issuperset(ids):
            # loaded under lock in this transaction (lock_sources, populate_existing): the
            # identity map holds them as they are, with this transaction's changes
            get = ctx.session.get
            return {i: filled(get(DocumentLine, i)) for i in sorted(set(ids))}
    stmt = (
        select(DocumentLine)
        .where(DocumentLine.id.in_(sorted(set(ids))))
        .order_by(DocumentLine.id)
        .execution_options(populate_existing=True)
    )
    if lock:
        stmt = stmt.with_for_update(key_share=True)
    return {ln.id: ln for ln in ctx.session.execute(stmt).scalars()}


def lock_sources(ctx: Context, line_ids: Sequence[int | None], doc_ids: Sequence[int] = ()) -> None:
    """Lock the documents a posting or cancel draws on, in the one global order
    (docs/ledger.md, "Concurrency"): the documents owning `line_ids` (and `doc_ids`, a
    payment's allocated invoices), then the documents their lines come from, level by
    level (a return: the delivery, then the sales order), each level's headers in id
    order; then every line of all those documents in id order — so the change cursor
    (`touch`), which updates every line of a source document, takes no lock later.

    FOR NO KEY UPDATE: new drafts that merely reference these rows (their foreign keys
    take key-share locks) are not made to wait. Locked once per transaction."""
    session = ctx.session
    done = _locked_in_transaction(session)
    locked_lines = _locked_lines_in_transaction(session)
    if locked_lines.issuperset(i for i in line_ids if i) and done.issuperset(doc_ids):
        return  # all locked already (the kernel before the handler, or a batch)
    levels: list[list[int]] = []
    seen = set(done)
    current = sorted({i for i in line_ids if i})
    first = set(doc_ids)
    while current or first:
        rows = (
            session.execute(
                select(DocumentLine.document_id, DocumentLine.source_line_id).where(
                    DocumentLine.id.in_(current)
                )
            ).all()
            if current
            else []
        )
        level = sorted(({r[0] for r in rows} | first) - seen)
        first = set()
        if level:
            levels.append(level)
            seen.update(level)
        current = sorted({r[1] for r in rows if r[1]})
    if not levels:
        return
    # the locked rows are kept referenced for the transaction (the identity map holds
    # objects weakly): handlers read them from it instead of querying each again
    keep = session.info["qm_locked_objects"]
    for level in levels:
        keep.extend(
            session.execute(
                select(Document)
                .where(Document.id.in_(level))
                .order_by(Document.id)
                .with_for_update(key_share=True)
                .execution_options(populate_existing=True)
            ).scalars()
        )
    every = [d for level in levels for d in level]
    lines = (
        session.execute(
            select(DocumentLine)
            .where(DocumentLine.document_id.in_(every))
            .order_by(DocumentLine.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        .scalars()
        .all()
    )
    keep.extend(lines)
    done.update(every)
    locked_lines.update(ln.id for ln in lines)


def locked_document(ctx: Context, doc_id: int) -> Document:
    """A document the kernel has locked in the global order (`lock_sources`, a payment's
    allocated documents): from the identity map when this transaction loaded it under
    lock, else re-read FOR NO KEY UPDATE."""
    if doc_id in _locked_in_transaction(ctx.session):
        doc = ctx.session.get(Document, doc_id)
        if doc is not None:
            return doc
    return ctx.session.execute(
        select(Document)
        .where(Document.id == doc_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()


def _locked_in_transaction(session: Session) -> set[int]:
    """The documents `lock_sources` has locked in the session's current transaction."""
    transaction = session.get_transaction()
    info = session.info
    ref = info.get("qm_locked_sources_tx")
    if transaction is None or ref is None or ref() is not transaction:
        info["qm_locked_sources_tx"] = weakref.ref(transaction) if transaction else None
        info["qm_locked_sources"] = set()
        info["qm_locked_lines"] = set()
        info["qm_locked_objects"] = []
    return info["qm_locked_sources"]


def _locked_lines_in_transaction(session: Session) -> set[int]:
    """The lines of the documents `lock_sources` has locked in this transaction."""
    _locked_in_transaction(session)
    return session.info["qm_locked_lines"]


def source_line(
    ctx: Context,
    doc_field: str,
    line_id: Any,
    parent: Document,
    loaded: dict[int, DocumentLine] | None = None,
) -> DocumentLine:
    """The source line a new line refers to; it must belong to `parent`."""
    if line_id is None:
        raise ValidationError(
            f"{doc_field} is required", field=doc_field, value=None, rule="required"
        )
    line = (loaded or {}).get(line_id) or ctx.session.get(DocumentLine, line_id)
    if line is None or line.document_id != parent.id:
        raise ValidationError(
            f"{doc_field}: line {line_id} is not a line of {parent.number}",
            field=doc_field,
            value=line_id,
            rule="line_of_source_document",
        )
    return line


def posted_source(
    ctx: Context, data: dict[str, Any], doc_type: str, statuses: tuple[str, ...] = ("posted",)
) -> Document:
    src = must_exist(ctx.session, Document, data.get("source_document_id"), "source_document_id")
    if src.doc_type != doc_type:
        raise ValidationError(
            f"source_document_id: {src.number} is a {src.doc_type}, expected a {doc_type}",
            field="source_document_id",
            value=src.id,
            rule=f"source_is_{doc_type}",
        )
    if src.status not in statuses:
        raise ValidationError(
            f"source_document_id: {src.number} is {src.status}, must be {' or '.join(statuses)}",
            field="source_document_id",
            value=src.id,
            rule="source_posted",
        )
    if src.fulfilment_status == "closed":
        raise ValidationError(
            f"source_document_id: {src.number} is closed",
            field="source_document_id",
            value=src.id,
            rule="source_open",
        )
    return src


MAX_AMOUNT = Decimal("1e15")  # Money columns hold 16 integer digits; keep a margin


def set_totals(doc: Document) -> None:
    doc.net_total = money(sum((ln.net_amount for ln in doc.lines), ZERO))
    doc.vat_total = money(sum((ln.vat_amount for ln in doc.lines), ZERO))
    doc.gross_total = doc.net_total + doc.vat_total
    if abs(doc.gross_total) >= MAX_AMOUNT or any(
        abs(ln.net_amount) >= MAX_AMOUNT for ln in doc.lines
    ):
        raise ValidationError(
            f"document total {doc.gross_total} is too large (limit {MAX_AMOUNT:,.0f})",
            field="lines",
            value=str(doc.gross_total),
            rule="amount_below_1e15",
        )


def refuse_if_allocated(doc: Document) -> None:
    """An invoice, bill, credit or debit note that payments settle or use cannot be
    cancelled before those payments are."""
    if doc.paid_amount:
        raise Conflict(
            f"{doc.number} has payments allocated ({doc.paid_amount}); cancel them first",
            field="paid_amount",
            value=doc.paid_amount,
            rule="no_dependent_documents",
        )


def fulfilment(lines: list[DocumentLine], done_attr: str) -> str:
    """open / partly / fully from the lines' done quantity against ordered quantity."""
    done = [getattr(ln, done_attr) for ln in lines]
    if all(d >= ln.qty for d, ln in zip(done, lines, strict=True)):
        return "fully"
    if any(d > 0 for d in done):
        return "partly"
    return "open"

"""The life of every document: draft → posted → cancelled, in one place.

Type-specific rules live in handlers (services/sales.py, purchasing.py, inventory.py,
finance.py); this module owns status transitions, numbering, locking, the closed-period
rule, the exact reversal on cancel, and the audit trail.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from typing import Any

from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.orm import InstanceState, Session, make_transient_to_detached

from transactional.commands import COMMANDS, Input, parse_command
from transactional.errors import Conflict, NotFound, ValidationError
from transactional.ledger.store import insert_rows, reverse_postings
from transactional.models import Document, DocumentLine
from transactional.services.base import (
    PREFIX,
    BatchState,
    Context,
    audit,
    batch_state,
    date_field,
    ensure_open_period,
    filled,
    next_number,
    summary,
    touch,
)
from transactional.services.handler import lock_sources
from transactional.services.registry import HANDLERS, handler_for


def lock_document(ctx: Context, doc_id: int, doc_type: str | None = None) -> Document:
    """Load a document FOR UPDATE (the row lock serialises posting the same document)."""
    doc = ctx.session.execute(
        select(Document)
        .where(Document.id == doc_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if doc is None or (doc_type and doc.doc_type != doc_type):
        raise NotFound(
            f"{doc_type or 'document'} {doc_id} does not exist",
            field="id",
            value=doc_id,
            rule="must_exist",
        )
    return doc


def get_document(ctx: Context, doc_id: int, doc_type: str | None = None) -> Document:
    doc = ctx.session.get(Document, doc_id)
    if doc is None or (doc_type and doc.doc_type != doc_type):
        raise NotFound(
            f"{doc_type or 'document'} {doc_id} does not exist",
            field="id",
            value=doc_id,
            rule="must_exist",
        )
    ctx.authorize(doc.doc_type, "read")
    return doc


Command = Input | dict[str, Any]
ORIGINS = ("manual", "planning", "import", "demo")


def create_draft(
    ctx: Context,
    doc_type: str,
    data: Command,
    *,
    origin: str | None = None,
    planning_run_id: str | None = None,
) -> Document:
    """Validate the command (a `transactional.commands` model, or a mapping validated
    through it) and store a draft with its number; nothing posts yet. `origin` and
    `planning_run_id` say where the document comes from (they are not part of the
    command; a mapping may still carry them as keys)."""
    doc = _store_draft(ctx, doc_type, data, origin, planning_run_id)
    # numbered last: the series row stays locked only from here to the commit, not
    # while the draft's rows were written (docs/ledger.md, "Numbering")
    doc.number = next_number(ctx.session, doc_type, doc.doc_date.year)
    touch(ctx, doc)
    audit(ctx, "create", doc_type, doc.id, doc.number, None, summary(doc))
    return doc


def create_and_post(
    ctx: Context,
    doc_type: str,
    data: Command,
    *,
    origin: str | None = None,
    planning_run_id: str | None = None,
) -> Document:
    """Create a document and post it at once ("save and post"): the same validation,
    rows and audit trail (create, then post) as create_draft followed by post_document,
    without re-reading and re-locking the row this transaction has just written."""
    doc = _store_draft(ctx, doc_type, data, origin, planning_run_id)
    # the posting writes the number (journal memo, make-to-order drafts' reasons), so it
    # is taken before posting; the draft's rows are written already
    doc.number = next_number(ctx.session, doc_type, doc.doc_date.year)
    audit(ctx, "create", doc_type, doc.id, doc.number, None, summary(doc))
    return _post(ctx, doc)


def _store_draft(
    ctx: Context, doc_type: str, data: Command, origin: str | None, planning_run_id: str | None
) -> Document:
    return _write_draft(ctx, *_parse_draft(ctx, doc_type, data, origin, planning_run_id))


def _parse_draft(
    ctx: Context, doc_type: str, data: Command, origin: str | None, planning_run_id: str | None
) -> tuple[str, dict[str, Any], str | None, str | None]:
    """Check the type and permission and validate the command: (doc_type, values,
    origin, planning_run_id) for `_write_draft`."""
    if doc_type not in HANDLERS:
        raise ValidationError(
            f"unknown document type {doc_type!r}",
            field="doc_type",
            value=doc_type,
            rule="known_document_type",
        )
    ctx.authorize(doc_type, "create")
    if isinstance(data, dict) and ("origin" in data or "planning_run_id" in data):
        data = dict(data)
        origin = data.pop("origin", None) or origin
        planning_run_id = data.pop("planning_run_id", None) or planning_run_id
    return doc_type, _values(parse_command(doc_type, data)), origin, planning_run_id


def _write_draft(
    ctx: Context,
    doc_type: str,
    values: dict[str, Any],
    origin: str | None,
    planning_run_id: str | None,
) -> Document:
    """Build the draft (`_build_draft`) and write it: serially through the ORM (a flush
    gives the ids); in a batch (services/batch.py) it takes its ids now, in the order
    serial creation takes them, and its rows wait in the batch's `DraftBuffer` for one
    multi-row insert per table at the next flush."""
    return _save_draft(ctx, _build_draft(ctx, doc_type, values, origin, planning_run_id))


def _save_draft(ctx: Context, doc: Document) -> Document:
    """Write a built draft: a flush, or in a batch its `DraftBuffer`."""
    drafts = draft_buffer(ctx.session)
    if drafts is None:
        ctx.session.add(doc)
        ctx.session.flush()
    else:
        drafts.add(doc)
    return doc


def _build_draft(
    ctx: Context,
    doc_type: str,
    values: dict[str, Any],
    origin: str | None,
    planning_run_id: str | None,
) -> Document:
    """What a draft is: its header and lines, computed and checked by the type's handler
    from the command's values, in memory (nothing is written; the one computation of the
    serial and the batch path, which differ only in how they write it)."""
    handler = handler_for(doc_type)
    now = ctx.now()
    doc_date = date_field(handler.draft_date(values) or now.date(), "doc_date")
    doc = Document(
        doc_type=doc_type,
        status="draft",
        doc_date=doc_date,
        origin=origin or "manual",
        created_by=ctx.username,
        created_at=now,
        updated_at=now,
        memo=values.get("memo"),
    )
    if doc.origin not in ORIGINS:
        raise ValidationError(
            f"origin must be manual, planning, import or demo, got {doc.origin!r}",
            field="origin",
            value=doc.origin,
            rule="one_of",
        )
    doc.planning_run_id = planning_run_id
    if batch_state(ctx.session) is None:
        handler.build(ctx, doc, values)
    else:
        # in a batch (services/batch.py) the earlier documents' changes wait in memory
        # for the batch's grouped writes: the lookups do not flush them row by row
        with ctx.session.no_autoflush:
            handler.build(ctx, doc, values)
    # a unique stand-in until the caller numbers the draft (create_draft, create_and_post)
    doc.number = f"{PREFIX[doc_type]}-{doc_date.year}-new-{secrets.token_hex(6)}"
    return doc


DRAFTS_KEY = "qm_drafts"  # session.info key of a batch's DraftBuffer


def draft_buffer(session: Session) -> DraftBuffer | None:
    """The running batch's draft buffer (created at its first draft), None outside one."""
    if batch_state(session) is None:
        return None
    drafts: DraftBuffer | None = session.info.get(DRAFTS_KEY)
    if drafts is None:
        drafts = session.info[DRAFTS_KEY] = DraftBuffer(session)
    return drafts


_doc_table, _line_table = Document.__table__, DocumentLine.__table__
_ID_SEQUENCES: dict[str, str] = {}  # PostgreSQL: table → the sequence of its id


class DraftBuffer:
    """The drafts a batch creates (its commands' and those its postings raise, such as
    make-to-order purchase orders), written set-wise: one multi-row insert of headers
    and one of lines at the next flush (a barrier's, the batch's end) instead of a flush
    per draft.

    A draft takes its ids when it is written to the buffer, which is when serial
    creation's flush would take them: on PostgreSQL from the tables' sequences (one
    statement for the header's id and its lines'), on SQLite as max(id) + 1 onwards
    (the ids SQLite would give: this transaction is the only writer). It is then a
    persistent object of the session (in the identity map, so `session.get` finds it and
    the posting changes it like any other row), whose row is inserted with its values
    at that time; the changes since are its committed state, so nothing updates it
    afterwards unless it changes again. A rolled-back attempt expunges them
    (`discard`)."""

    def __init__(self, session: Session):
        self.session = session
        self.pending: list[Document] = []
        self.created: list[Document] = []
        self._next: dict[str, int] = {}  # SQLite: the next id of each table

    def add(self, doc: Document) -> None:
        lines = list(doc.lines)
        doc_id, line_ids = self._take_ids(len(lines))
        state = inspect(doc)
        _fill_defaults(state, doc_id)
        for line, line_id in zip(lines, line_ids, strict=True):
            line_state = inspect(line)
            _fill_defaults(line_state, line_id)
            line_state.dict["document_id"] = doc_id
            make_transient_to_detached(line)
        make_transient_to_detached(doc)
        self.session.add(doc)
        self.pending.append(doc)
        self.created.append(doc)

    def _take_ids(self, n_lines: int) -> tuple[int, list[int]]:
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            if not _ID_SEQUENCES:
                for name in ("document", "document_line"):
                    _ID_SEQUENCES[name] = conn.execute(
                        text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}
                    ).scalar_one()
            doc_id, line_ids = conn.execute(
                text(
                    "SELECT nextval(CAST(:d AS regclass)), ARRAY(SELECT "
                    "nextval(CAST(:l AS regclass)) FROM generate_series(1, :n))"
                ),
                {"d": _ID_SEQUENCES["document"], "l": _ID_SEQUENCES["document_line"], "n": n_lines},
            ).one()
            return int(doc_id), [int(i) for i in line_ids]
        for table in (_doc_table, _line_table):
            if table.name not in self._next:
                self._next[table.name] = (
                    conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
                )
        doc_id = self._next["document"]
        first = self._next["document_line"]
        self._next["document"], self._next["document_line"] = doc_id + 1, first + n_lines
        return doc_id, list(range(first, first + n_lines))

    def write(self) -> None:
        """Insert the drafts not written yet, as they are now."""
        if not self.pending:
            return
        docs, self.pending = self.pending, []
        states: list[InstanceState[Any]] = [inspect(d) for d in docs]
        line_states: list[InstanceState[Any]] = [inspect(ln) for d in docs for ln in d.lines]
        conn = self.session.connection()
        doc_keys = [c.key for c in _doc_table.columns]
        line_keys = [c.key for c in _line_table.columns]
        insert_rows(conn, _doc_table, [{k: st.dict[k] for k in doc_keys} for st in states])
        if line_states:
            insert_rows(
                conn, _line_table, [{k: st.dict[k] for k in line_keys} for st in line_states]
            )
        identity_map = self.session.identity_map
        for st in (*states, *line_states):
            st._commit_all(st.dict, identity_map)

    def saw_flush(self) -> None:
        """Before a flush: the buffered rows go first. If the flush inserts documents or
        lines itself (not through this buffer), SQLite's next ids are read again."""
        self.write()
        if any(isinstance(obj, (Document, DocumentLine)) for obj in self.session.new):
            self._next.clear()

    def discard(self) -> None:
        """The attempt was rolled back: its drafts leave the session (their rows, if
        written, went with the savepoint)."""
        for doc in self.created:
            for obj in (*doc.__dict__.get("lines", ()), doc):
                if obj in self.session:
                    self.session.expunge(obj)
        self.pending, self.created = [], []


def _fill_defaults(state: Any, key: int) -> None:
    """A new row's columns as its INSERT would write them: the id taken, and the columns'
    defaults where nothing was set (set in the instance's dict: no attribute event)."""
    values = state.dict
    values["id"] = key
    for column in state.mapper.local_table.columns:
        if column.key not in values:
            default = column.default
            values[column.key] = default.arg if default is not None and default.is_scalar else None


@event.listens_for(Session, "before_flush")
def _write_drafts_first(session: Session, _context: Any, _instances: Any) -> None:
    drafts: DraftBuffer | None = session.info.get(DRAFTS_KEY)
    if drafts is not None:
        drafts.saw_flush()


def update_draft(ctx: Context, doc_id: int, data: Command, doc_type: str | None = None) -> Document:
    """Replace a draft's header and lines (drafts only). `data` names only what changes
    (a patch: a mapping, or a command model of which only the fields set count); the
    draft's other fields are kept and the whole is validated as the type's command."""
    doc = lock_document(ctx, doc_id, doc_type)
    ctx.authorize(doc.doc_type, "update")
    _require_status(doc, "draft", "update")
    handler = handler_for(doc.doc_type)
    changes = data.model_dump(exclude_unset=True) if isinstance(data, Input) else dict(data)
    before = summary(doc)
    # a partial update keeps the header it does not mention (date and memo included;
    # a year close has no date of its own: it is the end of its year)
    fields = COMMANDS[doc.doc_type].model_fields
    kept = {k: getattr(doc, k) for k in ("doc_date", "memo") if k in fields}
    merged = {**kept, **handler.dump(doc), **changes}
    values = _values(parse_command(doc.doc_type, merged))
    doc.doc_date = date_field(handler.draft_date(values), "doc_date")
    doc.memo = values.get("memo")
    doc.lines.clear()
    ctx.session.flush()
    handler.build(ctx, doc, values)
    if doc.origin in ("planning", "mto"):
        doc.planner_touched = True
    ctx.session.flush()
    touch(ctx, doc)
    audit(ctx, "update", doc.doc_type, doc.id, doc.number, before, summary(doc))
    return doc


def delete_draft(ctx: Context, doc_id: int, doc_type: str | None = None) -> None:
    """Delete a draft (posted documents are cancelled, never deleted)."""
    doc = lock_document(ctx, doc_id, doc_type)
    ctx.authorize(doc.doc_type, "delete")
    _require_status(doc, "draft", "delete")
    audit(ctx, "delete", doc.doc_type, doc.id, doc.number, summary(doc), None)
    ctx.session.delete(doc)
    ctx.session.flush()


def post_document(ctx: Context, doc_id: int, doc_type: str | None = None) -> Document:
    """Validate against the current state and post stock and journal in this transaction.

    Needs `post` on the type. For a purchase order that is the buyer confirming it (draft →
    approved); a planning suggestion is not posted but approved (`approve_document`)."""
    return _post(ctx, lock_document(ctx, doc_id, doc_type))


def approve_document(ctx: Context, doc_id: int, doc_type: str = "purchase_order") -> Document:
    """Draft → approved by a role holding `approve` on the type (purchase orders: planners
    and managers), the same transition as posting; `workflow.approve_purchase_order` adds
    the planner decision of a planning draft."""
    return _post(ctx, lock_document(ctx, doc_id, doc_type), action="approve")


def _post(ctx: Context, doc: Document, action: str = "post") -> Document:
    """Post (or approve) a locked draft: the one posting path, serial or in a batch
    (services/batch.py, where the ledger, journal and audit rows are buffered and the
    flush is the batch's)."""
    batch = batch_state(ctx.session)
    ctx.authorize(doc.doc_type, action)
    handler = handler_for(doc.doc_type)
    _require_status(doc, "draft", "post")
    if action == "post" and doc.doc_type == "purchase_order" and doc.origin == "planning":
        raise Conflict(
            f"{doc.number} is a planning suggestion: a planner or manager approves "
            "it (purchase_order:approve), so the decision is recorded; it is not "
            "posted",
            field="origin",
            value=doc.origin,
            rule="planning_draft_is_approved",
        )
    if batch is not None and handler.batch_barrier:
        _barrier(ctx, batch)
    before = summary(doc)
    if handler.posts_to_books:
        ensure_open_period(ctx.session, doc.doc_date, f"{doc.doc_type} {doc.number}")
    _lock_sources_of(ctx, doc)
    changed = None
    if batch is not None:
        changed = _recorder.objects = set()
    try:
        with ctx.session.no_autoflush:  # one flush at the end instead of one per lookup
            handler.post(ctx, doc)
    finally:
        _recorder.objects = None
    _touch_related(ctx, doc, changed)
    now = ctx.now()
    doc.status = handler.posted_status
    doc.posted_by, doc.posted_at = ctx.username, now
    touch(ctx, doc)
    if batch is None:
        ctx.session.flush()
    elif handler.batch_barrier:
        _barrier(ctx, batch)
    audit(
        ctx,
        "post" if doc.doc_type != "purchase_order" else "approve",
        doc.doc_type,
        doc.id,
        doc.number,
        before,
        summary(doc),
    )
    return doc


def cancel_document(
    ctx: Context,
    doc_id: int,
    cancel_date: dt.date | None = None,
    doc_type: str | None = None,
    reason: str | None = None,
) -> Document:
    """Cancel a posted document: exact reversing stock and journal rows dated on the
    cancel date; the original rows stay."""
    doc = lock_document(ctx, doc_id, doc_type)
    ctx.authorize(doc.doc_type, "cancel")
    handler = handler_for(doc.doc_type)
    if doc.status not in ("posted", "approved"):
        raise Conflict(
            f"{doc.number} is {doc.status}; only posted documents can be cancelled "
            f"(drafts are deleted)",
            field="status",
            value=doc.status,
            rule="posted_to_cancelled",
        )
    cancel_date = handler.reversal_date(doc, cancel_date, ctx.now().date())
    if cancel_date < doc.doc_date:
        raise ValidationError(
            f"cancel date {cancel_date} is before the document date {doc.doc_date}",
            field="cancel_date",
            value=cancel_date,
            rule="not_before_document_date",
        )
    if handler.posts_to_books and not handler.closes_period:
        # (a close's reversal is dated in the period it closed, which cancelling it
        # reopens: `check_cancel` lets only the latest close be cancelled)
        ensure_open_period(ctx.session, cancel_date, f"cancellation of {doc.number}")
    before = summary(doc)
    _lock_sources_of(ctx, doc)
    handler.check_cancel(ctx, doc)
    now = ctx.now()
    reverse_postings(ctx.session, doc, cancel_date, now)
    handler.undo(ctx, doc)
    _touch_related(ctx, doc)
    doc.status = "cancelled"
    doc.cancelled_by, doc.cancelled_at, doc.cancel_date = ctx.username, now, cancel_date
    if reason:
        doc.memo = f"{doc.memo or ''}\ncancelled: {reason}".strip()
    touch(ctx, doc)
    ctx.session.flush()
    audit(ctx, "cancel", doc.doc_type, doc.id, doc.number, before, summary(doc))
    return doc


def _lock_sources_of(ctx: Context, doc: Document) -> None:
    """Before anything else is locked (stock balances, the journal), the documents this
    one draws on: its source lines' documents and their sources, and a payment's
    allocated documents — in the one global order (docs/ledger.md, "Concurrency")."""
    lock_sources(
        ctx,
        [ln.source_line_id for ln in doc.lines if ln.source_line_id],
        sorted({ln.allocated_document_id for ln in doc.lines if ln.allocated_document_id}),
    )


def _barrier(ctx: Context, batch: BatchState) -> None:
    """In a batch, before and after a document whose posting queries what earlier ones
    wrote (`Handler.batch_barrier`): flush the session so the queries see it."""
    write_drafts(ctx.session)
    ctx.session.flush()
    batch.closed = BatchState._UNSET


def write_drafts(session: Session) -> None:
    """In a batch, insert the drafts buffered so far (`DraftBuffer`)."""
    drafts: DraftBuffer | None = session.info.get(DRAFTS_KEY)
    if drafts is not None:
        drafts.write()


class _Recorder(threading.local):
    """Documents and lines whose attributes a batched posting sets (`_post` in a batch):
    what `session.dirty` tells the serial path, which a batch cannot ask because it
    flushes once at its end."""

    objects: set | None = None


_recorder = _Recorder()


def _record_set(target: Any, value: Any, oldvalue: Any, initiator: Any) -> None:
    objects = _recorder.objects
    if objects is not None:
        objects.add(target)


for _model in (Document, DocumentLine):
    for _attr in _model.__mapper__.column_attrs:
        event.listen(getattr(_model, _attr.key), "set", _record_set)


def _touch_related(ctx: Context, doc: Document, changed: set[Any] | None = None) -> None:
    """Source documents whose tallies changed get a new change cursor too, so the
    incremental warehouse extract sees them. In a batch, what this document's posting
    changed (`changed`, recorded while it posted; `session.dirty` holds the whole
    batch's changes)."""
    dirty = [
        obj
        for obj in (ctx.session.dirty if changed is None else changed)
        if isinstance(obj, (Document, DocumentLine))
    ]
    # an object not flushed yet has no id (a new line: no document_id)
    related: set[int | None] = {obj.document_id for obj in dirty if isinstance(obj, DocumentLine)}
    related |= {obj.id for obj in dirty if isinstance(obj, Document)}
    related.discard(doc.id)
    for other_id in sorted(i for i in related if i is not None):
        touch(ctx, filled(ctx.session.get(Document, other_id)))


def _require_status(doc: Document, status: str, action: str) -> None:
    if doc.status != status:
        raise Conflict(
            f"cannot {action} {doc.number}: it is {doc.status}, must be {status}",
            field="status",
            value=doc.status,
            rule=f"{status}_to_{action}",
        )


def _values(command: Input) -> dict[str, Any]:
    """What the handler builds from: the command's fields, without those left out."""
    return command.model_dump(exclude_none=True)

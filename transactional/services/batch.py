"""Batch posting: many documents in one transaction, through the same kernel (`_post`),
handlers and posting rules as one at a time, with the fixed costs paid once per batch.

    results = post_documents(ctx, [draft_id, …])
    results = create_and_post_many(ctx, [("delivery", command), …])

What a batch shares (docs/ledger.md, "Batch posting"):

- **locks, set-wise, in the one global order**: the documents posted (FOR UPDATE, id
  order, one statement), the documents they draw on and every line of those
  (`lock_sources`, level by level, one statement per level and one for the lines), the
  balance rows of the item-warehouses they move (one statement, (item, warehouse) order);
- **one stock book** (`StockBook` instances of the batch share its locked balances);
- **buffered rows**: journal entries and lines, stock-ledger rows and audit rows are
  written at the end, one multi-row insert per table, in the order serial posting would
  have written them (so their ids are the same);
- **grouped updates**: the running tallies (delivered/invoiced/… quantities, balances,
  statuses) are flushed once, one executemany per table and column set;
- **one change number** (`change_seq`) for every document and line the batch touches;
- **drafts written set-wise** (`create_and_post_many`): each command's draft is built
  and checked by its handler in memory, when serial creation would build it (after the
  earlier documents posted), takes its ids in the order serial creation takes them and
  waits in the batch's `DraftBuffer`; the headers and lines go in as one multi-row
  insert each at the next flush (a barrier's, the batch's end) — `documents._write_draft`
  is `_build_draft` (shared with serial creation) then `_save_draft` (only the writing
  differs).

A document that fails fails alone: a domain error (`DomainError`) raised while posting
document k rolls the batch back to its savepoint and the batch runs again without k,
which gets its own error; the others post. A draft its handler refuses (an unknown
item, a quantity over what remains) is refused before anything of it is written or
numbered: it gets its error and the batch goes on without a rerun, as the serial
requests after a refused one would. Nothing is written before the end of a
batch, so a rerun costs CPU, not rows (ids taken from a PostgreSQL sequence by a draft
written in a rolled-back attempt of `create_and_post_many` stay unused, as they do when
a serial request is rolled back). Errors that are not domain errors (a deadlock, a lost
connection) roll the batch back and propagate.

Documents in one batch are posted in the order given, each seeing what the earlier ones
did (tallies, balances, statuses); the types whose posting queries the database for
that (`Handler.batch_barrier`: sales orders, period closes) get a flush before and
after them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, Table, inspect, select, text, tuple_
from sqlalchemy.orm import Mapper, Session, selectinload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from transactional.errors import DomainError, NotFound
from transactional.ledger.store import BUFFER_KEY, LedgerBuffer, StockBook
from transactional.models import Document, DocumentLine, NumberSeries, StockBalance
from transactional.services.base import (
    BATCH_KEY,
    BatchState,
    Context,
    audit,
    filled,
    next_number,
    summary,
    touch,
)
from transactional.services.documents import (
    DRAFTS_KEY,
    Command,
    DraftBuffer,
    _build_draft,
    _parse_draft,
    _post,
    _save_draft,
    write_drafts,
)
from transactional.services.handler import (
    _locked_in_transaction,
    _locked_lines_in_transaction,
    lock_sources,
)
from transactional.services.registry import HANDLERS


@dataclass
class BatchResult:
    """One document of a batch: the posted document, or the error that refused it."""

    index: int
    document: Document | None = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BatchCommand:
    """A document to create and post in a batch; `ctx` (same session) overrides the
    batch's context for this document: who creates and posts it, and its clock. With
    `post=False` the document is created as a numbered draft only (`create_draft`)."""

    doc_type: str
    data: Command
    origin: str | None = None
    planning_run_id: str | None = None
    ctx: Context | None = None
    post: bool = True


class _Failed(Exception):
    def __init__(self, index: int, error: DomainError):
        super().__init__(str(error))
        self.index, self.error = index, error


def post_documents(
    ctx: Context, ids: Sequence[int], doc_type: str | None = None
) -> list[BatchResult]:
    """Post drafts in one transaction, in the order given; one result per id."""
    return _run(ctx, list(ids), lambda todo: _post_attempt(ctx, todo, doc_type))


def create_and_post_many(
    ctx: Context, commands: Iterable[BatchCommand | tuple]
) -> list[BatchResult]:
    """Create and post documents in one transaction, in the order given (each one sees
    the earlier ones posted, as `create_and_post` one after the other would); one
    result per command. A command is a `BatchCommand` or a tuple (doc_type, data[,
    origin]); a `BatchCommand` with `post=False` is created as a draft (`create_draft`)."""
    cmds = [c if isinstance(c, BatchCommand) else BatchCommand(*c) for c in commands]
    return _run(ctx, cmds, lambda todo: _create_attempt(ctx, todo))


def _run(
    ctx: Context,
    items: list[Any],
    attempt: Callable[[list[tuple[int, Any]]], dict[int, BatchResult]],
) -> list[BatchResult]:
    session = ctx.session
    results: dict[int, BatchResult] = {}
    todo = list(range(len(items)))
    session.flush()
    while todo:
        locked_docs = set(_locked_in_transaction(session))
        locked_lines = set(_locked_lines_in_transaction(session))
        savepoint = session.begin_nested()
        batch, buffer = BatchState(), LedgerBuffer(session)
        session.info[BATCH_KEY], session.info[BUFFER_KEY] = batch, buffer
        try:
            done = attempt([(i, items[i]) for i in todo])
            write_drafts(session)
            _grouped_updates(session)
            session.flush()
            buffer.write()
            batch.write(session)
        except BaseException as exc:
            session.info.pop(BATCH_KEY, None)
            session.info.pop(BUFFER_KEY, None)
            drafts: DraftBuffer | None = session.info.pop(DRAFTS_KEY, None)
            if drafts is not None:
                drafts.discard()
            savepoint.rollback()
            session.expire_all()  # unflushed changes of the attempt are in memory only
            # the rolled-back savepoint released the locks it took
            _locked_in_transaction(session).intersection_update(locked_docs)
            _locked_lines_in_transaction(session).intersection_update(locked_lines)
            if not isinstance(exc, _Failed):
                raise
            results[exc.index] = BatchResult(exc.index, error=exc.error)
            todo.remove(exc.index)
            continue
        session.info.pop(BATCH_KEY, None)
        session.info.pop(BUFFER_KEY, None)
        session.info.pop(DRAFTS_KEY, None)
        savepoint.commit()
        for i, result in done.items():
            results[i] = result
        todo = [i for i in todo if i not in results]
    return [results[i] for i in range(len(items))]


def _align_updates(session: Session) -> None:
    """Give every dirty row of a table the same set of changed columns (writing back the
    unchanged ones' current values: the rows are locked by this transaction), so the
    flush groups each table's updates into one executemany instead of breaking the
    group wherever two neighbouring rows changed different columns (an order's status,
    a delivery's posting fields)."""
    by_class: dict[type, list] = {}
    for obj in session.dirty:
        by_class.setdefault(type(obj), []).append(obj)
    for objs in by_class.values():
        if len(objs) < 2:
            continue
        states = [inspect(o) for o in objs]
        columns = set().union(*(st.committed_state.keys() for st in states))
        columns &= set(states[0].mapper.column_attrs.keys())
        for st in states:
            for key in columns - st.committed_state.keys():
                if key in st.dict:
                    flag_modified(st.obj(), key)


_GROUPED = (Document, DocumentLine, StockBalance)


def _grouped_updates(session: Session) -> None:
    """Write the batch's changed tallies, statuses and balances: on PostgreSQL one
    `UPDATE … FROM (VALUES …)` per table (instead of one statement per row, pipelined),
    after which the ORM counts those rows as written; elsewhere (SQLite, in-process)
    the ORM's flush, its groups aligned (`_align_updates`)."""
    if session.get_bind().dialect.name != "postgresql":
        _align_updates(session)
        return
    by_class: dict[type, list] = {}
    for obj in session.dirty:
        if type(obj) in _GROUPED:
            by_class.setdefault(type(obj), []).append(inspect(obj))
    conn = session.connection()
    for model, states in by_class.items():
        mapper: Mapper[Any] = inspect(model)
        table = cast(Table, mapper.local_table)
        columns = {attr.key: attr.columns[0] for attr in mapper.column_attrs}
        keys = sorted(set().union(*(st.committed_state.keys() for st in states)) & columns.keys())
        pk = [filled(c.key) for c in mapper.primary_key]
        if not keys or any(st.expired_attributes & set(keys + pk) for st in states):
            continue  # left to the ORM's flush
        if any(isinstance(columns[k].type, JSON) for k in keys) or set(keys) & set(pk):
            continue
        cols = pk + keys
        if any(k not in st.dict for st in states for k in cols):
            continue  # a value not loaded: the ORM's flush knows what to write
        dialect = conn.dialect
        names = [columns[k].name for k in cols]
        # one array per column, unnested into rows: a short statement whatever the
        # batch size (compiling VALUES with a parameter per cell costs more than it saves)
        arrays = ", ".join(
            f"CAST(:p{i} AS {columns[k].type.compile(dialect=dialect)}[])"
            for i, k in enumerate(cols)
        )
        stmt = text(
            f'UPDATE "{table.name}" AS t SET '
            + ", ".join(f'"{columns[k].name}" = v."{columns[k].name}"' for k in keys)
            + f" FROM unnest({arrays}) AS v({', '.join(chr(34) + n + chr(34) for n in names)})"
            + " WHERE "
            + " AND ".join(f't."{columns[k].name}" = v."{columns[k].name}"' for k in pk)
        )
        conn.execute(stmt, {f"p{i}": [st.dict.get(k) for st in states] for i, k in enumerate(cols)})
        for st in states:
            st._commit_all(st.dict, session.identity_map)


def _post_attempt(
    ctx: Context, todo: list[tuple[int, int]], doc_type: str | None
) -> dict[int, BatchResult]:
    session = ctx.session
    out: dict[int, BatchResult] = {}
    wanted = sorted({doc_id for _, doc_id in todo if isinstance(doc_id, int)})
    # 1. the documents posted, FOR UPDATE in id order (one statement), with their lines
    docs = (
        {
            d.id: d
            for d in session.execute(
                select(Document)
                .where(Document.id.in_(wanted))
                .order_by(Document.id)
                .with_for_update()
                .options(selectinload(Document.lines))
                .execution_options(populate_existing=True)
            ).scalars()
        }
        if wanted
        else {}
    )
    for i, doc_id in todo:
        doc = docs.get(doc_id)
        if doc is None or (doc_type and doc.doc_type != doc_type):
            out[i] = BatchResult(
                i,
                error=NotFound(
                    f"{doc_type or 'document'} {doc_id} does not exist",
                    field="id",
                    value=doc_id,
                    rule="must_exist",
                ),
            )
    posting = [(i, docs[doc_id]) for i, doc_id in todo if i not in out]
    # 2. and 3.: what they draw on, then the balances they move
    _prelock(ctx, [doc for _, doc in posting])
    for i, doc in posting:
        try:
            out[i] = BatchResult(i, document=_post(ctx, doc))
        except DomainError as exc:
            raise _Failed(i, exc) from exc
    return out


def _create_attempt(ctx: Context, todo: list[tuple[int, BatchCommand]]) -> dict[int, BatchResult]:
    out: dict[int, BatchResult] = {}
    parsed = []
    for i, cmd in todo:
        c = cmd.ctx or ctx
        try:
            parsed.append(
                (i, c, _parse_draft(c, cmd.doc_type, cmd.data, cmd.origin, cmd.planning_run_id))
            )
        except DomainError as exc:
            out[i] = BatchResult(i, error=exc)
    posting = {i for i, cmd in todo if cmd.post}
    # drafts only are written, not posted: they lock nothing a posting would
    _prelock_commands(ctx, [values for i, _, values in parsed if i in posting])
    _prelock_series(ctx, [(c, values) for _, c, values in parsed])
    for i, c, args in parsed:
        try:
            built = _build_draft(c, *args)
        except DomainError as exc:
            # refused before anything of it was written or numbered (the draft is built
            # in memory): it fails alone and the others go on, with nothing to roll back
            out[i] = BatchResult(i, error=exc)
            _forget_refused(ctx.session)
            continue
        try:
            doc = _save_draft(c, built)
            # numbered before posting (the posting writes the number), as create_and_post
            doc.number = next_number(c.session, doc.doc_type, doc.doc_date.year)
            if i not in posting:  # as create_draft
                touch(c, doc)
            audit(c, "create", doc.doc_type, doc.id, doc.number, None, summary(doc))
            out[i] = BatchResult(i, document=_post(c, doc) if i in posting else doc)
        except DomainError as exc:
            raise _Failed(i, exc) from exc
    return out


def _forget_refused(session: Session) -> None:
    """A refused draft's objects, if its handler's lookups drew them into the session
    (a relationship's cascade): the batch's own drafts are never pending (their buffer
    attaches them as persistent), so a pending document or line is the refused one's."""
    for obj in list(session.new):
        if isinstance(obj, (Document, DocumentLine)):
            session.expunge(obj)


def _prelock_series(ctx: Context, parsed: list[tuple[Context, tuple]]) -> None:
    """Lock the number-series rows the batch will number from, in (type, year) order,
    in one statement — after everything else it locks (the series come last in the lock
    order). Without it a batch numbering a delivery, then a receipt, and another
    numbering a receipt, then a delivery, would each hold one series row and wait for
    the other's (two concurrent batches: group commits of two server processes, two
    POST /batches). A sales order may raise a make-to-order purchase order, so its
    batch locks the purchase-order series too. Rows that do not exist yet are created
    by `next_number` when first needed, as serial posting does."""
    keys: set[tuple[str, int]] = set()
    for c, (doc_type, values, _, _) in parsed:
        doc_date = HANDLERS[doc_type].draft_date(values) or c.now().date()
        year = doc_date.year if hasattr(doc_date, "year") else None
        if year is None:
            continue  # an invalid date: refused by _write_draft, numbers nothing
        keys.add((doc_type, year))
        if doc_type == "sales_order":
            keys.add(("purchase_order", c.now().year))
    if len(keys) < 2 or ctx.session.get_bind().dialect.name != "postgresql":
        return  # one row: nothing to order (SQLite: writers are serialised anyway)
    table = NumberSeries.__table__
    ctx.session.connection().execute(
        select(table.c.doc_type)
        .where(tuple_(table.c.doc_type, table.c.year).in_(sorted(keys)))
        .order_by(table.c.doc_type, table.c.year)
        .with_for_update()
    )


def _prelock(ctx: Context, docs: list[Document]) -> None:
    """Lock what the documents draw on and the balances they move, set-wise, in the
    global order (docs/ledger.md, "Concurrency"), before the first of them posts."""
    line_ids = sorted({ln.source_line_id for d in docs for ln in d.lines if ln.source_line_id})
    doc_ids = sorted(
        {ln.allocated_document_id for d in docs for ln in d.lines if ln.allocated_document_id}
    )
    _lock_sources_loading_lines(ctx, line_ids, doc_ids)
    keys: set[tuple[int, int]] = set()
    transit: int | None = None
    for d in docs:
        handler = HANDLERS.get(d.doc_type)
        if handler is None or not handler.moves_stock or not d.warehouse_id:
            continue
        warehouses = [d.warehouse_id]
        if d.doc_type == "stock_transfer":
            if transit is None:
                from transactional.services.inventory import transit_warehouse_id

                transit = transit_warehouse_id(ctx)
            warehouses.append(transit)
        keys.update((ln.item_id, w) for ln in d.lines if ln.item_id for w in warehouses)
    _prelock_balances(ctx, keys)


def _prelock_commands(ctx: Context, parsed: list[tuple[str, dict[str, Any], Any, Any]]) -> None:
    """`_prelock` for commands not yet written: their source lines, source and allocated
    documents, and the balance rows of (line item or source line's item, warehouse)."""
    session = ctx.session
    line_ids, doc_ids = set(), set()
    for _, values, _, _ in parsed:
        if values.get("source_document_id"):
            doc_ids.add(values["source_document_id"])
        for ln in values.get("lines") or []:
            if ln.get("source_line_id"):
                line_ids.add(ln["source_line_id"])
            if ln.get("allocated_document_id"):
                doc_ids.add(ln["allocated_document_id"])
    _lock_sources_loading_lines(ctx, sorted(line_ids), sorted(doc_ids))
    keys = set()
    for doc_type, values, _, _ in parsed:
        if not HANDLERS[doc_type].moves_stock:
            continue
        warehouse = values.get("warehouse_id")
        if not warehouse and values.get("source_document_id"):
            source = session.get(Document, values["source_document_id"])
            warehouse = source.warehouse_id if source is not None else None
        if not warehouse:
            continue
        for ln in values.get("lines") or []:
            item = ln.get("item_id")
            if not item and ln.get("source_line_id"):
                src = session.get(DocumentLine, ln["source_line_id"])
                item = src.item_id if src is not None else None
            if item:
                keys.add((item, warehouse))
    _prelock_balances(ctx, keys)


def _lock_sources_loading_lines(ctx: Context, line_ids: list[int], doc_ids: list[int]) -> None:
    """`lock_sources`, then fill the line collections of the locked documents from the
    lines it loaded, so the handlers' `order.lines` costs no query per document."""
    session = ctx.session
    before = set(_locked_in_transaction(session))
    lock_sources(ctx, line_ids, doc_ids)
    new = _locked_in_transaction(session) - before
    if not new:
        return
    by_doc: dict[int, list[DocumentLine]] = {d: [] for d in new}
    get = session.get
    for line_id in _locked_lines_in_transaction(session):
        line = session.identity_map.get(session.identity_key(DocumentLine, line_id))
        if line is not None and line.document_id in by_doc:
            by_doc[line.document_id].append(line)
    for doc_id, lines in by_doc.items():
        doc = get(Document, doc_id)
        if doc is not None and "lines" not in doc.__dict__:
            set_committed_value(doc, "lines", sorted(lines, key=lambda ln: ln.line_no))


def _prelock_balances(ctx: Context, keys: set[tuple[int, int]]) -> None:
    buffer: LedgerBuffer = ctx.session.info[BUFFER_KEY]
    if buffer.book is None:
        StockBook(ctx.session, set())  # installs itself as the batch's book
    filled(buffer.book).prelock(keys)

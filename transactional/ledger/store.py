"""The only writer of the books: `journal_entry`, `journal_line` and `stock_ledger` (and
the `stock_balance` rows behind them). Locks, inserts and reversals live here; the
arithmetic is `rules.journal_lines` and `valuation.value_move`
(tests/core/test_ledger_store_only.py keeps every other module from writing these tables).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, func, select, text, tuple_
from sqlalchemy.orm import Session

from transactional.errors import BackdatedMovement, NegativeStock, ValidationError
from transactional.ledger import valuation
from transactional.ledger.rules import ZERO, Amount, ManualLine, journal_lines
from transactional.models import (
    Document,
    Item,
    JournalEntry,
    JournalLine,
    StockBalance,
    StockLedgerEntry,
    Warehouse,
)

BUFFER_KEY = "qm_ledger_buffer"  # session.info key of the running batch's LedgerBuffer


class LedgerBuffer:
    """The books' rows of a batch posting (`services.batch`), written at its end: one
    multi-row insert per table instead of a few inserts per document, in the order the
    rows were made, so ids come out as serial posting makes them. While a buffer is
    installed on the session (`session.info[BUFFER_KEY]`), `post_journal` and
    `StockBook.move` append here, and every `StockBook` of the batch shares one set of
    locked balances (`book`). Nothing reads these rows back while posting, except a year
    close, which sums the year's journal: it writes what is buffered first
    (`write_buffered`)."""

    def __init__(self, session: Session):
        self.session = session
        self.entries: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        self.ledger_rows: list[dict[str, Any]] = []
        self.book: StockBook | None = None

    def write(self) -> None:
        conn = self.session.connection()
        if self.entries:
            table = JournalEntry.__table__
            rows = [entry for entry, _ in self.entries]
            if conn.dialect.name == "sqlite":
                # SQLite gives a new row max(id) + 1 and this transaction is the only
                # writer (BEGIN IMMEDIATE): the same ids, taken up front, let the entries
                # go in as one multi-row insert (RETURNING in parameter order cannot)
                first = (
                    conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
                )
                ids = list(range(first, first + len(rows)))
                conn.execute(table.insert(), [{**r, "id": i} for r, i in zip(rows, ids)])
            else:
                ids = list(
                    conn.execute(
                        table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
                    )
                    .scalars()
                    .all()
                )
            insert_rows(
                conn,
                JournalLine.__table__,
                [
                    {**line, "entry_id": entry_id}
                    for entry_id, (_, lines) in zip(ids, self.entries, strict=True)
                    for line in lines
                ],
            )
        if self.ledger_rows:
            insert_rows(conn, StockLedgerEntry.__table__, self.ledger_rows)
        self.entries, self.ledger_rows = [], []


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Many rows (all with the same keys) in one statement: a multi-row INSERT on SQLite;
    on PostgreSQL `INSERT … SELECT FROM unnest(one array per column)` in the rows' order
    (so their ids follow it), a short statement whatever the number of rows — psycopg
    would send an executemany as one statement per row."""
    if conn.dialect.name != "postgresql" or len(rows) < 2:
        conn.execute(table.insert(), rows)
        return
    keys = list(rows[0])
    cols = [table.c[k] for k in keys]
    names = [f'"{c.name}"' for c in cols]
    arrays = ", ".join(
        f"CAST(:p{i} AS {c.type.compile(dialect=conn.dialect)}[])" for i, c in enumerate(cols)
    )
    conn.execute(
        text(
            f'INSERT INTO "{table.name}" ({", ".join(names)}) '
            f"SELECT {', '.join(names)} FROM unnest({arrays}) WITH ORDINALITY "
            f"AS u({', '.join(names)}, qm_ordinal) ORDER BY qm_ordinal"
        ),
        {f"p{i}": [r[k] for r in rows] for i, k in enumerate(keys)},
    )


def ledger_buffer(session: Session) -> LedgerBuffer | None:
    buffer: LedgerBuffer | None = session.info.get(BUFFER_KEY)
    return buffer


def write_buffered(session: Session) -> None:
    """In a batch, write the rows buffered so far, in order (the batch's end writes the
    rest after them, so the ids are still those of serial posting): for a posting that
    reads the books back (a year close sums the year's journal). Outside a batch,
    nothing is buffered."""
    buffer = ledger_buffer(session)
    if buffer is not None:
        buffer.write()


# limits of the ledger's NUMERIC columns (Qty 18,4 · Money 18,2 · UnitCost 18,6)
MAX_STOCK_QTY, MAX_STOCK_VALUE, MAX_UNIT_COST = Decimal("1e14"), Decimal("1e16"), Decimal("1e12")


def post_journal(
    session: Session,
    doc: Document,
    posting_date: dt.date,
    now: dt.datetime,
    amounts: Sequence[Amount] = (),
    manual: Sequence[ManualLine] = (),
    memo: str | None = None,
) -> int | None:
    """The one posting function: turn rule amounts (and manual lines) into a balanced entry
    (`rules.journal_lines`) and write it; returns the entry id, None when nothing posts.

    Raises if the result does not balance to the cent (it cannot, by construction, unless
    a manual entry is unbalanced — which the journal-entry handler refuses earlier).
    """
    lines = journal_lines(doc.doc_type, amounts, manual)
    if not lines:
        return None
    entry = {
        "document_id": doc.id,
        "doc_type": doc.doc_type,
        "posting_date": posting_date,
        "memo": memo or doc.number,
        "is_reversal": False,
        "reverses_id": None,
        "created_at": now,
    }
    buffer = ledger_buffer(session)
    if buffer is not None:  # a batch: written with the batch's other entries at its end
        buffer.entries.append((entry, [ln.as_row() for ln in lines]))
        return None
    # plain Core inserts: rows are written at once in this transaction, without the ORM
    # unit-of-work cost (a delivery writes a dozen journal and ledger rows)
    conn = session.connection()
    entry_id: int = conn.execute(
        JournalEntry.__table__.insert().returning(JournalEntry.__table__.c.id), entry
    ).scalar_one()
    conn.execute(
        JournalLine.__table__.insert(), [{**ln.as_row(), "entry_id": entry_id} for ln in lines]
    )
    return entry_id


# ---------------------------------------------------------------- stock
@dataclass(frozen=True)
class LedgerRow:
    """What a stock movement wrote: signed quantity and value, and the unit cost."""

    qty: Decimal
    value: Decimal
    unit_cost: Decimal


@dataclass
class StockMove:
    """A quantity in (+) or out (−) of an item-warehouse. `unit_cost` only for incoming
    stock; outgoing stock always leaves at the current moving average."""

    item_id: int
    warehouse_id: int
    qty: Decimal
    unit_cost: Decimal | None = None
    line_id: int | None = None
    value: Decimal | None = None  # exact value (reversals, transfers in)


class StockBook:
    """Locked balances of the item-warehouses one posting touches.

    Locks are taken in one fixed order (item id, warehouse id) so concurrent posters
    touching overlapping items queue instead of deadlocking.

    In a batch (a `LedgerBuffer` on the session) every book shares the batch's balances,
    locked set-wise before the first document posts (`prelock`); a key the batch did not
    foresee (the first movement of an item-warehouse, whose row does not exist yet) is
    locked when a handler asks for it. Its ledger rows go to the buffer.
    """

    def __init__(self, session: Session, keys: set[tuple[int, int]]):
        self.session = session
        self.balances: dict[tuple[int, int], StockBalance] = {}
        self._buffer = ledger_buffer(session)
        if self._buffer is not None:
            if self._buffer.book is None:
                self._buffer.book = self
            self.balances = self._buffer.book.balances
            self._ensure(keys)
            return
        self._ensure(keys)

    def prelock(self, keys: set[tuple[int, int]]) -> None:
        """Lock the existing balance rows of `keys` in (item, warehouse) order, in one
        statement (a batch, before its first document posts); missing rows are left to
        the handler that moves them."""
        ordered = sorted(set(keys) - self.balances.keys())
        if ordered:
            self.balances.update(self._lock(ordered))

    def _ensure(self, keys: set[tuple[int, int]]) -> None:
        ordered = sorted(set(keys) - self.balances.keys())
        if not ordered:
            return
        self.balances.update(self._lock(ordered))
        missing = [k for k in ordered if k not in self.balances]
        if missing:  # first movement of an item-warehouse: create its row, then lock again
            self._create_rows(missing)
            self.balances.update(self._lock(missing))

    def _lock(self, ordered: list[tuple[int, int]]) -> dict[tuple[int, int], StockBalance]:
        # one statement, rows locked in (item, warehouse) order: concurrent posters
        # touching overlapping items queue instead of deadlocking
        rows = (
            self.session.execute(
                select(StockBalance)
                .where(tuple_(StockBalance.item_id, StockBalance.warehouse_id).in_(ordered))
                .order_by(StockBalance.item_id, StockBalance.warehouse_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            .scalars()
            .all()
        )
        return {(b.item_id, b.warehouse_id): b for b in rows}

    def _create_rows(self, missing: list[tuple[int, int]]) -> None:
        session = self.session
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert

            session.execute(
                insert(StockBalance)
                .values([dict(item_id=i, warehouse_id=w, qty=ZERO, value=ZERO) for i, w in missing])
                .on_conflict_do_nothing()
            )
        else:
            for i, w in missing:
                session.add(StockBalance(item_id=i, warehouse_id=w, qty=ZERO, value=ZERO))
            session.flush()

    def average_cost(self, item_id: int, warehouse_id: int) -> Decimal | None:
        bal = self.balances[(item_id, warehouse_id)]
        return valuation.average_cost(bal.qty, bal.value)

    def move(
        self,
        doc: Document,
        move: StockMove,
        posting_date: dt.date,
        now: dt.datetime,
        *,
        is_reversal: bool = False,
    ) -> LedgerRow:
        """Append one ledger row, updating the running balance; returns the row (its
        `value` is what the journal must carry)."""
        key = (move.item_id, move.warehouse_id)
        bal = self.balances[key]
        if bal.last_posting_date and posting_date < bal.last_posting_date:
            raise BackdatedMovement(
                f"{doc.doc_type} {doc.number} dated {posting_date} is before the latest "
                f"movement of item {move.item_id} in warehouse {move.warehouse_id} "
                f"({bal.last_posting_date}); backdated stock movements are refused",
                field="doc_date",
                value=posting_date,
                rule="no_backdated_stock_movement",
            )
        qty = Decimal(move.qty)
        try:
            v = valuation.value_move(
                valuation.Balance(bal.qty, bal.value),
                qty,
                unit_cost=move.unit_cost,
                value=move.value,
            )
        except valuation.InsufficientStock as exc:
            item = self.session.get(Item, move.item_id)
            wh = self.session.get(Warehouse, move.warehouse_id)
            raise NegativeStock(
                f"not enough stock of {item.sku if item else move.item_id} in "
                f"{wh.code if wh else move.warehouse_id}: asked {exc.asked.normalize():f}, "
                f"available {exc.available.normalize():f}",
                field="qty",
                value=exc.asked,
                rule="no_negative_stock",
            ) from None
        except valuation.ValueWithoutQuantity as exc:
            raise NegativeStock(
                f"posting would leave item {move.item_id} in warehouse {move.warehouse_id} "
                f"with no quantity but a value of {exc.value}; count or revalue it first",
                field="qty",
                value=qty,
                rule="no_value_without_quantity",
            ) from None
        except valuation.NegativeValue as exc:
            raise NegativeStock(
                f"posting would leave item {move.item_id} in warehouse {move.warehouse_id} "
                f"with a negative value {exc.value}",
                field="qty",
                value=qty,
                rule="no_negative_value",
            ) from None
        value, unit_cost = v.value, v.unit_cost
        new_qty, new_value = v.after.qty, v.after.value
        if new_qty >= MAX_STOCK_QTY or new_value >= MAX_STOCK_VALUE or unit_cost >= MAX_UNIT_COST:
            # the NUMERIC columns would overflow: refuse, naming the movement
            raise ValidationError(
                f"posting would take item {move.item_id} in warehouse {move.warehouse_id} to "
                f"{new_qty} units worth {new_value} ({unit_cost} each), beyond what the "
                "ledger stores",
                field="qty",
                value=qty,
                rule="within_ledger_limits",
            )
        row = dict(
            document_id=doc.id,
            document_line_id=move.line_id,
            doc_type=doc.doc_type,
            item_id=move.item_id,
            warehouse_id=move.warehouse_id,
            posting_date=posting_date,
            qty=qty,
            unit_cost=unit_cost,
            value=value,
            running_qty=new_qty,
            running_value=new_value,
            is_reversal=is_reversal,
            created_at=now,
        )
        if self._buffer is not None:
            self._buffer.ledger_rows.append(row)
        else:
            self.session.connection().execute(StockLedgerEntry.__table__.insert(), row)
        bal.qty = new_qty
        bal.value = new_value
        bal.last_posting_date = posting_date
        return LedgerRow(qty=qty, value=value, unit_cost=unit_cost)


# ---------------------------------------------------------------- reversals
def reverse_postings(session: Session, doc: Document, on: dt.date, now: dt.datetime) -> None:
    """Append the exact negative of every stock-ledger row and journal entry of `doc`,
    dated `on` (a cancellation); the original rows stay."""
    rows = (
        session.execute(
            select(StockLedgerEntry)
            .where(StockLedgerEntry.document_id == doc.id, StockLedgerEntry.is_reversal.is_(False))
            .order_by(StockLedgerEntry.id.desc())
        )
        .scalars()
        .all()
    )
    if rows:
        book = StockBook(session, {(r.item_id, r.warehouse_id) for r in rows})
        for r in rows:
            book.move(
                doc,
                StockMove(
                    r.item_id, r.warehouse_id, -r.qty, value=-r.value, line_id=r.document_line_id
                ),
                on,
                now,
                is_reversal=True,
            )
    entries = (
        session.execute(
            select(JournalEntry)
            .where(JournalEntry.document_id == doc.id, JournalEntry.is_reversal.is_(False))
            .order_by(JournalEntry.id)
        )
        .scalars()
        .all()
    )
    for e in entries:
        lines = [
            JournalLine(
                account_code=ln.account_code,
                debit=ln.credit,
                credit=ln.debit,
                rule=ln.rule,
                customer_id=ln.customer_id,
                supplier_id=ln.supplier_id,
                item_id=ln.item_id,
                warehouse_id=ln.warehouse_id,
            )
            for ln in e.lines
        ]
        session.add(
            JournalEntry(
                document_id=doc.id,
                doc_type=doc.doc_type,
                posting_date=on,
                memo=f"reversal of {doc.number}",
                is_reversal=True,
                reverses_id=e.id,
                created_at=now,
                lines=lines,
            )
        )

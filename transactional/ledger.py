"""The posting kernel: posting rules as data, one journal-posting function, and the
moving-average stock ledger. Every document handler describes WHAT happened as a list of
`Amount`s and `StockMove`s; this module alone decides HOW that reaches the books.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from transactional.errors import BackdatedMovement, NegativeStock, ValidationError
from transactional.models import (
    Document,
    Item,
    JournalEntry,
    JournalLine,
    StockBalance,
    StockLedgerEntry,
    Warehouse,
)

CENT = Decimal("0.01")
# limits of the ledger's NUMERIC columns (Qty 18,4 · Money 18,2 · UnitCost 18,6)
MAX_STOCK_QTY, MAX_STOCK_VALUE, MAX_UNIT_COST = Decimal("1e14"), Decimal("1e16"), Decimal("1e12")
ZERO = Decimal(0)

# (document type, amount kind) -> (debit account, credit account).
# A negative amount swaps the sides (PPV, count differences, cost differences).
POSTING_RULES: dict[tuple[str, str], tuple[str, str]] = {
    ("goods_receipt", "received_value"): ("1200", "2100"),
    ("supplier_bill", "received_value"): ("2100", "2000"),
    ("supplier_bill", "vat"): ("1300", "2000"),
    ("supplier_bill", "price_variance"): ("5100", "2000"),
    ("supplier_payment", "amount"): ("2000", "1000"),
    ("delivery", "cost_of_goods"): ("5000", "1200"),
    ("delivery", "freight"): ("6000", "2300"),
    ("sales_invoice", "net"): ("1100", "4000"),
    ("sales_invoice", "vat"): ("1100", "2200"),
    ("customer_payment", "amount"): ("1000", "1100"),
    ("sales_return", "returned_cost"): ("1200", "5000"),
    ("sales_return", "credit_net"): ("4100", "1100"),
    ("sales_return", "credit_vat"): ("2200", "1100"),
    ("purchase_return", "unbilled_value"): ("2100", "1200"),
    ("purchase_return", "billed_value"): ("2000", "1200"),
    ("purchase_return", "billed_vat"): ("2000", "1300"),
    ("purchase_return", "cost_difference"): ("5100", "1200"),
    ("stock_transfer", "dispatched_value"): ("1210", "1200"),
    ("stock_transfer", "received_value"): ("1200", "1210"),
    ("stock_count", "count_difference"): ("1200", "5200"),
    ("stock_count", "opening_stock"): ("1200", "3000"),
}


def money(value: Decimal) -> Decimal:
    """Round to the cent, half up (the accountant's rounding)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Amount:
    """One posting-rule amount of a document: the kind names the rule row."""

    kind: str
    value: Decimal
    customer_id: int | None = None
    supplier_id: int | None = None
    item_id: int | None = None
    warehouse_id: int | None = None


@dataclass
class ManualLine:
    """A line of a manual journal entry, posted as entered."""

    account_code: str
    debit: Decimal
    credit: Decimal
    customer_id: int | None = None
    supplier_id: int | None = None


def post_journal(session: Session, doc: Document, posting_date: dt.date, now: dt.datetime,
                 amounts: list[Amount] = (), manual: list[ManualLine] = (),
                 memo: str | None = None) -> int | None:
    """The one posting function: turn rule amounts (and manual lines) into a balanced entry.

    Lines with the same account and dimensions are merged; zero amounts are dropped.
    Raises if the result does not balance to the cent (it cannot, by construction, unless
    a manual entry is unbalanced — which the journal-entry handler refuses earlier).
    """
    # net per account and dimensions, so an entry shows one line per account (a negative
    # cost difference nets against the inventory credit instead of showing both sides)
    buckets: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    kinds: dict[tuple, list[str]] = defaultdict(list)
    for a in amounts:
        value = money(a.value)
        if value == 0:
            continue
        debit_acc, credit_acc = POSTING_RULES[(doc.doc_type, a.kind)]
        if value < 0:
            debit_acc, credit_acc, value = credit_acc, debit_acc, -value
        dims = (a.customer_id, a.supplier_id, a.item_id, a.warehouse_id)
        for acc, signed in ((debit_acc, value), (credit_acc, -value)):
            buckets[(acc, *dims)] += signed
            if a.kind not in kinds[(acc, *dims)]:
                kinds[(acc, *dims)].append(a.kind)
    for m in manual:
        key = (m.account_code, m.customer_id, m.supplier_id, None, None)
        buckets[key] += money(m.debit) - money(m.credit)
        kinds[key] = ["manual"]
    lines = [dict(account_code=k[0], rule="+".join(kinds[k])[:40], customer_id=k[1],
                  supplier_id=k[2], item_id=k[3], warehouse_id=k[4],
                  debit=v if v > 0 else ZERO, credit=-v if v < 0 else ZERO)
             for k, v in buckets.items() if v != 0]
    if not lines:
        return None
    total_debit = sum((ln["debit"] for ln in lines), ZERO)
    total_credit = sum((ln["credit"] for ln in lines), ZERO)
    if total_debit != total_credit:
        raise ValidationError(
            f"journal entry does not balance: debit {total_debit} ≠ credit {total_credit}",
            field="lines", value=f"{total_debit}/{total_credit}", rule="balanced_entry")
    # plain Core inserts: rows are written at once in this transaction, without the ORM
    # unit-of-work cost (a delivery writes a dozen journal and ledger rows)
    conn = session.connection()
    entry_id = conn.execute(
        JournalEntry.__table__.insert().returning(JournalEntry.__table__.c.id),
        {"document_id": doc.id, "doc_type": doc.doc_type, "posting_date": posting_date,
         "memo": memo or doc.number, "is_reversal": False, "reverses_id": None,
         "created_at": now}).scalar_one()
    conn.execute(JournalLine.__table__.insert(), [{**ln, "entry_id": entry_id} for ln in lines])
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
    """

    def __init__(self, session: Session, keys: set[tuple[int, int]]):
        self.session = session
        self.balances: dict[tuple[int, int], StockBalance] = {}
        ordered = sorted(keys)
        if not ordered:
            return
        self.balances = self._lock(ordered)
        missing = [k for k in ordered if k not in self.balances]
        if missing:  # first movement of an item-warehouse: create its row, then lock again
            self._create_rows(missing)
            self.balances = self._lock(ordered)

    def _lock(self, ordered: list[tuple[int, int]]) -> dict[tuple[int, int], StockBalance]:
        # one statement, rows locked in (item, warehouse) order: concurrent posters
        # touching overlapping items queue instead of deadlocking
        rows = self.session.execute(
            select(StockBalance).where(tuple_(StockBalance.item_id, StockBalance.warehouse_id)
                                       .in_(ordered))
            .order_by(StockBalance.item_id, StockBalance.warehouse_id)
            .with_for_update().execution_options(populate_existing=True)).scalars().all()
        return {(b.item_id, b.warehouse_id): b for b in rows}

    def _create_rows(self, missing: list[tuple[int, int]]) -> None:
        session = self.session
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
            session.execute(insert(StockBalance).values(
                [dict(item_id=i, warehouse_id=w, qty=ZERO, value=ZERO) for i, w in missing])
                .on_conflict_do_nothing())
        else:
            for i, w in missing:
                session.add(StockBalance(item_id=i, warehouse_id=w, qty=ZERO, value=ZERO))
            session.flush()

    def average_cost(self, item_id: int, warehouse_id: int) -> Decimal | None:
        bal = self.balances[(item_id, warehouse_id)]
        if bal.qty <= 0:
            return None
        return bal.value / bal.qty

    def move(self, doc: Document, move: StockMove, posting_date: dt.date, now: dt.datetime,
             *, is_reversal: bool = False) -> LedgerRow:
        """Append one ledger row, updating the running balance; returns the row (its
        `value` is what the journal must carry)."""
        key = (move.item_id, move.warehouse_id)
        bal = self.balances[key]
        if bal.last_posting_date and posting_date < bal.last_posting_date:
            raise BackdatedMovement(
                f"{doc.doc_type} {doc.number} dated {posting_date} is before the latest "
                f"movement of item {move.item_id} in warehouse {move.warehouse_id} "
                f"({bal.last_posting_date}); backdated stock movements are refused",
                field="doc_date", value=posting_date, rule="no_backdated_stock_movement")
        qty = Decimal(move.qty)
        if qty < 0:
            available = bal.qty
            if available + qty < 0:
                item = self.session.get(Item, move.item_id)
                wh = self.session.get(Warehouse, move.warehouse_id)
                raise NegativeStock(
                    f"not enough stock of {item.sku if item else move.item_id} in "
                    f"{wh.code if wh else move.warehouse_id}: asked {-qty.normalize():f}, "
                    f"available {available.normalize():f}",
                    field="qty", value=-qty, rule="no_negative_stock")
            if move.value is not None:
                value = money(move.value)
            elif available + qty == 0:
                value = -bal.value  # the last unit takes the remaining value: no residue
            else:
                value = -money(-qty * bal.value / available)
        else:
            if move.value is not None:
                value = money(move.value)
            else:
                value = money(qty * Decimal(move.unit_cost or 0))
        new_qty = bal.qty + qty
        new_value = bal.value + value
        if new_qty == 0 and new_value != 0:
            raise NegativeStock(
                f"posting would leave item {move.item_id} in warehouse {move.warehouse_id} "
                f"with no quantity but a value of {new_value}; count or revalue it first",
                field="qty", value=qty, rule="no_value_without_quantity")
        if new_value < 0:
            raise NegativeStock(
                f"posting would leave item {move.item_id} in warehouse {move.warehouse_id} "
                f"with a negative value {new_value}",
                field="qty", value=qty, rule="no_negative_value")
        unit_cost = (abs(value) / abs(qty)).quantize(Decimal("0.000001")) if qty else ZERO
        if new_qty >= MAX_STOCK_QTY or new_value >= MAX_STOCK_VALUE or unit_cost >= MAX_UNIT_COST:
            # the NUMERIC columns would overflow: refuse, naming the movement
            raise ValidationError(
                f"posting would take item {move.item_id} in warehouse {move.warehouse_id} to "
                f"{new_qty} units worth {new_value} ({unit_cost} each), beyond what the "
                "ledger stores", field="qty", value=qty, rule="within_ledger_limits")
        row = dict(document_id=doc.id, document_line_id=move.line_id, doc_type=doc.doc_type,
                   item_id=move.item_id, warehouse_id=move.warehouse_id,
                   posting_date=posting_date, qty=qty, unit_cost=unit_cost, value=value,
                   running_qty=new_qty, running_value=new_value, is_reversal=is_reversal,
                   created_at=now)
        self.session.connection().execute(StockLedgerEntry.__table__.insert(), row)
        bal.qty = new_qty
        bal.value = new_value
        bal.last_posting_date = posting_date
        return LedgerRow(qty=qty, value=value, unit_cost=unit_cost)

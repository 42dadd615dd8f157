"""What every service function shares: the context (session, user, clock), numbering,
the change cursor, the audit log, closed periods and typed lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar, overload

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from transactional.commands import MAX_ID  # ids are 32-bit integers in every table
from transactional.errors import ClosedPeriod, NotFound, ValidationError
from transactional.models import AuditLog, Base, ChangeCounter, Document, NumberSeries
from transactional.permissions import authorize

T = TypeVar("T", bound=Base)
V = TypeVar("V")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class Context:
    """Who acts, in which session, and what time it is (the demo uses a simulated clock)."""

    session: Session
    username: str = "system"
    role: str = "admin"
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    def now(self) -> dt.datetime:
        return self.clock()

    def authorize(self, resource: str, action: str) -> None:
        authorize(self.role, resource, action)


PREFIX = {
    "sales_order": "SO",
    "delivery": "DN",
    "sales_invoice": "SI",
    "customer_payment": "CP",
    "sales_return": "SR",
    "purchase_order": "PO",
    "goods_receipt": "GR",
    "supplier_bill": "SB",
    "supplier_payment": "SP",
    "purchase_return": "PR",
    "stock_transfer": "ST",
    "stock_count": "SC",
    "journal_entry": "JE",
    "period_close": "PC",
    "year_close": "YC",
}
# the documents that close the books through their date (a posted one closes every day
# up to it; cancelling the latest reopens): period closes and year-end closes
CLOSE_TYPES = ("period_close", "year_close")


# statements built once: every document runs them, and building (and cache-keying) an
# expression costs more than executing it on SQLite
_series, _counter, _doc = NumberSeries.__table__, ChangeCounter.__table__, Document.__table__
_NEXT_NUMBER = (
    update(_series)
    .where(
        _series.c.doc_type == bindparam("series_type"), _series.c.year == bindparam("series_year")
    )
    .values(next_value=_series.c.next_value + 1)
    .returning(_series.c.next_value)
)
_NEXT_CHANGE_SEQ = (
    update(_counter)
    .where(_counter.c.id == 1)
    .values(value=_counter.c.value + 1)
    .returning(_counter.c.value)
)
_PG_NEXT_CHANGE_SEQ = text("SELECT nextval('qm_change_seq')")
_AUDIT_INSERT = AuditLog.__table__.insert()
_CLOSED_THROUGH = select(func.max(_doc.c.doc_date)).where(
    _doc.c.doc_type.in_(CLOSE_TYPES), _doc.c.status == "posted"
)


def next_number(session: Session, doc_type: str, year: int) -> str:
    """Next number of the document type's yearly series, e.g. PO-2026-00042 (gap-free)."""
    # one UPDATE … RETURNING on the session's connection: it takes the row lock and
    # advances the counter in a single round trip, without loading an ORM object
    table = NumberSeries.__table__
    conn = session.connection()
    value = conn.execute(
        _NEXT_NUMBER, {"series_type": doc_type, "series_year": year}
    ).scalar_one_or_none()
    if value is None:  # the first document of its type this year starts the series
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert

            conn.execute(
                insert(table)
                .values(doc_type=doc_type, year=year, next_value=1)
                .on_conflict_do_nothing()
            )
        else:
            conn.execute(table.insert().values(doc_type=doc_type, year=year, next_value=1))
        return next_number(session, doc_type, year)
    return f"{PREFIX[doc_type]}-{year}-{value - 1:05d}"


BATCH_KEY = "qm_batch"  # session.info key of the running batch (services/batch.py)


class BatchState:
    """What a batch posting shares between its documents besides the ledger buffer: one
    change number for the whole batch (taken at its first use, after every lock), the
    audit rows (one multi-row insert at the end), and the closed-period date (read once;
    a period close in the batch is posted with flushes around it)."""

    _UNSET = object()

    def __init__(self) -> None:
        self.change_seq: int | None = None
        self.audit_rows: list[dict] = []
        self.closed: Any = self._UNSET
        # rows looked up by key (`must_exist`, `get_or_404`: warehouses, customers…),
        # held for the batch: the session's identity map keeps only weak references, so
        # each document would load them again
        self.looked_up: list[Base] = []

    def write(self, session: Session) -> None:
        if self.audit_rows:
            session.connection().execute(_AUDIT_INSERT, self.audit_rows)
            self.audit_rows = []


def batch_state(session: Session) -> BatchState | None:
    return session.info.get(BATCH_KEY)


def next_change_seq(session: Session) -> int:
    """Monotonic cursor for the warehouse extract (a sequence on PostgreSQL); a batch
    takes one for all its documents."""
    batch = session.info.get(BATCH_KEY)
    if batch is not None:
        if batch.change_seq is None:
            batch.change_seq = _take_change_seq(session)
        return batch.change_seq
    return _take_change_seq(session)


def _take_change_seq(session: Session) -> int:
    # Core-level statements on the session's connection: no autoflush and no ORM
    # synchronisation, so a document touched several times while posting costs one
    # round trip each instead of a flush each (the demo generator posts ~100k documents).
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return int(conn.execute(_PG_NEXT_CHANGE_SEQ).scalar_one())
    return int(conn.execute(_NEXT_CHANGE_SEQ).scalar_one())


def touch(ctx: Context, doc: Document) -> None:
    """Mark a document and its lines as changed (new extract cursor value)."""
    seq = next_change_seq(ctx.session)
    doc.change_seq = seq
    doc.updated_at = ctx.now()
    for line in doc.lines:
        line.change_seq = seq


def audit(
    ctx: Context,
    action: str,
    entity: str,
    entity_id: Any,
    number: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Append to the audit log: user, time, action, entity and a before/after summary."""
    # a plain insert in this transaction: the log is append-only and nothing reads the
    # row back as an object, so it skips the ORM unit of work (two rows per document)
    row = {
        "at": ctx.now(),
        "username": ctx.username,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id) if entity_id else None,
        "document_number": number,
        "before": before,
        "after": after,
    }
    batch = ctx.session.info.get(BATCH_KEY)
    if batch is not None:  # written with the batch's other rows at its end
        batch.audit_rows.append(row)
        return
    ctx.session.connection().execute(_AUDIT_INSERT, row)


def closed_through(session: Session) -> dt.date | None:
    """The last day of the latest closed period (posted, not cancelled, period or year
    close)."""
    batch = session.info.get(BATCH_KEY)
    if batch is not None:
        if batch.closed is BatchState._UNSET:
            batch.closed = session.connection().execute(_CLOSED_THROUGH).scalar_one()
        return batch.closed
    return session.connection().execute(_CLOSED_THROUGH).scalar_one()


def ensure_open_period(session: Session, posting_date: dt.date, what: str) -> None:
    closed = closed_through(session)
    if closed and posting_date <= closed:
        raise ClosedPeriod(
            f"{what} dated {posting_date} falls in a closed period (closed through {closed})",
            field="doc_date",
            value=posting_date,
            rule="period_closed",
        )


def _key(model: type[Base], key: Any) -> Any:
    """The key in the type of the model's primary key, or None when it cannot be one
    (a string where an integer id is expected, an id out of range…)."""
    column = model.__table__.primary_key.columns.values()[0]
    if column.type.python_type is int:
        if isinstance(key, bool):
            return None
        if isinstance(key, str) and key.strip().isdigit() and len(key.strip()) <= 10:
            key = int(key.strip())
        if not isinstance(key, int) or not 1 <= key <= MAX_ID:
            return None
        return key
    if not isinstance(key, str) or not key or len(key) > 200 or "\x00" in key:
        return None
    return key


def filled(value: V | None) -> V:
    """A column the shared document tables leave nullable but this document type always
    fills (a delivery's warehouse, its lines' items and source lines, the order a line
    comes from), or a row a foreign key guarantees: the value, narrowed for the type
    checker. None here is a broken invariant of the stored data, not an input error."""
    if value is None:
        raise AssertionError("a value this document type always has is missing")
    return value


def _looked_up(session: Session, obj: T) -> T:
    batch = session.info.get(BATCH_KEY)
    if batch is not None:
        batch.looked_up.append(obj)
    return obj


def get_or_404(session: Session, model: type[T], key: Any, field_name: str) -> T:
    typed = _key(model, key) if key is not None else None
    obj = session.get(model, typed) if typed is not None else None
    if obj is None:
        raise NotFound(
            f"{field_name} {key!r} does not exist", field=field_name, value=key, rule="must_exist"
        )
    return _looked_up(session, obj)


def must_exist(session: Session, model: type[T], key: Any, field_name: str) -> T:
    """Like get_or_404 but a 422: a reference inside the input names something unknown."""
    typed = _key(model, key) if key is not None else None
    obj = session.get(model, typed) if typed is not None else None
    if obj is None:
        raise ValidationError(
            f"{field_name}: {model.__tablename__} {key!r} does not exist",
            field=field_name,
            value=key,
            rule="must_exist",
        )
    return _looked_up(session, obj)


def text_field(
    value: Any, field_name: str, *, max_length: int | None = None, required: bool = False
) -> str | None:
    """A string that every database can store: no NUL character, within the column."""
    if value is None or (value == "" and not required):
        if required:
            raise ValidationError(
                f"{field_name} is required", field=field_name, value=value, rule="required"
            )
        return None if value is None else ""
    if not isinstance(value, str):
        raise ValidationError(
            f"{field_name} must be text", field=field_name, value=value, rule="string"
        )
    if "\x00" in value:
        raise ValidationError(
            f"{field_name} must not contain NUL characters",
            field=field_name,
            value=value.replace("\x00", "")[:40],
            rule="no_nul_character",
        )
    if max_length is not None and len(value) > max_length:
        raise ValidationError(
            f"{field_name} is longer than {max_length} characters",
            field=field_name,
            value=value[:40],
            rule=f"max_length_{max_length}",
        )
    if required and not value.strip():
        raise ValidationError(
            f"{field_name} must not be empty", field=field_name, value=value, rule="not_empty"
        )
    return value


def decimal_field(
    value: Any,
    field_name: str,
    *,
    positive: bool = False,
    non_negative: bool = False,
    default: Decimal | None = None,
    places: int | None = None,
) -> Decimal:
    """Parse a Decimal and check its sign, size (< 10¹²) and, with `places`, that it has
    no more decimal places than its column stores (nothing is silently rounded away)."""
    if value is None or value == "":
        if default is not None:
            return default
        raise ValidationError(
            f"{field_name} is required", field=field_name, value=value, rule="required"
        )
    if isinstance(value, float):
        value = repr(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, str, Decimal))
        or (isinstance(value, str) and len(value) > 100)
    ):
        raise ValidationError(
            f"{field_name} must be a number", field=field_name, value=str(value)[:40], rule="number"
        )
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            f"{field_name} must be a number, got {value!r}",
            field=field_name,
            value=value,
            rule="number",
        ) from None
    if not number.is_finite():
        raise ValidationError(
            f"{field_name} must be finite", field=field_name, value=value, rule="number"
        )
    if positive and number <= 0:
        raise ValidationError(
            f"{field_name} must be > 0, got {number}",
            field=field_name,
            value=number,
            rule="greater_than_zero",
        )
    if non_negative and number < 0:
        raise ValidationError(
            f"{field_name} must be ≥ 0, got {number}",
            field=field_name,
            value=number,
            rule="not_negative",
        )
    if abs(number) >= Decimal("1e12"):
        raise ValidationError(
            f"{field_name} is too large: {number}", field=field_name, value=number, rule="max_1e12"
        )
    if places is not None and number.as_tuple().exponent < -places:  # type: ignore[operator]  # finite: an int
        raise ValidationError(
            f"{field_name} has more than {places} decimal places: {number}",
            field=field_name,
            value=number,
            rule=f"max_{places}_decimals",
        )
    return number


EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


@overload
def date_field(value: Any, field_name: str, *, required: Literal[True] = True) -> dt.date: ...
@overload
def date_field(value: Any, field_name: str, *, required: bool) -> dt.date | None: ...
def date_field(value: Any, field_name: str, *, required: bool = True) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise ValidationError(
                f"{field_name} is required", field=field_name, value=value, rule="required"
            )
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value)[:40])
        except ValueError:
            raise ValidationError(
                f"{field_name} must be a date YYYY-MM-DD, got {value!r}",
                field=field_name,
                value=str(value)[:40],
                rule="date",
            ) from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        # due dates and lead times are added to dates: keep clear of date.max
        raise ValidationError(
            f"{field_name} must be between {EARLIEST_DATE} and {LATEST_DATE}, got {value}",
            field=field_name,
            value=value,
            rule="date_range",
        )
    return value


def summary(doc: Document) -> dict[str, Any]:
    """A short before/after picture of a document for the audit log."""
    return {
        "number": doc.number,
        "status": doc.status,
        "doc_date": str(doc.doc_date),
        "net_total": str(doc.net_total),
        "gross_total": str(doc.gross_total),
        "lines": [
            {"item_id": ln.item_id, "qty": _plain(ln.qty), "unit_price": _plain(ln.unit_price)}
            for ln in doc.lines
        ][:50],
    }


def _plain(value: Any) -> str:
    """A quantity or price as the audit log writes it: the same text whether the number
    came from a command (2.5) or back from its NUMERIC column (2.500000)."""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value.normalize(), "f")
    return str(value)

"""What every service function shares: the context (session, user, clock), numbering,
the change cursor, the audit log, closed periods and typed lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from transactional.errors import ClosedPeriod, NotFound, ValidationError
from transactional.models import AuditLog, Base, ChangeCounter, Document, NumberSeries
from transactional.permissions import authorize

T = TypeVar("T", bound=Base)


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
    "sales_order": "SO", "delivery": "DN", "sales_invoice": "SI", "customer_payment": "CP",
    "sales_return": "SR", "purchase_order": "PO", "goods_receipt": "GR",
    "supplier_bill": "SB", "supplier_payment": "SP", "purchase_return": "PR",
    "stock_transfer": "ST", "stock_count": "SC", "journal_entry": "JE",
    "period_close": "PC",
}


def next_number(session: Session, doc_type: str, year: int) -> str:
    """Next number of the document type's yearly series, e.g. PO-2026-00042 (gap-free)."""
    row = session.execute(select(NumberSeries).where(NumberSeries.doc_type == doc_type,
                                                     NumberSeries.year == year)
                          .with_for_update()
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
            session.execute(insert(NumberSeries).values(doc_type=doc_type, year=year,
                                                        next_value=1).on_conflict_do_nothing())
            return next_number(session, doc_type, year)
        row = NumberSeries(doc_type=doc_type, year=year, next_value=1)
        session.add(row)
        session.flush()
    value = row.next_value
    row.next_value = value + 1
    return f"{PREFIX[doc_type]}-{year}-{value:05d}"


def next_change_seq(session: Session) -> int:
    """Monotonic cursor for the warehouse extract (a sequence on PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text("SELECT nextval('qm_change_seq')")).scalar_one())
    session.execute(update(ChangeCounter).where(ChangeCounter.id == 1)
                    .values(value=ChangeCounter.value + 1))
    return int(session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1))
               .scalar_one())


def touch(ctx: Context, doc: Document) -> None:
    """Mark a document and its lines as changed (new extract cursor value)."""
    seq = next_change_seq(ctx.session)
    doc.change_seq = seq
    doc.updated_at = ctx.now()
    for line in doc.lines:
        line.change_seq = seq


def audit(ctx: Context, action: str, entity: str, entity_id: Any, number: str | None = None,
          before: dict | None = None, after: dict | None = None) -> None:
    """Append to the audit log: user, time, action, entity and a before/after summary."""
    ctx.session.add(AuditLog(at=ctx.now(), username=ctx.username, action=action,
                             entity=entity, entity_id=str(entity_id) if entity_id else None,
                             document_number=number, before=before, after=after))


def closed_through(session: Session) -> dt.date | None:
    """The last day of the latest closed period (posted, not cancelled, period close)."""
    return session.execute(select(func.max(Document.doc_date)).where(
        Document.doc_type == "period_close", Document.status == "posted")).scalar_one()


def ensure_open_period(session: Session, posting_date: dt.date, what: str) -> None:
    closed = closed_through(session)
    if closed and posting_date <= closed:
        raise ClosedPeriod(f"{what} dated {posting_date} falls in a closed period "
                           f"(closed through {closed})", field="doc_date", value=posting_date,
                           rule="period_closed")


def get_or_404(session: Session, model: type[T], key: Any, field_name: str) -> T:
    obj = session.get(model, key) if key is not None else None
    if obj is None:
        raise NotFound(f"{field_name} {key!r} does not exist", field=field_name, value=key,
                       rule="must_exist")
    return obj


def must_exist(session: Session, model: type[T], key: Any, field_name: str) -> T:
    """Like get_or_404 but a 422: a reference inside the input names something unknown."""
    obj = session.get(model, key) if key is not None else None
    if obj is None:
        raise ValidationError(f"{field_name}: {model.__tablename__} {key!r} does not exist",
                              field=field_name, value=key, rule="must_exist")
    return obj


def decimal_field(value: Any, field_name: str, *, positive: bool = False,
                  non_negative: bool = False, default: Decimal | None = None) -> Decimal:
    """Parse a Decimal and check its sign, naming the field in the error."""
    if value is None or value == "":
        if default is not None:
            return default
        raise ValidationError(f"{field_name} is required", field=field_name, value=value,
                              rule="required")
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{field_name} must be a number, got {value!r}",
                              field=field_name, value=value, rule="number") from None
    if not number.is_finite():
        raise ValidationError(f"{field_name} must be finite", field=field_name, value=value,
                              rule="number")
    if positive and number <= 0:
        raise ValidationError(f"{field_name} must be > 0, got {number}", field=field_name,
                              value=number, rule="greater_than_zero")
    if non_negative and number < 0:
        raise ValidationError(f"{field_name} must be ≥ 0, got {number}", field=field_name,
                              value=number, rule="not_negative")
    if abs(number) >= Decimal("1e12"):
        raise ValidationError(f"{field_name} is too large: {number}", field=field_name,
                              value=number, rule="max_1e12")
    return number


def date_field(value: Any, field_name: str, *, required: bool = True) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise ValidationError(f"{field_name} is required", field=field_name, value=value,
                                  rule="required")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{field_name} must be a date YYYY-MM-DD, got {value!r}",
                              field=field_name, value=value, rule="date") from None


def summary(doc: Document) -> dict[str, Any]:
    """A short before/after picture of a document for the audit log."""
    return {"number": doc.number, "status": doc.status, "doc_date": str(doc.doc_date),
            "net_total": str(doc.net_total), "gross_total": str(doc.gross_total),
            "lines": [{"item_id": ln.item_id, "qty": str(ln.qty),
                       "unit_price": str(ln.unit_price)} for ln in doc.lines][:50]}

"""What a generated demo company contains, read back from the database."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transactional.models import Document, DocumentLine, JournalEntry, JournalLine, StockBalance


def _account(session: Session, code: str) -> Decimal:
    """The account's debit − credit over the history, year-end closing entries left out
    (they move a closed year's P&L to retained earnings: revenue stays revenue here)."""
    value = session.execute(
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account_code == code, JournalEntry.doc_type != "year_close")
    ).scalar_one()
    return Decimal(str(value)).quantize(Decimal("0.01"))


def summarize(session: Session) -> dict:
    """Documents per type and status, lines, revenue, margin, stock value, bank."""
    per_type: dict[str, dict[str, int]] = {}
    for doc_type, status, n in session.execute(
        select(Document.doc_type, Document.status, func.count())
        .group_by(Document.doc_type, Document.status)
        .order_by(Document.doc_type, Document.status)
    ):
        per_type.setdefault(doc_type, {})[status] = n
    so_lines = session.execute(
        select(func.count())
        .select_from(DocumentLine)
        .join(Document, Document.id == DocumentLine.document_id)
        .where(Document.doc_type == "sales_order")
    ).scalar_one()
    lines = session.execute(select(func.count()).select_from(DocumentLine)).scalar_one()
    revenue = -_account(session, "4000") - _account(session, "4100")
    stock = session.execute(select(func.coalesce(func.sum(StockBalance.value), 0))).scalar_one()
    return {
        "documents": sum(sum(v.values()) for v in per_type.values()),
        "per_type": per_type,
        "lines": lines,
        "sales_order_lines": so_lines,
        "revenue": revenue,
        "cogs": _account(session, "5000"),
        "stock_value": Decimal(str(stock)).quantize(Decimal("0.01")),
        "bank": _account(session, "1000"),
        "receivables": _account(session, "1100"),
    }


def format_summary(s: dict) -> str:
    """A small table of the summary for the terminal."""
    out = [(f"{'document type':<18} {'posted':>8} {'approved':>8} {'cancelled':>9} {'other':>6}")]
    for doc_type, by_status in sorted(s["per_type"].items()):
        other = sum(
            n for st, n in by_status.items() if st not in ("posted", "approved", "cancelled")
        )
        out.append(
            f"{doc_type:<18} {by_status.get('posted', 0):>8,} "
            f"{by_status.get('approved', 0):>8,} {by_status.get('cancelled', 0):>9,} "
            f"{other:>6,}"
        )
    margin = s["revenue"] - s["cogs"]
    pct = f"{100 * margin / s['revenue']:.1f} %" if s["revenue"] else "–"
    out += [
        (
            f"documents {s['documents']:,}, lines {s['lines']:,} "
            f"({s['sales_order_lines']:,} sales order lines)"
        ),
        (
            f"net revenue {s['revenue']:,.2f}, gross margin {margin:,.2f} ({pct}), "
            f"stock value {s['stock_value']:,.2f}, bank {s['bank']:,.2f}, "
            f"receivables {s['receivables']:,.2f}"
        ),
    ]
    return "\n".join(out)

"""Finance documents: manual journal entry, period close and year-end close."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from transactional.chart import RETAINED_EARNINGS
from transactional.errors import Conflict, ValidationError
from transactional.ledger.rules import ZERO, AccountAmount, ManualLine, money
from transactional.ledger.store import post_journal, write_buffered
from transactional.models import Account, Document, DocumentLine, JournalEntry, JournalLine
from transactional.services.base import (
    CLOSE_TYPES,
    Context,
    closed_through,
    decimal_field,
    must_exist,
)
from transactional.services.handler import Handler, filled


class JournalEntryDoc(Handler):
    """A manual entry, posted as entered. Control accounts (AR, AP, inventory, GRNI) are
    refused: they are kept by documents so the subledgers always agree with them."""

    doc_type = "journal_entry"

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        lines, total_debit, total_credit = [], ZERO, ZERO
        raw = data["lines"]
        if len(raw) < 2:
            raise ValidationError(
                "a journal entry needs at least two lines",
                field="lines",
                value=len(raw),
                rule="min_two_lines",
            )
        for i, ln in enumerate(raw):
            acc = must_exist(
                ctx.session, Account, ln.get("account_code"), f"lines[{i}].account_code"
            )
            if acc.is_control:
                raise ValidationError(
                    f"lines[{i}].account_code: {acc.code} {acc.name} is a control account "
                    "kept by documents; use the document that moves it",
                    field=f"lines[{i}].account_code",
                    value=acc.code,
                    rule="not_control_account",
                )
            if not acc.active:
                raise ValidationError(
                    f"lines[{i}].account_code: {acc.code} is inactive",
                    field=f"lines[{i}].account_code",
                    value=acc.code,
                    rule="account_active",
                )
            debit = money(
                decimal_field(ln.get("debit"), f"lines[{i}].debit", non_negative=True, default=ZERO)
            )
            credit = money(
                decimal_field(
                    ln.get("credit"), f"lines[{i}].credit", non_negative=True, default=ZERO
                )
            )
            if (debit == 0) == (credit == 0):
                raise ValidationError(
                    f"lines[{i}]: exactly one of debit and credit must be non-zero",
                    field=f"lines[{i}].debit",
                    value=debit,
                    rule="one_side_per_line",
                )
            total_debit += debit
            total_credit += credit
            lines.append(
                DocumentLine(
                    line_no=i + 1,
                    account_code=acc.code,
                    debit=debit,
                    credit=credit,
                    memo=ln.get("memo"),
                )
            )
        if total_debit != total_credit:
            raise ValidationError(
                f"journal entry does not balance: debit {total_debit} ≠ credit {total_credit}",
                field="lines",
                value=f"{total_debit}/{total_credit}",
                rule="balanced_entry",
            )
        doc.lines = lines
        doc.net_total = doc.gross_total = total_debit

    def post(self, ctx: Context, doc: Document) -> None:
        post_journal(
            ctx.session,
            doc,
            doc.doc_date,
            ctx.now(),
            manual=[ManualLine(filled(ln.account_code), ln.debit, ln.credit) for ln in doc.lines],
            memo=doc.memo,
        )


class PeriodClose(Handler):
    """Closes every day up to and including its date; cancelling it reopens."""

    doc_type = "period_close"
    posts_to_books = False
    batch_barrier = True  # reads the closed period and counts drafts in it
    closes_period = True

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        if data.get("lines"):
            raise ValidationError(
                "a period close has no lines",
                field="lines",
                value=len(data["lines"]),
                rule="no_lines",
            )
        doc.lines = []

    def post(self, ctx: Context, doc: Document) -> None:
        closed = closed_through(ctx.session)
        if closed and doc.doc_date <= closed:
            raise ValidationError(
                f"period is already closed through {closed}",
                field="doc_date",
                value=doc.doc_date,
                rule="after_last_close",
            )
        refuse_drafts_through(ctx, doc.doc_date, "doc_date")

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        reopen_latest_only(ctx, doc)


class YearClose(Handler):
    """The year-end close (docs/ledger.md, "Year-end close"): dated 31 December of its
    year, it posts one entry that moves the year's balance of every income and expense
    account to 3100 Retained earnings (posting rule ("year_close", "closing_balance")),
    and, like a period close, closes every day through its date. Cancelling it — only
    the latest close — posts the exact reversal, on the same 31 December, and reopens.

    Refused: a year not ended yet, a year already closed (or closed through its end by a
    period close), an earlier year with postings that is not closed, drafts dated in
    the period (as a period close)."""

    doc_type = "year_close"
    batch_barrier = True  # reads the closed period, the drafts and the year's journal
    closes_period = True

    def draft_date(self, values: dict[str, Any]) -> Any:
        return dt.date(values["year"], 12, 31)

    def dump(self, doc: Document) -> dict[str, Any]:
        return {"year": doc.doc_date.year, "memo": doc.memo}

    def build(self, ctx: Context, doc: Document, data: dict[str, Any]) -> None:
        check_year_closable(ctx, doc)
        doc.lines = []

    def post(self, ctx: Context, doc: Document) -> None:
        check_year_closable(ctx, doc)
        year = doc.doc_date.year
        refuse_drafts_through(ctx, doc.doc_date, "year")
        write_buffered(ctx.session)  # in a batch: the earlier documents' journal rows
        balances = pnl_balances(ctx.session, year)
        net_income = -sum(balances.values(), ZERO)
        post_journal(
            ctx.session,
            doc,
            doc.doc_date,
            ctx.now(),
            amounts=[
                AccountAmount("closing_balance", balance, account=code)
                for code, balance in balances.items()
            ],
            memo=f"{doc.number}: year-end close {year}, net income {net_income} "
            f"to {RETAINED_EARNINGS} Retained earnings",
        )
        doc.net_total = doc.gross_total = net_income

    def reversal_date(self, doc: Document, asked: dt.date | None, today: dt.date) -> dt.date:
        # the reversal restores the year's P&L in that year: dated 31 December, as the
        # closing entry (dated today it would put last year's result into this year's)
        if asked is not None and asked != doc.doc_date:
            raise ValidationError(
                f"a year close is reversed on its own date, {doc.doc_date}, not {asked}: "
                "leave cancel_date out",
                field="cancel_date",
                value=asked,
                rule="reversed_on_year_end",
            )
        return doc.doc_date

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        reopen_latest_only(ctx, doc)


PNL_TYPES = ("income", "expense")
# drafts that do not stop a close: orders post nothing to the books, closes are closes
_DRAFTS_ALLOWED_IN_CLOSE = ("purchase_order", "sales_order", *CLOSE_TYPES)


def refuse_drafts_through(ctx: Context, day: dt.date, field: str) -> None:
    """A close needs every document dated in the period it closes posted or deleted."""
    drafts = ctx.session.execute(
        select(func.count())
        .select_from(Document)
        .where(
            Document.status == "draft",
            Document.doc_date <= day,
            Document.doc_type.notin_(_DRAFTS_ALLOWED_IN_CLOSE),
        )
    ).scalar_one()
    if drafts:
        raise ValidationError(
            f"{drafts} draft documents are dated in the period; post or delete them first",
            field=field,
            value=day.year if field == "year" else day,
            rule="no_drafts_in_period",
        )


def reopen_latest_only(ctx: Context, doc: Document) -> None:
    """Only the latest close may be cancelled (reopened)."""
    closed = closed_through(ctx.session)
    if closed and closed > doc.doc_date:
        raise ValidationError(
            f"a later close (through {closed}) must be reopened first",
            field="doc_date",
            value=doc.doc_date,
            rule="reopen_latest",
        )


def check_year_closable(ctx: Context, doc: Document) -> None:
    """The year of `doc` (a year close) may be closed now: it has ended, it is not closed
    (nor closed through its end by a period close), and every earlier year with postings
    is closed."""
    session, year, year_end = ctx.session, doc.doc_date.year, doc.doc_date
    today = ctx.now().date()
    if today <= year_end:
        raise ValidationError(
            f"year {year} has not ended: it can be closed from {year + 1}-01-01 (today is {today})",
            field="year",
            value=year,
            rule="year_ended",
        )
    closes = {
        d.doc_date: d
        for d in session.execute(
            select(Document).where(
                Document.doc_type.in_(CLOSE_TYPES),
                Document.status == "posted",
                Document.id != doc.id,
            )
        ).scalars()
    }
    same = closes.get(year_end)
    if same is not None and same.doc_type == "year_close":
        raise Conflict(
            f"year {year} is already closed by {same.number}; cancel it to reopen the year",
            field="year",
            value=year,
            rule="year_not_closed",
        )
    later = max((d for d in closes if d >= year_end), default=None)
    if later is not None:
        raise Conflict(
            f"the books are closed through {later} ({closes[later].number}); the year close "
            f"closes through {year_end} itself: reopen the later closes first",
            field="year",
            value=year,
            rule="after_last_close",
        )
    last_closed = max(
        (d for d, c in closes.items() if c.doc_type == "year_close" and d < year_end),
        default=None,
    )
    unclosed = session.execute(
        select(func.min(JournalEntry.posting_date)).where(
            JournalEntry.posting_date < dt.date(year, 1, 1),
            *([JournalEntry.posting_date > last_closed] if last_closed else []),
        )
    ).scalar_one()
    if unclosed is not None:
        raise Conflict(
            f"{unclosed.year} has postings and is not closed: close it first "
            f"(years are closed in order)",
            field="year",
            value=year,
            rule="earlier_years_closed",
        )


def pnl_balances(session: Session, year: int, *, with_closing: bool = False) -> dict[str, Decimal]:
    """Each income and expense account's balance (debit − credit) over the journal
    dated in `year`, without the year-end closing entries and their reversals (with
    them, given `with_closing`); accounts that net to zero are left out."""
    stmt = (
        select(JournalLine.account_code, func.sum(JournalLine.debit - JournalLine.credit))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(Account, Account.code == JournalLine.account_code)
        .where(
            Account.account_type.in_(PNL_TYPES),
            JournalEntry.posting_date >= dt.date(year, 1, 1),
            JournalEntry.posting_date <= dt.date(year, 12, 31),
        )
        .group_by(JournalLine.account_code)
        .order_by(JournalLine.account_code)
    )
    if not with_closing:
        stmt = stmt.where(JournalEntry.doc_type != "year_close")
    balances = {code: money(Decimal(str(net))) for code, net in session.execute(stmt)}
    return {code: net for code, net in balances.items() if net}

"""Finance documents: manual journal entry and period close."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from transactional.errors import ValidationError
from transactional.ledger.rules import ZERO, ManualLine, money
from transactional.ledger.store import post_journal
from transactional.models import Account, Document, DocumentLine
from transactional.services.base import Context, closed_through, decimal_field, must_exist
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
        drafts = ctx.session.execute(
            select(func.count())
            .select_from(Document)
            .where(
                Document.status == "draft",
                Document.doc_date <= doc.doc_date,
                Document.doc_type.notin_(("purchase_order", "sales_order", "period_close")),
            )
        ).scalar_one()
        if drafts:
            raise ValidationError(
                f"{drafts} draft documents are dated in the period; post or delete them first",
                field="doc_date",
                value=doc.doc_date,
                rule="no_drafts_in_period",
            )

    def check_cancel(self, ctx: Context, doc: Document) -> None:
        closed = closed_through(ctx.session)
        if closed and closed > doc.doc_date:
            raise ValidationError(
                f"a later close (through {closed}) must be reopened first",
                field="doc_date",
                value=doc.doc_date,
                rule="reopen_latest",
            )

"""The year-end close (docs/ledger.md, "Year-end close"): a small company's 2025 — a
purchase receipt, a sale with freight, rent — closed on 10 January 2026, with the closing
entry worked out by hand; what it locks, what it refuses (with the database unchanged),
and reopening by cancelling it.

2025, by hand:
    04 Feb  GR   100 widgets @ 10.00           Dr 1200 1,000.00 / Cr 2100 1,000.00
    10 Mar  SO + DN 40 widgets @ 25.00, freight 15.00
                 COGS 40 × 10.00 = 400.00     Dr 5000   400.00 / Cr 1200   400.00
                 freight                      Dr 6000    15.00 / Cr 2300    15.00
    11 Mar  SI   net 40 × 25.00 = 1,000.00, VAT 20 % 200.00
                                              Dr 1100 1,200.00 / Cr 4000 1,000.00
                                                                 Cr 2200   200.00
    01 Jun  JE   rent                         Dr 6110   300.00 / Cr 1000   300.00
    net income 2025 = 1,000.00 − 400.00 − 15.00 − 300.00 = 285.00

The closing entry, dated 31 Dec 2025: Dr 4000 1,000.00 / Cr 5000 400.00, Cr 6000 15.00,
Cr 6110 300.00, Cr 3100 285.00.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from tests.core.company import build_company
from tests.core.snapshot import snapshot
from transactional.check import run_checks
from transactional.db import session_scope
from transactional.errors import ClosedPeriod, Conflict, PermissionDenied, ValidationError
from transactional.models import AuditLog, Document, JournalEntry, JournalLine
from transactional.services import (
    BatchCommand,
    cancel_document,
    create_and_post,
    create_and_post_many,
    create_draft,
    post_document,
)
from transactional.services.finance import pnl_balances

Z = D("0.00")
CLOSE_DAY = dt.date(2026, 1, 10)
YEAR_END = dt.date(2025, 12, 31)
CLOSING = {  # account: (debit, credit)
    "3100": (Z, D("285.00")),
    "4000": (D("1000.00"), Z),
    "5000": (Z, D("400.00")),
    "6000": (Z, D("15.00")),
    "6110": (Z, D("300.00")),
}


def rent(amount: str) -> dict:
    return {
        "lines": [
            {"account_code": "6110", "debit": amount},
            {"account_code": "1000", "credit": amount},
        ]
    }


def post_2025(comp):
    """The year 2025 of the module's docstring, posted into a company of tests/core."""
    comp.purchase([(comp.item, "100", "10.00")], day=dt.date(2025, 2, 4))
    so, _ = comp.sell([(comp.item, "40", "25.00")], day=dt.date(2025, 3, 10), freight="15.00")
    comp.post(
        "sales_invoice",
        {
            "source_document_id": so.id,
            "lines": [{"source_line_id": so.lines[0].id, "qty": "40"}],
        },
        day=dt.date(2025, 3, 11),
    )
    comp.post("journal_entry", rent("300.00"), day=dt.date(2025, 6, 1))
    return comp


@pytest.fixture
def c(db_url):
    return post_2025(build_company(db_url))


def close(c, year=2025, day=CLOSE_DAY, role="admin"):
    return c.run(lambda ctx: create_and_post(ctx, "year_close", {"year": year}), day=day, role=role)


def reopen(c, doc_id, day=CLOSE_DAY, cancel_date=None):
    return c.run(lambda ctx: cancel_document(ctx, doc_id, cancel_date), day=day)


def entries(url, doc_id):
    """[(posting date, is reversal, {account: (debit, credit)})] of a document, in order."""
    with session_scope(url) as s:
        return [
            (
                e.posting_date,
                e.is_reversal,
                {ln.account_code: (ln.debit, ln.credit) for ln in e.lines},
            )
            for e in s.execute(
                select(JournalEntry)
                .where(JournalEntry.document_id == doc_id)
                .order_by(JournalEntry.id)
            ).scalars()
        ]


def balance(url, account, through=None):
    """Debit − credit of an account over the whole journal (through a date)."""
    with session_scope(url) as s:
        stmt = (
            select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .where(JournalLine.account_code == account)
        )
        if through:
            stmt = stmt.where(JournalEntry.posting_date <= through)
        return D(str(s.execute(stmt).scalar_one())).quantize(D("0.01"))


def assert_clean(url):
    with session_scope(url) as s:
        assert {k: v for k, v in run_checks(s).items() if v} == {}


def refused(c, error, fn, *, day=CLOSE_DAY, role="admin", field=None, rule=None):
    before = snapshot(c.url)
    with pytest.raises(error) as info:
        c.run(fn, day=day, role=role)
    assert snapshot(c.url) == before, "a refusal must leave every table unchanged"
    assert (info.value.field, info.value.rule) == (field, rule), info.value.message
    return info.value


def test_close_posts_the_hand_computed_entry_and_locks_the_year(c):
    yc = close(c)
    assert (yc.number, yc.doc_date, yc.status) == ("YC-2025-00001", YEAR_END, "posted")
    assert yc.net_total == D("285.00")  # the year's net income
    assert entries(c.url, yc.id) == [(YEAR_END, False, CLOSING)]
    # retained earnings hold the year's profit; every P&L account of 2025 nets to zero
    assert balance(c.url, "3100") == D("-285.00")
    for account in ("4000", "5000", "6000", "6110"):
        assert balance(c.url, account, YEAR_END) == Z
    with session_scope(c.url) as s:
        assert pnl_balances(s, 2025, with_closing=True) == {}
        # without the closing entry, the year's result is still there (the P&L reports)
        assert pnl_balances(s, 2025) == {
            "4000": D("-1000.00"),
            "5000": D("400.00"),
            "6000": D("15.00"),
            "6110": D("300.00"),
        }
    assert_clean(c.url)
    # the year is locked: nothing more is posted into it
    refused(
        c,
        ClosedPeriod,
        lambda ctx: create_and_post(ctx, "journal_entry", {**rent("5"), "doc_date": "2025-12-15"}),
        field="doc_date",
        rule="period_closed",
    )
    # …and the year cannot be closed twice
    err = refused(
        c,
        Conflict,
        lambda ctx: create_and_post(ctx, "year_close", {"year": 2025}),
        field="year",
        rule="year_not_closed",
    )
    assert "YC-2025-00001" in err.message
    # 2026 goes on: current earnings start again from zero
    c.post("journal_entry", rent("50.00"), day=CLOSE_DAY)
    assert balance(c.url, "6110") == D("50.00")
    assert_clean(c.url)


def test_reopen_posts_the_reversal_and_allows_posting_again(c):
    yc = close(c)
    reopened = reopen(c, yc.id)
    assert (reopened.status, reopened.cancel_date) == ("cancelled", YEAR_END)
    reversal = {a: (cr, d) for a, (d, cr) in CLOSING.items()}
    assert entries(c.url, yc.id) == [(YEAR_END, False, CLOSING), (YEAR_END, True, reversal)]
    assert balance(c.url, "3100") == Z
    assert balance(c.url, "4000") == D("-1000.00")
    assert_clean(c.url)
    # the year is open again: a late bill of 2025 is posted, and the year closed again
    c.post("journal_entry", rent("20.00"), day=dt.date(2025, 12, 20))
    again = close(c)
    assert again.number == "YC-2025-00002" and again.net_total == D("265.00")
    assert entries(c.url, again.id) == [
        (YEAR_END, False, {**CLOSING, "3100": (Z, D("265.00")), "6110": (Z, D("320.00"))})
    ]
    assert balance(c.url, "3100") == D("-265.00")
    assert_clean(c.url)
    # create, post and cancel of each close are in the audit log, with their numbers
    with session_scope(c.url) as s:
        rows = s.execute(
            select(AuditLog.action, AuditLog.document_number, AuditLog.username)
            .where(AuditLog.entity == "year_close")
            .order_by(AuditLog.id)
        ).all()
    assert rows == [
        ("create", "YC-2025-00001", "test-admin"),
        ("post", "YC-2025-00001", "test-admin"),
        ("cancel", "YC-2025-00001", "test-admin"),
        ("create", "YC-2025-00002", "test-admin"),
        ("post", "YC-2025-00002", "test-admin"),
    ]


def test_refusals_leave_the_database_unchanged(c):
    def year_close(data):
        return lambda ctx: create_and_post(ctx, "year_close", data)

    # a year that has not ended (on its last day either), or not a year at all
    refused(c, ValidationError, year_close({"year": 2026}), field="year", rule="year_ended")
    refused(
        c,
        ValidationError,
        year_close({"year": 2025}),
        day=YEAR_END,
        field="year",
        rule="year_ended",
    )
    refused(c, ValidationError, year_close({"year": "abc"}), field="year", rule="integer")
    refused(c, ValidationError, year_close({"year": 2025.5}), field="year", rule="integer")
    refused(c, ValidationError, year_close({"year": 1066}), field="year", rule="year_range")
    refused(
        c,
        ValidationError,
        year_close({"year": 2025, "doc_date": "2025-12-31"}),
        field="doc_date",
        rule="unknown_field",
    )
    # only finance (and admin) close the books
    refused(
        c,
        PermissionDenied,
        year_close({"year": 2025}),
        role="sales",
        field="role",
        rule="year_close:create",
    )
    # a draft dated in the year must be posted or deleted first
    draft = c.draft("journal_entry", rent("9.00"), day=dt.date(2025, 11, 30))
    refused(
        c, ValidationError, year_close({"year": 2025}), field="year", rule="no_drafts_in_period"
    )
    c.run(lambda ctx: post_document(ctx, draft.id), day=dt.date(2025, 11, 30))
    # an earlier year with postings must be closed first
    c.post("journal_entry", rent("1.00"), day=dt.date(2024, 12, 30))
    err = refused(
        c, Conflict, year_close({"year": 2025}), field="year", rule="earlier_years_closed"
    )
    assert "2024" in err.message
    y2024 = close(c, 2024)
    assert y2024.net_total == D("-1.00")  # a loss: Dr 3100 1.00 / Cr 6110 1.00
    assert entries(c.url, y2024.id) == [
        (dt.date(2024, 12, 31), False, {"3100": (D("1.00"), Z), "6110": (Z, D("1.00"))})
    ]
    y2025 = close(c)
    assert y2025.net_total == D("276.00")  # 285.00 − 9.00 of the late rent
    # only the latest close may be reopened, on its own date
    refused(
        c,
        ValidationError,
        lambda ctx: cancel_document(ctx, y2024.id),
        field="doc_date",
        rule="reopen_latest",
    )
    refused(
        c,
        ValidationError,
        lambda ctx: cancel_document(ctx, y2025.id, CLOSE_DAY),
        field="cancel_date",
        rule="reversed_on_year_end",
    )
    assert_clean(c.url)


def test_a_later_period_close_comes_first(c):
    """The year close is the close of 31 December: with the books closed past it, it is
    refused; a period close after it blocks reopening the year until it is reopened."""
    pc = c.post("period_close", {"doc_date": "2026-01-05"}, day=CLOSE_DAY)
    refused(
        c,
        Conflict,
        lambda ctx: create_and_post(ctx, "year_close", {"year": 2025}),
        field="year",
        rule="after_last_close",
    )
    reopen(c, pc.id)
    yc = close(c)
    pc2 = c.post("period_close", {"doc_date": "2026-01-05"}, day=CLOSE_DAY)
    refused(
        c,
        ValidationError,
        lambda ctx: cancel_document(ctx, yc.id),
        field="doc_date",
        rule="reopen_latest",
    )
    refused(
        c,
        ValidationError,
        lambda ctx: create_and_post(ctx, "period_close", {"doc_date": "2025-12-31"}),
        field="doc_date",
        rule="after_last_close",
    )
    reopen(c, pc2.id)
    reopen(c, yc.id)
    assert balance(c.url, "3100") == Z
    assert_clean(c.url)


def test_a_draft_close_and_a_batch_see_what_was_posted_before_them(c):
    """A year close may be a draft posted later, and in a batch it sees the journal of
    the documents posted before it in the same batch (they are buffered until the end)."""
    draft = c.run(lambda ctx: create_draft(ctx, "year_close", {"year": 2025}), day=CLOSE_DAY)
    assert (draft.doc_date, draft.status, draft.number) == (YEAR_END, "draft", "YC-2025-00001")
    # (a draft year close does not count as a draft dated in the period it closes)
    results = c.run(
        lambda ctx: create_and_post_many(
            ctx,
            [
                BatchCommand("journal_entry", {**rent("100.00"), "doc_date": "2025-12-30"}),
                BatchCommand("year_close", {"year": 2025}),
                BatchCommand("journal_entry", {**rent("7.00"), "doc_date": "2025-12-30"}),
                BatchCommand("journal_entry", {**rent("8.00"), "doc_date": "2026-01-02"}),
            ],
        ),
        day=CLOSE_DAY,
    )
    assert [r.error.rule if r.error else "ok" for r in results] == [
        "ok",
        "ok",
        "period_closed",
        "ok",
    ]
    closing = results[1].document
    assert closing.number == "YC-2025-00002" and closing.net_total == D("185.00")
    assert entries(c.url, closing.id) == [
        (YEAR_END, False, {**CLOSING, "3100": (Z, D("185.00")), "6110": (Z, D("400.00"))})
    ]
    # the draft for the closed year can no longer be posted
    refused(
        c,
        ClosedPeriod,
        lambda ctx: post_document(ctx, draft.id),
        field="doc_date",
        rule="period_closed",
    )
    with session_scope(c.url) as s:
        assert (
            s.execute(
                select(func.count()).select_from(Document).where(Document.doc_type == "year_close")
            ).scalar_one()
            == 2
        )
    assert_clean(c.url)

"""dashboards/statements.py on the hand-made books of tests/dashboards/hand_books.py (a
published warehouse written row by row): every figure below is worked out by hand from
those entries. The builders are the ones the Finance page, the exports, `qm statements`
and the statements API share."""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboards import exports, statements, warehouse
from dashboards.exports import HEADING, LINE, TOTAL
from tests.dashboards.hand_books import THROUGH, hand_warehouse

D = dt.date


@pytest.fixture
def q(tmp_path):
    path = hand_warehouse(tmp_path / "warehouse.duckdb")
    return lambda sql, params=None: warehouse.query(sql, params, path)


def _rows(report) -> dict:
    """First column -> the other cells, blanks (no books for that period) as None."""
    return {
        r[0]: [None if isinstance(v, float) and math.isnan(v) else v for v in r[1:]]
        for r in report.frame.itertuples(index=False)
    }


def test_income_statement_month_with_expense_accounts_under_their_subtotal(q):
    rep = statements.income_statement(q, "2026-03", "month")
    assert list(rep.frame.columns) == [
        "Line",
        "Mar 2026",
        "Feb 2026",
        "Mar 2025",
        "Change vs Feb 2026",
    ]
    # March: sale 800 at cost 500; February: rent 500; March 2025: before the books
    assert _rows(rep) == {
        "Sales revenue": [800, 0, None, 800],
        "Net revenue": [800, 0, None, 800],
        "Cost of goods sold": [-500, 0, None, -500],
        "Gross profit": [300, 0, None, 300],
        "Operating expenses": [None, None, None, None],  # the heading: no figures
        "6100 Operating expenses": [0, 0, None, 0],
        "6110 Rent": [0, -500, None, 500],
        "6120 Salaries": [0, 0, None, 0],
        "Total operating expenses": [0, -500, None, 500],
        "Net income": [300, -500, None, 800],
    }
    assert rep.kinds == [LINE, TOTAL, LINE, TOTAL, HEADING, LINE, LINE, LINE, TOTAL, TOTAL]


def test_year_close_entries_stay_out_of_the_income_statement(q):
    # December: 3,000 sales − 1,800 cost − 500 rent = 700, though the year-end close
    # debits 4000 with 3,000 and credits 5000 and 6110 (those lines are left out)
    assert _rows(statements.income_statement(q, "2025-12"))["Net income"][0] == 700
    ytd = statements.income_statement(q, "2026-03", "ytd")
    assert list(ytd.frame.columns)[1:4] == ["YTD Mar 2026", "YTD Mar 2025", "FY 2025"]
    rows = _rows(ytd)
    # 2,300 sales − 1,400 cost − 500 rent − 400 salaries = 0; FY 2025 = December's 700
    assert rows["Net income"] == [0, None, 700, None]
    assert rows["6120 Salaries"] == [-400, None, 0, None]


def test_balance_sheet_of_the_month_in_progress_is_dated_at_the_latest_day(q):
    rep = statements.balance_sheet(q, "2026-03")
    # the books end on 12 March: not 31 March (a date in the future for the data)
    assert list(rep.frame.columns) == ["Line", "12 Mar 2026", "28 Feb 2026", "31 Dec 2025"]
    assert rep.subtitle == "at 12 Mar 2026"
    rows = _rows(rep)
    # bank: 10,000 − 500 + 2,000 − 400 − 2,500 − 500 + 1,000
    assert rows["Bank"] == [9100, 8100, 9500]
    # receivables: 3,000 − 2,000 + 1,500 + 800 − 1,000
    assert rows["Accounts receivable"] == [2300, 2500, 3000]
    assert rows["Inventory"] == [800, 1300, 2200]
    assert rows["Total assets"] == [12200, 11900, 14700]
    assert rows["Total liabilities"] == [1500, 1500, 4000]  # 4,000 − 2,500 paid
    # the close moved December's 700 to retained earnings: current earnings is what
    # 2026 made since (0 at 12 March: −300 to February, +300 in March)
    assert rows["Retained earnings"] == [700, 700, 700]
    assert rows["Current earnings (P&L not closed)"] == [0, -300, 0]
    assert rows["Total equity"] == [10700, 10400, 10700]
    assert rows["Total liabilities and equity"] == [12200, 11900, 14700]
    assert [rep.kinds[i] for i in (0, 4, 5, 8, 13)] == [HEADING, TOTAL, HEADING, HEADING, TOTAL]
    # a whole month: its last day; the month and year ends before the books are blank
    december = statements.balance_sheet(q, "2025-12")
    assert list(december.frame.columns) == ["Line", "31 Dec 2025", "30 Nov 2025", "31 Dec 2024"]
    assert _rows(december)["Total assets"] == [14700, None, None]


def test_cash_flow_both_methods_keep_opening_and_closing_cash(q):
    rows = _rows(statements.cash_flow(q, "2026-03"))
    assert rows["Receipts from customers"] == [1000, 3000]  # CP-2; CP-1 + CP-2
    assert rows["Payments to suppliers"] == [0, -2500]
    assert rows["Operating expenses paid"] == [0, -900]  # salaries 400, rent 500
    assert rows["Opening cash"] == [8100, 9500]  # the year's opening, not a sum
    assert rows["Closing cash"] == [9100, 9100]  # at 12 March
    indirect = _rows(statements.cash_flow(q, "2025-12", "indirect"))
    # 700 − 3,000 − 2,200 + 4,000 = −500 from operations; the close is no cash flow:
    # neither net income nor retained earnings carry it
    assert indirect["Net income"] == [700, 700]
    assert indirect["Net cash from operating"] == [-500, -500]
    assert indirect["Change in retained earnings"] == [0, 0]
    assert indirect["Net change in cash"] == [9500, 9500]


def test_trial_balance_at_the_statement_date(q):
    rep = statements.trial_balance(q, "2026-03")
    assert rep.subtitle == "at 12 Mar 2026"
    total = rep.total_row("Total")
    # debits: bank 9,100 + AR 2,300 + stock 800 + COGS 1,400 + rent 500 + salaries 400;
    # credits: AP 1,500 + equity 10,000 + retained 700 + sales 2,300
    assert (total["Debit"], total["Credit"]) == (14500, 14500)


def test_ageing_as_of_a_past_date_differs_from_today(q):
    now = _rows(statements.ageing_summary(q, "ar", THROUGH))
    # 12 March: SI-3 800 due 4 April (not yet due); SI-2 1,500 21 days over and CP-2's
    # unallocated 1,000 (0-30: 500); SI-1's remaining 1,000, 57 days over
    assert now["C1 – Acme"] == [800, 500, 1000, 0, 0, 2300]
    # 31 January: SI-1's 1,000 was 17 days over, SI-2 not due yet
    assert _rows(statements.ageing_summary(q, "ar", D(2026, 1, 31)))["Total"] == [
        1500,
        1000,
        0,
        0,
        0,
        2500,
    ]
    assert _rows(statements.ageing_summary(q, "ap", D(2026, 1, 31)))["S1 – Supplies Ltd"] == [
        0,
        4000,
        0,
        0,
        0,
        4000,
    ]
    assert _rows(statements.ageing_summary(q, "ap", THROUGH))["Total"] == [0, 0, 0, 1500, 0, 1500]
    docs = statements.ageing_documents(q, "ar", THROUGH)
    assert list(zip(docs["number"], docs["days_overdue"], docs["bucket"])) == [
        ("SI-1", 57, "31-60"),
        ("SI-2", 21, "0-30"),
        ("CP-2", 0, "0-30"),
        ("SI-3", 0, "Not yet due"),
    ]


def test_exact_builders_keep_every_cent(q):
    sheet = statements.balance_sheet_at(q, D(2026, 2, 28))
    assert sheet.amount("total_assets") == Decimal("11900.00")
    assert sheet.amount("no_such_line") == Decimal("0.00")
    pnl = statements.income_statement_at(q, D(2026, 1, 1), D(2026, 3, 12))
    opex = next(line for line in pnl.lines if line.key == "operating_expenses")
    assert [(a.code, a.amount) for a in opex.accounts] == [
        ("6100", Decimal("0.00")),
        ("6110", Decimal("-500.00")),
        ("6120", Decimal("-400.00")),
    ]
    value = statements.inventory_valuation_at(q, D(2026, 3, 1))
    assert value.stock_date == D(2026, 2, 28)  # the latest stock day before 1 March
    assert (value.stock_value, value.gl_value) == (Decimal("1300.00"), Decimal("1300.00"))
    snap = statements.snapshot(q)
    assert (snap.run_id, snap.document_change_seq, snap.data_through) == (
        "hand-made",
        42,
        THROUGH,
    )
    months = statements.available_months(q)
    assert months == [D(2026, 3, 1), D(2026, 2, 1), D(2026, 1, 1), D(2025, 12, 1)]
    assert statements.last_complete_month(months, THROUGH) == D(2026, 2, 1)
    assert statements.last_complete_month(months, D(2026, 3, 31)) == D(2026, 3, 1)


def test_no_none_or_nan_in_any_export_or_on_screen(q):
    """Headings and total rows have blank cells: every form shows them blank."""
    reports = [
        *statements.statement_pack(q, "2026-03"),
        statements.income_statement(q, "2026-03", "quarter"),
        statements.cash_flow(q, "2026-03", "indirect"),
        statements.ageing_summary(q, "ar", THROUGH),
        statements.ageing_summary(q, "ap", D(2026, 1, 31)),
    ]
    bad = ("None", "nan", "NaN", "NaT")
    for rep in reports:
        screen = exports.styled(rep).to_html()
        for word in bad:
            assert f">{word}<" not in screen, (rep.title, word)
        csv_text = exports.to_csv(rep).decode()
        assert not any(w in csv_text.replace("\r\n", ",").split(",") for w in bad), rep.title
    long_csv = exports.reports_to_csv(reports).decode()
    assert not any(w in long_csv.replace("\r\n", ",").split(",") for w in bad)
    book = load_workbook(io.BytesIO(exports.to_xlsx(reports)))
    cells = {str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value}
    assert not cells & set(bad)
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(exports.to_pdf(reports))).pages)
    assert not set(pdf.split()) & set(bad)

"""dashboards/statements.py on a hand-made warehouse with a few rows of each finance mart:
every figure below is computed by hand from those rows."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest

from dashboards import statements, warehouse
from dashboards.exports import TOTAL

D = dt.date
IS_ROWS = [  # month, line_order, statement_line, line_label, is_subtotal, amount
    (D(2025, 3, 1), 10, "sales_revenue", "Sales revenue", False, 900.0),
    (D(2025, 3, 1), 50, "cost_of_goods_sold", "Cost of goods sold", False, -500.0),
    (D(2025, 3, 1), 999, "net_income", "Net income", True, 400.0),
    (D(2026, 1, 1), 10, "sales_revenue", "Sales revenue", False, 1000.0),
    (D(2026, 1, 1), 50, "cost_of_goods_sold", "Cost of goods sold", False, -600.0),
    (D(2026, 1, 1), 999, "net_income", "Net income", True, 400.0),
    (D(2026, 2, 1), 10, "sales_revenue", "Sales revenue", False, 1200.0),
    (D(2026, 2, 1), 50, "cost_of_goods_sold", "Cost of goods sold", False, -700.0),
    (D(2026, 2, 1), 999, "net_income", "Net income", True, 500.0),
    (D(2026, 3, 1), 10, "sales_revenue", "Sales revenue", False, 1500.0),
    (D(2026, 3, 1), 50, "cost_of_goods_sold", "Cost of goods sold", False, -800.0),
    (D(2026, 3, 1), 999, "net_income", "Net income", True, 700.0),
]
BS_ROWS = [  # month_end, section, line_order, statement_line, line_label, is_total, amount
    (D(2026, 3, 31), "assets", 110, "bank", "Bank", False, 3000.0),
    (D(2026, 3, 31), "assets", 130, "inventory", "Inventory", False, 2000.0),
    (D(2026, 3, 31), "assets", 199, "total_assets", "Total assets", True, 5000.0),
    (D(2026, 3, 31), "liabilities", 210, "accounts_payable", "Accounts payable", False, 1400.0),
    (D(2026, 3, 31), "equity", 310, "owners_equity", "Owner's equity", False, 2000.0),
    (D(2026, 3, 31), "equity", 330, "current_earnings", "Current earnings", False, 1600.0),
    (D(2026, 2, 28), "assets", 110, "bank", "Bank", False, 2500.0),
    (D(2026, 2, 28), "liabilities", 210, "accounts_payable", "Accounts payable", False, 0.0),
    (D(2026, 2, 28), "equity", 310, "owners_equity", "Owner's equity", False, 2500.0),
]
CF_ROWS = [  # month, method, line_order, line, is_subtotal, amount
    (D(2026, 2, 1), "direct", 110, "receipts_from_customers", False, 800.0),
    (D(2026, 2, 1), "direct", 900, "net_change_in_cash", True, 800.0),
    (D(2026, 2, 1), "direct", 910, "opening_cash", True, 1700.0),
    (D(2026, 2, 1), "direct", 920, "closing_cash", True, 2500.0),
    (D(2026, 3, 1), "direct", 110, "receipts_from_customers", False, 500.0),
    (D(2026, 3, 1), "direct", 900, "net_change_in_cash", True, 500.0),
    (D(2026, 3, 1), "direct", 910, "opening_cash", True, 2500.0),
    (D(2026, 3, 1), "direct", 920, "closing_cash", True, 3000.0),
]


@pytest.fixture
def q(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.income_statement_monthly (month date, line_order int, "
        "statement_line varchar, line_label varchar, is_subtotal boolean, "
        "amount decimal(18,2))"
    )
    con.executemany("insert into marts.income_statement_monthly values (?,?,?,?,?,?)", IS_ROWS)
    con.execute(
        "create table marts.balance_sheet_monthly (month_end date, section varchar, "
        "line_order int, statement_line varchar, line_label varchar, is_total "
        "boolean, amount decimal(18,2))"
    )
    con.executemany("insert into marts.balance_sheet_monthly values (?,?,?,?,?,?,?)", BS_ROWS)
    con.execute(
        "create table marts.cash_flow_monthly (month date, method varchar, "
        "line_order int, line varchar, is_subtotal boolean, amount decimal(18,2))"
    )
    con.executemany("insert into marts.cash_flow_monthly values (?,?,?,?,?,?)", CF_ROWS)
    con.execute(
        "create table marts.ar_ageing (customer_id int, document_id int, number "
        "varchar, due_date date, open_amount decimal(18,2), days_overdue int, "
        "bucket varchar)"
    )
    con.execute(
        "insert into marts.ar_ageing values (1, 10, 'SI-1', '2026-01-01', 100, 86, "
        "'61-90'), (1, 11, 'SI-2', '2026-03-20', 50, 8, '0-30'), (2, 12, 'SR-1', "
        "'2026-03-01', -20, 27, '0-30')"
    )
    con.execute(
        "create table marts.dim_customer (customer_id int, customer_code varchar, "
        "customer_name varchar, region varchar)"
    )
    con.execute(
        "insert into marts.dim_customer values (1, 'C1', 'Acme', 'W'), (2, 'C2', 'Bolt', 'E')"
    )
    con.close()
    return lambda sql, params=None: warehouse.query(sql, params, path)


def _rows(report) -> dict:
    """First column -> the other cells, blanks (no books for that period) as None."""
    return {
        r[0]: [None if math.isnan(v) else v for v in r[1:]]
        for r in report.frame.itertuples(index=False)
    }


def test_income_statement_month_against_last_month_and_last_year(q):
    rep = statements.income_statement(q, "2026-03", "month")
    assert list(rep.frame.columns) == [
        "Line",
        "Mar 2026",
        "Feb 2026",
        "Mar 2025",
        "Change vs Feb 2026",
    ]
    assert _rows(rep) == {
        "Sales revenue": [1500, 1200, 900, 300],
        "Cost of goods sold": [-800, -700, -500, -100],
        "Net income": [700, 500, 400, 200],
    }
    assert rep.kinds == ["line", "line", TOTAL]


def test_income_statement_quarter_and_year_to_date(q):
    quarter = statements.income_statement(q, "2026-03", "quarter")
    assert list(quarter.frame.columns)[1:3] == ["Q1 2026", "Q4 2025"]
    assert _rows(quarter)["Net income"] == [1600, None, 400, None]  # no books in Q4 2025
    ytd = statements.income_statement(q, "2026-02", "ytd")
    assert list(ytd.frame.columns)[1:4] == ["YTD Feb 2026", "YTD Feb 2025", "FY 2025"]
    assert _rows(ytd)["Sales revenue"] == [2200, None, 900, None]  # YTD Feb 2025: no books


def test_balance_sheet_totals_are_computed_and_balance(q):
    rep = statements.balance_sheet(q, "2026-03")
    rows = _rows(rep)
    assert list(rep.frame.columns) == ["Line", "31 Mar 2026", "28 Feb 2026", "31 Dec 2025"]
    assert rows["Total assets"] == [5000, 2500, None]  # the mart's total line is not added
    assert rows["Total liabilities"] == [1400, 0, None]
    assert rows["Total equity"] == [3600, 2500, None]
    assert rows["Total liabilities and equity"] == [5000, 2500, None]
    assert rep.kinds[0] == "heading" and rep.kinds[-1] == TOTAL


def test_cash_flow_year_to_date_keeps_opening_and_closing_cash(q):
    rows = _rows(statements.cash_flow(q, "2026-03"))
    assert rows["Receipts from customers"] == [500, 1300]
    assert rows["Opening cash"] == [2500, 1700]  # the year's opening, not a sum
    assert rows["Closing cash"] == [3000, 3000]


def test_ageing_nets_credit_notes_per_customer(q):
    rep = statements.ageing_summary(q, "ar")
    assert _rows(rep) == {
        "C1 – Acme": [50, 0, 100, 0, 150],
        "C2 – Bolt": [-20, 0, 0, 0, -20],
        "Total": [30, 0, 100, 0, 130],
    }

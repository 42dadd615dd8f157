"""The Overview's rate KPIs on a small fixed data set, against numbers worked out by hand
(not recomputed with the formula under test): annualised turnover, days of inventory,
unit fill rate, gross margin %, stock value at month end."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dashboards.kpis import monthly_kpis

FEB, JAN = dt.date(2026, 2, 1), dt.date(2026, 1, 1)
AS_OF = dt.date(2026, 2, 20)


class NoFilters:
    def where(self, **_columns):
        return "", []


@pytest.fixture
def q():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.sales_margin_monthly (month date, category varchar, "
        "revenue double, gross_margin double)"
    )
    con.execute(
        "insert into marts.sales_margin_monthly values "
        "('2026-02-01', 'A', 300, 90), ('2026-02-01', 'B', 200, 35)"
    )
    con.execute(
        "create table marts.fct_stock_daily (date date, warehouse_id int, "
        "item_id int, stock_value double)"
    )
    con.execute(
        "insert into marts.fct_stock_daily values ('2026-02-20', 1, 1, 300), "
        "('2026-02-20', 1, 2, 200), ('2026-02-19', 1, 1, 999)"
    )
    con.execute(
        "create table marts.inventory_turnover_monthly (month date, warehouse_id "
        "int, category varchar, cogs double, avg_inventory_value double, "
        "days_in_period int)"
    )
    con.execute(
        "insert into marts.inventory_turnover_monthly values "
        "('2026-02-01', 1, 'A', 1000, 2000, 28), ('2026-02-01', 2, 'B', 400, 800, 28)"
    )
    con.execute(
        "create table marts.demand_daily (date date, warehouse_id int, item_id int, "
        "demand_qty double, lost_qty double)"
    )
    con.execute(
        "insert into marts.demand_daily values ('2026-02-03', 1, 1, 60, 5), "
        "('2026-02-10', 1, 2, 40, 15)"
    )
    yield lambda sql, params=None: con.execute(sql, params or []).df()
    con.close()


def test_overview_rates_on_a_fixed_month(q):
    k = monthly_kpis(q, NoFilters(), FEB, AS_OF, n_months=2)
    # COGS 1 400 over an average inventory of 2 800 in a 28-day period: 0.5 turns in
    # 28 days = 0.5 × 365 / 28 = 6.5178… a year; the stock lasts 28 × 2 800 / 1 400 = 56 d
    assert k["turnover"].at(FEB) == pytest.approx(6.517857, abs=1e-6)
    assert k["days_of_inventory"].at(FEB) == pytest.approx(56.0)
    # 100 units asked, 20 lost: 80 % served
    assert k["fill_rate"].at(FEB) == pytest.approx(0.80)
    # revenue 500, margin 125: 25 %
    assert k["revenue"].at(FEB) == pytest.approx(500.0)
    assert k["gross_margin_pct"].at(FEB) == pytest.approx(0.25)
    # the month is still open: its stock value is that of the as-of day (300 + 200)
    assert k["stock_value"].at(FEB) == pytest.approx(500.0)
    # a month without data has no KPI (not zero)
    assert k["turnover"].at(JAN) is None and k["fill_rate"].at(JAN) is None

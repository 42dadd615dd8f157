"""The warehouse after a year-end close (DuckDB and PostgreSQL): the small company of
tests/core/test_year_close.py — 2025's net income 285.00 (March +585.00: sales 1,000.00,
COGS 400.00, freight 15.00; June −300.00 rent) — closed on 10 January 2026, then 50.00 of
rent in January 2026. The income statement still shows 2025's result (the closing entry
is left out), the balance sheet shows it in retained earnings from 31 December on, and
every dbt test and reconciliation passes (`dbt build`)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal as D

import duckdb
import pytest
from sqlalchemy import create_engine, text

from pipelines.extract import extract
from pipelines.extract_pg import extract_pg
from tests.conftest import PG_ADMIN_URL, pg_skip_or_fail
from tests.core.company import build_company
from tests.core.test_year_close import CLOSE_DAY, post_2025, rent
from tests.dbt.warehouse import duckdb_env, postgres_env, run_dbt
from transactional.migrate import upgrade
from transactional.services import close_year

pytestmark = pytest.mark.slow

Z = D("0.00")
NOV_END, DEC_END, JAN_END = dt.date(2025, 11, 30), dt.date(2025, 12, 31), dt.date(2026, 1, 31)


def post_and_close(url: str) -> None:
    c = post_2025(build_company(url))
    c.run(lambda ctx: close_year(ctx, 2025), day=CLOSE_DAY)
    c.post("journal_entry", rent("50.00"), day=CLOSE_DAY)


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def closed(request, tmp_path_factory) -> Iterator:
    """(query, dbt run) of the closed company's warehouse on each engine."""
    tmp = tmp_path_factory.mktemp(f"year_close_{request.param}")
    if request.param == "duckdb":
        url = f"sqlite:///{tmp / 'oltp.sqlite'}"
        upgrade(url)
        post_and_close(url)
        path = tmp / "warehouse.duckdb"
        extract(url, path, full=True)
        run = run_dbt(["build"], duckdb_env(path), tmp)

        def query(sql: str) -> list[tuple]:
            con = duckdb.connect(str(path), read_only=True)
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()

        query.path = path  # type: ignore[attr-defined]  # for DataFrame readers
        yield query, run
        return
    pg_skip_or_fail()
    name = f"qm_year_close_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = None
    try:
        upgrade(url)
        post_and_close(url)
        extract_pg(url, url)
        run = run_dbt(["build"], postgres_env(url), tmp)
        engine = create_engine(url)

        def query(sql: str) -> list[tuple]:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]

        yield query, run
    finally:
        if engine is not None:
            engine.dispose()
        from transactional.db import _factory

        _factory.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_every_model_and_test_passes_with_a_closed_year(closed):
    _, run = closed
    assert set(run.statuses) <= {"success", "pass", "no-op"}, run.failed()
    assert run.count("test", "pass") >= 260  # the reconciliations included


def test_income_statement_still_shows_the_closed_year(closed):
    query, _ = closed
    net_income = dict(
        query(
            'select "month", amount from marts.income_statement_monthly '
            "where statement_line = 'net_income' order by 1"
        )
    )
    assert net_income[dt.date(2025, 3, 1)] == D("585.00")
    assert net_income[dt.date(2025, 6, 1)] == D("-300.00")
    assert net_income[dt.date(2025, 12, 1)] == Z  # the closing entry is not a result
    assert sum(v for m, v in net_income.items() if m.year == 2025) == D("285.00")
    assert net_income[dt.date(2026, 1, 1)] == D("-50.00")
    assert query(
        "select amount from marts.income_statement_monthly "
        "where \"month\" = '2025-03-01' and statement_line = 'sales_revenue'"
    ) == [(D("1000.00"),)]


def balance_sheet(query, month_end: dt.date) -> dict[str, D]:
    return dict(
        query(
            "select statement_line, amount from marts.balance_sheet_monthly "
            f"where month_end = '{month_end}'"
        )
    )


def test_balance_sheet_shows_the_result_in_retained_earnings(closed):
    query, _ = closed
    nov, dec, jan = (balance_sheet(query, d) for d in (NOV_END, DEC_END, JAN_END))
    # before the close the year's result is current earnings; from 31 December on it is
    # retained earnings, and current earnings start again from zero
    assert (nov["retained_earnings"], nov["current_earnings"]) == (Z, D("285.00"))
    assert (dec["retained_earnings"], dec["current_earnings"]) == (D("285.00"), Z)
    assert (jan["retained_earnings"], jan["current_earnings"]) == (D("285.00"), D("-50.00"))
    # 31 Dec: bank −300, receivables 1,200, stock 600 = 1,500
    #       = GRNI 1,000 + VAT 200 + freight 15 + retained earnings 285
    assert (dec["bank"], dec["accounts_receivable"], dec["inventory"]) == (
        D("-300.00"),
        D("1200.00"),
        D("600.00"),
    )
    assert (dec["total_assets"], dec["total_liabilities"], dec["total_equity"]) == (
        D("1500.00"),
        D("1215.00"),
        D("285.00"),
    )
    for sheet in (nov, dec, jan):
        assert sheet["total_assets"] == sheet["total_liabilities"] + sheet["total_equity"]


def test_trial_balance_and_cash_flow_after_the_close(closed):
    query, _ = closed
    tb = dict(
        query(
            "select account_code, balance from marts.trial_balance "
            f"where month_end = '{DEC_END}' and balance <> 0"
        )
    )
    # the books as posted: after the close, the P&L accounts are zero at 31 December
    assert tb == {
        "1000": D("-300.00"),
        "1100": D("1200.00"),
        "1200": D("600.00"),
        "2100": D("-1000.00"),
        "2200": D("-200.00"),
        "2300": D("-15.00"),
        "3100": D("-285.00"),
    }
    # December's cash flow: the close moves no cash, on either line it touches
    dec = dict(
        query(
            "select line, amount from marts.cash_flow_monthly "
            "where \"month\" = '2025-12-01' and method = 'indirect'"
        )
    )
    assert (dec["net_income"], dec["change_in_retained_earnings"]) == (Z, Z)


@pytest.mark.parametrize("closed", ["duckdb"], indirect=True)  # the published file's engine
def test_the_statement_builders_agree_after_the_close(closed, request):
    """The any-date builders (the API's and the Finance page's) over the daily marts:
    2025's income statement still shows 285.00, the balance sheet carries it in retained
    earnings from 31 December, exactly as the monthly marts do."""
    from dashboards import statements

    query, _ = closed
    con = duckdb.connect(str(query.path), read_only=True)
    request.addfinalizer(con.close)

    def q(sql: str, params=None):
        return con.execute(sql, params or []).df()

    year = statements.income_statement_at(q, dt.date(2025, 1, 1), DEC_END)
    assert year.amount("net_income") == D("285.00")
    for day in (NOV_END, DEC_END, JAN_END):
        built = statements.balance_sheet_at(q, day)
        marts = balance_sheet(query, day)
        for key in ("retained_earnings", "current_earnings", "total_assets", "total_equity"):
            assert built.amount(key) == marts[key], (day, key)
    january = statements.income_statement_at(q, dt.date(2026, 1, 1), JAN_END)
    assert january.amount("net_income") == D("-50.00")

"""Every page renders on a warehouse built by the real refresh, its headline numbers equal
the marts (queried here), and each role sees only its pages."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import access
from dashboards.kpis import monthly_kpis
from tests.dashboards.helpers import APP, PAGES, metrics, money, password, problems, signed_in
from tests.dashboards.test_kpi_formulas import NoFilters


def _failed_sign_ins(url: str) -> list[tuple[str, str]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as con:
        return con.execute(
            "select action, entity_id from audit_log where action like 'login_%' order by id"
        ).fetchall()


def _try_sign_in(username: str, password: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    return at


def test_sign_in_refuses_a_wrong_password(writable):
    at = _try_sign_in("finance", "not-the-password")
    assert [e.value for e in at.error] == ["Unknown user or wrong password."]
    assert "user" not in at.session_state
    assert not at.metric
    assert _failed_sign_ins(writable.oltp_url) == [("login_failed", "finance")]


def test_sign_in_is_throttled_like_the_api(writable, monkeypatch):
    """QM_LOGIN_MAX_FAILURES=2: two wrong passwords, then even the right one is refused
    (audited as login_throttled) — the dashboard is no way round the API's throttle."""
    monkeypatch.setenv("QM_LOGIN_MAX_FAILURES", "2")
    for _ in range(2):
        assert [e.value for e in _try_sign_in("finance", "wrong").error] == [
            "Unknown user or wrong password."
        ]
    at = _try_sign_in("finance", password("finance"))
    (message,) = [e.value for e in at.error]
    assert message.startswith("Too many failed sign-ins: try again in ")
    assert "user" not in at.session_state
    assert _failed_sign_ins(writable.oltp_url) == [
        ("login_failed", "finance"),
        ("login_failed", "finance"),
        ("login_throttled", "finance"),
    ]


def test_sign_in_explains_a_missing_user_database(env, monkeypatch, tmp_path):
    monkeypatch.setenv("QM_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.text_input(key="login_username").input("admin")
    at.text_input(key="login_password").input("admin-demo")
    at.button[0].click().run()
    assert not at.exception
    assert "qm db upgrade" in at.error[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_freshness(env, page):
    at = signed_in("admin", page)
    assert problems(at) == []
    assert at.title[0].value == access.BY_KEY[page].title
    banner = " ".join(c.value for c in at.caption)
    assert f"run `{env.run_id}`" in banner and "checks passed" in banner


def test_overview_headlines_equal_the_marts(env):
    at = signed_in("manager", "overview")
    shown = metrics(at)
    month, day = _overview_month(env)
    sales = env.mart(
        "select sum(revenue), sum(gross_margin) from marts.sales_margin_monthly where month = ?",
        [month],
    ).iloc[0]
    assert shown["Revenue"] == money(sales.iloc[0])
    assert shown["Gross margin"] == money(sales.iloc[1])
    assert shown["Gross margin %"] == f"{sales.iloc[1] / sales.iloc[0] * 100:.1f} %"
    stock = env.scalar("select sum(stock_value) from marts.fct_stock_daily where date = ?", [day])
    assert shown["Stock value"] == money(stock)
    # the rates are the kpis module's (its formulas are checked against hand-worked
    # numbers in test_kpi_formulas.py); here: the page shows them for the right month
    k = monthly_kpis(env.mart, NoFilters(), month, env.as_of)
    assert shown["Turnover (annualised)"] == f"{k['turnover'].at(month):.1f}×"
    assert shown["Days of inventory"] == f"{k['days_of_inventory'].at(month):,.0f} d"
    assert shown["Fill rate"] == f"{k['fill_rate'].at(month) * 100:.1f} %"
    overdue = env.scalar(
        "select sum(open_amount) from marts.ar_ageing where days_overdue > 0 and open_amount > 0"
    )
    assert shown["Overdue receivables"] == money(overdue)


def test_inventory_headlines_equal_the_marts(env):
    shown = metrics(signed_in("warehouse", "inventory"))
    dead = env.scalar(
        "select sum(stock_value) from marts.stock_ageing where movement_class "
        "= 'dead' and qty_on_hand > 0"
    )
    assert shown["Dead stock value"] == money(dead)
    for bucket, label in (("bucket_0_30", "0–30 d"), ("bucket_181_plus", "181+ d")):
        assert shown[f"Stock aged {label}"] == money(
            env.scalar(f"select sum({bucket}) from marts.stock_ageing")
        )
    start = _default_start(env)
    out = env.mart(
        "select sum(stockout_days), sum(lost_revenue) from marts.stockout_days "
        "where month between ? and ?",
        [start, env.as_of],
    ).iloc[0]
    if float(out.iloc[0] or 0):
        assert shown["Stockout days"] == f"{int(out.iloc[0]):,}"
        assert shown["Lost sales"] == money(float(out.iloc[1]))


def test_sales_headlines_equal_the_marts(env):
    shown = metrics(signed_in("sales", "sales"))
    row = env.mart(
        "select sum(revenue), sum(gross_margin), sum(qty) from "
        "marts.sales_margin_monthly where month between ? and ?",
        [_default_start(env), env.as_of],
    ).iloc[0]
    assert shown["Revenue (period)"] == money(row.iloc[0])
    assert shown["Gross margin (period)"] == money(row.iloc[1])
    assert shown["Units sold (period)"] == f"{float(row.iloc[2]):,.0f}"


def test_purchasing_headlines_equal_the_marts(env):
    shown = metrics(signed_in("purchasing", "purchasing"))
    perf = env.mart(
        "select sum(on_time_rate * receipts) / sum(receipts) from marts.supplier_performance"
    ).iloc[0, 0]
    assert shown["On time (all receipts)"] == f"{perf * 100:.1f} %"
    ppv = env.scalar(
        "select sum(ppv) from marts.purchase_price_variance where month between ? and ?",
        [_default_start(env), env.as_of],
    )
    if ppv:
        assert shown["Purchase price variance (period)"] == money(ppv)


def test_finance_headlines_equal_the_marts(env):
    """The page's statements come from the daily marts through dashboards/statements.py;
    for its default month — the last complete one, as on the Overview — they equal the
    monthly marts, and the ageing at the month's date equals the receivables then."""
    shown = metrics(signed_in("finance", "finance"))
    month, end = _overview_month(env)
    net = env.scalar(
        "select amount from marts.income_statement_monthly where month = ? and "
        "statement_line = 'net_income'",
        [month],
    )
    assert shown[f"Net income, {month:%b %Y}"] == money(net, 2)
    assets = env.scalar(
        "select sum(amount) from marts.balance_sheet_monthly where "
        "month_end = ? and section = 'assets' and not is_total",
        [_month_end(month)],
    )
    assert shown["Total assets"] == money(assets, 2)
    assert shown["Assets − (liabilities + equity)"] == "0.00"
    tb = env.mart(
        "select sum(debit), sum(credit), sum(balance) filter (where account_code = '1100'), "
        "sum(-balance) filter (where account_code = '2000') "
        "from marts.trial_balance where month_end = ?",
        [_month_end(month)],
    ).iloc[0]
    assert shown["Total debit"] == money(float(tb.iloc[0]), 2)
    assert shown["Total credit"] == money(float(tb.iloc[1]), 2)
    # open items at the month's date sum to the control accounts then
    assert shown["Open receivables"] == money(float(tb.iloc[2]), 2)
    assert shown["Open payables"] == money(float(tb.iloc[3]), 2)
    over_90 = env.scalar(
        "select sum(open_amount) from (select sum(amount) as open_amount from "
        "marts.fct_open_item_movements where party_kind = 'customer' and movement_date <= ? "
        "and due_date < ? - 90 group by document_id)",
        [end, end],
    )
    assert shown["Receivables 90+ days"] == money(over_90, 2)


EXPECTED_PAGES = {  # read through transactional/permissions.py
    "admin": {
        "overview",
        "stock",
        "documents",
        "inventory",
        "sales",
        "purchasing",
        "planning",
        "finance",
        "masterdata",
        "users",
    },
    "manager": {
        "overview",
        "stock",
        "documents",
        "inventory",
        "sales",
        "purchasing",
        "planning",
        "finance",
        "masterdata",
    },
    "finance": {
        "overview",
        "stock",
        "documents",
        "inventory",
        "sales",
        "purchasing",
        "finance",
    },
    "sales": {"stock", "documents", "inventory", "sales", "masterdata"},
    "purchasing": {"stock", "documents", "inventory", "purchasing", "planning", "masterdata"},
    "planner": {"stock", "documents", "inventory", "purchasing", "planning"},
    "warehouse": {"stock", "documents", "inventory", "masterdata"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED_PAGES))
def test_each_role_is_offered_its_pages(role):
    assert {p.key for p in access.pages_for(role)} == EXPECTED_PAGES[role]


def test_a_sales_user_cannot_see_finance(env):
    at = signed_in("sales")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/finance.py")
    # even run directly, the page refuses the role and shows no figures
    page = AppTest.from_file(str(APP.parent / "pages" / "finance.py"), default_timeout=60)
    page.session_state["user"] = {"username": "sales", "role": "sales"}
    page.run()
    assert [e.value for e in page.error] == [
        "The sales role may not open Finance (it is for finance, managers)."
    ]
    assert not page.metric and not page.dataframe


def test_filters_carry_over_between_pages(env):
    category = env.mart("select min(category) from marts.dim_item").iloc[0, 0]
    wh = int(env.scalar("select min(warehouse_id) from marts.dim_warehouse where not is_transit"))
    at = signed_in("manager", "sales")
    at.multiselect(key="w_flt_cat").set_value([category]).run()
    revenue = env.scalar(
        "select sum(revenue) from marts.sales_margin_monthly where "
        "category = ? and month between ? and ?",
        [category, _default_start(env), env.as_of],
    )
    assert metrics(at)["Revenue (period)"] == money(revenue)
    at.switch_page("pages/overview.py").run()
    at.multiselect(key="w_flt_wh").set_value([wh]).run()
    at.switch_page("pages/inventory.py").run()
    at.switch_page("pages/overview.py").run()
    assert at.multiselect(key="w_flt_cat").value == [category]
    assert at.multiselect(key="w_flt_wh").value == [wh]
    stock = env.scalar(
        "select sum(s.stock_value) from marts.fct_stock_daily s join "
        "marts.dim_item i using (item_id) where s.date = ? and i.category = ? "
        "and s.warehouse_id = ?",
        [_overview_month(env)[1], category, wh],
    )
    assert metrics(at)["Stock value"] == money(stock)


def test_planning_explains_that_it_has_not_run(env):
    at = signed_in("planner", "planning")
    assert problems(at) == []
    texts = " ".join(i.value for i in at.info)
    assert "Planning has not run yet" in texts and "qm plan" in texts


def test_no_warehouse_is_an_explained_empty_state(env, monkeypatch, tmp_path):
    monkeypatch.setenv("QM_WAREHOUSE_PATH", str(tmp_path / "nothing.duckdb"))
    at = signed_in("manager", "inventory")
    assert problems(at) == []
    assert "No warehouse published yet" in at.info[0].value
    assert "qm refresh" in at.info[0].value


def test_a_new_publish_is_read_and_no_connection_is_held(env, tmp_path, monkeypatch):
    """The app reads a file swapped in by rename (a refresh) on its next run, and keeps
    no DuckDB connection open in between (the writer is never blocked)."""
    import shutil

    import duckdb

    live = tmp_path / "warehouse.duckdb"
    shutil.copy(env.warehouse, live)
    monkeypatch.setenv("QM_WAREHOUSE_PATH", str(live))
    at = signed_in("manager", "overview")
    assert f"run `{env.run_id}`" in " ".join(c.value for c in at.caption)
    staged = tmp_path / "staged.duckdb"
    shutil.copy(env.warehouse, staged)
    con = duckdb.connect(str(staged))
    con.execute("update meta.publish_log set run_id = 'swapped-in-run'")
    con.close()
    os.replace(staged, live)
    duckdb.connect(str(live)).close()  # read-write open: nobody holds the file
    at.run()
    assert "run `swapped-in-run`" in " ".join(c.value for c in at.caption)


def _default_start(env) -> dt.date:
    """The default period of the filters: the last twelve months (from day 1)."""
    first = env.mart("select min(date) from marts.fct_stock_daily").iloc[0, 0]
    month = env.as_of.replace(day=1)
    y, m = divmod(month.month - 1 - 11, 12)
    return max(first.date() if hasattr(first, "date") else first, dt.date(month.year + y, m + 1, 1))


def _overview_month(env) -> tuple[dt.date, dt.date]:
    """The Overview's month by default: the newest if whole, else the last whole one; and
    the day its stock is valued (the month's end, or the newest day)."""
    month = env.as_of.replace(day=1)
    if _month_end(month) != env.as_of:
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month, min(_month_end(month), env.as_of)


def _month_end(month: dt.date) -> dt.date:
    nxt = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)

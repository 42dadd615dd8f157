"""The statements as of any date on the golden warehouse (tests/dbt/golden.py): the
statement builders agree with the monthly marts at every month end, and the statements
API (`GET /api/v1/reports/…`, qm/reports_api.py) answers the golden company's figures —
computed by hand in test_golden_sales_finance.py and below — over real HTTP through the
app `qm serve` runs, from a copy of the golden warehouse published by
`pipelines.publish.publish`, with a copy of its OLTP behind it (clock: 10 March 2026)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboards import statements
from dashboards.warehouse import reader
from pipelines.publish import publish
from tests.api.conftest import Api, make_api
from tests.core.company import fixed_clock
from transactional.db import session_scope
from transactional.models import AuditLog, Document, IdempotencyKey, JournalLine

pytestmark = [
    pytest.mark.slow,
    # the API reads a published DuckDB file: the DuckDB build of the golden warehouse
    pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True),
]

D = dt.date
TODAY = D(2026, 3, 10)
REPORTS = (
    "/reports/income-statement",
    "/reports/balance-sheet",
    "/reports/cash-flow",
    "/reports/ar-ageing",
    "/reports/ap-ageing",
    "/reports/inventory-valuation",
)


def _money(value) -> Decimal:
    return Decimal(value)


# ------------------------------------------------------- builders = monthly marts
def test_builders_agree_with_the_monthly_marts(warehouse):
    """One definition: at every month end, the builders' income statement, balance
    sheet, cash flow (both methods), trial balance and inventory valuation equal the
    monthly marts to the cent, line by line; ageing at the latest date equals the ageing
    marts (whose 0-30 bucket holds the items not yet due)."""
    with reader(warehouse.work_dir / "warehouse.duckdb") as q:
        months = [r[0] for r in warehouse.query('select distinct "month" from marts.dim_date')]
        assert sorted(months) == [D(2026, 1, 1), D(2026, 2, 1)]
        for m in sorted(months):
            end = statements.month_end(m)
            mart = dict(
                warehouse.query(
                    "select statement_line, amount from marts.income_statement_monthly "
                    f"where \"month\" = '{m}'"
                )
            )
            assert {
                x.key: x.amount for x in statements.income_statement_at(q, m, end).lines
            } == mart
            mart = dict(
                warehouse.query(
                    "select statement_line, amount from marts.balance_sheet_monthly "
                    f"where month_end = '{end}'"
                )
            )
            assert {x.key: x.amount for x in statements.balance_sheet_at(q, end).lines} == mart
            for method in ("direct", "indirect"):
                mart = dict(
                    warehouse.query(
                        "select line, amount from marts.cash_flow_monthly where "
                        f"\"month\" = '{m}' and method = '{method}'"
                    )
                )
                flow = statements.cash_flow_at(q, m, end, method)
                assert {x.key: x.amount for x in flow.lines} == mart
            mart_tb = warehouse.query(
                "select account_code, debit, credit from marts.trial_balance "
                f"where month_end = '{end}' order by 1"
            )
            assert [(r.code, r.debit, r.credit) for r in statements.trial_balance_at(q, end)] == [
                tuple(r) for r in mart_tb
            ]
            value = statements.inventory_valuation_at(q, end)
            assert warehouse.one(
                "select stock_value, gl_value from marts.inventory_valuation_monthly "
                f"where month_end = '{end}'"
            ) == (value.stock_value, value.gl_value)
        for kind, mart in (("ar", "ar_ageing"), ("ap", "ap_ageing")):
            rows = warehouse.query(
                f"select document_id, open_amount, days_overdue, bucket from marts.{mart}"
            )
            items = statements.ageing_at(q, kind, D(2026, 2, 28)).items
            assert sorted(
                (
                    i.document_id,
                    i.open_amount,
                    i.days_overdue,
                    i.bucket.replace("not_yet_due", "0-30"),
                )
                for i in items
            ) == sorted(tuple(r) for r in rows)


# ------------------------------------------------------------------------- the API
@pytest.fixture(scope="module")
def published(warehouse, tmp_path_factory) -> tuple[Path, Path]:
    """(a copy of the golden OLTP, the golden warehouse published beside it)."""
    tmp = tmp_path_factory.mktemp("reports")
    oltp = tmp / "oltp.sqlite"
    src, dst = sqlite3.connect(warehouse.url.removeprefix("sqlite:///")), sqlite3.connect(oltp)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    build = tmp / "warehouse.build-golden.duckdb"
    shutil.copyfile(warehouse.work_dir / "warehouse.duckdb", build)
    target = tmp / "warehouse.duckdb"
    publish(build, target, "golden-run", "full", 700, 0, "sqlite")
    return oltp, target


@pytest.fixture
def api(warehouse, published, tmp_path) -> Api:
    """The API over a private copy of the OLTP (tests post to it), reading the published
    golden warehouse; today is 10 March 2026."""
    oltp, target = published
    copy = tmp_path / "oltp.sqlite"
    shutil.copyfile(oltp, copy)
    url = f"sqlite:///{copy}"
    api = make_api(url, dataclasses.replace(warehouse.golden.company, url=url), warehouse=target)
    api.client.app.state.clock = fixed_clock(TODAY)
    return api


def _lines(body) -> dict[str, str]:
    return {line["key"]: line["amount"] for line in body["lines"]}


def test_income_statement_from_to(api):
    body = api.ok("GET", "/reports/income-statement?from=2026-01-01&to=2026-02-28", role="finance")
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-02-28")
    # January 1,270 + February −572 (test_golden_sales_finance.test_income_statement)
    assert _lines(body) == {
        "sales_revenue": "3100.00",  # SI1 3,000 + SI2 100
        "sales_returns": "-200.00",  # SR1
        "other_income": "0.00",
        "net_revenue": "2900.00",
        "cost_of_goods_sold": "-1600.00",  # 1,650 + 60 − 110 returned
        "purchase_price_variance": "-50.00",
        "inventory_adjustments": "-22.00",
        "gross_profit": "1228.00",  # 1,300 − 72
        "freight_out": "-30.00",
        "operating_expenses": "-500.00",
        "other_expenses": "0.00",
        "net_income": "698.00",
    }
    assert body["net_income"] == "698.00"
    opex = next(x for x in body["lines"] if x["key"] == "operating_expenses")
    # each expense account under operating expenses: the rent is sub-account 6110
    assert [(a["code"], a["name"], a["amount"]) for a in opex["accounts"]] == [
        ("6100", "Operating expenses", "0.00"),
        ("6110", "Rent", "-500.00"),
        ("6120", "Salaries", "0.00"),
        ("6130", "Utilities", "0.00"),
    ]
    january = api.ok("GET", "/reports/income-statement?from=2026-01-01&to=2026-01-31")
    assert january["net_income"] == "1270.00"
    # default: 1 January of this year to today
    assert api.ok("GET", "/reports/income-statement")["from"] == "2026-01-01"


def test_balance_sheet_at_a_month_end_and_mid_month(api):
    body = api.ok("GET", "/reports/balance-sheet?as_of=2026-01-31", role="manager")
    assert body["as_of"] == "2026-01-31"
    amounts = {k: v for k, v in _lines(body).items() if v != "0.00"}
    assert amounts == {
        "bank": "5000.00",
        "accounts_receivable": "3600.00",
        "inventory": "910.00",
        "vat_receivable": "210.00",
        "total_assets": "9720.00",
        "accounts_payable": "1260.00",
        "goods_received_not_invoiced": "1560.00",
        "vat_payable": "600.00",
        "accrued_freight": "30.00",
        "total_liabilities": "3450.00",
        "owners_equity": "5000.00",
        "current_earnings": "1270.00",
        "total_equity": "6270.00",
    }
    assert body["balanced"] is True and body["total_liabilities_and_equity"] == "9720.00"
    # 10 February, after SI2 (Feb 5: +110 receivable, −60 stock, +10 VAT, +40 earnings)
    # and SP1 (Feb 10: bank and payables −1,000)
    mid = api.ok("GET", "/reports/balance-sheet?as_of=2026-02-10")
    assert {k: v for k, v in _lines(mid).items() if v != "0.00"} == {
        "bank": "4000.00",
        "accounts_receivable": "3710.00",
        "inventory": "850.00",
        "vat_receivable": "210.00",
        "total_assets": "8770.00",
        "accounts_payable": "260.00",
        "goods_received_not_invoiced": "1560.00",
        "vat_payable": "610.00",
        "accrued_freight": "30.00",
        "total_liabilities": "2460.00",
        "owners_equity": "5000.00",
        "current_earnings": "1310.00",
        "total_equity": "6310.00",
    }
    inventory = next(x for x in mid["lines"] if x["key"] == "inventory")
    assert [(a["code"], a["amount"]) for a in inventory["accounts"]] == [
        ("1200", "850.00"),
        ("1210", "0.00"),
    ]


def test_cash_flow_direct_and_indirect(api):
    direct = api.ok("GET", "/reports/cash-flow?from=2026-02-01&to=2026-02-28")
    assert direct["method"] == "direct"
    assert {k: v for k, v in _lines(direct).items() if v != "0.00"} == {
        "receipts_from_customers": "2100.00",  # CP1; CP2 and its cancellation net out
        "payments_to_suppliers": "-1000.00",
        "operating_expenses_paid": "-500.00",
        "net_cash_from_operating": "600.00",
        "net_change_in_cash": "600.00",
        "opening_cash": "5000.00",
        "closing_cash": "5600.00",
    }
    indirect = api.ok("GET", "/reports/cash-flow?from=2026-02-01&to=2026-02-28&method=indirect")
    assert {k: v for k, v in _lines(indirect).items() if v != "0.00"} == {
        "net_income": "-572.00",
        "change_in_receivables": "2230.00",
        "change_in_inventory": "-28.00",
        "change_in_payables": "-1000.00",
        "change_in_vat_payable": "-30.00",
        "net_cash_from_operating": "600.00",
        "net_change_in_cash": "600.00",
        "opening_cash": "5000.00",
        "closing_cash": "5600.00",
    }
    assert (indirect["opening_cash"], indirect["closing_cash"]) == ("5000.00", "5600.00")


def _ageing(body) -> tuple[list, dict, str]:
    docs = [
        (d["number"], d["open_amount"], d["days_overdue"], d["bucket"]) for d in body["documents"]
    ]
    (party,) = body["parties"]
    return docs, party["buckets"], party["total"]


def test_ar_ageing_now_and_in_the_past(api):
    now = api.ok("GET", "/reports/ar-ageing?as_of=2026-02-28", role="finance")
    assert [b["key"] for b in now["buckets"]] == ["not_yet_due", "0-30", "31-60", "61-90", "90+"]
    docs, buckets, total = _ageing(now)
    assert sorted(docs) == [
        ("CP-2026-00001", "-100.00", 13, "0-30"),  # 2,100 − 2,000 allocated
        ("SI-2026-00001", "1600.00", 32, "31-60"),  # 3,600 − 2,000, due Jan 27
        ("SI-2026-00002", "110.00", 0, "not_yet_due"),  # due Mar 7
        ("SR-2026-00001", "-240.00", 8, "0-30"),  # the credit note
    ]
    assert buckets == {
        "not_yet_due": "110.00",
        "0-30": "-340.00",
        "31-60": "1600.00",
        "61-90": "0.00",
        "90+": "0.00",
    }
    assert total == now["total"] == "1370.00"  # = GL 1100 at Feb 28
    # 31 January: all of SI1 was open, 4 days overdue
    past = api.ok("GET", "/reports/ar-ageing?as_of=2026-01-31")
    assert _ageing(past) == (
        [("SI-2026-00001", "3600.00", 4, "0-30")],
        {"not_yet_due": "0.00", "0-30": "3600.00", "31-60": "0.00", "61-90": "0.00", "90+": "0.00"},
        "3600.00",
    )
    # 16 February: CP2's 50 was open (it was cancelled the next day)
    docs, _, total = _ageing(api.ok("GET", "/reports/ar-ageing?as_of=2026-02-16"))
    assert ("CP-2026-00002", "-50.00", 0, "0-30") in docs and total == "1560.00"
    assert _ageing(api.ok("GET", "/reports/ar-ageing?as_of=2026-02-17"))[2] == "1610.00"
    assert api.ok("GET", "/reports/ar-ageing?as_of=2026-01-01")["parties"] == []


def test_ap_ageing_with_a_bill_not_yet_due(api):
    past = api.ok("GET", "/reports/ap-ageing?as_of=2026-01-31", role="manager")
    # SB1 (1,260, due Feb 24) was not due yet at the end of January
    assert _ageing(past) == (
        [("SB-2026-00001", "1260.00", 0, "not_yet_due")],
        {"not_yet_due": "1260.00", "0-30": "0.00", "31-60": "0.00", "61-90": "0.00", "90+": "0.00"},
        "1260.00",
    )
    assert past["parties"][0]["code"] == "S1" and past["party_kind"] == "supplier"
    docs, buckets, total = _ageing(api.ok("GET", "/reports/ap-ageing?as_of=2026-02-28"))
    assert sorted(docs) == [
        ("SB-2026-00001", "360.00", 4, "0-30"),  # 1,260 − 900 paid
        ("SP-2026-00001", "-100.00", 18, "0-30"),  # 1,000 − 900 allocated
    ]
    assert total == "260.00"  # = GL 2000


def test_inventory_valuation(api):
    body = api.ok("GET", "/reports/inventory-valuation?as_of=2026-02-28", role="finance")
    assert [
        (i["sku"], i["warehouse_code"], i["in_transit"], i["qty_on_hand"], i["stock_value"])
        for i in body["items"]
    ] == [
        ("GAD-1", "MAIN", False, "10.0000", "300.00"),  # 12 − 2 delivered, @ 30
        ("WID-1", "IN-TRANSIT", True, "8.0000", "88.00"),  # ST1 @ 11
        ("WID-1", "MAIN", False, "50.0000", "550.00"),  # 50 + 10 back − 2 short − 8 out
    ]
    assert body["items"][2]["average_unit_cost"] == "11.000000"
    assert (body["warehouse_value"], body["in_transit_value"], body["stock_value"]) == (
        "850.00",
        "88.00",
        "938.00",
    )
    assert (body["gl_inventory"], body["gl_in_transit"], body["difference"]) == (
        "850.00",
        "88.00",
        "0.00",
    )
    january = api.ok("GET", "/reports/inventory-valuation?as_of=2026-01-31")
    assert january["stock_value"] == january["gl_value"] == "910.00"  # 550 + 360
    # after the snapshot's latest day: the stock of that day
    later = api.ok("GET", "/reports/inventory-valuation?as_of=2026-03-10")
    assert (later["stock_date"], later["stock_value"]) == ("2026-02-28", "938.00")


def test_snapshot_fields_and_stale_after_a_new_posting(api):
    with session_scope(api.url) as s:
        seq = s.execute(select(func.max(Document.change_seq))).scalar_one()
    fresh = api.ok("GET", "/reports/balance-sheet?as_of=2026-02-28")
    snap = fresh["snapshot"]
    assert snap["run_id"] == "golden-run" and snap["mode"] == "full" and snap["checks_passed"]
    assert snap["published_at"].endswith("Z")
    assert snap["document_change_seq"] == seq  # the last document change included
    assert snap["document_changed_at"] == "2026-02-28T12:00:00Z"  # JE rent, posted Feb 28
    assert (snap["data_from"], snap["data_through"]) == ("2026-01-05", "2026-02-28")
    assert (fresh["stale"], fresh["documents_changed_since"], fresh["oltp_change_seq"]) == (
        False,
        0,
        seq,
    )
    rent = {
        "lines": [
            {"account_code": "6110", "debit": "500"},
            {"account_code": "1000", "credit": "500"},
        ]
    }
    # a draft changes nothing the statements show
    draft = api.ok("POST", "/journal-entries", rent, role="finance", key="rent-draft", status=201)
    assert api.ok("GET", "/reports/balance-sheet")["stale"] is False
    api.ok("POST", f"/journal-entries/{draft['id']}/post", role="finance", key="rent-post")
    for path in REPORTS:
        body = api.ok("GET", path)
        assert (body["stale"], body["documents_changed_since"]) == (True, 1), path
        assert body["oltp_change_seq"] > seq
        assert body["snapshot"]["document_change_seq"] == seq
    # the figures are the snapshot's until the next refresh
    assert _lines(api.ok("GET", "/reports/balance-sheet"))["bank"] == "5600.00"


def _state(api: Api, published_file: Path) -> tuple:
    with session_scope(api.url) as s:
        counts = tuple(
            s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Document, JournalLine, AuditLog, IdempotencyKey)
        )
    return counts, hashlib.sha256(published_file.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("query", "field", "rule"),
    [
        ("/reports/balance-sheet?as_of=2026-03-11", "query.as_of", "not_in_future"),
        ("/reports/ar-ageing?as_of=2027-01-01", "query.as_of", "not_in_future"),
        ("/reports/ap-ageing?as_of=2026-03-11", "query.as_of", "not_in_future"),
        ("/reports/inventory-valuation?as_of=2026-03-11", "query.as_of", "not_in_future"),
        ("/reports/income-statement?to=2026-03-11", "query.to", "not_in_future"),
        ("/reports/cash-flow?from=2026-03-01&to=2026-03-11", "query.to", "not_in_future"),
        (
            "/reports/income-statement?from=2026-02-02&to=2026-02-01",
            "query.from",
            "from_not_after_to",
        ),
        ("/reports/cash-flow?from=2026-03-10&to=2026-01-01", "query.from", "from_not_after_to"),
        ("/reports/income-statement?from=2026-03-11", "query.from", "from_not_after_to"),
        ("/reports/cash-flow?method=accrual", "query.method", "literal_error"),
        ("/reports/balance-sheet?as_of=2026-02-30", "query.as_of", "date_from_datetime_parsing"),
        ("/reports/balance-sheet?asof=2026-02-01", "query.asof", "unknown_query_parameter"),
        (
            "/reports/ar-ageing?as_of=2026-02-01&customer_id=1",
            "query.customer_id",
            "unknown_query_parameter",
        ),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(api, published, query, field, rule):
    before = _state(api, published[1])
    r = api.get(query, role="finance")
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert [e["field"] for e in problem["errors"]] == [field], problem
    assert problem["errors"][0]["rule"] == rule
    assert _state(api, published[1]) == before


def test_roles_without_the_right_get_403(api):
    for path in REPORTS:
        for role in ("sales", "purchasing", "warehouse", "planner"):
            r = api.get(path, role=role)
            assert r.status_code == 403, (path, role, r.text)
            assert r.json()["errors"][0]["rule"] == "statements:read"
        for role in ("finance", "manager", "admin"):
            assert api.get(path, role=role).status_code == 200, (path, role)


def test_a_refresh_published_in_between_is_read_by_the_next_request(api, published, tmp_path):
    """Each answer reads one publish: a new file renamed over the old one is what the
    next request reads (its run id), the old one is never held open."""
    before = api.ok("GET", "/reports/ar-ageing?as_of=2026-02-28")["snapshot"]["run_id"]
    build = tmp_path / "warehouse.build-again.duckdb"
    shutil.copyfile(published[1], build)
    target = tmp_path / "again.duckdb"
    shutil.copyfile(published[1], target)
    api.client.app.state.warehouse_path = target
    publish(build, target, "second-run", "incremental", 700, 0, "sqlite")
    after = api.ok("GET", "/reports/ar-ageing?as_of=2026-02-28")
    assert (before, after["snapshot"]["run_id"], after["total"]) == (
        "golden-run",
        "second-run",
        "1370.00",
    )

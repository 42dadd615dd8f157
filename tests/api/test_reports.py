"""The statements API without a usable warehouse: nothing published yet, or a file built
before the report marts existed — a 503 problem that says to run `qm refresh`, for every
report route; the trial balance, read from the OLTP books, answers regardless. (The
figures: tests/dbt/test_golden_reports.py on the golden warehouse.)"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.publish import PUBLISH_LOG_DDL
from tests.api.conftest import make_api

REPORTS = (
    "/reports/income-statement?from=2026-01-01&to=2026-01-05",
    "/reports/balance-sheet?as_of=2026-01-05",
    "/reports/cash-flow?method=indirect",
    "/reports/ar-ageing",
    "/reports/ap-ageing?as_of=2026-01-01",
    "/reports/inventory-valuation",
)


@pytest.mark.parametrize("path", REPORTS)
def test_no_published_warehouse_is_503_saying_to_refresh(sqlite_url, tmp_path, path):
    api = make_api(sqlite_url, warehouse=tmp_path / "nothing-here.duckdb")
    r = api.get(path, role="finance")
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == "urn:quartermaster:problem:warehouse_not_published"
    assert (
        "qm refresh" in problem["detail"] and problem["instance"] == "/api/v1" + path.split("?")[0]
    )
    assert "nothing-here" not in r.text  # the server's paths stay on the server
    # the parameters are still checked first, and the OLTP trial balance needs no warehouse
    assert api.get(path.split("?")[0] + "?as_of=2099-01-01&from=x").status_code == 422
    assert api.get("/reports/trial-balance", role="finance").status_code == 200
    assert not (tmp_path / "nothing-here.duckdb").exists()


def test_a_warehouse_without_the_report_marts_is_503_outdated(sqlite_url, tmp_path):
    old = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(old))
    con.execute("create schema meta")
    con.execute(PUBLISH_LOG_DDL)
    con.execute("insert into meta.publish_log values ('old', now(), 'full', true, 1, 0, 'sqlite')")
    # the snapshot mart as it was before it named the data's dates
    con.execute("create schema marts")
    con.execute("create table marts.warehouse_snapshot as select 7::bigint as document_change_seq")
    con.close()
    api = make_api(sqlite_url, warehouse=old)
    for path in REPORTS:
        r = api.get(path, role="manager")
        assert r.status_code == 503, r.text
        assert r.json()["type"] == "urn:quartermaster:problem:warehouse_outdated"
        assert "qm refresh" in r.json()["detail"]

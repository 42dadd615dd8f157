"""The real dbt project through the real Dagster assets: a full refresh, more documents,
an incremental refresh — and its marts equal a full rebuild's, table by table."""

from __future__ import annotations

import os
from types import SimpleNamespace

import duckdb
import pytest

from pipelines.extract import extract
from pipelines.publish import DBT_PROJECT_DIR, run_dbt
from qm.refresh_commands import refresh
from tests.pipelines.marts import mart_rows
from tests.pipelines.scenario import batch_1, batch_2, batch_3
from transactional.migrate import upgrade

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DBT_PROJECT_DIR / "dbt_project.yml").exists(), reason="dbt_project/ is not there yet"
    ),
]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("real")
    old = os.environ.pop("QM_DBT_PROJECT_DIR", None)  # the repository's dbt_project/
    try:
        url = f"sqlite:///{root / 'qm.sqlite'}"
        upgrade(url)
        company = batch_1(url)
        incremental = root / "incremental.duckdb"
        said: list[str] = []
        # no --full: nothing is published yet, so the first refresh is a full one
        first = refresh(oltp_url=url, warehouse_path=incremental, progress=said.append)
        first["said"] = said
        batch_2(company)
        batch_3(company)
        second = refresh(oltp_url=url, warehouse_path=incremental)
        # the full rebuild to compare with: same extract and models, tests already ran
        rebuilt = root / "full.duckdb"
        extract(url, rebuilt, full=True)
        models = run_dbt(
            ["build", "--exclude", "resource_type:test", "resource_type:unit_test"],
            build_path=rebuilt,
        )
        assert models.success, models.failures[:5]
        yield SimpleNamespace(
            incremental=incremental,
            rebuilt=rebuilt,
            first=first,
            second=second,
            extracted=sum(extract_counts(rebuilt)),
        )
    finally:
        if old is not None:
            os.environ["QM_DBT_PROJECT_DIR"] = old


def extract_counts(path) -> list[int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [n for (n,) in con.execute("SELECT rows_total FROM raw._extract_state").fetchall()]


def test_every_refresh_builds_tests_and_publishes(builds):
    for s in (builds.first, builds.second):
        assert s["success"], s["failures"][:5]
        assert s["tests_failed"] == 0 and s["tests_passed"] > 0 and s["models"] > 0
    assert (builds.first["mode"], builds.second["mode"]) == ("full", "incremental")
    extract_lines = [m for m in builds.first["said"] if "extract: " in m and " into " in m]
    assert (
        len(extract_lines) == 1 and "extract: full (no warehouse published yet)" in extract_lines[0]
    )
    # the incremental run copied only what changed since the first
    assert 0 < builds.second["rows_extracted"] < builds.extracted


def test_incremental_marts_equal_a_full_rebuild(builds):
    incremental, rebuilt = mart_rows(builds.incremental), mart_rows(builds.rebuilt)
    marts = list(incremental)
    assert marts == list(rebuilt)
    for needed in (
        "trial_balance",
        "inventory_turnover_monthly",
        "fct_stock_daily",
        "income_statement_monthly",
        "balance_sheet_monthly",
        "demand_daily",
    ):
        assert needed in marts
    for table in marts:
        assert incremental[table] == rebuilt[table], table
    with duckdb.connect(str(builds.incremental), read_only=True) as a:
        log = a.execute("SELECT mode FROM meta.publish_log ORDER BY published_at").fetchall()
    assert log == [("full",), ("incremental",)]

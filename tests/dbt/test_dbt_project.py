"""The dbt project as a whole: every node builds and passes, docs generate,
dimensions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FEB_END = dt.date(2026, 2, 28)


def test_dbt_build_runs_every_model_and_test(warehouse):
    run = warehouse.build
    assert set(run.statuses) <= {"success", "pass", "no-op"}, run.statuses  # no-op: exposures
    # every model file of the project ran (63 with reorder_rule and its staging model)
    models = list((Path(__file__).parents[2] / "dbt_project" / "models").rglob("*.sql"))
    assert run.count("model") == len(models) >= 63 and run.count("seed") == 9
    assert run.count("unit_test", "pass") == 13  # 8 + cash flow, balance sheet, stock
    # position, supplier performance and open-item movements (docs/marts.md)
    assert run.count("test", "pass") >= 550  # generic + 10 reconciliation tests


def test_dimensions(warehouse):
    assert warehouse.query(
        "select count(*), sum(case when is_transit then 1 else 0 end) from marts.dim_warehouse"
    ) == [(3, 1)]
    assert warehouse.one("select category from marts.dim_item where sku = 'GAD-1'") == ("Gadgets",)
    assert warehouse.one(
        "select statement_line, cash_flow_activity from marts.dim_account "
        "where account_code = '6110'"
    ) == ("operating_expenses", "operating")
    assert warehouse.one('select min("date"), max("date"), count(*) from marts.dim_date') == (
        dt.date(2026, 1, 5),
        FEB_END,
        55,
    )


def test_reorder_rules_and_supply_mode(warehouse):
    rows = warehouse.query(
        "select sku, supply_mode, warehouse_code, reorder_level, "
        "reorder_qty, active from marts.reorder_rule "
        "order by item_id, warehouse_id"
    )
    assert [(r[0], r[1], r[2], float(r[3]), float(r[4]), bool(r[5])) for r in rows] == [
        ("WID-1", "make_to_stock", "MAIN", 40.0, 100.0, True),
        ("WID-1", "make_to_stock", "NORTH", 0.0, 10.0, False),
    ]
    assert warehouse.query("select sku, supply_mode from marts.dim_item order by sku") == [
        ("GAD-1", "make_to_order"),
        ("WID-1", "make_to_stock"),
    ]


def test_docs_generate_writes_a_catalog_of_the_marts(warehouse):
    import json

    from tests.dbt.warehouse import run_dbt

    run_dbt(["docs", "generate", "--no-compile"], warehouse.env, warehouse.work_dir)
    catalog = json.loads((warehouse.work_dir / "target" / "catalog.json").read_text())
    marts = {
        n["metadata"]["name"]
        for n in catalog["nodes"].values()
        if n["metadata"]["schema"] == "marts"
    }
    assert {"fct_stock_daily", "demand_daily", "balance_sheet_monthly", "ar_ageing"} <= marts
    manifest = json.loads((warehouse.work_dir / "target" / "manifest.json").read_text())
    assert {e["name"] for e in manifest["exposures"].values()} == {
        "overview",
        "inventory",
        "sales",
        "purchasing",
        "planning",
        "finance",
        "reports_api",
    }

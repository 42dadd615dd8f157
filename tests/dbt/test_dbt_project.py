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
    # generic tests (one row_rules per staging and intermediate model, the set rules:
    # unique, relationships) + 10 reconciliation tests; the marts' row rules are
    # constraints of their contracts (test_marts_row_rules_are_constraints)
    assert run.count("test", "pass") >= 260


def _declared_row_rules() -> dict[str, tuple[set[str], int]]:
    """mart -> (columns declared not null, number of check constraints) of its yml."""
    import yaml

    out = {}
    for path in (Path(__file__).parents[2] / "dbt_project" / "models" / "marts").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            not_null, checks = set(), 0
            for con in model.get("constraints", []):
                checks += con["type"] == "check"
            for col in model["columns"]:
                for con in col.get("constraints", []):
                    if con["type"] == "not_null":
                        not_null.add(col["name"])
                    checks += con["type"] == "check"
            out[model["name"]] = (not_null, checks)
    return out


def test_marts_row_rules_are_constraints(warehouse):
    """Every not-null column and check of the marts' contracts is a constraint of the
    built table (so a row breaking one fails the build of its model)."""
    declared = _declared_row_rules()
    assert sum(len(n) for n, _ in declared.values()) >= 230
    assert sum(c for _, c in declared.values()) >= 40
    if warehouse.engine == "duckdb":
        not_null = warehouse.query(
            "select table_name, unnest(constraint_column_names) from duckdb_constraints() "
            "where schema_name = 'marts' and constraint_type = 'NOT NULL'"
        )
        checks = warehouse.query(
            "select table_name, count(*) from duckdb_constraints() "
            "where schema_name = 'marts' and constraint_type = 'CHECK' group by 1"
        )
    else:
        not_null = warehouse.query(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and is_nullable = 'NO'"
        )
        checks = warehouse.query(
            "select c.relname, count(*) from pg_constraint k "
            "join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'marts' and k.contype = 'c' group by 1"
        )
    built_not_null: dict[str, set[str]] = {}
    for table, column in not_null:
        built_not_null.setdefault(table, set()).add(column)
    built_checks = dict(checks)
    for mart, (cols, n_checks) in declared.items():
        assert built_not_null.get(mart, set()) == cols, mart
        assert built_checks.get(mart, 0) == n_checks, mart


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

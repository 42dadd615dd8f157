"""The warehouse's checks are not vacuous: books that disagree fail the reconciliations,
a row breaking a mart's rule fails its model, a staging row breaking a rule fails the
model's row_rules test. This module sorts after the golden ones on purpose: on
PostgreSQL it tampers with the shared golden warehouse's raw schema in place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _tampered_copy(warehouse, sql: str) -> dict[str, str]:
    """DuckDB: a copy of the golden warehouse with `sql` applied; the dbt env to build it.
    Every test's copy has the same path and file name as the others (so dbt's partial
    parse stays valid between them) and the golden file's name (so its catalog name, and
    the staging views that name it, still resolve)."""
    import shutil

    import duckdb

    from tests.dbt.warehouse import duckdb_env

    golden = Path(warehouse.env["QM_DBT_DUCKDB_PATH"])
    copy = warehouse.work_dir / "tampered" / golden.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copy(golden, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute(sql)
    finally:
        con.close()
    return duckdb_env(copy)


@contextmanager
def _tampered(warehouse, sql: str, undo: str) -> Iterator[dict[str, str]]:
    """The dbt env of the golden warehouse with `sql` applied: a copy on DuckDB; on
    PostgreSQL the shared warehouse itself, with `undo` applied afterwards."""
    if warehouse.engine == "duckdb":
        yield _tampered_copy(warehouse, sql)
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(warehouse.url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
        yield warehouse.env
    finally:
        with engine.begin() as conn:
            conn.execute(text(undo))
        engine.dispose()


def test_reconciliations_fail_when_the_books_disagree(warehouse):
    """A balanced journal entry that moves inventory and receivables without documents
    must trip the reconciliations of GL inventory, AR ageing and mart revenue — while the
    trial balance still nets to zero. On PostgreSQL its marts stay rebuilt from the
    tampered rows (the module sorts after the golden ones; the raw rows are removed)."""
    from tests.dbt.warehouse import run_dbt

    entry = "(select min(id) from raw.journal_entry where doc_type = 'goods_receipt')"
    tampering = (
        "insert into raw.journal_line (id, entry_id, account_code, debit, credit, "
        f"rule, customer_id) values (90001, {entry}, '1200', 5, 0, 'x', null), "
        f"(90002, {entry}, '1100', 7, 0, 'x', {warehouse.golden.company.customer}), "
        f"(90003, {entry}, '4000', 0, 7, 'x', null), "
        f"(90004, {entry}, '3000', 0, 5, 'x', null)"
    )
    checks = [
        "assert_gl_inventory_equals_stock_valuation",
        "assert_ageing_equals_control_accounts",
        "assert_sales_margin_equals_journal",
        "assert_trial_balance_nets_to_zero",
        "assert_balance_sheet_balances",
        "assert_net_income_equals_change_in_current_earnings",
        "assert_cash_flow_methods_agree",
    ]
    undo = "delete from raw.journal_line where id between 90001 and 90004"
    with _tampered(warehouse, tampering, undo) as env:
        run = run_dbt(
            [
                "build",
                "--select",
                *[f"+{c}" for c in checks],
                "--exclude",
                "test_type:generic",
                "test_type:unit",
                "--indirect-selection",
                "cautious",
            ],
            env,
            warehouse.work_dir,
            check=False,
        )  # same target: partial parse
    assert run.failed() == set(checks[:3])
    assert run.count("test", "pass") == 4


def test_a_row_breaking_a_marts_rule_fails_its_model(warehouse):
    """The marts' row rules are constraints of their contracts: a journal line with a
    negative debit makes fct_gl_daily's check (debit >= 0) refuse the row, so the model
    fails to build (and its previous table stays) instead of publishing the bad row."""
    from tests.dbt.warehouse import run_dbt

    entry = "(select min(id) from raw.journal_entry)"
    tampering = (
        "insert into raw.journal_line (id, entry_id, account_code, debit, credit, rule) "
        f"values (90101, {entry}, '1000', -1000000, 0, 'x')"
    )
    undo = "delete from raw.journal_line where id = 90101"
    with _tampered(warehouse, tampering, undo) as env:
        run = run_dbt(
            ["run", "--select", "int_gl_lines", "fct_gl_daily"],
            env,
            warehouse.work_dir,
            check=False,
        )
    if warehouse.engine == "postgres":  # int_gl_lines was rebuilt with the bad line
        run_dbt(["run", "--select", "int_gl_lines"], warehouse.env, warehouse.work_dir)
    assert run.failed() == {"fct_gl_daily"}, run.log[-3000:]
    assert "constraint" in run.log.lower()
    before = warehouse.query("select count(*) from marts.fct_gl_daily where debit < 0")
    assert before == [(0,)]


def test_a_row_breaking_a_staging_rule_fails_its_row_rules_test(warehouse):
    """Staging and intermediate models keep their row rules as one `row_rules` test per
    model: a document of an unknown type fails it (and nothing else of the model's own
    tests)."""
    from tests.dbt.warehouse import run_dbt

    first = "(select min(id) from raw.document)"
    (original,) = warehouse.one(f"select doc_type from raw.document where id = {first}")
    tampering = f"update raw.document set doc_type = 'bogus' where id = {first}"
    undo = f"update raw.document set doc_type = '{original}' where id = {first}"
    with _tampered(warehouse, tampering, undo) as env:
        run = run_dbt(
            ["build", "--select", "stg_oltp__document", "--indirect-selection", "cautious"],
            env,
            warehouse.work_dir,
            check=False,
        )
    failed = run.failed()
    assert len(failed) == 1 and next(iter(failed)).startswith("row_rules_stg_oltp__document"), (
        failed
    )
    assert run.count("test", "pass") >= 1  # its unique test still passes

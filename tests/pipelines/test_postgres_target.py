"""The scale-out path from a SQLite OLTP: pipelines/extract_pg.py copies its tables into
PostgreSQL with their types, and dbt builds and tests the marts from that copy.

The whole project's build and tests on PostgreSQL are tests/dbt (the golden warehouse,
extracted PostgreSQL → PostgreSQL); here the trial balance and everything upstream of it
(staging, intermediate, seeds, their tests) are built from the SQLite copy, which is what
this path adds."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, make_url, text

from pipelines.extract_pg import extract_pg
from pipelines.publish import DBT_PROJECT_DIR, run_dbt
from tests.pipelines.scenario import BATCHES_AFTER_FIRST, batch_1
from transactional.migrate import upgrade

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.mark.skipif(
    not (DBT_PROJECT_DIR / "dbt_project.yml").exists(), reason="dbt_project/ is not there yet"
)
def test_dbt_project_builds_and_passes_on_postgres(pg_database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("QM_DBT_PROJECT_DIR", raising=False)
    oltp = f"sqlite:///{tmp_path / 'qm.sqlite'}"
    upgrade(oltp)
    company = batch_1(oltp)
    for batch in BATCHES_AFTER_FIRST:
        batch(company)
    copied = extract_pg(oltp, pg_database_url, schema="raw")
    assert copied["document"] == 17 and copied["app_user"] == 1
    url = make_url(pg_database_url)
    env = {
        "QM_PG_HOST": url.host or "127.0.0.1",
        "QM_PG_PORT": str(url.port or 5432),
        "QM_PG_USER": url.username or "postgres",
        "QM_PG_PASSWORD": url.password or "",
        "QM_PG_DBNAME": url.database,
        "QM_PG_SCHEMA": "qm",
    }
    summary = run_dbt(
        ["build", "--select", "+trial_balance", "--indirect-selection", "cautious"],
        target="postgres",
        extra_env=env,
    )
    assert summary.success, summary.failures[:10]
    assert summary.tests_failed == 0 and summary.tests_passed > 0 and summary.models > 0
    engine = create_engine(pg_database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        # types kept: money stays NUMERIC(18,2) in the raw schema on PostgreSQL too
        assert conn.execute(
            text(
                "SELECT numeric_precision, numeric_scale FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = 'document' "
                "AND column_name = 'gross_total'"
            )
        ).one() == (18, 2)
        assert conn.execute(text("SELECT count(*) FROM marts.trial_balance")).scalar_one() > 0
    engine.dispose()

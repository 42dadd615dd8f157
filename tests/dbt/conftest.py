"""The golden warehouse, built once per engine and session (every module shares it):
the golden company posted through the service layer, extracted into `raw`, then
`dbt build` (models, seeds, data and unit tests, reconciliations) on DuckDB and on
PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, text

from pipelines.extract import extract
from pipelines.extract_pg import extract_pg
from tests.conftest import PG_ADMIN_URL, pg_skip_or_fail
from tests.dbt.golden import Golden, build_golden
from tests.dbt.warehouse import DbtRun, duckdb_env, postgres_env, run_dbt
from transactional.migrate import upgrade


@dataclass
class Warehouse:
    """A built golden warehouse: the company's ids, the dbt run, and a query function
    returning rows as tuples (Decimal, date, bool as the engine gives them)."""

    engine: str
    golden: Golden
    build: DbtRun
    query: Callable[[str], list[tuple]]
    work_dir: Path
    env: dict[str, str]
    url: str  # the OLTP (SQLite) or the PostgreSQL database holding raw and marts

    def one(self, sql: str) -> tuple:
        rows = self.query(sql)
        assert len(rows) == 1, f"{len(rows)} rows for {sql}"
        return rows[0]


def _duckdb_warehouse(tmp: Path) -> Warehouse:
    url = f"sqlite:///{tmp / 'oltp.sqlite'}"
    upgrade(url)
    golden = build_golden(url)
    path = tmp / "warehouse.duckdb"
    extract(url, path, full=True)
    env = duckdb_env(path)
    build = run_dbt(["build"], env, tmp)

    def query(sql: str) -> list[tuple]:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return Warehouse("duckdb", golden, build, query, tmp, env, url)


@pytest.fixture(
    scope="session", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def warehouse(request, tmp_path_factory) -> Iterator[Warehouse]:
    """The golden warehouse on DuckDB, then on PostgreSQL (a throwaway database whose
    public schema holds the OLTP and whose schema raw its copy)."""
    tmp = tmp_path_factory.mktemp(f"dbt_{request.param}")
    if request.param == "duckdb":
        yield _duckdb_warehouse(tmp)
        return
    pg_skip_or_fail()
    name = f"qm_dbt_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = None
    try:
        upgrade(url)
        golden = build_golden(url)
        extract_pg(url, url)  # the OLTP's tables → schema raw of the same database
        env = postgres_env(url)
        build = run_dbt(["build"], env, tmp)
        engine = create_engine(url)

        def query(sql: str) -> list[tuple]:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]

        yield Warehouse("postgres", golden, build, query, tmp, env, url)
    finally:
        if engine is not None:
            engine.dispose()
        from transactional.db import _factory

        _factory.cache_clear()  # pooled OLTP connections hold the database open
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Copy the OLTP tables into a PostgreSQL schema `raw` (the dbt `postgres` target).

The scale-out path: the same dbt project builds on PostgreSQL when a business outgrows
one DuckDB file. This loader is deliberately simple — a full copy per call, one
consistent OLTP snapshot (the same reader as pipelines/extract.py), rows streamed with
COPY — and keeps the OLTP column names and NUMERIC(p,s)/DATE/TIMESTAMP types.
"""

from __future__ import annotations

import time

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from pipelines.extract import TABLES, _Source, columns_of, normalize_url, sql_type


def pg_type(column) -> str:
    """PostgreSQL type of a model column (NUMERIC precision/scale kept)."""
    return sql_type(column, decimal="NUMERIC", text_type="TEXT")


def _cell(value, typ: str):
    # SQLite hands back 0/1 for booleans; PostgreSQL's COPY wants t/f for BOOLEAN
    if typ == "BOOLEAN" and isinstance(value, int) and not isinstance(value, bool):
        return bool(value)
    return value


def extract_pg(oltp_url: str, pg_url: str, schema: str = "raw", progress=None) -> dict[str, int]:
    """Replace schema `schema` of the PostgreSQL database at `pg_url` with a copy of every
    raw table of the OLTP at `oltp_url`. Returns rows copied per table."""
    say = progress or (lambda _msg: None)
    source = _Source(oltp_url)
    engine = create_engine(normalize_url(pg_url), poolclass=NullPool)
    copied: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            cur = conn.connection.driver_connection.cursor()
            for table in TABLES:
                t0 = time.perf_counter()
                source.check_columns(table)
                cols = columns_of(table)
                types = [pg_type(c) for c in cols]
                ddl = ", ".join(f'"{c.name}" {t}' for c, t in zip(cols, types, strict=True))
                conn.execute(text(f'CREATE TABLE "{schema}"."{table}" ({ddl})'))
                names = ", ".join(f'"{c.name}"' for c in cols)
                n = 0
                with cur.copy(f'COPY "{schema}"."{table}" ({names}) FROM STDIN') as copy:
                    for chunk in source.chunks(source.select_sql(table), [c.name for c in cols]):
                        columns = [chunk.column(i).to_pylist() for i in range(len(cols))]
                        for row in zip(*columns, strict=True):
                            copy.write_row([_cell(v, t) for v, t in zip(row, types, strict=True)])
                        n += chunk.num_rows
                copied[table] = n
                say(
                    f"extract_pg {table:<16} {n:>9} rows  "
                    f"{n / max(time.perf_counter() - t0, 1e-6):>10,.0f} rows/s"
                )
    finally:
        source.close()
        engine.dispose()
    return copied

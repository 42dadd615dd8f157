"""Copy the OLTP tables into the DuckDB schema `raw` (docs/marts.md), full or incremental.

One consistent snapshot of the OLTP is read (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite), in chunks of driver tuples → Arrow → DuckDB, and the DuckDB side
is written in one transaction, so a failed extract leaves the previous raw tables intact.
Column types come from the SQLAlchemy models, so DECIMAL(18,2/4/6), DATE and TIMESTAMP
are the OLTP's own (SQLite hands back floats and ISO strings; DuckDB casts them exactly).

Incremental: append-only tables by `id` above the cursor minus a look-back (ids taken by
a transaction that committed late are still picked up; rows already present are
skipped); `document` and the lines of every re-extracted document by `change_seq` above
the cursor minus a look-back, merged on id (delete + insert); deleted drafts are removed
by an id anti-join; master tables are copied whole. Cursors live in `raw._extract_state`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    Numeric,
    Table,
    create_engine,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from transactional.models import Base

MASTER_TABLES = (
    "account",
    "item",
    "warehouse",
    "customer",
    "supplier",
    "supplier_item",
    "reorder_rule",
    "carrier",
    "app_user",
    "stock_balance",
)
APPEND_ONLY_TABLES = (
    "stock_ledger",
    "journal_entry",
    "journal_line",
    "audit_log",
    "planner_decision",
)
CHANGED_TABLES = ("document", "document_line")
TABLES = MASTER_TABLES + CHANGED_TABLES + APPEND_ONLY_TABLES
EXCLUDED_COLUMNS = {"app_user": {"password_hash"}}
CHANGE_SEQ_LOOKBACK = 10_000  # change_seq values a late-committing writer may still hold
ID_LOOKBACK = 10_000  # same for sequence ids of the append-only tables
CHUNK_ROWS = 50_000
STATE_TABLE = "raw._extract_state"


def normalize_url(url: str) -> str:
    """SQLAlchemy URL with the psycopg 3 driver for plain `postgresql://` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def url_kind(url: str) -> str:
    """'sqlite' or 'postgresql' (the `oltp_url_kind` of meta.publish_log)."""
    return make_url(normalize_url(url)).get_backend_name()


def columns_of(table: str) -> list:
    """The model's columns of `table`, minus the ones the warehouse must not see."""
    skip = EXCLUDED_COLUMNS.get(table, set())
    t: Table = Base.metadata.tables[table]
    return [c for c in t.columns if c.name not in skip]


def duckdb_type(column) -> str:
    """DuckDB type of a model column (DECIMAL precision/scale kept)."""
    return sql_type(column)


def sql_type(column, *, decimal: str = "DECIMAL", text_type: str = "VARCHAR") -> str:
    """The warehouse type of a model column; `decimal` and `text_type` name the engine's
    spelling (DuckDB: DECIMAL/VARCHAR, PostgreSQL: NUMERIC/TEXT)."""
    typ = column.type
    if isinstance(typ, Boolean):
        return "BOOLEAN"
    if isinstance(typ, BigInteger):
        return "BIGINT"
    if isinstance(typ, Integer):
        return "INTEGER"
    if isinstance(typ, Numeric):
        return f"{decimal}({typ.precision or 18},{typ.scale or 0})"
    if isinstance(typ, DateTime):
        return "TIMESTAMP"
    if isinstance(typ, Date):
        return "DATE"
    return text_type  # String, Text, JSON (kept as its JSON text)


def _q(name: str) -> str:
    return f'"{name}"'


class _Source:
    """A read-only snapshot of the OLTP yielding chunks of rows as Arrow tables."""

    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.kind = url_kind(self.url)
        self.engine = create_engine(self.url, poolclass=NullPool)
        self.raw = self.engine.raw_connection()
        self.conn = self.raw.driver_connection
        if self.kind == "sqlite":
            self.conn.isolation_level = None
            self.conn.execute("BEGIN")  # deferred: a WAL read snapshot, no write lock
        else:
            from psycopg import IsolationLevel

            self.conn.isolation_level = IsolationLevel.REPEATABLE_READ
            self.conn.read_only = True
        self._n = 0

    def check_columns(self, table: str) -> None:
        """Fail clearly on a schema behind the models (SQLite would otherwise read a
        missing double-quoted column as a string literal)."""
        cur = self.conn.cursor()
        cur.execute(f"SELECT * FROM {_q(table)} WHERE 1 = 0")
        present = {d[0] for d in cur.description}
        cur.close()
        missing = [c.name for c in columns_of(table) if c.name not in present]
        if missing:
            raise RuntimeError(
                f"OLTP table {table} lacks columns {missing}: run `qm db upgrade` on {self.kind}"
            )

    def select_sql(self, table: str, where: str = "") -> str:
        exprs = []
        for c in columns_of(table):
            if isinstance(c.type, JSON) and self.kind == "postgresql":
                exprs.append(f"CAST({_q(c.name)} AS TEXT)")  # keep the JSON text as-is
            else:
                exprs.append(_q(c.name))
        return f"SELECT {', '.join(exprs)} FROM {_q(table)}" + (f" WHERE {where}" if where else "")

    def scalar(self, sql: str):
        cur = self.conn.cursor()
        cur.execute(sql)
        value = cur.fetchone()[0]
        cur.close()
        return value

    def chunks(self, sql: str, names: list[str]):
        """Yield Arrow tables of at most CHUNK_ROWS rows (server-side cursor on PostgreSQL)."""
        if self.kind == "postgresql":
            self._n += 1
            cur = self.conn.cursor(name=f"qm_extract_{self._n}")
            cur.itersize = CHUNK_ROWS
        else:
            cur = self.conn.cursor()
        cur.execute(sql)
        while True:
            rows = cur.fetchmany(CHUNK_ROWS)
            if not rows:
                break
            cols = list(zip(*rows, strict=True))
            yield pa.table({n: _array(v) for n, v in zip(names, cols, strict=True)})
        cur.close()

    def close(self) -> None:
        try:
            self.conn.rollback()
        finally:
            self.raw.close()
            self.engine.dispose()


def _array(values) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        # SQLite may mix ints, floats and strings in one column; DuckDB casts the text
        return pa.array([None if v is None else str(v) for v in values], pa.string())


class _Target:
    """The DuckDB side: typed raw tables, chunk inserts with casts, cursors."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def create(self, table: str) -> None:
        cols = ", ".join(f"{_q(c.name)} {duckdb_type(c)}" for c in columns_of(table))
        self.con.execute(f"CREATE OR REPLACE TABLE raw.{_q(table)} ({cols})")

    def insert(self, table: str, chunks, skip_existing_above: int | None = None) -> int:
        cols = columns_of(table)
        names = ", ".join(_q(c.name) for c in cols)
        casts = ", ".join(f"CAST({_q(c.name)} AS {duckdb_type(c)})" for c in cols)
        where = ""
        if skip_existing_above is not None:  # append-only look-back: keep rows once
            where = (
                f" WHERE id NOT IN (SELECT id FROM raw.{_q(table)} "
                f"WHERE id > {int(skip_existing_above)})"
            )
        n = 0
        for chunk in chunks:
            self.con.register("_qm_chunk", chunk)
            before = self.count(table)
            self.con.execute(
                f"INSERT INTO raw.{_q(table)} ({names}) SELECT {casts} FROM _qm_chunk{where}"
            )
            n += self.count(table) - before
            self.con.unregister("_qm_chunk")
        return n

    def count(self, table: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM raw.{_q(table)}").fetchone()[0]

    def state(self) -> dict[str, tuple[int, str]]:
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (table_name VARCHAR, "
            "cursor BIGINT, source VARCHAR, rows_total BIGINT, "
            "mode VARCHAR, extracted_at TIMESTAMP)"
        )
        rows = self.con.execute(f"SELECT table_name, cursor, source FROM {STATE_TABLE}")
        return {t: (c, s) for t, c, s in rows.fetchall()}

    def save_state(self, table: str, cursor: int, source: str, mode: str) -> None:
        self.con.execute(f"DELETE FROM {STATE_TABLE} WHERE table_name = ?", [table])
        self.con.execute(
            f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
            [
                table,
                cursor,
                source,
                self.count(table),
                mode,
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
            ],
        )


def _source_id(url: str) -> str:
    """A fingerprint of the OLTP (no password in the warehouse): another source = full."""
    u = make_url(normalize_url(url))
    ident = f"{u.get_backend_name()}|{u.host}|{u.port}|{u.database}"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def extract(
    oltp_url: str,
    duckdb_path: str | Path,
    full: bool = False,
    progress=None,
    lookback: int | None = None,
) -> dict[str, int]:
    """Copy every raw table from the OLTP at `oltp_url` into `duckdb_path`, schema `raw`.

    Returns rows copied per table this run. `full=True` (or no/foreign cursor state)
    rebuilds every table; otherwise only new and changed rows are copied. `progress`
    is an optional callable receiving one line per table. `lookback` overrides both
    look-backs (tests use small ones to exercise the incremental paths).
    """
    say = progress or (lambda _msg: None)
    source = _Source(oltp_url)
    con = duckdb.connect(str(duckdb_path))
    src_id = _source_id(oltp_url)
    copied: dict[str, int] = {}
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("BEGIN TRANSACTION")
        target = _Target(con)
        state = target.state()
        for table in TABLES:
            t0 = time.perf_counter()
            prev = state.get(table)
            incremental = not full and prev is not None and prev[1] == src_id
            source.check_columns(table)
            names = [c.name for c in columns_of(table)]
            if table in MASTER_TABLES or not incremental:
                target.create(table)
                n = target.insert(table, source.chunks(source.select_sql(table), names))
                mode = "full"
            elif table in APPEND_ONLY_TABLES:
                floor = max(prev[0] - (ID_LOOKBACK if lookback is None else lookback), 0)
                n = target.insert(
                    table,
                    source.chunks(source.select_sql(table, f"id > {floor}"), names),
                    skip_existing_above=floor,
                )
                mode = "incremental"
            else:
                n = _merge_changed(
                    source,
                    target,
                    table,
                    names,
                    prev[0],
                    CHANGE_SEQ_LOOKBACK if lookback is None else lookback,
                )
                mode = "incremental"
            cursor_col = "change_seq" if table in CHANGED_TABLES else "id"
            cursor = 0
            if table not in MASTER_TABLES:
                cursor = con.execute(
                    f"SELECT coalesce(max({cursor_col}), 0) FROM raw.{_q(table)}"
                ).fetchone()[0]
            target.save_state(table, int(cursor), src_id, mode)
            copied[table] = n
            rate = n / max(time.perf_counter() - t0, 1e-6)
            say(f"extract {table:<16} {mode:<11} {n:>9} rows  {rate:>10,.0f} rows/s")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.close()
        source.close()
    return copied


def _merge_changed(
    source: _Source, target: _Target, table: str, names: list[str], cursor: int, lookback: int
) -> int:
    """Re-extract documents (and all lines of those documents) changed after the cursor
    minus the look-back; delete + insert on id; drop documents deleted in the OLTP."""
    con = target.con
    floor = max(cursor - lookback, 0)
    if table == "document":
        # deleted drafts: every OLTP id in one column, anti-joined in DuckDB
        ids = pa.concat_tables(
            list(source.chunks("SELECT id FROM document", ["id"]))
            or [pa.table({"id": pa.array([], pa.int64())})]
        )
        con.register("_qm_ids", ids)
        con.execute("DELETE FROM raw.document WHERE id NOT IN (SELECT id FROM _qm_ids)")
        con.unregister("_qm_ids")
        chunks = list(source.chunks(source.select_sql(table, f"change_seq > {floor}"), names))
        fresh = pa.concat_tables([c.select(["id"]) for c in chunks]) if chunks else None
        if fresh is not None:
            con.register("_qm_fresh", fresh)
            con.execute("DELETE FROM raw.document WHERE id IN (SELECT id FROM _qm_fresh)")
            con.unregister("_qm_fresh")
        return target.insert(table, iter(chunks))
    # lines: every line of a re-extracted (or deleted) document is replaced, so lines
    # removed from a draft disappear too; raw.document is already merged from the same
    # snapshot, so its change_seq says which documents were re-extracted
    con.execute(
        "DELETE FROM raw.document_line WHERE document_id NOT IN "
        f"(SELECT id FROM raw.document) OR document_id IN "
        f"(SELECT id FROM raw.document WHERE change_seq > {floor})"
    )
    where = f"document_id IN (SELECT id FROM document WHERE change_seq > {floor})"
    return target.insert(table, source.chunks(source.select_sql(table, where), names))

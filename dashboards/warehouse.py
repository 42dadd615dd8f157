"""Read the published warehouse: one short-lived, read-only DuckDB connection per query.

A refresh publishes a new file by atomic rename (docs/marts.md); holding a connection
across that would pin the old file (or block the writer on other platforms), so nothing
here keeps a connection open. No Streamlit in this module: the `qm statements` CLI uses
it too. Caching lives in dashboards/ui.py, keyed on the publish run id.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from transactional.config import settings, warehouse_path


def path_of(path: str | Path | None = None) -> Path:
    """The warehouse file: the argument, else QM_WAREHOUSE_PATH (default data/...)."""
    return Path(path) if path else warehouse_path()


def planning_path(path: str | Path | None = None) -> Path:
    """Planning's output file: QM_PLANNING_PATH, else planning.duckdb beside the warehouse
    (planning writes it on its own schedule, so it is not inside the published file)."""
    env = settings().planning_path
    return Path(env) if env else path_of(path).resolve().parent / "planning.duckdb"


def _connect(path: str | Path | None, with_planning: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path_of(path)), read_only=True)
    plan = planning_path(path)
    if with_planning and plan.exists():
        inside = con.execute(
            "select count(*) from information_schema.schemata where "
            "schema_name = 'planning' and catalog_name = current_database()"
        ).fetchone()[0]
        if not inside:  # `planning.<table>` then names the attached file's tables
            quoted = str(plan).replace("'", "''")
            con.execute(f"attach '{quoted}' as planning (read_only)")
    return con


def query(
    sql: str, params: list | tuple | None = None, path: str | Path | None = None
) -> pd.DataFrame:
    """Run one query on the published warehouse (planning's file attached as `planning`
    when the query names it) and return a DataFrame."""
    con = _connect(path, "planning." in sql or "information_schema" in sql)
    try:
        return con.execute(sql, list(params or [])).df()
    finally:
        con.close()


@contextmanager
def reader(path: str | Path | None = None) -> Iterator[Callable[..., pd.DataFrame]]:
    """A query function over one read-only connection, for reads that must all see the
    same publish (a statement and the snapshot it names): a refresh renames a new file
    in, but a connection opened before reads the old one to the end. Raises
    FileNotFoundError when nothing is published at the path."""
    file = path_of(path)
    if not file.is_file():
        raise FileNotFoundError(str(file))
    con = duckdb.connect(str(file), read_only=True)

    def q(sql: str, params: list | tuple | None = None) -> pd.DataFrame:
        return con.execute(sql, list(params or [])).df()

    try:
        yield q
    finally:
        con.close()


def file_stamp(path: str | Path | None = None) -> tuple[int, int] | None:
    """(inode, mtime_ns) of the published file, or None when there is none yet; a publish
    (rename) always changes it, so it is a cheap 'has a refresh landed?' probe."""
    return _stamp(path_of(path))


def planning_stamp(path: str | Path | None = None) -> tuple[int, int] | None:
    """The same probe for planning's file (a planning run replaces it)."""
    return _stamp(planning_path(path))


def _stamp(file: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(file)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def latest_publish(path: str | Path | None = None) -> dict[str, Any] | None:
    """The newest row of meta.publish_log (freshness), or None when the file or log is
    missing."""
    if file_stamp(path) is None:
        return None
    try:
        frame = query(
            "select * from meta.publish_log order by published_at desc limit 1", path=path
        )
    except duckdb.Error:
        return None
    if frame.empty:
        return None
    return {k: (None if pd.isna(v) else v) for k, v in frame.iloc[0].to_dict().items()}


def tables(path: str | Path | None = None) -> frozenset[str]:
    """Every 'schema.table' in the published file (to tell 'planning has not run')."""
    frame = query(
        "select case when table_catalog = 'planning' then 'planning' else "
        "table_schema end || '.' || table_name as t from information_schema.tables "
        "where table_catalog = current_database() or table_catalog = 'planning'",
        path=path,
    )
    return frozenset(frame["t"])

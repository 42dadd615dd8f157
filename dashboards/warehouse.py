"""Read the published warehouse: one short-lived, read-only DuckDB connection per query.

A refresh publishes a new file by atomic rename (docs/marts.md); holding a connection
across that would pin the old file (or block the writer on other platforms), so nothing
here keeps a connection open. No Streamlit in this module: the `qm statements` CLI uses
it too. Caching lives in dashboards/ui.py, keyed on the publish run id.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from transactional.config import warehouse_path


def path_of(path: str | Path | None = None) -> Path:
    """The warehouse file: the argument, else QM_WAREHOUSE_PATH (default data/...)."""
    return Path(path) if path else warehouse_path()


def query(sql: str, params: list | tuple | None = None,
          path: str | Path | None = None) -> pd.DataFrame:
    """Run one query on the published warehouse and return a DataFrame."""
    con = duckdb.connect(str(path_of(path)), read_only=True)
    try:
        return con.execute(sql, list(params or [])).df()
    finally:
        con.close()


def file_stamp(path: str | Path | None = None) -> tuple[int, int] | None:
    """(inode, mtime_ns) of the published file, or None when there is none yet; a publish
    (rename) always changes it, so it is a cheap 'has a refresh landed?' probe."""
    try:
        st = os.stat(path_of(path))
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def latest_publish(path: str | Path | None = None) -> dict[str, Any] | None:
    """The newest row of meta.publish_log (freshness), or None when the file or log is
    missing."""
    if file_stamp(path) is None:
        return None
    try:
        frame = query("select * from meta.publish_log order by published_at desc limit 1",
                      path=path)
    except duckdb.Error:
        return None
    if frame.empty:
        return None
    return {k: (None if pd.isna(v) else v) for k, v in frame.iloc[0].to_dict().items()}


def tables(path: str | Path | None = None) -> frozenset[str]:
    """Every 'schema.table' in the published file (to tell 'planning has not run')."""
    frame = query("select table_schema || '.' || table_name as t "
                  "from information_schema.tables", path=path)
    return frozenset(frame["t"])


def columns(table: str, path: str | Path | None = None) -> tuple[str, ...]:
    """Column names of 'schema.table' in order (empty when the table is missing)."""
    schema, name = table.split(".", 1)
    frame = query("select column_name from information_schema.columns where "
                  "table_schema = ? and table_name = ? order by ordinal_position",
                  [schema, name], path=path)
    return tuple(frame["column_name"])

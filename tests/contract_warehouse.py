"""A published warehouse written by hand: every mart as an empty table shaped by its dbt
contract (the column names and types of `dbt_project/models/marts/**/*.yml`), the rows a
test gives, and a `meta.publish_log` row — no extract, no dbt build (milliseconds instead
of a minute). For tests whose figures are computed by hand from a few rows (statements,
the Finance page's dates) and for routes that only need a published file to read (the
route × role matrix). A mart whose contract changes changes here too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from pipelines.publish import PUBLISH_LOG_DDL

MARTS = Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts"


@cache
def mart_contracts() -> dict[str, tuple[tuple[str, str], ...]]:
    """mart name -> ((column, data_type), …) of every contracted mart."""
    out = {}
    for path in sorted(MARTS.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            columns = tuple((c["name"], c["data_type"]) for c in model.get("columns", []))
            if columns and all(t for _, t in columns):
                out[model["name"]] = columns
    return out


def contract_warehouse(
    path: Path,
    rows: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    run_id: str = "hand-made",
    published_at: dt.datetime = dt.datetime(2026, 3, 1, 6, 0),
) -> Path:
    """Write the warehouse at `path` (replacing it): every mart empty but for `rows`
    (mart -> row dicts, missing columns null), and one publish_log row."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute("create schema meta")
        con.execute(PUBLISH_LOG_DDL)
        con.execute(
            "insert into meta.publish_log values (?, ?, 'full', true, 1, 0, 'sqlite')",
            [run_id, published_at],
        )
        contracts = mart_contracts()
        for name, columns in contracts.items():
            cols = ", ".join(f'"{c}" {t}' for c, t in columns)
            con.execute(f"create table marts.{name} ({cols})")
        for name, records in (rows or {}).items():
            names = [c for c, _ in contracts[name]]
            for rec in records:
                unknown = set(rec) - set(names)
                assert not unknown, f"{name} has no column {sorted(unknown)}"
                con.execute(
                    f"insert into marts.{name} values ({', '.join('?' * len(names))})",
                    [rec.get(c) for c in names],
                )
    finally:
        con.close()
    return path

"""The rows of a published warehouse's marts, for comparing two builds table by table."""

from __future__ import annotations

from pathlib import Path

import duckdb


def mart_rows(path: str | Path) -> dict[str, list[tuple]]:
    """Mart name → its rows in a canonical order (sorted by repr: nulls sort too)."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        return {
            n: sorted(con.execute(f'SELECT * FROM marts."{n}"').fetchall(), key=repr) for n in names
        }

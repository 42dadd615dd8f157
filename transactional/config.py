"""Configuration from environment variables, with safe defaults (DESIGN.md §7)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("QM_DATA_DIR", PROJECT_ROOT / "data"))


def database_url() -> str:
    """The OLTP database URL: `QM_DATABASE_URL`, else a SQLite file under data/."""
    url = os.environ.get("QM_DATABASE_URL")
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA_DIR / 'quartermaster.sqlite'}"


def warehouse_path() -> Path:
    """The published DuckDB warehouse file read by dashboards and planning."""
    return Path(os.environ.get("QM_WAREHOUSE_PATH", DATA_DIR / "warehouse.duckdb"))

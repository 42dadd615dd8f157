"""Database schema management: `qm db upgrade` runs the Alembic migrations, then seeds
the chart of accounts (idempotent)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from transactional.config import database_url
from transactional.db import session_scope

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision` and seed reference data."""
    from transactional.services.master import seed_reference_data

    command.upgrade(alembic_config(url), revision)
    with session_scope(url or database_url()) as session:
        seed_reference_data(session)

"""Migrations from empty on both engines: head creates every model table, downgrade to
base removes them, and upgrading again is clean (what `qm db upgrade` runs)."""

from alembic import command
from sqlalchemy import inspect

from transactional.db import make_engine
from transactional.migrate import alembic_config, upgrade
from transactional.models import Base


def _tables(url):
    engine = make_engine(url)
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    return names


def test_upgrade_downgrade_upgrade(db_url):
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert _tables(db_url) == expected
    command.downgrade(alembic_config(db_url), "base")
    assert _tables(db_url) == set()
    upgrade(db_url)
    upgrade(db_url)  # idempotent
    assert _tables(db_url) == expected


def test_models_and_migrations_agree(sqlite_url):
    """Autogenerate finds nothing to do: the migration matches the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []

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


def test_0002_names_the_item_of_earlier_decisions(db_url):
    """A database at 0001 with a planner decision on a line: upgrading gives the decision
    that line's item; downgrading drops the column again."""
    from sqlalchemy import text

    from tests.core.company import build_company
    command.downgrade(alembic_config(db_url), "0001")
    co = build_company(db_url)
    po = co.draft("purchase_order", {"supplier_id": co.supplier, "warehouse_id": co.wh,
                                     "lines": [{"item_id": co.item2, "qty": "12",
                                                "unit_price": "30.00"}]})
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO planner_decision (document_id, document_line_id, action, "
            "suggested_qty, final_qty, decided_by, decided_at) VALUES "
            "(:d, :l, 'approve', 12, 12, 'planner', '2026-01-05 12:00:00'), "
            "(:d, NULL, 'edit', 12, 10, 'planner', '2026-01-05 12:00:00')"),
            {"d": po.id, "l": po.lines[0].id})
    upgrade(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT document_line_id, item_id FROM planner_decision "
                                 "ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(po.lines[0].id, co.item2), (None, None)]
    command.downgrade(alembic_config(db_url), "0001")
    assert "item_id" not in {c["name"] for c in inspect(engine).get_columns("planner_decision")}
    engine.dispose()

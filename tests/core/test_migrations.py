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

    co = build_company(db_url)  # with today's models, then back to 0001 (rows kept)
    po = co.draft(
        "purchase_order",
        {
            "supplier_id": co.supplier,
            "warehouse_id": co.wh,
            "lines": [{"item_id": co.item2, "qty": "12", "unit_price": "30.00"}],
        },
    )
    command.downgrade(alembic_config(db_url), "0001")
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO planner_decision (document_id, document_line_id, action, "
                "suggested_qty, final_qty, decided_by, decided_at) VALUES "
                "(:d, :l, 'approve', 12, 12, 'planner', '2026-01-05 12:00:00'), "
                "(:d, NULL, 'edit', 12, 10, 'planner', '2026-01-05 12:00:00')"
            ),
            {"d": po.id, "l": po.lines[0].id},
        )
    upgrade(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT document_line_id, item_id FROM planner_decision ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [(po.lines[0].id, co.item2), (None, None)]
    command.downgrade(alembic_config(db_url), "0001")
    assert "item_id" not in {c["name"] for c in inspect(engine).get_columns("planner_decision")}
    engine.dispose()


def test_0003_reorder_rules_and_supply_mode_on_a_database_with_history(db_url):
    """Items and documents at 0002: upgrading gives every item make_to_stock and an empty
    reorder_rule table; downgrading (with rules stored) removes both and keeps the rest."""
    from sqlalchemy import text

    from tests.core.company import build_company
    from transactional.services import create_master

    co = build_company(db_url)
    co.purchase([(co.item, "10", "5.00")])
    co.run(
        lambda ctx: create_master(
            ctx,
            "reorder_rule",
            {"item_id": co.item, "warehouse_id": co.wh, "reorder_level": "5", "reorder_qty": "10"},
        )
    )
    command.downgrade(alembic_config(db_url), "0002")
    engine = make_engine(db_url)
    assert "reorder_rule" not in inspect(engine).get_table_names()
    assert "supply_mode" not in {c["name"] for c in inspect(engine).get_columns("item")}
    upgrade(db_url)
    with engine.connect() as conn:
        modes = conn.execute(text("SELECT supply_mode, count(*) FROM item GROUP BY 1")).all()
        rules = conn.execute(text("SELECT count(*) FROM reorder_rule")).scalar_one()
        lines = conn.execute(text("SELECT count(*) FROM document_line")).scalar_one()
    assert [tuple(r) for r in modes] == [("make_to_stock", 2)] and rules == 0 and lines == 2
    engine.dispose()

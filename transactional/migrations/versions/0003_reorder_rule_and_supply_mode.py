"""reorder rules and the items' supply mode as master data

`reorder_rule`: one per item and warehouse — reorder level and reorder quantity (the
naive reorder rule the demo company's history was generated with, and any company's own
min/max points). `item.supply_mode`: make_to_stock (existing items) or make_to_order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing items are kept in stock (a plain ADD COLUMN on every engine)
    op.add_column(
        "item",
        sa.Column(
            "supply_mode", sa.String(length=20), nullable=False, server_default="make_to_stock"
        ),
    )
    op.create_table(
        "reorder_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("reorder_qty", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "warehouse_id"),
    )


def downgrade() -> None:
    op.drop_table("reorder_rule")
    # a plain DROP COLUMN (SQLite ≥ 3.35 too): a batch copy of `item` would drop the
    # table every document line refers to, which SQLite's foreign keys refuse
    op.execute("ALTER TABLE item DROP COLUMN supply_mode")

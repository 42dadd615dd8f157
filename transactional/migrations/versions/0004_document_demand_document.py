"""make-to-order purchase orders name the sales order they were raised for

`document.demand_document_id`: a draft purchase order raised when a sales order for a
make-to-order item is posted (origin 'mto', services/mto.py) points to that sales order,
so cancelling the order finds its untouched draft and every later order and planning run
counts it as cover. Nullable; existing documents have none.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FK = "fk_document_demand_document_id_document"
INDEX = "ix_document_demand_document_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # a plain ADD COLUMN with an inline reference: a batch copy of `document` would
        # drop the table every document line refers to, which SQLite's foreign keys refuse
        op.execute(
            "ALTER TABLE document ADD COLUMN demand_document_id INTEGER REFERENCES document (id)"
        )
    else:
        op.add_column("document", sa.Column("demand_document_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "document", "document", ["demand_document_id"], ["id"])
    op.create_index(INDEX, "document", ["demand_document_id"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="document")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite ≥ 3.35 drops a column with an inline reference (no table copy)
        op.execute("ALTER TABLE document DROP COLUMN demand_document_id")
    else:
        op.drop_constraint(FK, "document", type_="foreignkey")
        op.drop_column("document", "demand_document_id")

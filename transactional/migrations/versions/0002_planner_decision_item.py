"""planner decisions name their item

An edit of a planning draft rewrites its lines (new line ids) and may drop some, so a
decision names the item it was about; decisions recorded before this revision take the
item of the line they point to.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FK = "fk_planner_decision_item_id_item"


def upgrade() -> None:
    with op.batch_alter_table("planner_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FK, "item", ["item_id"], ["id"])
    op.execute(
        "UPDATE planner_decision SET item_id = (SELECT document_line.item_id "
        "FROM document_line WHERE document_line.id = planner_decision.document_line_id) "
        "WHERE document_line_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("planner_decision", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.drop_column("item_id")

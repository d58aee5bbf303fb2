"""fire ledger: the execution holding a fire

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fire_ledger") as batch_op:
        batch_op.add_column(sa.Column("holder", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fire_ledger") as batch_op:
        batch_op.drop_column("holder")

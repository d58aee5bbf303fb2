"""job definitions: maximum runtime of a run (a dead worker is ended and its fire retried)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_definitions") as batch_op:
        batch_op.add_column(sa.Column("max_runtime_seconds", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_job_definitions_max_runtime_positive"), "max_runtime_seconds > 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("job_definitions") as batch_op:
        batch_op.drop_constraint(op.f("ck_job_definitions_max_runtime_positive"), type_="check")
        batch_op.drop_column("max_runtime_seconds")

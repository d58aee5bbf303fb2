"""schedule state: persisted next-due instant and the fingerprints it was planned with

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedule_state") as batch_op:
        batch_op.add_column(sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("calendar_fp", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("job_fp", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_schedule_state_next_due_at", ["next_due_at"])


def downgrade() -> None:
    with op.batch_alter_table("schedule_state") as batch_op:
        batch_op.drop_index("ix_schedule_state_next_due_at")
        batch_op.drop_column("job_fp")
        batch_op.drop_column("calendar_fp")
        batch_op.drop_column("next_due_at")

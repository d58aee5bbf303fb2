"""job definitions: maximum runtime of a run (a dead worker is ended and its fire retried)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN: a batch (table copy) on SQLite would drop the table's version trigger.
    # Values are checked where they are read (a non-positive one makes the job definition invalid).
    op.add_column("job_definitions", sa.Column("max_runtime_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("job_definitions", "max_runtime_seconds")

"""job definitions: calendar-aware deadline of their data (`close+2h`, `18:30`; NULL: none)

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (a batch table copy on SQLite would drop the table's version trigger); the value is
    # checked where it is read (jobsched.domain.freshness.parse_deadline)
    op.add_column("job_definitions", sa.Column("deadline", sa.String(20), nullable=True))


def downgrade() -> None:
    op.drop_column("job_definitions", "deadline")

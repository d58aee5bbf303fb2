"""schedules: ids are never reused (SQLite AUTOINCREMENT)

A plain SQLite INTEGER PRIMARY KEY hands out max(id)+1, so deleting the newest schedule let the next one
take its id, and Dagster runs tagged jobsched/schedule=<id> mixed two schedules. AUTOINCREMENT keeps the
highest id ever used (sqlite_sequence). The table is rebuilt (batch mode) and its edit trigger recreated.
PostgreSQL needs nothing: an identity/serial sequence never hands out a value twice.

Revision ID: 0005
Revises: 0002
"""

from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

TRIGGER = """
CREATE TRIGGER schedules_bump_version AFTER UPDATE ON schedules
FOR EACH ROW BEGIN
    UPDATE schedules SET version = OLD.version + 1, updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END
"""


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS schedules_bump_version")
    with op.batch_alter_table(
        "schedules", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    op.execute(TRIGGER)


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)

"""Ids are never reused: SQLite tables whose ids leave the process get AUTOINCREMENT

Without it SQLite gives the next insert the id of the newest deleted row: a run in flight
when its monitor was deleted was written to the check of a monitor created next. Each table
is rebuilt with its rows, indexes and constraints; SQLite's sequence starts above the
largest id present (an id deleted before this migration, above every id left, can be given
out once more: nothing remembers it). PostgreSQL's sequences never go back, so nothing
changes there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 03:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = (
    "users",
    "teams",
    "api_tokens",
    "monitors",
    "checks",
    "tags",
    "check_runs",
    "state_changes",
    "findings",
    "downtime_periods",
    "snoozes",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass
    # Batch mode reflects indexes without their WHERE clause: put the partial one back.
    op.drop_index("ix_check_runs_unslotted_started", table_name="check_runs")
    op.create_index(
        "ix_check_runs_unslotted_started", "check_runs", ["started_at"], sqlite_where=sa.text("slot IS NULL")
    )


def downgrade() -> None:
    """AUTOINCREMENT stays: taking it away would let ids be reused again."""

"""Failover gaps: a cursor over state changes, the watched IP's start, backup probe
results, and a monitor's own notification limits

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lookout.store.db import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("d_monitors") as batch:
        batch.add_column(sa.Column("ip_since", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("backup_health", sa.JSON(), nullable=True))
    op.create_index(op.f("ix_d_monitors_monitor_id"), "d_monitors", ["monitor_id"], unique=False)
    op.create_table(
        "failover_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_failover_cursor")),
    )
    op.create_table(
        "monitor_notification_limits",
        sa.Column("monitor_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("max_per_hour", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_monitor_notification_limits_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_id", name=op.f("pk_monitor_notification_limits")),
    )


def downgrade() -> None:
    op.drop_table("monitor_notification_limits")
    op.drop_table("failover_cursor")
    op.drop_index(op.f("ix_d_monitors_monitor_id"), table_name="d_monitors")
    with op.batch_alter_table("d_monitors") as batch:
        batch.drop_column("backup_health")
        batch.drop_column("ip_since")

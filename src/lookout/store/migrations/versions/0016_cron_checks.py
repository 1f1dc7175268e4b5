"""Cron check definitions and their pings

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lookout.store.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, lookout.store.db.UtcDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cron_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("frequency_in_minutes", sa.Integer(), nullable=True),
        sa.Column("grace_time_in_minutes", sa.Integer(), nullable=False),
        sa.Column("cron_expression", sa.String(length=255), nullable=True),
        sa.Column("server_timezone", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reported_status", sa.String(length=16), nullable=False),
        _time("deadline_at"),
        _time("started_at"),
        _time("wake_at"),
        _time("snoozed_until"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("latest_result", sa.String(length=16), nullable=False),
        _time("latest_ping_at"),
        sa.Column("latest_memory", sa.BigInteger(), nullable=True),
        sa.Column("latest_runtime", sa.Float(), nullable=True),
        sa.Column("latest_exit_code", sa.BigInteger(), nullable=True),
        sa.Column("latest_failure_message", sa.String(length=1024), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_cron_checks_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cron_checks")),
        sa.UniqueConstraint("uuid", name=op.f("uq_cron_checks_uuid")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_cron_checks_monitor_id"), "cron_checks", ["monitor_id"], unique=False)
    op.create_index("ix_cron_checks_wake_at", "cron_checks", ["wake_at"], unique=False)
    op.create_table(
        "cron_check_snoozes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cron_check_id", sa.Integer(), nullable=False),
        _time("starts_at", nullable=False),
        _time("ends_at", nullable=False),
        sa.Column("snoozed_by", sa.String(length=255), nullable=True),
        sa.Column("unsnoozed_by", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        _time("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["cron_check_id"],
            ["cron_checks.id"],
            name=op.f("fk_cron_check_snoozes_cron_check_id_cron_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cron_check_snoozes")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_cron_check_snoozes_task_ends", "cron_check_snoozes", ["cron_check_id", "ends_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_cron_check_snoozes_task_ends", table_name="cron_check_snoozes")
    op.drop_table("cron_check_snoozes")
    op.drop_index("ix_cron_checks_wake_at", table_name="cron_checks")
    op.drop_index(op.f("ix_cron_checks_monitor_id"), table_name="cron_checks")
    op.drop_table("cron_checks")

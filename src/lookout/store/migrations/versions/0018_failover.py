"""D-Monitor failover: switch intents, their claims of state changes, callback deliveries

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lookout.store.db import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failover_claims",
        sa.Column("state_change_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("claimed_until", UtcDateTime(), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["state_change_id"],
            ["state_changes.id"],
            name=op.f("fk_failover_claims_state_change_id_state_changes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state_change_id", name=op.f("pk_failover_claims")),
    )
    op.create_table(
        "failover_switches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("d_monitor_id", sa.Integer(), nullable=False),
        sa.Column("edits", sa.JSON(), nullable=False),
        sa.Column("new_state", sa.JSON(), nullable=False),
        sa.Column("log", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=1024), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("applied_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["d_monitor_id"],
            ["d_monitors.id"],
            name=op.f("fk_failover_switches_d_monitor_id_d_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failover_switches")),
    )
    op.create_index(
        "ix_failover_switches_monitor_status", "failover_switches", ["d_monitor_id", "status"], unique=False
    )
    op.create_table(
        "failover_callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("d_monitor_id", sa.Integer(), nullable=False),
        sa.Column("state_change_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["d_monitor_id"],
            ["d_monitors.id"],
            name=op.f("fk_failover_callbacks_d_monitor_id_d_monitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["state_change_id"],
            ["state_changes.id"],
            name=op.f("fk_failover_callbacks_state_change_id_state_changes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failover_callbacks")),
    )
    op.create_index(
        "ix_failover_callbacks_status_due", "failover_callbacks", ["status", "due_at"], unique=False
    )
    op.create_index(
        "ix_failover_callbacks_d_monitor_id", "failover_callbacks", ["d_monitor_id"], unique=False
    )
    op.create_table(
        "failover_callback_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callback_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["callback_id"],
            ["failover_callbacks.id"],
            name=op.f("fk_failover_callback_attempts_callback_id_failover_callbacks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failover_callback_attempts")),
    )
    op.create_index(
        op.f("ix_failover_callback_attempts_callback_id"),
        "failover_callback_attempts",
        ["callback_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("failover_callback_attempts")
    op.drop_table("failover_callbacks")
    op.drop_table("failover_switches")
    op.drop_table("failover_claims")

"""Storage bounded per check: successful runs in a ring of slots, minute rollups

A successful run takes a slot of its check's ring (check_id, slot) and replaces the run
that had it; runs without a slot age out after the retention. Existing runs keep no slot
and age out as before. Minute rollups replace raw runs as the source of minute metrics.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_check_runs_check_id"), ["check_id", "slot"])
        batch_op.drop_index("ix_check_runs_started_at")
    op.create_index(
        "ix_check_runs_unslotted_started",
        "check_runs",
        ["started_at"],
        sqlite_where=sa.text("slot IS NULL"),
        postgresql_where=sa.text("slot IS NULL"),
    )
    with op.batch_alter_table("check_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("success_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("check_states", schema=None) as batch_op:
        batch_op.alter_column("success_count", server_default=None, existing_type=sa.Integer())
    op.create_table(
        "minute_rollups",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failed_runs", sa.Integer(), nullable=False),
        sa.Column("timed_runs", sa.Integer(), nullable=False),
        sa.Column("sum_total_ms", sa.Float(), nullable=False),
        sa.Column("min_total_ms", sa.Float(), nullable=True),
        sa.Column("max_total_ms", sa.Float(), nullable=True),
        sa.Column("sum_dns_ms", sa.Float(), nullable=False),
        sa.Column("sum_connect_ms", sa.Float(), nullable=False),
        sa.Column("sum_tls_ms", sa.Float(), nullable=False),
        sa.Column("sum_first_byte_ms", sa.Float(), nullable=False),
        sa.Column("sum_download_ms", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_minute_rollups_check_id_checks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("check_id", "minute", name=op.f("pk_minute_rollups")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("minute_rollups")
    with op.batch_alter_table("check_states", schema=None) as batch_op:
        batch_op.drop_column("success_count")
    op.drop_index("ix_check_runs_unslotted_started", table_name="check_runs")
    with op.batch_alter_table("check_runs", schema=None) as batch_op:
        batch_op.create_index("ix_check_runs_started_at", ["started_at"], unique=False)
        batch_op.drop_constraint(batch_op.f("uq_check_runs_check_id"), type_="unique")
        batch_op.drop_column("slot")

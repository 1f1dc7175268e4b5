"""State changes get a kind, a reason and details; findings are kept across runs

Existing state changes were all up/down crossings: a change to `down` is `failed`, any
other `recovered`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 02:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lookout.store.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("state_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="recovered")
        )
        batch_op.alter_column("summary", new_column_name="reason", existing_type=sa.String(length=1024))
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))
    op.execute("UPDATE state_changes SET kind = 'failed' WHERE to_status = 'down'")
    with op.batch_alter_table("state_changes", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None, existing_type=sa.String(length=16))

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.Column("resolved_at", lookout.store.db.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_findings_check_id_checks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("check_id", "key", name=op.f("uq_findings_check_id")),
    )
    op.create_index("ix_findings_check_resolved", "findings", ["check_id", "resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_findings_check_resolved", table_name="findings")
    op.drop_table("findings")
    with op.batch_alter_table("state_changes", schema=None) as batch_op:
        batch_op.drop_column("details")
        batch_op.alter_column("reason", new_column_name="summary", existing_type=sa.String(length=1024))
        batch_op.drop_column("kind")

"""Drop the index on checks.next_run_at alone

The scheduler claims per type on (type, next_run_at); the single-column index only cost a
B-tree update on every claim and every stored run.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 02:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checks_next_run_at"))


def downgrade() -> None:
    with op.batch_alter_table("checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checks_next_run_at"), ["next_run_at"], unique=False)

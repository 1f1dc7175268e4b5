"""An index that finds a check type's due and never-run checks without scanning the others

The scheduler asks several times a second for enabled checks of its scheduled types whose
`next_run_at` is NULL or passed. On `next_run_at` alone the NULL branch walks every check
that has no schedule of its own (performance, cron, ai) on every tick.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:25:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_checks_type_next_run_at", "checks", ["type", "next_run_at"])


def downgrade() -> None:
    op.drop_index("ix_checks_type_next_run_at", table_name="checks")

"""The schedule index leads with (type, enabled): disabled checks never enter a claim

Every check type now has a check on every monitor, enabled or not, and a disabled check's
`next_run_at` is NULL: on (type, next_run_at) the claim's never-run branch walked all of a
type's disabled checks on every tick, and at 100,000 monitors the scheduler fell behind.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 06:35:00
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_checks_type_enabled_next_run_at", "checks", ["type", "enabled", "next_run_at"])
    op.drop_index("ix_checks_type_next_run_at", table_name="checks")


def downgrade() -> None:
    op.create_index("ix_checks_type_next_run_at", "checks", ["type", "next_run_at"])
    op.drop_index("ix_checks_type_enabled_next_run_at", table_name="checks")

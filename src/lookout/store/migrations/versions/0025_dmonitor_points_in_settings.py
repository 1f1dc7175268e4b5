"""D-Monitor points in their uptime check's settings

The scheduler confirms a D-Monitor's failure at one of its points' locations, which it
reads from the uptime check's settings (`dmonitor_points`, written by the D-Monitor service
on create and modify). D-Monitors made before this revision get theirs here; the
downgrade takes the key out again.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_UPTIME_CHECKS = sa.text(
    "SELECT c.id, c.settings, d.points FROM d_monitors d"
    " JOIN checks c ON c.monitor_id = d.monitor_id AND c.type = 'uptime'"
).columns(sa.column("id", sa.Integer), sa.column("settings", sa.JSON), sa.column("points", sa.String))
_SET = sa.text("UPDATE checks SET settings = :settings WHERE id = :id").bindparams(
    sa.bindparam("settings", type_=sa.JSON)
)


def _rewrite(with_points: bool) -> None:
    bind = op.get_bind()
    for check_id, settings, points in bind.execute(_UPTIME_CHECKS).all():
        changed = {key: value for key, value in (settings or {}).items() if key != "dmonitor_points"}
        if with_points:
            changed["dmonitor_points"] = points
        bind.execute(_SET, {"settings": changed, "id": check_id})


def upgrade() -> None:
    _rewrite(with_points=True)


def downgrade() -> None:
    _rewrite(with_points=False)

"""Minute rollups packed thirty to a row

A row per minute took about 48 bytes on SQLite (13 integers, the key and the B-tree cell);
`store/minute_blob.py` packs a check's half hour of minutes into one row at about 14 bytes
a minute. Rows are converted, not lost.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 05:20:00
"""

from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from alembic import op

from lookout.store import minute_blob

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_OLD = (
    "check_id, minute, runs, failed_runs, timed_runs, sum_total_us, min_total_us, max_total_us, "
    "sum_dns_us, sum_connect_us, sum_tls_us, sum_first_byte_us, sum_download_us"
)


def upgrade() -> None:
    op.create_table(
        "minute_rollups_packed",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("half_hour", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name="fk_minute_rollups_packed_check_id_checks",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("check_id", "half_hour", name="pk_minute_rollups_packed"),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT {_OLD} FROM minute_rollups ORDER BY check_id, minute"))
    packed = []
    for (check_id, half_hour), minutes in groupby(
        rows, key=lambda row: (row[0], row[1] // minute_blob.MINUTES_PER_ROW)
    ):
        data = b"".join(
            minute_blob.encode(row[1] % minute_blob.MINUTES_PER_ROW, tuple(row[2:])) for row in minutes
        )
        packed.append({"check_id": check_id, "half_hour": half_hour, "data": data})
        if len(packed) >= 5000:
            _insert(packed)
            packed = []
    _insert(packed)
    op.drop_table("minute_rollups")
    op.rename_table("minute_rollups_packed", "minute_rollups")
    if bind.dialect.name == "postgresql":
        # Constraint names follow the table's name, as a fresh create_all makes them.
        op.execute(
            "ALTER TABLE minute_rollups RENAME CONSTRAINT pk_minute_rollups_packed TO pk_minute_rollups"
        )
        op.execute(
            "ALTER TABLE minute_rollups RENAME CONSTRAINT fk_minute_rollups_packed_check_id_checks"
            " TO fk_minute_rollups_check_id_checks"
        )


def _insert(rows: list[dict[str, object]]) -> None:
    if rows:
        op.get_bind().execute(
            sa.text(
                "INSERT INTO minute_rollups_packed (check_id, half_hour, data) VALUES (:check_id, :half_hour, :data)"
            ).bindparams(sa.bindparam("data", type_=sa.LargeBinary())),
            rows,
        )


def downgrade() -> None:
    raise NotImplementedError("minute rollups stay packed")

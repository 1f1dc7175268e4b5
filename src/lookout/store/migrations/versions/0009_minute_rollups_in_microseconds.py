"""Minute rollups keep their times as whole microseconds

SQLite stores a float in 8 bytes and a small integer in 2 or 3: minute rollups are most of
a check's storage, and this takes about 40% off each row. Rows are converted, not lost.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TIMES = ("total", "dns", "connect", "tls", "first_byte", "download")


_COLUMNS = [("sum", "total"), ("min", "total"), ("max", "total")] + [("sum", t) for t in _TIMES[1:]]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for kind, name in _COLUMNS:
            old, new = f"{kind}_{name}_ms", f"{kind}_{name}_us"
            op.alter_column("minute_rollups", old, new_column_name=new)
            op.execute(
                f"ALTER TABLE minute_rollups ALTER COLUMN {new} TYPE BIGINT USING CAST(ROUND({new} * 1000) AS BIGINT)"
            )
        return
    # SQLite cannot change a column's type in place: copy into a new table.
    op.create_table(
        "minute_rollups_us",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failed_runs", sa.Integer(), nullable=False),
        sa.Column("timed_runs", sa.Integer(), nullable=False),
        *(sa.Column(f"{kind}_{name}_us", sa.BigInteger(), nullable=kind != "sum") for kind, name in _COLUMNS),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_minute_rollups_check_id_checks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("check_id", "minute", name=op.f("pk_minute_rollups")),
        sqlite_with_rowid=False,
    )
    micros = ", ".join(f"CAST(ROUND({kind}_{name}_ms * 1000) AS INTEGER)" for kind, name in _COLUMNS)
    op.execute(
        "INSERT INTO minute_rollups_us SELECT check_id, minute, runs, failed_runs, timed_runs, "
        f"{micros} FROM minute_rollups"
    )
    op.drop_table("minute_rollups")
    op.rename_table("minute_rollups_us", "minute_rollups")


def downgrade() -> None:
    raise NotImplementedError("minute rollups stay in microseconds")

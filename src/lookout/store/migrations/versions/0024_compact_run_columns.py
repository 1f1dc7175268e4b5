"""Compact run columns: times as epoch milliseconds, timings as microseconds, result codes

`check_runs.started_at` and `ended_at` were DATETIME text on SQLite (26 bytes each, and
again in both indexes on `started_at`), the six timings REAL (8 bytes each) and the result
text ("succeeded": 9 bytes): about 216 bytes a run with its indexes. Times become BIGINT milliseconds since the Unix epoch, rounded down, and
timings BIGINT whole microseconds (`store/db.py`: EpochMillis and Micros, which still give
and take aware datetimes and float milliseconds), and the result a SMALLINT code
(`store/tables/runs.py`: RunResult, which still gives and takes the text).

SQLite rebuilds the table in one pass (converting while copying, keeping the AUTOINCREMENT
sequence, the constraints and both indexes, the partial one with its WHERE); PostgreSQL
alters the columns in one statement (which rebuilds its indexes as they were).

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_TIMES = ("started_at", "ended_at")
_TIMINGS = ("total_ms", "dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "download_ms")
_NEW = "_check_runs_0024"
# The codes of RunResult as of this revision; any other result stops the upgrade (NOT NULL).
_RESULTS = ("succeeded", "warning", "failed", "errored-or-timed-out")
_TO_CODE = " ".join(f"WHEN '{name}' THEN {code}" for code, name in enumerate(_RESULTS))
_TO_TEXT = " ".join(f"WHEN {code} THEN '{name}'" for code, name in enumerate(_RESULTS))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _alter_postgresql(
            "BIGINT",
            "floor(extract(epoch FROM {c}) * 1000)::bigint",
            "BIGINT",
            "round({c} * 1000)::bigint",
            f"SMALLINT USING CASE result {_TO_CODE} END",
        )
        return
    # Whole seconds from the text without its fraction (strftime would round the fraction
    # to milliseconds, and .9996 into the next second), then the fraction's first three
    # digits (SQLAlchemy writes six; '000' pads a shorter or missing one).
    _rebuild_sqlite(
        sa.BigInteger(),
        "CAST(strftime('%s', substr({c}, 1, 19)) AS INTEGER) * 1000"
        " + CAST(substr({c} || '000', 21, 3) AS INTEGER)",
        sa.BigInteger(),
        "CAST(round({c} * 1000) AS INTEGER)",
        sa.SmallInteger(),
        f"CASE result {_TO_CODE} END",
    )


def downgrade() -> None:
    """Back to DATETIME (naive UTC, the milliseconds kept), float milliseconds and text."""
    if op.get_bind().dialect.name == "postgresql":
        _alter_postgresql(
            "TIMESTAMP WITHOUT TIME ZONE",
            "TIMESTAMP '1970-01-01' + {c} * INTERVAL '1 millisecond'",
            "DOUBLE PRECISION",
            "{c} / 1000.0",
            f"VARCHAR(32) USING CASE result {_TO_TEXT} END",
        )
        return
    _rebuild_sqlite(
        sa.DateTime(),
        "strftime('%Y-%m-%d %H:%M:%S', {c} / 1000, 'unixepoch') || printf('.%03d000', {c} % 1000)",
        sa.Float(),
        "{c} / 1000.0",
        sa.String(length=32),
        f"CASE result {_TO_TEXT} END",
    )


def _alter_postgresql(
    time_type: str, time_expr: str, timing_type: str, timing_expr: str, result_change: str
) -> None:
    changes = [f"ALTER COLUMN {c} TYPE {time_type} USING {time_expr.format(c=c)}" for c in _TIMES] + [
        f"ALTER COLUMN {c} TYPE {timing_type} USING {timing_expr.format(c=c)}" for c in _TIMINGS
    ]
    changes.append(f"ALTER COLUMN result TYPE {result_change}")
    op.execute(f"ALTER TABLE check_runs {', '.join(changes)}")


def _rebuild_sqlite(
    time_type: sa.types.TypeEngine[Any],
    time_expr: str,
    timing_type: sa.types.TypeEngine[Any],
    timing_expr: str,
    result_type: sa.types.TypeEngine[Any],
    result_expr: str,
) -> None:
    """check_runs rebuilt with these column types, each value converted while copied."""
    bind = op.get_bind()
    sequence = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'check_runs'")).scalar()
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("result", result_type, nullable=False),
        sa.Column("summary", sa.String(length=1024), nullable=False),
        *(sa.Column(name, time_type, nullable=False) for name in _TIMES),
        sa.Column("location", sa.String(length=64), nullable=False),
        *(sa.Column(name, timing_type, nullable=True) for name in _TIMINGS),
        sa.Column("details", sa.LargeBinary(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=True),
    ]
    op.create_table(
        _NEW,
        *columns,
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_check_runs_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_check_runs_check_id_checks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_runs")),
        sa.UniqueConstraint("check_id", "slot", name=op.f("uq_check_runs_check_id")),
        sqlite_autoincrement=True,
    )
    convert = {
        "result": result_expr,
        **{name: time_expr.format(c=name) for name in _TIMES},
        **{name: timing_expr.format(c=name) for name in _TIMINGS},
    }
    names = [column.name for column in columns]
    copied = ", ".join(convert.get(name, name) for name in names)
    op.execute(f"INSERT INTO {_NEW} ({', '.join(names)}) SELECT {copied} FROM check_runs")
    op.drop_table("check_runs")
    op.rename_table(_NEW, "check_runs")
    if sequence is not None:  # ids are never reused: the old sequence may be above every id left
        bind.execute(
            sa.text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = 'check_runs'"),
            {"seq": sequence},
        )
        bind.execute(
            sa.text(
                "INSERT INTO sqlite_sequence (name, seq) SELECT 'check_runs', :seq"
                " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'check_runs')"
            ),
            {"seq": sequence},
        )
    op.create_index("ix_check_runs_check_started", "check_runs", ["check_id", "started_at"])
    op.create_index(
        "ix_check_runs_unslotted_started", "check_runs", ["started_at"], sqlite_where=sa.text("slot IS NULL")
    )

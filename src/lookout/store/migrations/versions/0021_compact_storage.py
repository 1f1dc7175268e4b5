"""Compact storage: hourly uptime rollups packed a day to a row, run details deflated

`uptime_rollups` kept a row per check and hour plus one per day (floats), about 4.3 KB a
day per check, forever. Hours now live as integer rows (`uptime_hours`) only until the
retention sweep folds them into their day's packed row (`uptime_days`,
`store/hour_blob.py`); days are sums of hours. Every hour is converted, not lost (day rows
are what their hours add up to, so they go).

`check_runs.details` becomes bytes (`store/packed_json.py`): new rows are deflated JSON,
existing rows keep their JSON text as bytes (read back the same); the ring of successes
replaces them within a hundred runs and the others age out with the retention.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

from lookout.store import hour_blob, packed_json
from lookout.store.db import UtcDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIMES = ("dns", "connect", "tls", "first_byte", "download")
_OLD = sa.table(
    "uptime_rollups",
    sa.column("check_id", sa.Integer()),
    sa.column("bucket", sa.String()),
    sa.column("bucket_start", UtcDateTime()),
    sa.column("runs", sa.Integer()),
    sa.column("failed_runs", sa.Integer()),
    sa.column("timed_runs", sa.Integer()),
    sa.column("up_seconds", sa.Float()),
    sa.column("down_seconds", sa.Float()),
    sa.column("sum_total_ms", sa.Float()),
    sa.column("min_total_ms", sa.Float()),
    sa.column("max_total_ms", sa.Float()),
    *(sa.column(f"sum_{name}_ms", sa.Float()) for name in _TIMES),
)
_OLD_VALUES = (
    "runs",
    "failed_runs",
    "timed_runs",
    "up_seconds",
    "down_seconds",
    "sum_total_ms",
    "min_total_ms",
    "max_total_ms",
    *(f"sum_{name}_ms" for name in _TIMES),
)
_NEW_VALUES = (
    "runs",
    "failed_runs",
    "timed_runs",
    "up_us",
    "down_us",
    "sum_total_us",
    "min_total_us",
    "max_total_us",
    *(f"sum_{name}_us" for name in _TIMES),
)
# Old value → new: counts as they are, seconds and milliseconds to whole microseconds.
_SCALE = (None, None, None, 1e6, 1e6, 1e3, 1e3, 1e3, 1e3, 1e3, 1e3, 1e3, 1e3)
_BATCH = 5000


def upgrade() -> None:
    op.create_table(
        "uptime_hours",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failed_runs", sa.Integer(), nullable=False),
        sa.Column("timed_runs", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=not name.startswith(("up", "down", "sum")))
            for name in _NEW_VALUES[3:]
        ),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_uptime_hours_check_id_checks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("check_id", "hour", name=op.f("pk_uptime_hours")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "uptime_days",
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_uptime_days_check_id_checks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("check_id", "day", name=op.f("pk_uptime_days")),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_OLD.c.check_id, _OLD.c.bucket_start, *(_OLD.c[name] for name in _OLD_VALUES))
        .where(_OLD.c.bucket == "hour")
        .order_by(_OLD.c.check_id, _OLD.c.bucket_start)
    )
    packed: list[dict[str, object]] = []
    for (check_id, day), hours in groupby(
        ((row[0], _epoch_hour(row[1]), row[2:]) for row in rows),
        key=lambda item: (item[0], item[1] // hour_blob.HOURS_PER_ROW),
    ):
        data = b"".join(
            hour_blob.encode(hour % hour_blob.HOURS_PER_ROW, _micros(values)) for _, hour, values in hours
        )
        packed.append({"check_id": check_id, "day": day, "data": data})
        if len(packed) >= _BATCH:
            _insert_days(packed)
            packed = []
    _insert_days(packed)
    op.drop_table("uptime_rollups")
    _details_to(sa.LargeBinary(), sa.JSON(), "convert_to(details::text, 'UTF8')", "CAST(details AS BLOB)")


def _details_to(new: sa.types.TypeEngine[Any], old: sa.types.TypeEngine[Any], pg: str, lite: str) -> None:
    """Change the declared type of check_runs.details, its values converted by `pg` / `lite`."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE check_runs ALTER COLUMN details TYPE {new.compile(op.get_bind().dialect)} USING {pg}"
        )
        return
    op.execute(f"UPDATE check_runs SET details = {lite}")
    with op.batch_alter_table(
        "check_runs", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.alter_column("details", type_=new, existing_type=old, existing_nullable=False)
    # Batch mode reflects indexes without their WHERE clause: put the partial one back.
    op.drop_index("ix_check_runs_unslotted_started", table_name="check_runs")
    op.create_index(
        "ix_check_runs_unslotted_started", "check_runs", ["started_at"], sqlite_where=sa.text("slot IS NULL")
    )


def _epoch_hour(at: datetime) -> int:
    return int((at - _EPOCH).total_seconds() // 3600)


def _micros(values: tuple[object, ...]) -> tuple[int | None, ...]:
    out: list[int | None] = []
    for value, scale in zip(values, _SCALE, strict=True):
        if value is None:
            out.append(None)
        else:
            assert isinstance(value, int | float)
            out.append(int(value) if scale is None else round(value * scale))
    return tuple(out)


def _insert_days(rows: list[dict[str, object]]) -> None:
    if rows:
        op.get_bind().execute(
            sa.text(
                "INSERT INTO uptime_days (check_id, day, data) VALUES (:check_id, :day, :data)"
            ).bindparams(sa.bindparam("data", type_=sa.LargeBinary())),
            rows,
        )


def downgrade() -> None:
    """Back to a float row per hour and per day, from the packed and the live hours; run
    details back to JSON text."""
    bind = op.get_bind()
    runs = sa.table("check_runs", sa.column("id", sa.Integer()), sa.column("details", sa.LargeBinary()))
    last = 0
    while True:
        chunk = bind.execute(
            sa.select(runs.c.id, runs.c.details).where(runs.c.id > last).order_by(runs.c.id).limit(_BATCH)
        ).all()
        if not chunk:
            break
        bind.execute(
            sa.update(runs)
            .where(runs.c.id == sa.bindparam("b_id"))
            .values(details=sa.bindparam("b_details")),
            [{"b_id": row[0], "b_details": orjson.dumps(packed_json.unpack(bytes(row[1])))} for row in chunk],
        )
        last = chunk[-1][0]
    _details_to(sa.JSON(), sa.LargeBinary(), "convert_from(details, 'UTF8')::json", "CAST(details AS TEXT)")
    op.create_table(
        "uptime_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=8), nullable=False),
        sa.Column("bucket_start", UtcDateTime(), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failed_runs", sa.Integer(), nullable=False),
        sa.Column("up_seconds", sa.Float(), nullable=False),
        sa.Column("down_seconds", sa.Float(), nullable=False),
        sa.Column("timed_runs", sa.Integer(), nullable=False),
        sa.Column("sum_total_ms", sa.Float(), nullable=False),
        sa.Column("min_total_ms", sa.Float(), nullable=True),
        sa.Column("max_total_ms", sa.Float(), nullable=True),
        *(sa.Column(f"sum_{name}_ms", sa.Float(), nullable=False) for name in _TIMES),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_uptime_rollups_check_id_checks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uptime_rollups")),
        sa.UniqueConstraint("check_id", "bucket", "bucket_start", name=op.f("uq_uptime_rollups_check_id")),
    )
    hours: dict[tuple[int, int], list[int | None]] = {}

    def add(check_id: int, hour: int, values: tuple[int | None, ...]) -> None:
        into = hours.get((check_id, hour))
        if into is None:
            hours[(check_id, hour)] = list(values)
        else:
            hour_blob.merge(into, values)

    for check_id, day, data in bind.execute(sa.text("SELECT check_id, day, data FROM uptime_days")):
        for hour, packed in hour_blob.decode(day, bytes(data)):
            add(check_id, hour, packed)
    live = ", ".join(_NEW_VALUES)
    for check_id, hour, *counted in bind.execute(sa.text(f"SELECT check_id, hour, {live} FROM uptime_hours")):
        add(check_id, hour, tuple(counted))
    days: dict[tuple[int, int], list[int | None]] = {}
    for (check_id, hour), summed in hours.items():
        into = days.get((check_id, hour // 24))
        if into is None:
            days[(check_id, hour // 24)] = list(summed)
        else:
            hour_blob.merge(into, summed)
    rows = [
        _old_row(check_id, "hour", timedelta(hours=hour), values)
        for (check_id, hour), values in hours.items()
    ]
    rows += [
        _old_row(check_id, "day", timedelta(days=day), values) for (check_id, day), values in days.items()
    ]
    for start in range(0, len(rows), _BATCH):
        bind.execute(sa.insert(_OLD), rows[start : start + _BATCH])
    op.drop_table("uptime_days")
    op.drop_table("uptime_hours")


def _old_row(
    check_id: int, bucket: str, since_epoch: timedelta, values: list[int | None]
) -> dict[str, object]:
    row: dict[str, object] = {"check_id": check_id, "bucket": bucket, "bucket_start": _EPOCH + since_epoch}
    for name, value, scale in zip(_OLD_VALUES, values, _SCALE, strict=True):
        row[name] = value if scale is None or value is None else value / scale
    return row

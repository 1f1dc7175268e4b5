"""What the engine records: runs, evaluator state, state changes, findings, downtime, snoozes,
rollups."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, EpochMillis, IntegerCodec, Micros, UtcDateTime
from lookout.store.packed_json import PackedJSON

# A run's result is stored as its position here (0 and 1 take no bytes in a SQLite record,
# "succeeded" took 9): append only, never reorder.
RUN_RESULTS = ("succeeded", "warning", "failed", "errored-or-timed-out")
_RESULT_CODES = {name: code for code, name in enumerate(RUN_RESULTS)}


def result_code(result: str) -> int:
    code = _RESULT_CODES.get(result)
    if code is None:
        raise ValueError(f"a run's result is one of {RUN_RESULTS}, not {result!r}")
    return code


class RunResult(IntegerCodec[str]):
    """A run's result (Outcome's values) stored as a small integer; takes and gives text."""

    impl = SmallInteger
    cache_ok = True
    encode = staticmethod(result_code)
    decode = staticmethod(RUN_RESULTS.__getitem__)


class CheckRun(Base):
    """One observation of one check.

    A successful run takes one of its check's `runs_kept_per_check` slots (a ring: the run
    that many runs later replaces it, with a new id), so successes cost a bounded number of
    rows; every other run has no slot and is kept `retention_days`.
    """

    __tablename__ = "check_runs"
    __table_args__ = (
        Index("ix_check_runs_check_started", "check_id", "started_at"),
        UniqueConstraint("check_id", "slot"),
        # Only the unslotted runs age out; the retention sweep walks this.
        Index(
            "ix_check_runs_unslotted_started",
            "started_at",
            sqlite_where=text("slot IS NULL"),
            postgresql_where=text("slot IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    result: Mapped[str] = mapped_column(RunResult())
    summary: Mapped[str] = mapped_column(String(1024))
    # Epoch milliseconds and whole microseconds (store/db.py), the result as a code: a run
    # with its indexes took 214 bytes with DATETIME text, REAL timings and the result as
    # text, 132 since (bench/scale.py --storage-only, 3 days; migration 0024).
    started_at: Mapped[datetime] = mapped_column(EpochMillis())
    ended_at: Mapped[datetime] = mapped_column(EpochMillis())
    location: Mapped[str] = mapped_column(String(64))
    total_ms: Mapped[float | None] = mapped_column(Micros(), nullable=True)
    dns_ms: Mapped[float | None] = mapped_column(Micros(), nullable=True)
    connect_ms: Mapped[float | None] = mapped_column(Micros(), nullable=True)
    tls_ms: Mapped[float | None] = mapped_column(Micros(), nullable=True)
    first_byte_ms: Mapped[float | None] = mapped_column(Micros(), nullable=True)
    download_ms: Mapped[float | None] = mapped_column(Micros(), nullable=True)
    # Deflated JSON (store/packed_json.py): half the row's bytes otherwise.
    details: Mapped[dict[str, Any]] = mapped_column(PackedJSON, default=dict)
    slot: Mapped[int | None] = mapped_column(Integer, nullable=True)


class CheckState(Base):
    """The evaluator's memory of a check: one row per check that has run."""

    __tablename__ = "check_states"

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="unknown")
    failures_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    successes_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    # Start of the current failure streak; a downtime period opens at this instant.
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Successful runs stored so far; the next one's ring slot is this modulo runs_kept_per_check.
    success_count: Mapped[int] = mapped_column(Integer, default=0)


class StateChange(Base):
    """A crossing of a check's status, or news in its findings; the outbox claims unprocessed
    rows by compare-and-set. `kind` is failed, recovered, warning, fixed or changed."""

    __tablename__ = "state_changes"
    __table_args__ = (Index("ix_state_changes_unprocessed", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), index=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(1024))
    # For `changed` (and crossings that also changed findings): counts and the first keys.
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class Finding(Base):
    """Something a check found, kept across runs and outside the raw-run retention: open
    while `resolved_at` is NULL; a key seen again after it was resolved opens anew."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("check_id", "key"),
        Index("ix_findings_check_resolved", "check_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(512))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class DowntimePeriod(Base):
    __tablename__ = "downtime_periods"
    __table_args__ = (Index("ix_downtime_periods_monitor_started", "monitor_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    notes_markdown: Mapped[str | None] = mapped_column(Text, nullable=True)


class Snooze(Base):
    """Mutes a check's notifications between two instants; the check keeps running."""

    __tablename__ = "snoozes"
    __table_args__ = (Index("ix_snoozes_check_ends", "check_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    snoozed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    unsnoozed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="API")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UptimeHour(Base):
    """Per check and hour since the Unix epoch: counts, up/down time and timing sums in whole
    microseconds, added to by every batch. Only the latest hours live here: the retention
    sweep folds finished hours into `uptime_days` (`store/hour_blob.py`)."""

    __tablename__ = "uptime_hours"
    __table_args__ = (
        PrimaryKeyConstraint("check_id", "hour"),
        {"sqlite_with_rowid": False},
    )

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    hour: Mapped[int] = mapped_column(Integer)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failed_runs: Mapped[int] = mapped_column(Integer, default=0)
    # Runs that reported a total time; the per-phase sums divide by this.
    timed_runs: Mapped[int] = mapped_column(Integer, default=0)
    up_us: Mapped[int] = mapped_column(BigInteger, default=0)
    down_us: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_total_us: Mapped[int] = mapped_column(BigInteger, default=0)
    min_total_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_total_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    sum_dns_us: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_connect_us: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_tls_us: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_first_byte_us: Mapped[int] = mapped_column(BigInteger, default=0)
    sum_download_us: Mapped[int] = mapped_column(BigInteger, default=0)


class UptimeDay(Base):
    """Per check and day since the Unix epoch: its finished hours, packed as
    `store/hour_blob.py` describes, kept forever (what the uptime and metrics endpoints
    read beside the live `uptime_hours`)."""

    __tablename__ = "uptime_days"
    __table_args__ = (
        PrimaryKeyConstraint("check_id", "day"),
        {"sqlite_with_rowid": False},
    )

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    day: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class MinuteRollup(Base):
    """Per check and half hour: the minutes the metrics endpoint groups by minute, kept 48
    hours, packed as `store/minute_blob.py` describes (about 14 bytes a minute where a row
    per minute took about 48). `half_hour` is minutes since the Unix epoch divided by 30.
    """

    __tablename__ = "minute_rollups"
    __table_args__ = (
        PrimaryKeyConstraint("check_id", "half_hour"),
        {"sqlite_with_rowid": False},
    )

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    half_hour: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

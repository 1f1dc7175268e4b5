"""Adds runs into hour and day buckets before they are upserted in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lookout.model.result import CheckResult

BUCKETS = ("hour", "day")
_PHASES = ("dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "download_ms")
COLUMNS = (
    "check_id",
    "bucket",
    "bucket_start",
    "runs",
    "failed_runs",
    "up_seconds",
    "down_seconds",
    "timed_runs",
    "sum_total_ms",
    "min_total_ms",
    "max_total_ms",
    *(f"sum_{phase}" for phase in _PHASES),
)
# Positions in a row list (a list per row, not a dict: this runs twice for every result).
_RUNS, _FAILED, _UP, _DOWN, _TIMED, _SUM, _MIN, _MAX, _DNS = range(3, 12)


def bucket_start(at: datetime, bucket: str) -> datetime:
    if bucket == "hour":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def covered_seconds(started_at: datetime, last_run_at: datetime | None, interval: float) -> float:
    """The time a run speaks for: since the previous run, at most two intervals."""
    if last_run_at is None or last_run_at >= started_at:
        return interval
    return min((started_at - last_run_at).total_seconds(), 2 * interval)


class RollupBook:
    def __init__(self) -> None:
        self._rows: dict[tuple[int, str, datetime], list[Any]] = {}

    def add(
        self,
        check_id: int,
        result: CheckResult,
        last_run_at: datetime | None,
        interval: float,
        down: bool,
    ) -> None:
        seconds = covered_seconds(result.started_at, last_run_at, interval)
        timings = result.timings
        total = timings.total_ms
        failed = 0 if result.outcome.is_up else 1
        hour = result.started_at.replace(minute=0, second=0, microsecond=0)
        for bucket, start in (("hour", hour), ("day", hour.replace(hour=0))):
            key = (check_id, bucket, start)
            row = self._rows.get(key)
            if row is None:
                row = self._rows[key] = [check_id, bucket, start, 0, 0, 0.0, 0.0, 0, 0.0, None, None]
                row += [0.0] * len(_PHASES)
            row[_RUNS] += 1
            row[_FAILED] += failed
            row[_DOWN if down else _UP] += seconds
            if total is None:
                continue
            row[_TIMED] += 1
            row[_SUM] += total
            row[_MIN] = total if row[_MIN] is None else min(row[_MIN], total)
            row[_MAX] = total if row[_MAX] is None else max(row[_MAX], total)
            row[_DNS] += timings.dns_ms or 0.0
            row[_DNS + 1] += timings.connect_ms or 0.0
            row[_DNS + 2] += timings.tls_ms or 0.0
            row[_DNS + 3] += timings.first_byte_ms or 0.0
            row[_DNS + 4] += timings.download_ms or 0.0

    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(COLUMNS, row, strict=True)) for row in self._rows.values()]

    def values(self) -> list[list[Any]]:
        """The rows as value lists in COLUMNS order (for the store to convert in place)."""
        return list(self._rows.values())

"""Adds runs into hour and day buckets before they are upserted in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lookout.model.result import CheckResult

BUCKETS = ("hour", "day")
_PHASES = ("dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "download_ms")


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
        self._rows: dict[tuple[int, str, datetime], dict[str, Any]] = {}

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
        for bucket in BUCKETS:
            start = bucket_start(result.started_at, bucket)
            row = self._rows.get((check_id, bucket, start))
            if row is None:
                row = self._rows[(check_id, bucket, start)] = _empty(check_id, bucket, start)
            row["runs"] += 1
            row["failed_runs"] += 0 if result.outcome.is_up else 1
            row["down_seconds" if down else "up_seconds"] += seconds
            total = timings.total_ms
            if total is None:
                continue
            row["timed_runs"] += 1
            row["sum_total_ms"] += total
            row["min_total_ms"] = total if row["min_total_ms"] is None else min(row["min_total_ms"], total)
            row["max_total_ms"] = total if row["max_total_ms"] is None else max(row["max_total_ms"], total)
            for phase in _PHASES:
                row[f"sum_{phase}"] += getattr(timings, phase) or 0.0

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows.values())


def _empty(check_id: int, bucket: str, start: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "check_id": check_id,
        "bucket": bucket,
        "bucket_start": start,
        "runs": 0,
        "failed_runs": 0,
        "up_seconds": 0.0,
        "down_seconds": 0.0,
        "timed_runs": 0,
        "sum_total_ms": 0.0,
        "min_total_ms": None,
        "max_total_ms": None,
    }
    for phase in _PHASES:
        row[f"sum_{phase}"] = 0.0
    return row

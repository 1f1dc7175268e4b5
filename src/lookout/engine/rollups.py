"""Adds runs into hour and day buckets before they are upserted in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float

from lookout.model.result import CheckResult
from lookout.store.repositories.engine import ROLLUP_COLUMNS, ROLLUP_EXTREMES, ROLLUPS

BUCKETS = ("hour", "day")
_PHASES = ("dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "download_ms")
# Rows are value lists in the table's own column order (a list per row, not a dict: this
# runs twice for every result); the positions are looked up once here.
_AT = {name: index for index, name in enumerate(ROLLUP_COLUMNS)}
_RUNS, _FAILED, _UP, _DOWN = _AT["runs"], _AT["failed_runs"], _AT["up_seconds"], _AT["down_seconds"]
_TIMED, _SUM, _MIN, _MAX = _AT["timed_runs"], _AT["sum_total_ms"], _AT["min_total_ms"], _AT["max_total_ms"]
_PHASE_AT = tuple(_AT[f"sum_{phase}"] for phase in _PHASES)
_KEY_AT = (_AT["check_id"], _AT["bucket"], _AT["bucket_start"])
_EMPTY_ROW: list[Any] = [
    None if name in ROLLUP_EXTREMES else 0.0 if isinstance(ROLLUPS.c[name].type, Float) else 0
    for name in ROLLUP_COLUMNS
]
_FILLED = {"check_id", "bucket", "bucket_start", "runs", "failed_runs", "up_seconds", "down_seconds"}
_FILLED |= {"timed_runs", "sum_total_ms", "min_total_ms", "max_total_ms", *(f"sum_{p}" for p in _PHASES)}
assert set(_AT) == _FILLED, "uptime_rollups has a column RollupBook does not fill"


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
                row = self._rows[key] = _EMPTY_ROW.copy()
                row[_KEY_AT[0]], row[_KEY_AT[1]], row[_KEY_AT[2]] = key
            row[_RUNS] += 1
            row[_FAILED] += failed
            row[_DOWN if down else _UP] += seconds
            if total is None:
                continue
            row[_TIMED] += 1
            row[_SUM] += total
            row[_MIN] = total if row[_MIN] is None else min(row[_MIN], total)
            row[_MAX] = total if row[_MAX] is None else max(row[_MAX], total)
            row[_PHASE_AT[0]] += timings.dns_ms or 0.0
            row[_PHASE_AT[1]] += timings.connect_ms or 0.0
            row[_PHASE_AT[2]] += timings.tls_ms or 0.0
            row[_PHASE_AT[3]] += timings.first_byte_ms or 0.0
            row[_PHASE_AT[4]] += timings.download_ms or 0.0

    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(ROLLUP_COLUMNS, row, strict=True)) for row in self._rows.values()]

    def values(self) -> list[list[Any]]:
        """The rows as value lists in ROLLUP_COLUMNS order (the store converts them in place)."""
        return list(self._rows.values())

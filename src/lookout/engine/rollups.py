"""Adds runs into minute and hour buckets before they are upserted, one statement each.

Hour rows (`uptime_hours`, folded into a packed row per day by the retention sweep: what
the uptime and metrics endpoints read; days are sums of hours) carry the evaluator's up and
down time; minutes (`minute_rollups`, kept 48 hours) carry only counts and timings, packed
thirty to a row (`store/minute_blob.py`). Both keep whole microseconds, so they add up
exactly. Rows are value lists in their table's own column order (a list per row, not a
dict: this runs twice for every result); positions are looked up once here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, Table

from lookout.model.result import CheckResult
from lookout.store import minute_blob
from lookout.store.repositories.engine import ROLLUP_COLUMNS, ROLLUP_EXTREMES, ROLLUPS

_PHASES = ("dns", "connect", "tls", "first_byte", "download")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Layout:
    """Where each measurement sits in a row of `table` (columns in `columns` order), and the
    unit of its times: `ms` as floats, or `us` as whole microseconds."""

    def __init__(
        self, table: Table, columns: Sequence[str], keys: Sequence[str], extra: set[str], unit: str
    ) -> None:
        at = {name: index for index, name in enumerate(columns)}
        timed = {f"sum_total_{unit}", f"min_total_{unit}", f"max_total_{unit}"}
        measured = {"runs", "failed_runs", "timed_runs", *timed, *(f"sum_{p}_{unit}" for p in _PHASES)}
        assert set(at) == measured | set(keys) | extra, f"{table.name} has a column RollupBook does not fill"
        self.keys = tuple(at[name] for name in keys)
        self.runs, self.failed, self.timed = at["runs"], at["failed_runs"], at["timed_runs"]
        self.sum = at[f"sum_total_{unit}"]
        self.min, self.max = at[f"min_total_{unit}"], at[f"max_total_{unit}"]
        self.phases = tuple(at[f"sum_{phase}_{unit}"] for phase in _PHASES)
        self.up, self.down = at.get("up_us", -1), at.get("down_us", -1)
        self.micros = unit == "us"
        self.empty: list[Any] = [
            None if name in ROLLUP_EXTREMES else 0.0 if isinstance(table.c[name].type, Float) else 0
            for name in columns
        ]

    def new_row(self, key: tuple[Any, ...]) -> list[Any]:
        row = self.empty.copy()
        for index, value in zip(self.keys, key, strict=True):
            row[index] = value
        return row


_HOURLY = _Layout(ROLLUPS, ROLLUP_COLUMNS, ("check_id", "hour"), {"up_us", "down_us"}, "us")


class _MinuteLayout:
    """A minute as `minute_blob.Minute` orders it: counts, total, extremes, phases in µs."""

    runs, failed, timed, sum, min, max = range(6)
    phases = (6, 7, 8, 9, 10)
    micros = True
    empty: list[Any] = [0, 0, 0, 0, None, None, 0, 0, 0, 0, 0]


_MINUTES = _MinuteLayout()


def epoch_hour(at: datetime) -> int:
    """Hours since the Unix epoch: the key of an hour rollup."""
    return int((at - _EPOCH).total_seconds() // 3600)


def epoch_minute(at: datetime) -> int:
    """Minutes since the Unix epoch: the key of a minute rollup."""
    return int((at - _EPOCH).total_seconds() // 60)


def covered_seconds(started_at: datetime, last_run_at: datetime | None, interval: float) -> float:
    """The time a run speaks for: since the previous run, at most two intervals."""
    if last_run_at is None or last_run_at >= started_at:
        return interval
    return min((started_at - last_run_at).total_seconds(), 2 * interval)


class RollupBook:
    def __init__(self) -> None:
        self._rows: dict[tuple[int, int], list[Any]] = {}
        self._minutes: dict[tuple[int, int], list[Any]] = {}

    def add(
        self,
        check_id: int,
        result: CheckResult,
        last_run_at: datetime | None,
        interval: float,
        down: bool,
    ) -> None:
        micros = round(covered_seconds(result.started_at, last_run_at, interval) * 1_000_000)
        failed = 0 if result.outcome.is_up else 1
        minute = epoch_minute(result.started_at)
        key = (check_id, minute // 60)
        layout = _HOURLY
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = layout.new_row(key)
        row[layout.down if down else layout.up] += micros
        _measure(row, layout, result, failed)
        minute_key = (check_id, minute)
        row = self._minutes.get(minute_key)
        if row is None:
            row = self._minutes[minute_key] = _MINUTES.empty.copy()
        _measure(row, _MINUTES, result, failed)

    def values(self) -> list[list[Any]]:
        """Hour rows as value lists in ROLLUP_COLUMNS order."""
        return list(self._rows.values())

    def minute_values(self) -> list[list[Any]]:
        """[check id, half hour, packed minutes] for each half hour this batch touched, its
        minutes in order: what the store appends to the row's data."""
        packed: dict[tuple[int, int], bytearray] = {}
        for (check_id, minute), row in sorted(self._minutes.items()):
            half_hour, offset = minute_blob.row_key(minute)
            data = packed.get((check_id, half_hour))
            if data is None:
                data = packed[(check_id, half_hour)] = bytearray()
            data += minute_blob.encode(offset, tuple(row))
        return [[check_id, half_hour, bytes(data)] for (check_id, half_hour), data in packed.items()]


def _measure(row: list[Any], layout: _Layout | _MinuteLayout, result: CheckResult, failed: int) -> None:
    row[layout.runs] += 1
    row[layout.failed] += failed
    timings = result.timings
    if timings.total_ms is None:
        return
    times: tuple[float, ...] = (
        timings.total_ms,
        timings.dns_ms or 0.0,
        timings.connect_ms or 0.0,
        timings.tls_ms or 0.0,
        timings.first_byte_ms or 0.0,
        timings.download_ms or 0.0,
    )
    if layout.micros:
        times = tuple(round(ms * 1000) for ms in times)
    total = times[0]
    row[layout.timed] += 1
    row[layout.sum] += total
    row[layout.min] = total if row[layout.min] is None else min(row[layout.min], total)
    row[layout.max] = total if row[layout.max] is None else max(row[layout.max], total)
    for index, value in zip(layout.phases, times[1:], strict=True):
        row[index] += value

"""What the engine recorded, read for a monitor's owners: check runs, uptime percentages,
downtime periods and uptime metrics. Another team's monitor or downtime is not found.

Filters arrive typed (datetimes, literal choices); reading them from a query string, with
that API's messages, is the API's work. What is enforced here are the domain's rules: a
range must not end before it starts, and one answer holds at most so many periods
(`ReversedRange` and `TooManyPeriods`, which an API may word in its own terms). Both are
checked before the monitor is looked up, as a request's own rules would be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError, ValidationFailed
from lookout.model import maintenance as windows
from lookout.model import periods
from lookout.model.check_type import CheckType
from lookout.model.metrics import MetricPoint
from lookout.services.monitors import make_check
from lookout.services.tokens import Principal
from lookout.services.views import DowntimeRecord, Page, RunRecord
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import maintenance as maintenance_repo
from lookout.store.repositories import monitors as monitors_repo
from lookout.store.repositories import runs as repo

RunResult = Literal["succeeded", "warning", "failed"]
Split = Literal["hour", "day", "month"]
GroupBy = Literal["minute", "hour", "day", "week", "month"]
MetricKind = Literal["http", "ping", "tcp"]

FINISHED_RESULTS: tuple[RunResult, ...] = get_args(RunResult)
SPLITS: tuple[Split, ...] = get_args(Split)
GROUPINGS: tuple[GroupBy, ...] = get_args(GroupBy)
METRIC_KINDS: tuple[MetricKind, ...] = get_args(MetricKind)
MAX_UPTIME_PERIODS = 2000
MAX_METRIC_POINTS = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An ongoing downtime period started before now; the far future keeps it in range.
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class ReversedRange(ValidationFailed):
    """The range ends before it starts; `start` and `end` name the arguments."""

    def __init__(self, start: str, end: str) -> None:
        super().__init__({end: [f"The {end} must be a date after or equal to {start}."]})
        self.start = start
        self.end = end


class TooManyPeriods(ValidationFailed):
    """The range holds more than `limit` periods of `unit`; `argument` chose the unit."""

    def __init__(self, argument: str, limit: int, unit: str) -> None:
        super().__init__({argument: [f"The period holds more than {limit} {unit}s."]})
        self.argument = argument
        self.limit = limit
        self.unit = unit


def ensure_ordered(start: datetime | None, end: datetime | None, names: tuple[str, str]) -> None:
    if start is not None and end is not None and end < start:
        raise ReversedRange(*names)


def limit_periods(start: datetime, end: datetime, unit: str, limit: int, argument: str) -> None:
    """Refuse a range that holds more than `limit` periods of `unit`."""
    if periods.count(start, end, unit) > limit:
        raise TooManyPeriods(argument, limit, unit)


def _period_end(at: datetime, unit: str) -> datetime:
    """The start of the period after the one holding `at`."""
    first = periods.floor(at, unit)
    if unit == "month":
        return first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return first + (timedelta(hours=1) if unit == "hour" else timedelta(days=1))


def _next_period(at: datetime, unit: str) -> datetime:
    """The start of the period after the one holding `at`, for every metrics grouping."""
    if unit == "minute":
        return periods.floor(at, unit) + timedelta(minutes=1)
    if unit == "week":
        return periods.floor(at, unit) + timedelta(weeks=1)
    return _period_end(at, unit)


class HistoryService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def runs(
        self,
        who: Principal,
        monitor_id: int,
        check_type: str,
        page: int,
        size: int,
        *,
        started_after: datetime | None = None,
        started_before: datetime | None = None,
        result: RunResult | None = None,
    ) -> Page[RunRecord]:
        """Finished runs of one check, newest first, optionally of one result only."""
        with self._sessions() as session:
            self._monitor(session, who, monitor_id)
            check_id = self._check_id(session, monitor_id, check_type)
            rows, total = repo.runs_page(
                session,
                check_id,
                started_after=started_after,
                started_before=started_before,
                result=result,
                results=FINISHED_RESULTS,
                offset=(page - 1) * size,
                limit=size,
            )
            items = [
                RunRecord(
                    row.id, row.check_id, check_type, row.result, row.summary, row.started_at, row.ended_at
                )
                for row in rows
            ]
            return Page(items, total)

    def uptime(
        self, who: Principal, monitor_id: int, start: datetime, end: datetime, split: Split
    ) -> list[tuple[datetime, float]]:
        """(period start, uptime %) for each period of the range that has data.

        Downtime inside a maintenance window does not count: it is taken out of the
        period's down seconds (neither up nor down), here on the read side, so the engine's
        writes stay as they are and a window added later corrects the past.
        """
        ensure_ordered(start, end, ("start", "end"))
        limit_periods(start, end, split, MAX_UPTIME_PERIODS, "split")
        with self._sessions() as session:
            self._monitor(session, who, monitor_id)
            check_id = repo.uptime_check_id(session, monitor_id)
            if check_id is None:
                return []
            first, after = periods.floor(start, split), _period_end(end, split)
            quiet = maintenance_repo.maintenance_intervals(session, monitor_id, first, after)
            if not quiet:
                return repo.uptime_series(session, [check_id], start, end, split)
            sums = repo.uptime_seconds(session, [check_id], start, end, split)
            down = windows.merge(repo.downtime_intervals(session, check_id, first, after, self._clock()))
            series: list[tuple[datetime, float]] = []
            for period, (up_s, down_s) in sorted(sums.items()):
                excused = windows.overlap_seconds(down, quiet, period, _period_end(period, split))
                counted = max(0.0, down_s - excused)
                if up_s + counted > 0:
                    series.append((period, round(100 * up_s / (up_s + counted), 4)))
                elif down_s > 0:  # down only while in maintenance: nothing counted against it
                    series.append((period, 100.0))
            return series

    def downtime(
        self,
        who: Principal,
        monitor_id: int,
        page: int,
        size: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Page[DowntimeRecord]:
        """Downtime periods overlapping the range (default: all), newest first."""
        ensure_ordered(start, end, ("start", "end"))
        with self._sessions() as session:
            self._monitor(session, who, monitor_id)
            rows, total = repo.downtime_page(
                session,
                monitor_id,
                start or _EPOCH,
                end or _FAR_FUTURE,
                offset=(page - 1) * size,
                limit=size,
            )
            items = [DowntimeRecord(row.id, row.started_at, row.ended_at, row.notes_markdown) for row in rows]
            return Page(items, total)

    def delete_downtime(self, who: Principal, downtime_id: int) -> None:
        with transaction(self._sessions) as session:
            period = repo.get_downtime(session, downtime_id)
            if period is None or monitors_repo.monitor_row(session, period.monitor_id, who.team_ids) is None:
                raise NotFoundError("Downtime not found.")
            repo.delete_downtime(session, downtime_id)

    def metrics_window(self, start: datetime, end: datetime) -> tuple[datetime, datetime]:
        """The range metrics cover: future bounds are clamped to now, as Oh Dear does."""
        now = self._clock()
        return min(start, now), min(end, now)

    def metrics(
        self,
        who: Principal,
        monitor_id: int,
        kind: MetricKind,
        start: datetime,
        end: datetime,
        group_by: GroupBy,
    ) -> list[MetricPoint]:
        """Uptime metrics of an http, ping or tcp monitor; asking with another kind is a 404.

        The range is clamped first (`metrics_window`), so a future end does not count
        towards the points. Downtime inside a maintenance window is taken out of the down
        seconds, as `uptime` does.
        """
        start, end = self.metrics_window(start, end)
        ensure_ordered(start, end, ("start", "end"))
        limit_periods(start, end, group_by, MAX_METRIC_POINTS, "group_by")
        with self._sessions() as session:
            monitor = self._monitor(session, who, monitor_id)
            if monitor.type != kind:
                raise NotFoundError(f"The monitor is not a {kind} monitor.")
            check_id = repo.uptime_check_id(session, monitor_id)
            if check_id is None:
                return []
            points = repo.metrics(session, check_id, start, end, group_by)
            if not points:
                return points
            # As `uptime`: downtime inside a maintenance window is neither up nor down.
            first, after = periods.floor(start, group_by), _next_period(end, group_by)
            quiet = maintenance_repo.maintenance_intervals(session, monitor_id, first, after)
            if not quiet:
                return points
            down = windows.merge(repo.downtime_intervals(session, check_id, first, after, self._clock()))
            excused: list[MetricPoint] = []
            for point in points:
                overlap = windows.overlap_seconds(down, quiet, point.date, _next_period(point.date, group_by))
                if overlap > 0:
                    point = replace(point, down_seconds=max(0.0, point.down_seconds - overlap))
                excused.append(point)
            return excused

    # -- helpers ----------------------------------------------------------------------

    @staticmethod
    def _monitor(session: Session, who: Principal, monitor_id: int) -> Any:
        row = monitors_repo.monitor_row(session, monitor_id, who.team_ids)
        if row is None:
            raise NotFoundError("Monitor not found.")
        return row

    @staticmethod
    def _check_id(session: Session, monitor_id: int, check_type: str) -> int:
        if check_type not in {t.value for t in CheckType}:
            raise NotFoundError(f"The monitor has no {check_type} check.")
        for check in monitors_repo.checks_of(session, [monitor_id], make_check).get(monitor_id, []):
            if check.type == check_type:
                return check.id
        raise NotFoundError(f"The monitor has no {check_type} check.")

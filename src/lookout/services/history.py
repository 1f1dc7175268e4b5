"""What the engine recorded, read for a monitor's owners: check runs, uptime percentages,
downtime periods and uptime metrics. Another team's monitor or downtime is not found.

Filters arrive as raw query strings and are checked here (services.filters), so every
API gets the same Laravel-style 422s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError, ValidationFailed
from lookout.model.check_type import CheckType
from lookout.services import filters
from lookout.services.tokens import Principal
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import monitors as monitors_repo
from lookout.store.repositories import runs as repo

MetricPoint = repo.MetricPoint

FINISHED_RESULTS = ("succeeded", "warning", "failed")
SPLITS = ("hour", "day", "month")
GROUPINGS = ("minute", "hour", "day", "week", "month")
METRIC_KINDS = ("http", "ping", "tcp")
MAX_UPTIME_PERIODS = 2000
MAX_METRIC_POINTS = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    check_id: int
    check_type: str
    result: str
    summary: str | None
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class DowntimeRecord:
    id: int
    started_at: datetime
    ended_at: datetime | None
    notes_markdown: str | None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int


class HistoryService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def runs(
        self,
        who: Principal,
        monitor_id: int,
        check_type: str,
        params: Mapping[str, str],
        page: int,
        size: int,
    ) -> Page[RunRecord]:
        """Finished runs of one check, newest first; `params` holds the raw filters."""
        errors: filters.Errors = {}
        after = filters.date(
            errors, "filter.started_after", params.get("filter[started_after]"), required=False
        )
        before = filters.date(
            errors, "filter.started_before", params.get("filter[started_before]"), required=False
        )
        result = filters.choice(
            errors, "filter.result", params.get("filter[result]"), FINISHED_RESULTS, default=""
        )
        if errors:
            raise ValidationFailed(errors)
        with self._sessions() as session:
            self._monitor(session, who, monitor_id)
            check_id = self._check_id(session, monitor_id, check_type)
            rows, total = repo.runs_page(
                session,
                check_id,
                started_after=after,
                started_before=before,
                result=result or None,
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
        self, who: Principal, monitor_id: int, params: Mapping[str, str]
    ) -> list[tuple[datetime, float]]:
        """(period start, uptime %) for each period of the range that has data."""
        errors: filters.Errors = {}
        start = filters.date(errors, "filter.started_at", params.get("filter[started_at]"), required=True)
        end = filters.date(errors, "filter.ended_at", params.get("filter[ended_at]"), required=True)
        split = filters.choice(
            errors, "split", params.get("split") or params.get("filter[split]"), SPLITS, default=None
        )
        filters.ordered(errors, "filter.started_at", start, "filter.ended_at", end)
        filters.capped(
            errors, "split", start, end, split, MAX_UPTIME_PERIODS, "use a larger split or a shorter period"
        )
        if errors:
            raise ValidationFailed(errors)
        assert start is not None and end is not None and split is not None
        with self._sessions() as session:
            self._monitor(session, who, monitor_id)
            check_id = repo.uptime_check_id(session, monitor_id)
            if check_id is None:
                return []
            return repo.uptime_series(session, [check_id], start, end, cast(repo.Split, split))

    def downtime(
        self, who: Principal, monitor_id: int, params: Mapping[str, str], page: int, size: int
    ) -> Page[DowntimeRecord]:
        """Downtime periods overlapping the range (default: all), newest first."""
        errors: filters.Errors = {}
        start = filters.date(errors, "filter.started_at", params.get("filter[started_at]"), required=False)
        end = filters.date(errors, "filter.ended_at", params.get("filter[ended_at]"), required=False)
        filters.ordered(errors, "filter.started_at", start, "filter.ended_at", end)
        if errors:
            raise ValidationFailed(errors)
        with self._sessions() as session:
            self._monitor(session, who, monitor_id)
            rows, total = repo.downtime_page(
                session,
                monitor_id,
                start or _EPOCH,
                # An ongoing period started before now; the far future keeps it in range.
                end or datetime(9999, 1, 1, tzinfo=UTC),
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

    def metrics(
        self, who: Principal, monitor_id: int, kind: str, params: Mapping[str, str]
    ) -> list[MetricPoint]:
        """Uptime metrics of an http, ping or tcp monitor; asking with another kind is a 404."""
        errors: filters.Errors = {}
        start = filters.date(errors, "filter.start", params.get("filter[start]"), required=True)
        end = filters.date(errors, "filter.end", params.get("filter[end]"), required=True)
        group_by = filters.choice(
            errors, "filter.group_by", params.get("filter[group_by]"), GROUPINGS, default="minute"
        )
        now = self._clock()
        # Future bounds are clamped to now, as Oh Dear does, before counting points.
        start = min(start, now) if start is not None else None
        end = min(end, now) if end is not None else None
        filters.ordered(errors, "filter.start", start, "filter.end", end)
        advice = "use a larger filter.group by or a shorter period"
        filters.capped(errors, "filter.group_by", start, end, group_by, MAX_METRIC_POINTS, advice)
        if errors:
            raise ValidationFailed(errors)
        assert start is not None and end is not None and group_by is not None
        with self._sessions() as session:
            monitor = self._monitor(session, who, monitor_id)
            if monitor.type != kind:
                raise NotFoundError(f"The monitor is not a {kind} monitor.")
            check_id = repo.uptime_check_id(session, monitor_id)
            if check_id is None:
                return []
            return repo.metrics(session, check_id, start, end, cast(repo.GroupBy, group_by))

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
        for check in monitors_repo.checks_of(session, [monitor_id]).get(monitor_id, []):
            if check.type == check_type:
                return check.id
        raise NotFoundError(f"The monitor has no {check_type} check.")

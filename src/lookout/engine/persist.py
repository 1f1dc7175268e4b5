"""One transaction per batch of finished runs: runs, evaluator state, display columns,
next runs, state changes, downtime periods, monitor summaries and rollups.

The performance check has no schedule: when a monitor's performance check is enabled,
each uptime result is judged into a performance result stored as that check's own run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from lookout.engine.averages import AverageBook
from lookout.engine.evaluator import CheckState, Evaluation, Status, evaluate
from lookout.engine.queue.base import Job
from lookout.engine.rollups import COLUMNS as ROLLUP_COLUMNS
from lookout.engine.rollups import RollupBook
from lookout.engine.settings_cache import SettingsCache
from lookout.engine.timing import QUICK_RECHECK_SECONDS, next_run_at
from lookout.model.check_settings import PerformanceSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult
from lookout.model.summary import summarize
from lookout.store.repositories import engine as repo

PerformanceJudge = Callable[[CheckResult, PerformanceSettings, float | None], CheckResult | None]
AVERAGE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Finished:
    job: Job
    result: CheckResult


@dataclass(slots=True)  # not frozen: cheaper to build, and it never leaves this module
class _Item:
    check_id: int
    monitor_id: int
    check_type: str
    result: CheckResult
    threshold: int
    interval: float
    scheduled: bool


@dataclass(frozen=True, slots=True)
class BatchReport:
    stored: int
    dropped: int
    changes: int


def persist_batch(
    session: Session,
    finished: Sequence[Finished],
    now: datetime,
    judge: PerformanceJudge | None = None,
    quick_recheck: float = QUICK_RECHECK_SECONDS,
    settings: SettingsCache | None = None,
    averages: AverageBook | None = None,
) -> BatchReport:
    # One read brings every check of the batch's monitors with its state: enabled flags,
    # the performance checks to judge, prior states and what the monitor summaries need.
    perf_type = CheckType.PERFORMANCE.value
    checks = repo.batch_checks(session, {f.job.monitor_id for f in finished}, (perf_type,))
    kept = [f for f in finished if _keep(f, checks)]
    items = [_item(f) for f in kept]
    if judge is not None:
        cache = settings if settings is not None else SettingsCache()
        items += _performance_items(session, items, checks, now, judge, cache, averages)
    items.sort(key=lambda item: item.result.started_at)
    states: dict[int, CheckState] = {}
    for item in items:
        stored = checks[item.check_id].state
        if stored is not None and item.check_id not in states:
            states[item.check_id] = _state(stored)
    writes = _Writes(now, quick_recheck)
    for item in items:
        prior = states.get(item.check_id, CheckState())
        evaluation = evaluate(prior, item.result, item.threshold, now)
        states[item.check_id] = evaluation.state
        writes.add(session, item, prior, evaluation)
    writes.flush(session, states, checks)
    return BatchReport(len(items), len(finished) - len(kept), writes.changes)


def _keep(finished: Finished, checks: dict[int, repo.BatchCheck]) -> bool:
    check = checks.get(finished.job.check_id)
    return check is not None and (check.enabled or finished.job.requested)


def _item(finished: Finished) -> _Item:
    job = finished.job
    return _Item(
        job.check_id,
        job.monitor_id,
        job.check_type,
        finished.result,
        job.threshold,
        job.interval_seconds,
        scheduled=True,
    )


def _performance_items(
    session: Session,
    items: list[_Item],
    checks: dict[int, repo.BatchCheck],
    now: datetime,
    judge: PerformanceJudge,
    settings: SettingsCache,
    book: AverageBook | None,
) -> list[_Item]:
    perf_type = CheckType.PERFORMANCE.value
    perf = {
        check.monitor_id: check
        for check in checks.values()
        if check.check_type == perf_type and check.enabled
    }
    uptime = [
        item for item in items if item.check_type == CheckType.UPTIME.value and item.monitor_id in perf
    ]
    if not uptime:
        return []
    perf_ids = {perf[item.monitor_id].check_id for item in uptime}
    if book is None:
        averages = repo.recent_averages(session, perf_ids, now - AVERAGE_WINDOW)
    else:
        averages = book.averages(session, perf_ids, now, repo.recent_averages)
    derived: list[_Item] = []
    for item in uptime:
        check = perf[item.monitor_id]
        try:
            prepared = settings.get(check.check_id, perf_type, MonitorType.HTTP.value, check.settings)
        except ValidationError:
            continue  # a performance check whose settings no longer validate is not judged
        assert isinstance(prepared.settings, PerformanceSettings)
        judged = judge(item.result, prepared.settings, averages.get(check.check_id))
        if judged is not None:
            derived.append(
                _Item(check.check_id, item.monitor_id, perf_type, judged, 1, item.interval, scheduled=False)
            )
    return derived


def _state(row: repo.StoredState) -> CheckState:
    return CheckState(
        Status(row.status),
        row.failures_in_a_row,
        row.successes_in_a_row,
        row.failing_since,
        row.last_run_at,
        row.changed_at,
    )


class _Writes:
    """Rows gathered over a batch, written with one statement per kind."""

    def __init__(self, now: datetime, quick_recheck: float) -> None:
        self.now = now
        self.quick_recheck = quick_recheck
        self.runs: list[dict[str, Any]] = []
        self.checks: dict[int, dict[str, Any]] = {}
        self.state_changes: list[dict[str, Any]] = []
        self.monitors: dict[int, datetime] = {}
        self.rollups = RollupBook()
        self.changes = 0

    def add(self, session: Session, item: _Item, prior: CheckState, ev: Evaluation) -> None:
        result = item.result
        self.runs.append(_run_row(item))
        update = self.checks.setdefault(item.check_id, {"id": item.check_id})
        if ev.display:
            update.update(
                latest_run_started_at=result.started_at,
                latest_run_ended_at=result.ended_at,
                latest_run_result=result.outcome.value,
                summary=result.summary,
                updated_at=self.now,
            )
            self.monitors[item.monitor_id] = max(
                result.ended_at, self.monitors.get(item.monitor_id, result.ended_at)
            )
        if item.scheduled:
            update["next_run_at"] = next_run_at(
                item.check_id,
                item.interval,
                result.started_at,
                ev.state.confirming_failure,
                self.quick_recheck,
            )
        self.rollups.add(
            item.check_id,
            result,
            prior.last_run_at,
            item.interval,
            down=ev.state.status is Status.DOWN,
        )
        if ev.change is not None:
            self._change(session, item, ev)

    def _change(self, session: Session, item: _Item, ev: Evaluation) -> None:
        change = ev.change
        assert change is not None
        self.changes += 1
        self.state_changes.append(
            {
                "check_id": item.check_id,
                "monitor_id": item.monitor_id,
                "from_status": change.from_status.value,
                "to_status": change.to_status.value,
                "result": change.result,
                "summary": change.summary[:1024],
                "created_at": self.now,
            }
        )
        if item.check_type != CheckType.UPTIME.value:
            return
        if change.to_status is Status.DOWN:
            repo.open_downtime(session, item.monitor_id, item.check_id, change.since)
        elif change.from_status is Status.DOWN:
            repo.close_downtime(session, item.check_id, change.since)

    def flush(
        self, session: Session, states: dict[int, CheckState], checks: dict[int, repo.BatchCheck]
    ) -> None:
        session.flush()
        repo.insert_runs(session, self.runs)
        repo.upsert_states(session, [_state_row(cid, states[cid]) for cid in self.checks])
        repo.update_checks(session, [row for row in self.checks.values() if len(row) > 1])
        repo.insert_state_changes(session, self.state_changes)
        repo.update_monitors(session, self._monitor_rows(checks))
        repo.upsert_rollup_values(session, ROLLUP_COLUMNS, self.rollups.values())

    def _monitor_rows(self, checks: dict[int, repo.BatchCheck]) -> list[dict[str, Any]]:
        """Each shown monitor's summary over its enabled checks' latest results, this batch's
        updates included."""
        results: dict[int, list[str | None]] = {monitor_id: [] for monitor_id in self.monitors}
        for check in checks.values():
            if check.enabled and check.monitor_id in results:
                update = self.checks.get(check.check_id)
                latest = update.get("latest_run_result") if update else None
                results[check.monitor_id].append(latest or check.latest_run_result)
        return [
            {"id": mid, "latest_run_date": at, "summarized_check_result": summarize(results[mid])}
            for mid, at in self.monitors.items()
        ]


def _run_row(item: _Item) -> dict[str, Any]:
    result, timings = item.result, item.result.timings
    return {
        "check_id": item.check_id,
        "monitor_id": item.monitor_id,
        "result": result.outcome.value,
        "summary": result.summary[:1024],
        "started_at": result.started_at,
        "ended_at": result.ended_at,
        "location": result.location,
        "total_ms": timings.total_ms,
        "dns_ms": timings.dns_ms,
        "connect_ms": timings.connect_ms,
        "tls_ms": timings.tls_ms,
        "first_byte_ms": timings.first_byte_ms,
        "download_ms": timings.download_ms,
        "details": result.details,
    }


def _state_row(check_id: int, state: CheckState) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "status": state.status.value,
        "failures_in_a_row": state.failures_in_a_row,
        "successes_in_a_row": state.successes_in_a_row,
        "failing_since": state.failing_since,
        "last_run_at": state.last_run_at,
        "changed_at": state.changed_at,
    }

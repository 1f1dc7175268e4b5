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

from sqlalchemy.orm import Session

from lookout.engine.evaluator import CheckState, Evaluation, Status, evaluate
from lookout.engine.queue.base import Job
from lookout.engine.rollups import RollupBook
from lookout.engine.timing import QUICK_RECHECK_SECONDS, next_run_at
from lookout.model.check_settings import PerformanceSettings
from lookout.model.check_type import CheckType
from lookout.model.result import CheckResult
from lookout.store.repositories import engine as repo

PerformanceJudge = Callable[[CheckResult, PerformanceSettings, float | None], CheckResult | None]
AVERAGE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Finished:
    job: Job
    result: CheckResult


@dataclass(frozen=True, slots=True)
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
) -> BatchReport:
    infos = repo.check_infos(session, (f.job.check_id for f in finished))
    items = [_item(f) for f in finished if _keep(f, infos)]
    if judge is not None:
        items += _performance_items(session, items, now, judge)
    items.sort(key=lambda item: item.result.started_at)
    states = {cid: _state(row) for cid, row in repo.states(session, {i.check_id for i in items}).items()}
    writes = _Writes(now, quick_recheck)
    for item in items:
        prior = states.get(item.check_id, CheckState())
        evaluation = evaluate(prior, item.result, item.threshold, now)
        states[item.check_id] = evaluation.state
        writes.add(session, item, prior, evaluation)
    writes.flush(session, states)
    return BatchReport(
        len(items),
        len(finished) - sum(1 for f in finished if _keep(f, infos)),
        writes.changes,
    )


def _keep(finished: Finished, infos: dict[int, repo.CheckInfo]) -> bool:
    info = infos.get(finished.job.check_id)
    return info is not None and (info.enabled or finished.job.requested)


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
    session: Session, items: list[_Item], now: datetime, judge: PerformanceJudge
) -> list[_Item]:
    uptime = [item for item in items if item.check_type == CheckType.UPTIME.value]
    if not uptime:
        return []
    perf = repo.enabled_checks_of_type(
        session, {item.monitor_id for item in uptime}, CheckType.PERFORMANCE.value
    )
    if not perf:
        return []
    averages = repo.recent_averages(session, {perf_id for perf_id, _ in perf.values()}, now - AVERAGE_WINDOW)
    derived: list[_Item] = []
    for item in uptime:
        if item.monitor_id not in perf:
            continue
        perf_id, raw = perf[item.monitor_id]
        judged = judge(item.result, PerformanceSettings.model_validate(raw), averages.get(perf_id))
        if judged is not None:
            derived.append(
                _Item(
                    perf_id,
                    item.monitor_id,
                    CheckType.PERFORMANCE.value,
                    judged,
                    1,
                    item.interval,
                    scheduled=False,
                )
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

    def flush(self, session: Session, states: dict[int, CheckState]) -> None:
        session.flush()
        repo.insert_runs(session, self.runs)
        repo.upsert_states(session, [_state_row(cid, states[cid]) for cid in self.checks])
        repo.update_checks(session, [row for row in self.checks.values() if len(row) > 1])
        repo.insert_state_changes(session, self.state_changes)
        repo.refresh_monitors(session, self.monitors)
        repo.upsert_rollups(session, self.rollups.rows())


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

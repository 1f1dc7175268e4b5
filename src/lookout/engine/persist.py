"""One transaction per batch of finished runs: runs, derived judgements, findings, evaluator
state, display columns, next runs, state changes, downtime periods, monitor summaries and
rollups.

What each run records is what its check type declares (checks/base.py): uptime rollups
and downtime only where `records_uptime` / `records_downtime` say so, findings diffed only
for types with a `FindingsSpec`, derived checks (performance) judged from their source's
results. Nothing here names a check type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from lookout.checks.base import AnyCheck, Check, DerivedCheck, FindingsSpec
from lookout.engine.averages import AverageBook
from lookout.engine.evaluator import CheckState, Evaluation, FindingsNews, Status, evaluate
from lookout.engine.queue.base import Job
from lookout.engine.rollups import RollupBook
from lookout.engine.settings_cache import SettingsCache
from lookout.engine.timing import QUICK_RECHECK_SECONDS, next_run_at
from lookout.model.check_type import CheckType
from lookout.model.findings import FindingsDiff, diff
from lookout.model.result import CheckResult, Outcome
from lookout.model.summary import summarize
from lookout.store.repositories.engine import BatchCheck, BatchWrites, EngineStore, StoredState
from lookout.store.repositories.run_records import RUN_RECORDERS

AVERAGE_WINDOW = timedelta(minutes=15)
AVERAGE_MAX_AGE = timedelta(seconds=60)
RUNS_KEPT_PER_CHECK = 100


@dataclass(frozen=True, slots=True)
class Finished:
    job: Job
    result: CheckResult


@dataclass(frozen=True, slots=True)
class Declared:
    """What the writer needs to know of a check type, read once from its declarations."""

    records_uptime: bool
    records_downtime: bool
    findings: FindingsSpec | None


@dataclass(slots=True)  # not frozen: cheaper to build, and it never leaves this module
class _Item:
    check_id: int
    monitor_id: int
    check_type: str
    monitor_type: str
    result: CheckResult
    threshold: int
    interval: float | None
    scheduled: bool
    declared: Declared


@dataclass(frozen=True, slots=True)
class BatchReport:
    stored: int
    dropped: int
    changes: int
    # The state changes written, as stored (for the log and the metrics, after the commit).
    state_changes: Sequence[Mapping[str, Any]] = ()


class BatchPersister:
    def __init__(
        self,
        store: EngineStore,
        checks: Mapping[CheckType, AnyCheck],
        settings: SettingsCache,
        *,
        quick_recheck: float = QUICK_RECHECK_SECONDS,
        averages: AverageBook | None = None,
        runs_kept: int = RUNS_KEPT_PER_CHECK,
        shared_writes: bool = False,
    ) -> None:
        self.store = store
        # Other processes store runs too (a shared queue): a batch's checks are locked first.
        self._shared_writes = shared_writes
        self._settings = settings
        self._quick_recheck = quick_recheck
        self._runs_kept = max(runs_kept, 1)
        self._averages = averages or AverageBook(AVERAGE_WINDOW, AVERAGE_MAX_AGE)
        self._declared = {
            t.value: Declared(
                c.records_uptime, c.records_downtime, c.findings if isinstance(c, Check) else None
            )
            for t, c in checks.items()
        }
        self._derived: dict[str, list[tuple[str, DerivedCheck[Any]]]] = {}
        for t, c in checks.items():
            if isinstance(c, DerivedCheck):
                self._derived.setdefault(c.source.value, []).append((t.value, c))
        self._derived_types = tuple(t for pairs in self._derived.values() for t, _ in pairs)
        # Checks of types this process cannot run say nothing about a monitor's health yet.
        self._counted = frozenset(self._declared)
        self._counted_list = sorted(self._counted)

    def persist(self, session: Session, finished: Sequence[Finished], now: datetime) -> BatchReport:
        store = self.store
        if self._shared_writes:
            store.lock_checks(session, {f.job.check_id for f in finished})
        # One read brings the batch's monitors' enabled checks of the types this process
        # runs (and the batch's own) with their states: derived checks to judge, prior
        # states and the monitor summaries.
        checks = store.batch_checks(
            session,
            {f.job.monitor_id for f in finished},
            {f.job.check_id for f in finished},
            self._derived_types,
            self._counted_list,
        )
        kept = [f for f in finished if _keep(f, checks) and f.job.check_type in self._declared]
        items = [self._item(f) for f in kept]
        if self._derived:
            items += self._derived_items(session, items, checks, now)
        items.sort(key=lambda item: item.result.started_at)
        states: dict[int, CheckState] = {}
        success_counts: dict[int, int] = {}
        for item in items:
            stored = checks[item.check_id].state
            if stored is not None and item.check_id not in states:
                states[item.check_id] = _state(stored)
                success_counts[item.check_id] = stored.success_count
        findings = _FindingsStep(store, session, items, now)
        writes = _Writes(store, now, self._quick_recheck, self._runs_kept, success_counts)
        for item in items:
            prior = states.get(item.check_id, CheckState())
            news = findings.news(item, baseline=prior.last_run_at is None)
            evaluation = evaluate(prior, item.result, item.threshold, now, news)
            states[item.check_id] = evaluation.state
            writes.add(session, item, prior, evaluation)
        writes.flush(session, states, checks, self._counted)
        return BatchReport(len(items), len(finished) - len(kept), writes.changes, writes.state_changes)

    def _item(self, finished: Finished) -> _Item:
        job = finished.job
        return _Item(
            job.check_id,
            job.monitor_id,
            job.check_type,
            job.monitor_type,
            finished.result,
            job.threshold,
            job.interval_seconds,
            True,
            self._declared[job.check_type],
        )

    def _derived_items(
        self, session: Session, items: list[_Item], checks: dict[int, BatchCheck], now: datetime
    ) -> list[_Item]:
        enabled = {
            (check.monitor_id, check.check_type): check
            for check in checks.values()
            if check.enabled and check.check_type in self._derived_types
        }
        wanted: list[tuple[_Item, BatchCheck, DerivedCheck[Any]]] = []
        for item in items:
            for derived_type, derived in self._derived.get(item.check_type, ()):
                check = enabled.get((item.monitor_id, derived_type))
                if check is not None:
                    wanted.append((item, check, derived))
        if not wanted:
            return []
        average_ids = {check.check_id for _, check, derived in wanted if derived.wants_recent_average}
        averages = (
            self._averages.averages(session, average_ids, now, self.store.recent_averages)
            if average_ids
            else {}
        )
        out: list[_Item] = []
        for item, check, derived in wanted:
            try:
                prepared = self._settings.get(
                    check.check_id, check.check_type, item.monitor_type, check.settings
                )
            except ValidationError:
                continue  # a derived check whose settings no longer validate is not judged
            judged = derived.judge(item.result, prepared.settings, averages.get(check.check_id))
            if judged is not None:
                declared = self._declared[check.check_type]
                out.append(
                    _Item(
                        check.check_id,
                        item.monitor_id,
                        check.check_type,
                        item.monitor_type,
                        judged,
                        1,
                        item.interval,
                        False,
                        declared,
                    )
                )
        return out


def _keep(finished: Finished, checks: dict[int, BatchCheck]) -> bool:
    """A result is stored only for the check it was run for: one deleted meanwhile, or (ids
    are never reused, but this is cheap) one that belongs to another monitor now, gets none."""
    job = finished.job
    check = checks.get(job.check_id)
    return check is not None and check.monitor_id == job.monitor_id and (check.enabled or job.requested)


def _state(row: StoredState) -> CheckState:
    return CheckState(
        Status(row.status),
        row.failures_in_a_row,
        row.successes_in_a_row,
        row.failing_since,
        row.last_run_at,
        row.changed_at,
    )


class _FindingsStep:
    """Diffs each run's findings against the stored open ones and records them: the one
    place "new" and "fixed" are computed. Runs without findings cost nothing here."""

    def __init__(self, store: EngineStore, session: Session, items: list[_Item], now: datetime) -> None:
        self._store = store
        self._session = session
        self._now = now
        ids = {
            item.check_id
            for item in items
            if item.result.findings is not None and item.declared.findings is not None
        }
        self._open = store.open_findings(session, ids) if ids else {}

    def news(self, item: _Item, *, baseline: bool) -> FindingsNews | None:
        """Record the run's findings; the news in them, unless this is the check's first run
        (what it finds first is the baseline: a problem in it shows in the outcome)."""
        spec, found = item.declared.findings, item.result.findings
        if spec is None or found is None:
            return None
        previous = self._open[item.check_id]
        change = diff(previous, found)
        self._store.apply_findings(self._session, item.check_id, change, item.result.started_at)
        if not baseline and change.kinds() & spec.warns_on:
            item.result = _warned(item.result, spec, change, previous)
        # A second run of the same check in this batch diffs against this one.
        for key in change.resolved:
            del previous[key]
        for finding in (*change.new, *change.changed):
            previous[finding.key] = dict(finding.payload)
        if baseline or not change.kinds() & spec.events_on:
            return None
        return FindingsNews(change.describe(spec.noun), change.as_details())


_CHANGES_KEPT = 50


def _warned(
    result: CheckResult, spec: FindingsSpec, change: FindingsDiff, before: Mapping[str, Mapping[str, Any]]
) -> CheckResult:
    """A succeeded run whose findings changed the way its check calls a warning: a warning,
    with the before and after payloads of what changed in its details (bounded)."""
    changes: list[dict[str, Any]] = []
    for finding in (*change.new, *change.changed):
        old = before.get(finding.key)
        was = None if old is None else dict(old)
        changes.append({"key": finding.key, "before": was, "after": dict(finding.payload)})
    changes.extend({"key": key, "before": dict(before[key]), "after": None} for key in change.resolved)
    details = {**result.details, "findings_changes": changes[:_CHANGES_KEPT]}
    if result.outcome is not Outcome.SUCCEEDED:
        return replace(result, details=details)
    reason = change.describe(spec.noun)
    return replace(result, outcome=Outcome.WARNING, summary=reason[:1].upper() + reason[1:], details=details)


class _Writes:
    """Rows gathered over a batch, written with one statement per kind."""

    def __init__(
        self,
        store: EngineStore,
        now: datetime,
        quick_recheck: float,
        runs_kept: int,
        success_counts: dict[int, int],
    ) -> None:
        self.store = store
        self.now = now
        self.quick_recheck = quick_recheck
        self.runs_kept = runs_kept
        self.success_counts = success_counts
        self.runs: list[dict[str, Any]] = []
        self.checks: dict[int, dict[str, Any]] = {}
        self.state_changes: list[dict[str, Any]] = []
        self.monitors: dict[int, datetime] = {}
        self.rollups = RollupBook()
        self.changes = 0

    def add(self, session: Session, item: _Item, prior: CheckState, ev: Evaluation) -> None:
        result = item.result
        # A success takes the next slot of the check's ring, replacing the success `runs_kept`
        # before it; anything else has no slot and is kept for the retention.
        slot = None
        if result.outcome is Outcome.SUCCEEDED:
            count = self.success_counts.get(item.check_id, 0)
            slot = count % self.runs_kept
            self.success_counts[item.check_id] = count + 1
        self.runs.append(_run_row(item, slot))
        recorder = RUN_RECORDERS.get(item.check_type)
        if recorder is not None:  # rows the check type keeps beside its runs, same transaction
            recorder(session, item.check_id, item.monitor_id, result)
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
        if item.scheduled and item.interval is not None:
            update["next_run_at"] = next_run_at(
                item.check_id,
                item.interval,
                result.started_at,
                ev.state.confirming_failure,
                self.quick_recheck,
            )
        if item.declared.records_uptime:
            self.rollups.add(
                item.check_id,
                result,
                prior.last_run_at,
                item.interval or 60.0,
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
                "kind": change.kind.value,
                "from_status": change.from_status.value,
                "to_status": change.to_status.value,
                "result": change.result,
                "reason": change.reason[:1024],
                "details": None if change.details is None else dict(change.details),
                "created_at": self.now,
            }
        )
        if not item.declared.records_downtime:
            return
        if change.to_status is Status.DOWN and change.from_status is not Status.DOWN:
            self.store.open_downtime(session, item.monitor_id, item.check_id, change.since)
        elif change.from_status is Status.DOWN and change.to_status is not Status.DOWN:
            self.store.close_downtime(session, item.check_id, change.since)

    def flush(
        self,
        session: Session,
        states: dict[int, CheckState],
        checks: dict[int, BatchCheck],
        counted: frozenset[str],
    ) -> None:
        session.flush()
        self.store.write_batch(
            session,
            BatchWrites(
                runs=self.runs,
                states=[_state_row(cid, states[cid], self.success_counts.get(cid, 0)) for cid in self.checks],
                checks=[row for row in self.checks.values() if len(row) > 1],
                changes=self.state_changes,
                monitors=self._monitor_rows(checks, counted),
                rollups=self.rollups.values(),
                minutes=self.rollups.minute_values(),
            ),
        )

    def _monitor_rows(self, checks: dict[int, BatchCheck], counted: frozenset[str]) -> list[dict[str, Any]]:
        """Each shown monitor's summary over its enabled checks' latest results, this batch's
        updates included."""
        results: dict[int, list[str | None]] = {monitor_id: [] for monitor_id in self.monitors}
        for check in checks.values():
            if check.enabled and check.monitor_id in results and check.check_type in counted:
                update = self.checks.get(check.check_id)
                latest = update.get("latest_run_result") if update else None
                results[check.monitor_id].append(latest or check.latest_run_result)
        return [
            {"id": mid, "latest_run_date": at, "summarized_check_result": summarize(results[mid])}
            for mid, at in self.monitors.items()
        ]


def _run_row(item: _Item, slot: int | None) -> dict[str, Any]:
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
        "slot": slot,
    }


def _state_row(check_id: int, state: CheckState, success_count: int) -> dict[str, Any]:
    return {
        "check_id": check_id,
        "status": state.status.value,
        "failures_in_a_row": state.failures_in_a_row,
        "successes_in_a_row": state.successes_in_a_row,
        "failing_since": state.failing_since,
        "last_run_at": state.last_run_at,
        "changed_at": state.changed_at,
        "success_count": success_count,
    }

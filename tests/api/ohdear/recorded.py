"""Runs recorded the way the engine records them: through the engine's BatchPersister,
so runs, evaluator state, downtime periods and rollups are all the real rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from lookout.app import Store
from lookout.engine.persist import Finished
from lookout.engine.queue.base import Job
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.store.db import transaction
from tests.engine.seed import persist

UP, DOWN = Outcome.SUCCEEDED, Outcome.FAILED


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def record(
    store: Store,
    monitor: dict,
    check_type: str,
    runs: Sequence[tuple[datetime, Outcome]],
    *,
    interval: float = 60.0,
    timings: Timings | None = None,
) -> None:
    """Store `runs` (start, outcome) of one check of `monitor`, one batch per run, in order."""
    check_id = next(c["id"] for c in monitor["checks"] if c["type"] == check_type)
    for started_at, outcome in runs:
        job = Job(
            check_id=check_id,
            monitor_id=monitor["id"],
            check_type=check_type,
            monitor_type=monitor["type"],
            url=monitor["url"],
            settings={},
            location="local",
            due_at=started_at,
            interval_seconds=interval,
            threshold=1,
        )
        summary = "Up" if outcome.is_up else "Down: connection refused"
        result = CheckResult(
            outcome,
            summary,
            started_at,
            started_at + timedelta(seconds=1),
            timings=timings if timings is not None and outcome.is_up else Timings(),
        )
        with transaction(store.sessions) as session:
            persist(session, [Finished(job, result)], started_at + timedelta(seconds=1), derived=False)

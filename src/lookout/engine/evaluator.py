"""Pure judgement of one result against a check's prior state; no I/O, no clock.

A check is `down` only after `threshold` failures in a row, and `up` again on the first
success. Until the threshold is reached the failure is recorded as a run but not shown:
the check keeps displaying its previous result (`Evaluation.display` is False).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lookout.model.result import CheckResult


class Status(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class CheckState:
    status: Status = Status.UNKNOWN
    failures_in_a_row: int = 0
    successes_in_a_row: int = 0
    failing_since: datetime | None = None
    last_run_at: datetime | None = None
    changed_at: datetime | None = None

    @property
    def confirming_failure(self) -> bool:
        """A failure was seen but is not confirmed yet: the scheduler re-checks quickly."""
        return self.failures_in_a_row > 0 and self.status is not Status.DOWN


@dataclass(frozen=True, slots=True)
class StateChange:
    from_status: Status
    to_status: Status
    result: str
    summary: str
    at: datetime
    # When a `down` change is dated: the first failure of the streak.
    since: datetime


@dataclass(frozen=True, slots=True)
class Evaluation:
    state: CheckState
    change: StateChange | None
    display: bool


def evaluate(state: CheckState, result: CheckResult, threshold: int, now: datetime) -> Evaluation:
    """The state after `result`, the crossing it caused if any, and whether to show it."""
    if result.outcome.is_up:
        return _on_success(state, result, now)
    return _on_failure(state, result, max(threshold, 1), now)


# States are built field by field rather than with dataclasses.replace: this runs for every
# result, and replace() costs several times a plain constructor call.


def _on_success(state: CheckState, result: CheckResult, now: datetime) -> Evaluation:
    was = state.status
    new = CheckState(
        Status.UP,
        0,
        state.successes_in_a_row + 1,
        None,
        result.started_at,
        state.changed_at if was is Status.UP else now,
    )
    if was is not Status.DOWN:
        return Evaluation(new, None, display=True)
    change = StateChange(
        Status.DOWN,
        Status.UP,
        result.outcome.value,
        result.summary,
        now,
        result.started_at,
    )
    return Evaluation(new, change, display=True)


def _on_failure(state: CheckState, result: CheckResult, threshold: int, now: datetime) -> Evaluation:
    failures = state.failures_in_a_row + 1
    since = state.failing_since or result.started_at
    if state.status is Status.DOWN or failures < threshold:
        new = CheckState(state.status, failures, 0, since, result.started_at, state.changed_at)
        return Evaluation(new, None, display=state.status is Status.DOWN)
    new = CheckState(Status.DOWN, failures, 0, since, result.started_at, now)
    change = StateChange(state.status, Status.DOWN, result.outcome.value, result.summary, now, since)
    return Evaluation(new, change, display=True)

"""Pure judgement of one result against a check's prior state; no I/O, no clock.

A check is `down` only after `threshold` failures in a row, and leaves `down` on the first
run that is not a failure. A warning (a certificate that expires soon, a slow response)
shows at once. Until the threshold is reached a failure is recorded as a run but not shown:
the check keeps displaying its previous result (`Evaluation.display` is False).

Every crossing is a `StateChange` with a kind — `failed`, `recovered`, `warning`, `fixed`
(a warning went away) or `changed` (the status stayed, but the check's findings changed in
a way it declares news) — and a reason in a person's words. Notifications and DNS failover
read these kinds; they never need to know which check type spoke.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from lookout.model.result import CheckResult, Outcome


class Status(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    WARNING = "warning"
    DOWN = "down"


class ChangeKind(StrEnum):
    FAILED = "failed"
    RECOVERED = "recovered"
    WARNING = "warning"
    FIXED = "fixed"
    CHANGED = "changed"


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
    kind: ChangeKind
    from_status: Status
    to_status: Status
    result: str
    reason: str
    at: datetime
    # When a `failed` change is dated: the first failure of the streak.
    since: datetime
    details: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    state: CheckState
    change: StateChange | None
    display: bool


@dataclass(frozen=True, slots=True)
class FindingsNews:
    """A difference in findings the check declares news: the reason and a bounded summary."""

    reason: str
    details: Mapping[str, Any]


def evaluate(
    state: CheckState,
    result: CheckResult,
    threshold: int,
    now: datetime,
    news: FindingsNews | None = None,
) -> Evaluation:
    """The state after `result`, the crossing it caused if any, and whether to show it."""
    outcome = result.outcome
    if outcome is Outcome.SUCCEEDED:
        ev = _on_up(state, result, now, Status.UP)
    elif outcome is Outcome.WARNING:
        ev = _on_up(state, result, now, Status.WARNING)
    else:
        ev = _on_failure(state, result, max(threshold, 1), now)
    if news is None:
        return ev
    if ev.change is not None:
        # One row per run: a status crossing carries the findings' news with it.
        change = ev.change
        merged = StateChange(
            change.kind,
            change.from_status,
            change.to_status,
            change.result,
            change.reason,
            change.at,
            change.since,
            news.details,
        )
        return Evaluation(ev.state, merged, ev.display)
    status = ev.state.status
    change = StateChange(
        ChangeKind.CHANGED, status, status, outcome.value, news.reason, now, result.started_at, news.details
    )
    return Evaluation(ev.state, change, ev.display)


# States are built field by field rather than with dataclasses.replace: this runs for every
# result, and replace() costs several times a plain constructor call.


def _on_up(state: CheckState, result: CheckResult, now: datetime, status: Status) -> Evaluation:
    was = state.status
    new = CheckState(
        status,
        0,
        state.successes_in_a_row + 1,
        None,
        result.started_at,
        state.changed_at if was is status else now,
    )
    kind = _up_kind(was, status)
    if kind is None:
        return Evaluation(new, None, display=True)
    change = StateChange(kind, was, status, result.outcome.value, result.summary, now, result.started_at)
    return Evaluation(new, change, display=True)


def _up_kind(was: Status, now_is: Status) -> ChangeKind | None:
    if was is Status.DOWN:
        return ChangeKind.RECOVERED
    if now_is is Status.WARNING and was is not Status.WARNING:
        return ChangeKind.WARNING
    if now_is is Status.UP and was is Status.WARNING:
        return ChangeKind.FIXED
    return None  # unknown → up is not news, nor is more of the same


def _on_failure(state: CheckState, result: CheckResult, threshold: int, now: datetime) -> Evaluation:
    failures = state.failures_in_a_row + 1
    since = state.failing_since or result.started_at
    if state.status is Status.DOWN or failures < threshold:
        new = CheckState(state.status, failures, 0, since, result.started_at, state.changed_at)
        return Evaluation(new, None, display=state.status is Status.DOWN)
    new = CheckState(Status.DOWN, failures, 0, since, result.started_at, now)
    change = StateChange(
        ChangeKind.FAILED, state.status, Status.DOWN, result.outcome.value, result.summary, now, since
    )
    return Evaluation(new, change, display=True)

"""Scheduled tasks (Oh Dear's cron checks): definitions, pings and what a ping means.

A task is judged from its pings alone, by pure functions: a ping moves it to a status and
sets the instant by which the next good sign must arrive (`deadline_at`); the sweep moves
a task whose deadline passed to `late`. The monitor's `cron` check is judged from all of
its tasks together (checks/cron).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from lookout.model.cron_schedule import next_fire

MAX_FREQUENCY_MINUTES = 525_600  # a year
MAX_GRACE_MINUTES = 10_080  # a week
DEFAULT_GRACE_MINUTES = 5
DEFAULT_TIMEZONE = "UTC"


class CronType(StrEnum):
    SIMPLE = "simple"
    CRON = "cron"


class PingKind(StrEnum):
    FINISHED = "finished"  # also a bare GET/POST of the ping url
    STARTING = "starting"
    FAILED = "failed"


class TaskStatus(StrEnum):
    NEW = "new"  # waiting on its first ping: never late
    OK = "ok"
    RUNNING = "running"  # pinged `starting`, not `finished` yet
    FAILED = "failed"
    LATE = "late"


# What the API shows per status: latest_result comes from the last ping, label and color
# from the status.
LATEST_RESULT = {
    PingKind.FINISHED: "pingFinished",
    PingKind.STARTING: "pingStarting",
    PingKind.FAILED: "pingFailed",
}
LABELS: dict[TaskStatus, tuple[str, str]] = {
    TaskStatus.NEW: ("waiting on first ping", "blue"),
    TaskStatus.OK: ("ok", "green"),
    TaskStatus.RUNNING: ("running", "blue"),
    TaskStatus.FAILED: ("failed", "red"),
    TaskStatus.LATE: ("late", "red"),
}
FAILING = frozenset({TaskStatus.FAILED, TaskStatus.LATE})
SNOOZED = "snoozed"


@dataclass(frozen=True, slots=True)
class Schedule:
    type: CronType
    grace_minutes: int
    frequency_in_minutes: int | None = None
    cron_expression: str | None = None
    timezone: str = DEFAULT_TIMEZONE

    def expected_after(self, at: datetime) -> datetime:
        """When the next run is due after a run that pinged at `at`."""
        if self.type is CronType.SIMPLE:
            return at + timedelta(minutes=self.frequency_in_minutes or 1)
        assert self.cron_expression
        return next_fire(self.cron_expression, self.timezone or DEFAULT_TIMEZONE, at)

    def deadline_after(self, at: datetime) -> datetime:
        """Late after this instant unless another good ping arrives."""
        return self.expected_after(at) + timedelta(minutes=self.grace_minutes)

    def running_deadline(self, started_at: datetime) -> datetime:
        """A job that said `starting` must say `finished` within its grace (a minute at least)."""
        return started_at + timedelta(minutes=max(self.grace_minutes, 1))


@dataclass(frozen=True, slots=True)
class Ping:
    kind: PingKind
    at: datetime
    memory: int | None = None
    runtime: float | None = None
    exit_code: int | None = None
    failure_message: str | None = None

    @property
    def failed(self) -> bool:
        """A `failed` ping, or a finished one with a non-zero exit code."""
        if self.kind is PingKind.FAILED:
            return True
        return self.kind is PingKind.FINISHED and self.exit_code not in (None, 0)


@dataclass(frozen=True, slots=True)
class TaskState:
    status: TaskStatus
    deadline_at: datetime | None = None
    started_at: datetime | None = None


def after_ping(schedule: Schedule, ping: Ping) -> TaskState:
    """The task's state right after `ping`."""
    if ping.failed:
        # Failed until a good ping; a failed job is not also waited for.
        return TaskState(TaskStatus.FAILED)
    if ping.kind is PingKind.STARTING:
        return TaskState(TaskStatus.RUNNING, schedule.running_deadline(ping.at), ping.at)
    return TaskState(TaskStatus.OK, schedule.deadline_after(ping.at))


def at(state: TaskState, now: datetime) -> TaskState:
    """The state at `now`: a task whose deadline has passed without a good ping is late."""
    waiting = state.status in (TaskStatus.OK, TaskStatus.RUNNING)
    if waiting and state.deadline_at is not None and state.deadline_at <= now:
        return TaskState(TaskStatus.LATE, None, state.started_at)
    return state


def effective(status: str, snoozed_until: datetime | None, now: datetime) -> str:
    """What the monitor's check must know of a task: `ok` (new, ok or running: nothing to
    tell, so `starting`/`finished` pings never make a check run), `snoozed` for a failing
    task under an active snooze, else `late` or `failed`."""
    if status not in FAILING:
        return TaskStatus.OK.value
    if snoozed_until is not None and snoozed_until > now:
        return SNOOZED
    return str(status)


def ping_result_label(status: str) -> tuple[str, str]:
    try:
        return LABELS[TaskStatus(status)]
    except ValueError:
        return (status, "gray")


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    """A task as the monitor's `cron` check judges it."""

    id: int
    name: str
    status: str
    deadline_at: datetime | None
    started_at: datetime | None
    snoozed_until: datetime | None
    latest_ping_at: datetime | None
    latest_exit_code: int | None
    latest_failure_message: str | None

    def state_at(self, now: datetime) -> TaskState:
        try:
            status = TaskStatus(self.status)
        except ValueError:
            status = TaskStatus.NEW
        return at(TaskState(status, self.deadline_at, self.started_at), now)


class TaskSource(Protocol):
    """Where the `cron` check reads a monitor's tasks (the engine reads the store)."""

    async def tasks(self, monitor_id: int) -> Sequence[TaskSnapshot]: ...

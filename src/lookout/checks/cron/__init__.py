"""Scheduled tasks (`cron`): an event-driven check, judged from the pings its tasks sent.

Nothing is dialled. Pings are recorded by the ping receiver; the heartbeat sweep
(engine/heartbeats.py) asks for a run of this check when one of a monitor's tasks becomes
late or failed, or recovers. The run reads the monitor's tasks through `ctx.cron_tasks`
and judges them all at `ctx.clock()`: the check fails while any task is late or failed, and
each failing task that is not snoozed is a finding, so a second task failing while the
check is already down is news too (a `changed` state change), and so is a snoozed task
still failing when its snooze ends. A snooze silences notifications, not the check: when
every failing task is snoozed, the details say until when (`silenced_until`).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, TypedDict

from lookout.checks.base import Check, CheckContext, FindingsSpec, Pool, Target
from lookout.checks.results import finish
from lookout.model.check_settings import CronSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.cron import SNOOZED, TaskSnapshot, TaskState, TaskStatus, effective
from lookout.model.events import SILENCED_UNTIL
from lookout.model.findings import DiffKind
from lookout.model.result import CheckResult, Finding, Outcome

MAX_SUMMARY = 1000


class TaskDetails(TypedDict):
    id: int
    name: str
    status: str  # new, ok, running, failed, late or snoozed
    reason: str | None


class CronDetails(TypedDict, total=False):
    tasks: list[TaskDetails]
    # Every failing task is snoozed: ISO 8601 UTC, the earliest end of those snoozes (the
    # outbox holds notifications until then; model/events.SILENCED_UNTIL).
    silenced_until: str


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "never"


def reason_of(task: TaskSnapshot, state: TaskState) -> str | None:
    """Why a failing task fails, in a person's words."""
    status = state.status
    if status is TaskStatus.LATE:
        if state.started_at is not None:
            return f"started at {_stamp(state.started_at)} and did not finish in time"
        return f"no ping since {_stamp(task.latest_ping_at)}"
    if status is TaskStatus.FAILED:
        parts = []
        if task.latest_exit_code not in (None, 0):
            parts.append(f"exit code {task.latest_exit_code}")
        if task.latest_failure_message:
            parts.append(task.latest_failure_message[:200])
        return ", ".join(parts) or "reported a failure"
    return None


def judge_tasks(
    tasks: Sequence[TaskSnapshot], now: datetime
) -> tuple[Outcome, str, CronDetails, tuple[Finding, ...]]:
    """The check's outcome, summary, details and findings for these tasks at `now`."""
    details: list[TaskDetails] = []
    failing: list[tuple[str, str]] = []
    findings: list[Finding] = []
    snoozes: list[datetime] = []  # the snooze ends of the failing tasks that are snoozed
    for task in tasks:
        state = task.state_at(now)
        told = effective(state.status, task.snoozed_until, now)
        shown = told if told == SNOOZED else state.status.value
        reason = reason_of(task, state)
        shown_reason = "snoozed" if told == SNOOZED else reason
        details.append({"id": task.id, "name": task.name, "status": shown, "reason": shown_reason})
        if state.status not in (TaskStatus.LATE, TaskStatus.FAILED):
            continue
        label = "late" if state.status is TaskStatus.LATE else "failed"
        if told == SNOOZED and task.snoozed_until is not None:
            snoozes.append(task.snoozed_until)
            label += f" (snoozed until {_stamp(task.snoozed_until)})"
        else:
            findings.append(
                Finding(f"task:{task.id}", {"name": task.name, "status": shown, "reason": reason})
            )
        failing.append((task.name, f"{task.name} {label}: {reason}"))
    if failing:
        summary = "; ".join(text for _, text in failing)
        if len(failing) > 1:
            summary = f"{len(failing)} scheduled tasks failing: {summary}"
        failed: CronDetails = {"tasks": details}
        if len(snoozes) == len(failing):
            failed[SILENCED_UNTIL] = min(snoozes).isoformat()
        return Outcome.FAILED, summary[:MAX_SUMMARY], failed, tuple(findings)
    if not tasks:
        return Outcome.SUCCEEDED, "No scheduled tasks", {"tasks": details}, ()
    count = len(tasks)
    summary = (
        "1 scheduled task, not late or failed"
        if count == 1
        else f"{count} scheduled tasks, none late or failed"
    )
    return Outcome.SUCCEEDED, summary, {"tasks": details}, ()


class CronCheck(Check[CronSettings]):
    type: ClassVar[CheckType] = CheckType.CRON
    pool: ClassVar[Pool] = Pool.FAST
    scheduled: ClassVar[bool] = False
    details: ClassVar[builtins.type] = CronDetails
    # A task that starts failing is news even while another one keeps the check down.
    findings: ClassVar[FindingsSpec | None] = FindingsSpec(
        "failing scheduled task", frozenset({DiffKind.NEW})
    )

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[CronSettings]:
        return CronSettings

    def interval(self, settings: CronSettings) -> float | None:
        return None

    def time_budget(self, settings: CronSettings) -> float:
        return 30.0

    async def run(self, target: Target, settings: CronSettings, ctx: CheckContext) -> CheckResult:
        started = ctx.clock()
        source = ctx.cron_tasks
        if source is None:
            return finish(ctx, started, Outcome.ERRORED, "Scheduled tasks cannot be read by this process")
        tasks = await source.tasks(target.monitor_id)
        outcome, summary, details, findings = judge_tasks(tasks, ctx.clock())
        return finish(ctx, started, outcome, summary, details=dict(details), findings=findings)

"""Performance, judged from the uptime run's own timings: no second request.

A derived check: the engine hands each uptime result of a monitor whose performance check is
enabled to `PerformanceCheck.judge`, with the average of its own last 15 minutes.

`judge_performance` returns None when the uptime run measured nothing (the target was down
or errored): there is no response time to judge, and uptime already reports the outage, so
the engine records no performance result for that run.
"""

from __future__ import annotations

import builtins
from typing import ClassVar, TypedDict

from lookout.checks.base import DerivedCheck
from lookout.model.check_settings import PerformanceSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome

# A rise must also be this large in milliseconds to count: a site answering in 2 ms instead
# of 1 ms is "100% slower" but nobody should be told about it.
MIN_RISE_MS = 100.0


class PerformanceDetails(TypedDict):
    total_ms: float
    threshold_in_ms: int
    recent_average_ms: float | None
    change_percentage: float | None


def judge_performance(
    uptime: CheckResult, settings: PerformanceSettings, recent_average_ms: float | None
) -> CheckResult | None:
    total_ms = uptime.timings.total_ms
    if not uptime.outcome.is_up or total_ms is None:
        return None
    outcome, summary = Outcome.SUCCEEDED, f"{total_ms:.0f} ms"
    rise = _rise_percentage(total_ms, recent_average_ms)
    if total_ms > settings.threshold_in_ms:
        outcome = Outcome.WARNING
        summary = f"Slow: {total_ms:.0f} ms, threshold {settings.threshold_in_ms} ms"
    elif (
        rise is not None
        and rise > settings.change_percentage
        and recent_average_ms is not None
        and total_ms - recent_average_ms >= MIN_RISE_MS
    ):
        outcome = Outcome.WARNING
        summary = (
            f"Slower: {total_ms:.0f} ms, {rise:.0f}% above the recent average of {recent_average_ms:.0f} ms"
        )
    return CheckResult(
        outcome=outcome,
        summary=summary,
        started_at=uptime.started_at,
        ended_at=uptime.ended_at,
        location=uptime.location,
        timings=uptime.timings,
        details=PerformanceDetails(
            total_ms=total_ms,
            threshold_in_ms=settings.threshold_in_ms,
            # As the API shows averages: a mean's seventeen digits cost a stored run 8 bytes.
            recent_average_ms=None if recent_average_ms is None else round(recent_average_ms, 2),
            change_percentage=None if rise is None else round(rise, 1),
        ),
    )


def _rise_percentage(total_ms: float, recent_average_ms: float | None) -> float | None:
    if not recent_average_ms or recent_average_ms <= 0:
        return None
    return (total_ms / recent_average_ms - 1) * 100


class PerformanceCheck(DerivedCheck[PerformanceSettings]):
    type: ClassVar[CheckType] = CheckType.PERFORMANCE
    source: ClassVar[CheckType] = CheckType.UPTIME
    details = PerformanceDetails
    wants_recent_average = True

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[PerformanceSettings]:
        return PerformanceSettings

    def judge(
        self, source: CheckResult, settings: PerformanceSettings, recent_average_ms: float | None
    ) -> CheckResult | None:
        return judge_performance(source, settings, recent_average_ms)

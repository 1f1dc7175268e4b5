from datetime import UTC, datetime

import pytest

from lookout.checks.performance import judge_performance
from lookout.model.check_settings import PerformanceSettings
from lookout.model.result import CheckResult, Outcome, Timings

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def uptime(total_ms: float | None, outcome: Outcome = Outcome.SUCCEEDED) -> CheckResult:
    return CheckResult(outcome, "Up", NOW, NOW, "paris", Timings(total_ms=total_ms))


TABLE = [
    # total, threshold, change %, recent average, outcome, summary
    (212.4, 3500, 50, None, Outcome.SUCCEEDED, "212 ms"),
    (4120, 3500, 50, None, Outcome.WARNING, "Slow: 4120 ms, threshold 3500 ms"),
    (3500, 3500, 50, None, Outcome.SUCCEEDED, "3500 ms"),
    (902, 3500, 50, 410, Outcome.WARNING, "Slower: 902 ms, 120% above the recent average of 410 ms"),
    (600, 3500, 50, 410, Outcome.SUCCEEDED, "600 ms"),
    (615, 3500, 50, 410, Outcome.SUCCEEDED, "615 ms"),  # exactly 50% above is not more than 50%
    (4120, 3500, 50, 100, Outcome.WARNING, "Slow: 4120 ms, threshold 3500 ms"),  # slow wins
    (900, 3500, 50, 0, Outcome.SUCCEEDED, "900 ms"),  # no usable average
    (2.4, 3500, 50, 1.1, Outcome.SUCCEEDED, "2 ms"),  # +118%, but only 1.3 ms: noise
    (180, 3500, 50, 81, Outcome.SUCCEEDED, "180 ms"),  # +122%, but 99 ms is under the floor
    (181, 3500, 50, 81, Outcome.WARNING, "Slower: 181 ms, 123% above the recent average of 81 ms"),
]


@pytest.mark.parametrize(("total", "threshold", "change", "average", "outcome", "summary"), TABLE)
def test_judgement_table(
    total: float, threshold: int, change: int, average: float | None, outcome: Outcome, summary: str
) -> None:
    settings = PerformanceSettings(threshold_in_ms=threshold, change_percentage=change)
    result = judge_performance(uptime(total), settings, average)
    assert result is not None
    assert (result.outcome, result.summary) == (outcome, summary)
    assert result.timings.total_ms == total
    assert (result.location, result.started_at) == ("paris", NOW)


@pytest.mark.parametrize(
    "down", [uptime(None, Outcome.FAILED), uptime(120, Outcome.FAILED), uptime(None, Outcome.ERRORED)]
)
def test_nothing_to_judge_when_uptime_measured_nothing(down: CheckResult) -> None:
    assert judge_performance(down, PerformanceSettings(), 100) is None


def test_warning_uptime_is_still_judged() -> None:
    result = judge_performance(uptime(50, Outcome.WARNING), PerformanceSettings(), None)
    assert result is not None and result.outcome is Outcome.SUCCEEDED

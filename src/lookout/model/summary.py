"""A monitor's overall health from its enabled checks (Oh Dear `summarized_check_result`)."""

from __future__ import annotations

from collections.abc import Iterable

from lookout.model.check_type import CheckResultValue

_DOWN = {CheckResultValue.FAILED.value, CheckResultValue.ERRORED.value}


def summarize(latest_results_of_enabled_checks: Iterable[str | None]) -> str:
    """failed beats warning beats pending beats succeeded; no enabled check is pending."""
    seen = {result or CheckResultValue.PENDING.value for result in latest_results_of_enabled_checks}
    if not seen:
        return CheckResultValue.PENDING.value
    if seen & _DOWN:
        return CheckResultValue.FAILED.value
    if CheckResultValue.WARNING.value in seen:
        return CheckResultValue.WARNING.value
    if CheckResultValue.PENDING.value in seen:
        return CheckResultValue.PENDING.value
    return CheckResultValue.SUCCEEDED.value

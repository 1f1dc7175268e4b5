"""Building a CheckResult: the end time and location come from the context.

Every check type builds its results with these, so the clock and location are never
forgotten and a failed run always reads "Down: <reason>".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lookout.checks.base import CheckContext
from lookout.model.result import CheckResult, Finding, Outcome, Timings


def finish(
    ctx: CheckContext,
    started_at: datetime,
    outcome: Outcome,
    summary: str,
    *,
    timings: Timings | None = None,
    details: Mapping[str, Any] | None = None,
    findings: tuple[Finding, ...] | None = None,
    report: bytes | None = None,
) -> CheckResult:
    return CheckResult(
        outcome=outcome,
        summary=summary,
        started_at=started_at,
        ended_at=ctx.clock(),
        location=ctx.location,
        timings=timings or Timings(),
        details=details or {},
        findings=findings,
        report=report,
    )


def down(ctx: CheckContext, started_at: datetime, reason: str, **kwargs: Any) -> CheckResult:
    """A failed run whose summary is "Down: <reason>"."""
    return finish(ctx, started_at, Outcome.FAILED, f"Down: {reason}", **kwargs)

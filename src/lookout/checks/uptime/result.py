"""Building an uptime CheckResult: the clock and location come from the context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lookout.checks.base import CheckContext
from lookout.model.result import CheckResult, Outcome, Timings


def finish(
    ctx: CheckContext,
    started_at: datetime,
    outcome: Outcome,
    summary: str,
    *,
    timings: Timings | None = None,
    details: dict[str, Any] | None = None,
) -> CheckResult:
    return CheckResult(
        outcome=outcome,
        summary=summary,
        started_at=started_at,
        ended_at=ctx.clock(),
        location=ctx.location,
        timings=timings or Timings(),
        details=details or {},
    )


def down(ctx: CheckContext, started_at: datetime, reason: str, **kwargs: Any) -> CheckResult:
    return finish(ctx, started_at, Outcome.FAILED, f"Down: {reason}", **kwargs)

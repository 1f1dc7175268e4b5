"""Full reports beside a check's last runs: kept by the writer, read by the report endpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lookout.model.result import CheckResult
from lookout.store.tables import RunReport

# A Lighthouse report deflates to about 40 KB: five of them per check.
REPORTS_KEPT = 5


def record_report(session: Session, check_id: int, monitor_id: int, result: CheckResult) -> None:
    """Keep the run's report, if it has one, and drop the check's reports older than the
    last REPORTS_KEPT."""
    if result.report is None:
        return
    session.add(RunReport(check_id=check_id, started_at=result.started_at, report=result.report))
    session.flush()
    kept = (
        select(RunReport.id)
        .where(RunReport.check_id == check_id)
        .order_by(RunReport.started_at.desc(), RunReport.id.desc())
        .limit(REPORTS_KEPT)
    )
    session.execute(
        delete(RunReport).where(RunReport.check_id == check_id, RunReport.id.not_in(kept.scalar_subquery()))
    )


def report(session: Session, check_id: int, started_at: datetime) -> bytes | None:
    """The deflated report of the check's run that started at `started_at`, while kept."""
    return session.scalar(
        select(RunReport.report)
        .where(RunReport.check_id == check_id, RunReport.started_at == started_at)
        .limit(1)
    )

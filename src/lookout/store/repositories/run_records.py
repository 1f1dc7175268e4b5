"""Rows a check type keeps beside its runs, written by the engine's writer in the same
transaction as the run (so they are never lost or written twice apart from it).

The writer calls `RUN_RECORDERS[type]` for each stored run of a type listed here; a type
not listed keeps only its runs and findings. A recorder reads the run's result only (its
details, its report).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from lookout.model.check_type import CheckType
from lookout.model.result import CheckResult
from lookout.store.repositories import app_checks, reports

RunRecorder = Callable[[Session, int, int, CheckResult], None]
"""(session, check id, monitor id, result)."""

RUN_RECORDERS: dict[str, RunRecorder] = {
    CheckType.DOMAIN.value: app_checks.record_domain,
    CheckType.APPLICATION_HEALTH.value: app_checks.record_app_health,
    CheckType.LIGHTHOUSE.value: reports.record_report,
}

"""Full reports a check keeps beside its last few runs (Lighthouse's JSON report).

A report is hundreds of kilobytes, so it never goes into the run's details: the run keeps
the summary the API lists, and its report, deflated, sits here under the run's check and
start until newer runs push it out (store/repositories/reports.py keeps the last few).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, EpochMillis


class RunReport(Base):
    __tablename__ = "run_reports"
    __table_args__ = (Index("ix_run_reports_check_started", "check_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    # As the run's: the report of a run is found by its check and start.
    started_at: Mapped[datetime] = mapped_column(EpochMillis())
    # zlib-deflated JSON.
    report: Mapped[bytes] = mapped_column(LargeBinary)

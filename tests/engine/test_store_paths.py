"""The SQLite fast path stores exactly what the Core path (PostgreSQL's) stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from lookout.engine.persist import Finished
from lookout.engine.queue import Job
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.store.db import transaction
from lookout.store.repositories.engine import engine_store_for
from lookout.store.tables import (
    Check,
    CheckRun,
    CheckState,
    DowntimePeriod,
    MinuteRollup,
    Monitor,
    StateChange,
    UptimeHour,
)
from tests.engine.seed import add_monitor, migrated, persist

T0 = datetime(2025, 5, 1, 10, 59, 0, 123456, tzinfo=UTC)
TABLES = (CheckRun, CheckState, Check, Monitor, StateChange, DowntimePeriod, UptimeHour, MinuteRollup)


def _result(outcome: Outcome, at: datetime, total: float | None) -> CheckResult:
    return CheckResult(
        outcome,
        outcome.value,
        at,
        at + timedelta(milliseconds=250),
        timings=Timings(dns_ms=None, connect_ms=1.5, first_byte_ms=2.5, download_ms=0.5, total_ms=total),
        details={"status_code": 200 if outcome.is_up else 500, "nested": {"a": [1, 2]}},
    )


def _scenario(factory: sessionmaker[Session], fast_path: bool) -> None:
    a = add_monitor(factory, "http://127.0.0.1/a", "http", {"uptime": {}, "performance": {}})
    b = add_monitor(
        factory, "http://127.0.0.1/b", "http", {"uptime": {}, "performance": {"threshold_in_ms": 10}}
    )
    # a: up, down (threshold 2), up; b: always up, slow. Batches cross an hour boundary.
    plan = [("s", "s"), ("f", "s"), ("f", "s"), ("s", "s")]
    for i, letters in enumerate(plan):
        at = T0 + timedelta(seconds=30 * i)
        finished = []
        for ids, letter in zip((a, b), letters, strict=True):
            outcome = Outcome.SUCCEEDED if letter == "s" else Outcome.FAILED
            total = 5.0 + 10 * i if outcome.is_up else None
            job = Job(ids["uptime"], ids["monitor"], "uptime", "http", "x", {}, "local", at, 30.0, 2)
            finished.append(Finished(job, _result(outcome, at, total)))
        with transaction(factory) as session:
            # Two kept successes per check, so the ring replaces runs on both paths.
            persist(session, finished, at + timedelta(seconds=1), fast_path=fast_path, runs_kept=2)


def _dump(factory: sessionmaker[Session]) -> dict[str, list[Any]]:
    with factory() as session:
        rows = {}
        for table in TABLES:
            # what seeding set from the wall clock or a counter differs between the two stores
            seeded = {"created_at", "badge_id"} | ({"updated_at"} if table is Monitor else set())
            columns = [c for c in table.__table__.c if c.name not in seeded or table is StateChange]
            rows[table.__tablename__] = [tuple(row) for row in session.execute(select(*columns))]
        raw = session.execute(text("SELECT started_at, details FROM check_runs ORDER BY id")).all()
        rows["raw_runs"] = [tuple(row) for row in raw]
        return rows


def test_fast_and_core_paths_store_the_same_rows(tmp_path: Path) -> None:
    fast = migrated(f"sqlite:///{tmp_path / 'fast.db'}")
    _scenario(fast, fast_path=True)
    core = migrated(f"sqlite:///{tmp_path / 'core.db'}")
    _scenario(core, fast_path=False)
    fast_rows, core_rows = _dump(fast), _dump(core)
    assert fast_rows["check_runs"], "the scenario stored nothing"
    assert fast_rows["state_changes"], "the scenario changed no state"
    # 2 monitors x uptime (the only type here that records uptime) x (hour 10, hour 11)
    assert len(fast_rows["uptime_hours"]) == 4
    # 14 runs (a's performance is judged only while up), of which b's 4 successful uptime
    # runs share 2 ring slots: 2 were replaced.
    assert len(fast_rows["check_runs"]) == 12
    for name in fast_rows:
        assert fast_rows[name] == core_rows[name], name


def _claim(factory: sessionmaker[Session], now: datetime, limit: int, fast_path: bool) -> list[int]:
    store = engine_store_for("sqlite", fast_path=fast_path)
    with transaction(factory) as session:
        due = store.claim_due(session, now, ["uptime", "tcp_port"], limit, now + timedelta(minutes=2))
        return [row.check_id for row in due]


@pytest.mark.parametrize("fast_path", [True, False])
def test_claim_takes_never_run_then_most_overdue(tmp_path: Path, fast_path: bool) -> None:
    factory = migrated(f"sqlite:///{tmp_path / 'claim.db'}")
    now = datetime.now(UTC)
    never = add_monitor(factory, "x:1", checks={"uptime": {}, "performance": {}})
    late = add_monitor(factory, "x:2", next_run_at=now - timedelta(seconds=50))
    later = add_monitor(factory, "x:3", next_run_at=now - timedelta(seconds=90))
    add_monitor(factory, "x:4", next_run_at=now + timedelta(seconds=30))
    add_monitor(factory, "x:5", next_run_at=now - timedelta(seconds=99), disabled=("uptime",))
    assert _claim(factory, now, 2, fast_path) == [never["uptime"], later["uptime"]]
    assert _claim(factory, now, 10, fast_path) == [late["uptime"]]
    assert _claim(factory, now, 10, fast_path) == []

"""A check costs the engine's database the same whatever the number of monitors: claiming
the due checks and storing a batch of their results take about the same SQLite work beside
100 monitors as beside ten times as many, each with its state, runs and rollups. A query
that lost its index (a scan of every check, state or run) would grow tenfold here.

Counted in SQLite's virtual machine steps, so the test does not depend on the machine's
speed (as tests/failover/test_round_cost.py counts a failover round)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lookout.app import open_store
from lookout.checks.registry import CHECKS
from lookout.engine.persist import BatchPersister, Finished
from lookout.engine.scheduler import Locations, job_for, scheduled_types
from lookout.engine.settings_cache import SettingsCache
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.repositories.engine import DueCheck, engine_store_for
from lookout.store.tables import Check
from tests.engine.seed import add_http_monitors
from tests.sqlite_steps import counted

BATCH = 50
T = TypeVar("T")


def results(due: Sequence[DueCheck], at: datetime) -> list[Finished]:
    cache = SettingsCache(CHECKS)
    finished = []
    for row in due:
        job = job_for(row, Locations(), cache)
        assert job is not None
        timings = Timings(1.2, 10.5, 20.1, 60.3, 5.0, 97.1)
        result = CheckResult(Outcome.SUCCEEDED, "Up", at, at, timings=timings, details={"status_code": 200})
        finished.append(Finished(job, result))
    return finished


def engine_steps(tmp_path: Path, monitors: int) -> tuple[int, int]:
    """(claim, store) steps for a batch of BATCH due uptime checks beside `monitors` http
    monitors whose uptime checks have all run twice."""
    store = open_store(Settings(database_url=f"sqlite:///{tmp_path / f'{monitors}.db'}"))
    add_http_monitors(store, monitors)
    engine_store = engine_store_for("sqlite")
    persister = BatchPersister(engine_store, CHECKS, SettingsCache(CHECKS))
    types = scheduled_types(CHECKS)
    now = datetime.now(UTC).replace(microsecond=0)
    later = now + timedelta(days=1)

    def claim(session: Session, at: datetime, limit: int) -> list[DueCheck]:
        return engine_store.claim_due(session, at, ["uptime"], limit, at + timedelta(seconds=30))

    def make_due(session: Session, at: datetime, limit: int | None) -> None:
        """Every scheduled check runs tomorrow, but the first `limit` uptime checks now."""
        session.execute(update(Check).where(Check.type.in_(types)).values(next_run_at=later))
        uptime = session.scalars(
            select(Check.id).where(Check.type == "uptime").order_by(Check.id).limit(limit)
        )
        session.execute(update(Check).where(Check.id.in_(list(uptime))).values(next_run_at=at))

    # Every uptime check has state, runs and rollups: the tables a lost index would scan.
    for minute in (0, 1):
        at = now + timedelta(minutes=minute)
        with transaction(store.sessions) as session:
            make_due(session, at, None)
            due = claim(session, at, monitors)
            assert len(due) == monitors
        with transaction(store.sessions) as session:
            persister.persist(session, results(due, at), at)
    # The batch measured: the first BATCH uptime checks, due again two minutes later.
    at = now + timedelta(minutes=3)  # past the averages the writer keeps for a minute
    with transaction(store.sessions) as session:
        make_due(session, at, BATCH)
    with transaction(store.sessions) as session:
        due, claim_steps = counted(session, lambda s: claim(s, at, 1000))
    assert len(due) == BATCH
    finished = results(due, at)
    with transaction(store.sessions) as session:
        report, store_steps = counted(session, lambda s: persister.persist(s, finished, at))
    assert report.stored == 2 * BATCH  # each uptime run and the performance run judged from it
    store.engine.dispose()
    return claim_steps, store_steps


def test_claiming_and_storing_a_batch_cost_the_same_beside_ten_times_the_monitors(tmp_path: Path) -> None:
    small = engine_steps(tmp_path, 100)
    large = engine_steps(tmp_path, 1000)
    for phase, few, many in zip(("claim", "store"), small, large, strict=True):
        assert few > 0, phase
        assert many < 1.5 * few + 20, (phase, few, many)

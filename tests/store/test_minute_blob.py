"""Packed minute rollups: the byte format round-trips, batches append, old rows convert."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command

from lookout.engine.persist import Finished
from lookout.engine.queue.base import Job
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.store import minute_blob
from lookout.store.db import create_db_engine, make_session_factory, transaction
from lookout.store.migrate import alembic_config, upgrade_to_head
from lookout.store.repositories import runs as runs_repo
from tests.engine.seed import add_monitor, migrated, persist


def _random_minute(rng: random.Random) -> minute_blob.Minute:
    runs = rng.choice([1, 1, 1, 2, 3, 200])
    failed = rng.randint(0, runs)
    timed = rng.randint(0, runs)
    if timed == 0:
        return (runs, failed, 0, 0, None, None, 0, 0, 0, 0, 0)
    phases = [rng.choice([0, rng.randint(0, 50_000_000), -rng.randint(1, 500)]) for _ in range(5)]
    total = sum(phases) + rng.choice([0, 3, -7, rng.randint(-(10**9), 10**9)])
    low, high = sorted(rng.randint(-1000, 10**8) for _ in range(2))
    if timed == 1:
        low = high = total
    return (runs, failed, timed, total, low, high, *phases)  # type: ignore[return-value]


def test_every_minute_round_trips() -> None:
    rng = random.Random(5)
    minutes = [(offset, _random_minute(rng)) for offset in range(30) for _ in range(40)]
    data = b"".join(minute_blob.encode(offset, minute) for offset, minute in minutes)
    decoded = list(minute_blob.decode(1000, data))
    assert decoded == [(1000 * 30 + offset, minute) for offset, minute in minutes]


def test_a_steady_minute_takes_a_few_bytes() -> None:
    # One run, curl's total = its phases: the common case of a 60-second check.
    entry = minute_blob.encode(7, (1, 0, 1, 120_000, 120_000, 120_000, 2_000, 10_000, 20_000, 80_000, 8_000))
    assert len(entry) == 14
    assert len(minute_blob.encode(7, (1, 1, 0, 0, None, None, 0, 0, 0, 0, 0))) == 1


def test_entries_of_one_minute_merge() -> None:
    into: list[int | None] = [1, 0, 1, 100, 100, 100, 1, 2, 3, 4, 90]
    minute_blob.merge(into, (1, 1, 1, 50, 50, 50, 1, 1, 1, 1, 46))
    assert into == [2, 1, 2, 150, 50, 100, 2, 3, 4, 5, 136]
    minute_blob.merge(into, (1, 1, 0, 0, None, None, 0, 0, 0, 0, 0))
    assert into == [3, 2, 2, 150, 50, 100, 2, 3, 4, 5, 136]


def _result(at: datetime, total: float | None) -> CheckResult:
    if total is None:
        return CheckResult(Outcome.FAILED, "Down", at, at)
    timings = Timings(1.5, 2.25, 3.125, total - 10.875, 4.0, total)
    return CheckResult(Outcome.SUCCEEDED, "Up", at, at, timings=timings)


def test_a_minute_written_by_two_batches_reads_as_one(database_url: str) -> None:
    factory = migrated(database_url)
    ids = add_monitor(factory, "https://blob.example", "http", {"uptime": {}})
    at = datetime(2026, 11, 29, 10, 29, 10, tzinfo=UTC)
    job = Job(
        ids["uptime"], ids["monitor"], "uptime", "http", "https://blob.example", {}, "local", at, 20.0, 2
    )
    for seconds, total in ((0, 100.0), (20, None), (40, 130.5)):  # three runs, three batches
        when = at + timedelta(seconds=seconds)
        with transaction(factory) as session:
            persist(session, [Finished(job, _result(when, total))], when)
    with factory() as session:
        points = runs_repo.metrics(
            session, ids["uptime"], at - timedelta(minutes=1), at + timedelta(minutes=5), "minute"
        )
    assert [point.date for point in points] == [at.replace(second=0)]
    point = points[0]
    assert (point.runs, point.failed_runs) == (3, 1)
    assert point.average_total_ms == 115.25
    assert (point.minimum_total_ms, point.maximum_total_ms) == (100.0, 130.5)
    assert point.average_tls_ms == 3.125 and point.average_download_ms == 4.0
    assert point.up_seconds == 40.0


def test_the_migration_packs_stored_minutes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    command.upgrade(alembic_config(engine), "0018")
    old = make_session_factory(engine)
    seven = add_monitor(old, "https://seven.example", "http", {"uptime": {}})["uptime"]
    nine = add_monitor(old, "https://nine.example", "http", {"uptime": {}})["uptime"]
    engine.dispose()
    # The old layout, filled by hand: two minutes of one check, one of another.
    connection = sqlite3.connect(tmp_path / "old.db")
    rows = [
        (seven, 29_000_010, 1, 0, 1, 120_000, 120_000, 120_000, 2_000, 10_000, 20_000, 80_000, 8_000),
        (seven, 29_000_011, 2, 1, 1, 90_000, 90_000, 90_000, 1, 2, 3, 4, 5),
        (nine, 29_000_040, 1, 1, 0, 0, None, None, 0, 0, 0, 0, 0),
    ]
    connection.executemany(f"INSERT INTO minute_rollups VALUES ({', '.join('?' * 13)})", rows)
    connection.commit()
    connection.close()
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    packed = make_session_factory(engine)
    with packed() as session:
        start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(minutes=29_000_000)
        of_seven = runs_repo.metrics(session, seven, start, start + timedelta(hours=1), "minute")
        of_nine = runs_repo.metrics(session, nine, start, start + timedelta(hours=1), "minute")
    assert [(p.date - start, p.runs, p.failed_runs, p.average_total_ms) for p in of_seven] == [
        (timedelta(minutes=10), 1, 0, 120.0),
        (timedelta(minutes=11), 2, 1, 90.0),
    ]
    assert of_seven[0].average_first_byte_ms == 80.0 and of_seven[1].average_download_ms == 0.005
    assert [(p.runs, p.failed_runs, p.average_total_ms) for p in of_nine] == [(1, 1, None)]

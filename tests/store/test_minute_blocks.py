"""Closed half hours of minutes packed as one block: the same answers, fewer bytes."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lookout.engine.database import Database
from lookout.engine.persist import Finished
from lookout.engine.queue.base import Job
from lookout.engine.rollups import epoch_minute
from lookout.engine.sweeps import RetentionSweep
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.store import minute_blob
from lookout.store.db import transaction
from lookout.store.repositories import runs as runs_repo
from lookout.store.tables import MinuteRollup
from tests.engine.seed import add_monitor, migrated, persist
from tests.store.test_minute_blob import _random_minute


def _merged(half_hour: int, data: bytes) -> dict[int, list[int | None]]:
    """What a reader makes of a row: each minute's entries added up."""
    out: dict[int, list[int | None]] = {}
    for minute, values in minute_blob.decode(half_hour, data):
        if minute in out:
            minute_blob.merge(out[minute], values)
        else:
            out[minute] = list(values)
    return out


def test_a_packed_row_reads_as_its_entries_did() -> None:
    rng = random.Random(9)
    packed = 0
    for _ in range(1500):
        entries = [(rng.randrange(30), _random_minute(rng)) for _ in range(rng.randint(1, 60))]
        data = b"".join(minute_blob.encode(offset, minute) for offset, minute in entries)
        block = minute_blob.pack(777, data)
        if block is None:
            continue
        packed += 1
        assert len(block) < len(data)
        assert _merged(777, block) == _merged(777, data)
        assert minute_blob.pack(777, block) is None  # one block already
        # A run that comes late is an ordinary entry after the block, packed again later.
        late = minute_blob.encode(rng.randrange(30), _random_minute(rng))
        assert _merged(777, block + late) == _merged(777, data + late)
        again = minute_blob.pack(777, block + late)
        if again is not None:  # None when one late entry would not shrink
            assert _merged(777, again) == _merged(777, data + late)
    assert packed > 500  # random values often do not shrink; steady ones do (below)


def test_a_steady_half_hour_takes_a_few_bytes_a_minute() -> None:
    rng = random.Random(3)
    data = b""
    for offset in range(30):
        total = round(rng.gauss(120, 8) * 1000)
        data += minute_blob.encode(
            offset, (1, 0, 1, total, total, total, 2_000, 10_000, 20_000, total - 40_000, 8_000)
        )
    block = minute_blob.pack(5, data)
    assert block is not None
    assert len(data) == 30 * 14 and len(block) < 30 * 4


def _result(at: datetime, rng: random.Random) -> CheckResult:
    if rng.random() < 0.1:
        return CheckResult(Outcome.FAILED, "Down", at, at)
    total = round(rng.uniform(50, 500), 3)
    timings = Timings(1.5, 2.25, round(rng.uniform(1, 9), 3), round(total - 20, 3), 4.0, total)
    return CheckResult(Outcome.SUCCEEDED, "Up", at, at, timings=timings)


def test_the_sweep_packs_closed_half_hours_and_answers_stay_the_same(database_url: str) -> None:
    factory = migrated(database_url)
    ids = add_monitor(factory, "https://packed.example", "http", {"uptime": {}})
    check = ids["uptime"]
    start = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    job = Job(check, ids["monitor"], "uptime", "http", "https://packed.example", {}, "local", start, 20.0, 2)
    rng = random.Random(4)
    # Three hours of a run every 20 s, written in batches of a few minutes (a minute can
    # span two batches, so rows hold repeated minutes).
    at = start
    while at < start + timedelta(hours=3):
        batch = []
        for _ in range(rng.randint(1, 12)):
            batch.append(Finished(job, _result(at, rng)))
            at += timedelta(seconds=20)
        with transaction(factory) as session:
            persist(session, batch, at)
    end = start + timedelta(hours=3)

    def answers() -> list[object]:
        with factory() as session:
            return [
                runs_repo.metrics(session, check, start, end, "minute"),
                runs_repo.metrics(session, check, start + timedelta(minutes=7), end, "hour"),
            ]

    def rows() -> dict[int, bytes]:
        with factory() as session:
            found = session.execute(
                select(MinuteRollup.half_hour, MinuteRollup.data).where(MinuteRollup.check_id == check)
            )
            return {half_hour: bytes(data) for half_hour, data in found}

    before, stored = answers(), rows()
    sweep = RetentionSweep(Database(factory), lambda: end + timedelta(minutes=5))
    assert asyncio.run(sweep.pack_minutes()) == 4
    packed = rows()
    # The sweep at 11:05 packs the four half hours before the previous one (10:30-11:00).
    previous = epoch_minute(end + timedelta(minutes=5)) // 30 - 1
    for half_hour, data in packed.items():
        if previous - 4 <= half_hour < previous:
            assert data[0] >> 5 == 6 and len(data) < len(stored[half_hour])
        else:
            assert data == stored[half_hour]
    assert answers() == before
    assert asyncio.run(sweep.pack_minutes()) == 0  # nothing left to pack

    # A late run lands after a block and counts like any other.
    late_at = start + timedelta(hours=1, minutes=10, seconds=5)
    with transaction(factory) as session:
        persist(session, [Finished(job, _result(late_at, rng))], end)
    with factory() as session:
        points = runs_repo.metrics(
            session, check, late_at.replace(second=0), late_at + timedelta(minutes=1), "minute"
        )
    earlier = [p for p in before[0] if p.date == late_at.replace(second=0)]  # type: ignore[attr-defined]
    assert points[0].runs == earlier[0].runs + 1

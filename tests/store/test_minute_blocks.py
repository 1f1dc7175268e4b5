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
from lookout.store.entries import added_up
from lookout.store.repositories import runs as runs_repo
from lookout.store.tables import MinuteRollup
from tests.engine.seed import add_monitor, migrated, persist
from tests.store.test_minute_blob import _random_minute


def _merged(half_hour: int, data: bytes) -> dict[int, list[int | None]]:
    return added_up(minute_blob.decode(half_hour, data), minute_blob.merge)


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


def test_a_jittered_half_hour_packs_to_the_bits_its_spread_needs() -> None:
    # Every phase jitters as measured ones do (bench/scale.py's storage scenario).
    rng = random.Random(8)
    data = b""
    for offset in range(30):
        phases = [
            round(max(20.0, rng.gauss(mean, sd)))
            for mean, sd in ((1_500, 600), (12_000, 3_000), (25_000, 5_000), (70_000, 12_000), (8_000, 4_000))
        ]
        total = sum(phases) + rng.randint(0, 30)
        data += minute_blob.encode(offset, (1, 0, 1, total, total, total, *phases))
    block = minute_blob.pack(5, data)
    assert block is not None
    # About 15 bytes a minute as entries, 13 as the deflated varint columns of before.
    assert len(data) > 30 * 14 and len(block) < 30 * 11.5
    assert _merged(5, block) == _merged(5, data)


# A block as written before bit packing (head code 6, deflated varint columns): minutes 0,
# 1, a failed one at 2, two runs at 4, and minute 5 written by two batches.
_LEGACY_BLOCK = bytes.fromhex(
    "c04f3367606062676762606261649e202ec2f081fb8cf89d5d8c460c9fec2ecd61bcd0c6cc90b2e23088fe7087"
    "e38034c38ea72ca7167336d43230ac707bd1c2c820c8c5c0f5601b2f03c3811d4c0c5c00"
)


def test_a_block_written_before_bit_packing_still_reads() -> None:
    base = 900_000 * 30
    assert list(minute_blob.decode(900_000, _LEGACY_BLOCK)) == [
        (base, (1, 0, 1, 121517, 121517, 121517, 1500, 12000, 25000, 75000, 8000)),
        (base + 1, (1, 0, 1, 118020, 118020, 118020, 1480, 11950, 25100, 71480, 8000)),
        (base + 2, (1, 1, 0, 0, None, None, 0, 0, 0, 0, 0)),
        (base + 4, (2, 0, 2, 240000, 110000, 130000, 3000, 20000, 50000, 150000, 17000)),
        (base + 5, (4, 1, 3, 360000, 110000, 130010, 4500, 32000, 75000, 223490, 25000)),
    ]
    assert minute_blob.pack(900_000, _LEGACY_BLOCK) is None  # one block already
    late = minute_blob.encode(3, (1, 0, 1, 120000, 120000, 120000, 1500, 12000, 25000, 73500, 8000))
    assert _merged(900_000, _LEGACY_BLOCK + late)[base + 3][0] == 1
    again = minute_blob.pack(900_000, _LEGACY_BLOCK + late)
    if again is not None:  # None here: deflate did well on these few steady minutes
        assert _merged(900_000, again) == _merged(900_000, _LEGACY_BLOCK + late)


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
            assert data[0] >> 5 == minute_blob._PACKED and len(data) < len(stored[half_hour])
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

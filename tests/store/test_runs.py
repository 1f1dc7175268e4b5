"""Persisting batches and reading them back, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lookout.engine.database import Database
from lookout.engine.persist import Finished
from lookout.engine.queue import Job
from lookout.engine.sweeps import RetentionSweep
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.store.db import transaction
from lookout.store.repositories import runs
from lookout.store.tables import (
    Check,
    CheckRun,
    DowntimePeriod,
    Monitor,
    StateChange,
    UptimeDay,
    UptimeHour,
)
from tests.engine.seed import add_monitor, migrated, persist

T0 = datetime(2025, 5, 1, 10, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def factory(database_url: str) -> sessionmaker[Session]:
    return migrated(database_url)


def store(factory: sessionmaker[Session], ids: dict[str, int], outcomes: str, start: datetime = T0) -> None:
    """One batch per letter: s=succeeded, f=failed, w=warning; a run every 60 s."""
    for i, letter in enumerate(outcomes):
        at = start + timedelta(seconds=60 * i)
        outcome = {"s": Outcome.SUCCEEDED, "f": Outcome.FAILED, "w": Outcome.WARNING}[letter]
        total = 100.0 + i if outcome.is_up else None
        result = CheckResult(
            outcome,
            outcome.value,
            at,
            at + timedelta(seconds=1),
            timings=Timings(dns_ms=1, connect_ms=2, tls_ms=3, first_byte_ms=4, download_ms=5, total_ms=total),
        )
        job = Job(
            ids["uptime"],
            ids["monitor"],
            "uptime",
            "tcp",
            "x:1",
            {},
            "local",
            at,
            interval_seconds=60,
            threshold=2,
        )
        with transaction(factory) as session:
            persist(session, [Finished(job, result)], at + timedelta(seconds=1))


def test_threshold_downtime_and_display(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:1", checks={"uptime": {}, "performance": {}})
    store(factory, ids, "sf")
    with factory() as session:
        check = session.get(Check, ids["uptime"])
        assert check is not None and check.latest_run_result == "succeeded"
        # The first failure is recorded, not shown, and re-checked in 5 s.
        assert check.next_run_at == T0 + timedelta(seconds=65)
    store(factory, ids, "f", T0 + timedelta(seconds=120))
    store(factory, ids, "ffs", T0 + timedelta(seconds=180))
    with factory() as session:
        check = session.get(Check, ids["uptime"])
        monitor = session.get(Monitor, ids["monitor"])
        assert check is not None and monitor is not None
        assert check.latest_run_result == "succeeded"
        assert monitor.summarized_check_result == "succeeded"
        changes = session.scalars(
            select(StateChange).where(StateChange.check_id == ids["uptime"]).order_by(StateChange.id)
        )
        assert [(c.from_status, c.to_status) for c in changes] == [("up", "down"), ("down", "up")]
        (period,) = session.scalars(select(DowntimePeriod).where(DowntimePeriod.monitor_id == ids["monitor"]))
        assert period.started_at == T0 + timedelta(seconds=60)
        assert period.ended_at == T0 + timedelta(seconds=300)
        perf_runs, total = runs.runs_page(session, ids["performance"])
        assert total == 2  # only up uptime runs have a time to judge


def test_failed_shows_at_threshold_and_monitor_summarises(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:2")
    store(factory, ids, "ff")
    with factory() as session:
        check = session.get(Check, ids["uptime"])
        monitor = session.get(Monitor, ids["monitor"])
        assert check is not None and monitor is not None
        assert check.latest_run_result == "failed"
        assert monitor.summarized_check_result == "failed"
        assert monitor.latest_run_date == T0 + timedelta(seconds=61)
        page, total = runs.downtime_page(session, ids["monitor"], T0, T0 + timedelta(hours=1))
        assert total == 1 and page[0].ended_at is None


def test_runs_page_filters_and_average(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:3")
    store(factory, ids, "sssfs")
    with factory() as session:
        items, total = runs.runs_page(session, ids["uptime"], limit=2)
        assert total == 5 and [r.started_at for r in items] == [
            T0 + timedelta(seconds=240),
            T0 + timedelta(seconds=180),
        ]
        items, total = runs.runs_page(session, ids["uptime"], result="failed")
        assert total == 1
        items, total = runs.runs_page(
            session,
            ids["uptime"],
            started_after=T0 + timedelta(seconds=60),
            started_before=T0 + timedelta(seconds=120),
        )
        assert total == 2
        assert runs.average_response_time(session, ids["uptime"], T0) == pytest.approx(
            (100 + 101 + 102 + 104) / 4
        )
        assert runs.average_response_time(session, ids["uptime"], T0 + timedelta(days=1)) is None
        assert runs.average_response_times(session, [ids["uptime"]], T0) == {
            ids["uptime"]: pytest.approx(101.75)
        }


def test_rollups_merge_and_uptime_series(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:4")
    # Down from the 2nd failure (confirmed) until the success: 3 runs × 60 s of 10.
    store(factory, ids, "sssffffsss")
    with factory() as session:
        (hour,) = session.scalars(select(UptimeHour).where(UptimeHour.check_id == ids["uptime"]))
        assert hour.runs == 10 and hour.failed_runs == 4 and hour.timed_runs == 6
        assert hour.min_total_us == 100_000 and hour.max_total_us == 109_000
        assert hour.down_us == 180_000_000 and hour.up_us == 420_000_000
        series = runs.uptime_series(session, [ids["uptime"]], T0, T0 + timedelta(days=1), "hour")
        assert series == [(T0, pytest.approx(70.0))]
        assert runs.uptime_series(session, [ids["uptime"]], T0, T0 + timedelta(days=1), "month") == [
            (T0.replace(day=1, hour=0), pytest.approx(70.0))
        ]
        minutes = runs.metrics(session, ids["uptime"], T0, T0 + timedelta(hours=1), "minute")
        assert (
            len(minutes) == 10 and minutes[0].average_total_ms == 100 and minutes[4].average_total_ms is None
        )
        (hourly,) = runs.metrics(session, ids["uptime"], T0, T0 + timedelta(hours=1), "hour")
        assert hourly.average_connect_ms == 2 and hourly.maximum_total_ms == 109
        assert hourly.uptime_percentage == pytest.approx(70.0)
        assert len(runs.metrics(session, ids["uptime"], T0, T0 + timedelta(days=40), "week")) == 1


def _answers(session: Session, check_id: int) -> list[Any]:
    """Every uptime and metrics answer of the check over a few days around T0."""
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=2)
    return [
        *(runs.uptime_series(session, [check_id], start, end, split) for split in ("hour", "day", "month")),
        *(runs.metrics(session, check_id, start, end, group) for group in ("hour", "day", "week", "month")),
        # a range that starts and ends inside hours: each hour and day counts whole
        runs.uptime_series(session, [check_id], T0 + timedelta(minutes=7), T0 + timedelta(hours=1), "hour"),
        runs.metrics(session, check_id, T0 + timedelta(minutes=7), T0 + timedelta(hours=3), "day"),
    ]


def test_folded_hours_answer_as_live_ones(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:6")
    # 10:00-12:29 and two runs the next day: three hours of one day and one of the next.
    store(factory, ids, "sssffffsss" + "s" * 140)
    store(factory, ids, "sf", start=T0 + timedelta(days=1, hours=5))
    with factory() as session:
        live = _answers(session, ids["uptime"])
    assert live[0] and live[3]
    with transaction(factory) as session:
        assert runs.fold_hours(session, [ids["uptime"]], before_hour=10**9) == 4
    with factory() as session:
        assert session.scalar(select(func.count()).where(UptimeHour.check_id == ids["uptime"])) == 0
        assert session.scalar(select(func.count()).where(UptimeDay.check_id == ids["uptime"])) == 2
        assert _answers(session, ids["uptime"]) == live
    # A late run of a folded hour is a live row again; readers add both, a second fold appends.
    store(factory, ids, "f", start=T0 + timedelta(minutes=59, seconds=30))
    with factory() as session:
        (hourly, *_) = runs.metrics(session, ids["uptime"], T0, T0 + timedelta(hours=1), "hour")
        assert (hourly.runs, hourly.failed_runs) == (61, 5)
        late = _answers(session, ids["uptime"])
    assert late != live
    with transaction(factory) as session:
        assert runs.fold_hours(session, [ids["uptime"]], before_hour=10**9) == 1
    with factory() as session:
        assert _answers(session, ids["uptime"]) == late


def _by_the_day(session: Session, check_id: int) -> list[Any]:
    """The answers that do not split days: what a coarsened day must still give exactly."""
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=3)
    return [
        *(runs.uptime_series(session, [check_id], start, end, split) for split in ("day", "month")),
        *(runs.metrics(session, check_id, start, end, group) for group in ("day", "week", "month")),
        runs.uptime_seconds(session, [check_id], start, end, "day"),
    ]


def _day_bytes(session: Session, check_id: int) -> list[int]:
    rows = session.scalars(
        select(UptimeDay.data).where(UptimeDay.check_id == check_id).order_by(UptimeDay.day)
    )
    return [len(data) for data in rows]


def test_days_past_the_hourly_retention_answer_by_the_day(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:8")
    check = ids["uptime"]
    # 10:00-12:29 with failures, and two runs the next day: three hours, then one.
    store(factory, ids, "sssffffsss" + "s" * 140)
    store(factory, ids, "sf", start=T0 + timedelta(days=1, hours=5))
    with transaction(factory) as session:
        runs.fold_hours(session, [check], before_hour=10**9)
    first_day = int((T0 - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) // 86_400
    midnight = T0.replace(hour=0)
    with factory() as session:
        daily, sizes = _by_the_day(session, check), _day_bytes(session, check)
        hourly = runs.uptime_series(session, [check], midnight, midnight + timedelta(days=2), "hour")
    assert len(hourly) == 4
    # Only the first day is past the retention's edge.
    with transaction(factory) as session:
        assert runs.coarsen_days(session, [check], first_day, first_day + 1) == 1
        assert runs.coarsen_days(session, [check], first_day, first_day + 1) == 0  # one entry already
    with factory() as session:
        assert _by_the_day(session, check) == daily
        coarse = runs.uptime_series(session, [check], midnight, midnight + timedelta(days=2), "hour")
        # The first day is one point at midnight (its whole day's uptime); the next keeps its hour.
        assert [at for at, _ in coarse] == [midnight, T0 + timedelta(days=1, hours=5)]
        assert coarse[0][1] == daily[0][0][1] and coarse[1] == hourly[-1]
        smaller = _day_bytes(session, check)
    assert smaller[0] < sizes[0] and smaller[1] == sizes[1]
    # A late run folded into the coarsened day is added in by the next coarsening.
    store(factory, ids, "f", start=T0 + timedelta(hours=12))
    with transaction(factory) as session:
        runs.fold_hours(session, [check], before_hour=10**9)
    with factory() as session:
        late = _by_the_day(session, check)
    assert late != daily
    with transaction(factory) as session:
        assert runs.coarsen_days(session, [check], first_day, first_day + 1) == 1
    with factory() as session:
        assert _by_the_day(session, check) == late and len(_day_bytes(session, check)) == 2


def test_the_sweep_coarsens_every_old_day_then_the_edge(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:9")
    for day in range(12):  # a run in each of two hours a day for twelve days
        for hour in (0, 1):
            store(factory, ids, "s", start=T0 + timedelta(days=day, hours=hour))
    now = [T0 + timedelta(days=12)]
    sweep = RetentionSweep(Database(factory), lambda: now[0], hourly_rollup_days=3)
    asyncio.run(sweep.fold_hours())
    with factory() as session:
        answers = _by_the_day(session, ids["uptime"])
    with factory() as session:
        before = _day_bytes(session, ids["uptime"])
    # The first sweep goes back to the oldest day: the nine days before the last three (and
    # other tests' old days in this database).
    assert asyncio.run(sweep.coarsen_days()) >= 9
    with factory() as session:
        sizes = _day_bytes(session, ids["uptime"])
        assert _by_the_day(session, ids["uptime"]) == answers
    assert all(size < before[0] for size in sizes[:9]) and sizes[9:] == before[9:]
    # A day later the next sweep takes the day that crossed the edge.
    now[0] += timedelta(days=1)
    assert asyncio.run(sweep.coarsen_days()) >= 1
    with factory() as session:
        assert (
            _day_bytes(session, ids["uptime"])[9] == sizes[0]
            and _by_the_day(session, ids["uptime"]) == answers
        )


def test_a_restarted_sweep_walks_back_only_to_days_coarsened_before(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:10")
    check = ids["uptime"]
    start = T0 + timedelta(days=100)  # clear of the other tests' days in this database
    for day in range(21):  # two hours a day
        for hour in (0, 1):
            store(factory, ids, "s", start=start + timedelta(days=day, hours=hour))
    day0 = int((start - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) // 86_400
    now = start + timedelta(days=21)  # with 3 days of hours the edge is day 18
    asyncio.run(RetentionSweep(Database(factory), lambda: now, hourly_rollup_days=3).fold_hours())
    # The process before this one coarsened days 4-10, then stood still for a week; days
    # 0-3 it never got to (as if they were older than a gap the walk cannot see past).
    with transaction(factory) as session:
        assert runs.coarsen_days(session, [check], day0 + 4, day0 + 11) == 7
    with factory() as session:
        before = _day_bytes(session, check)
    restarted = RetentionSweep(Database(factory), lambda: now, hourly_rollup_days=3)
    assert asyncio.run(restarted.coarsen_days()) == 7
    with factory() as session:
        after = _day_bytes(session, check)
    # Days 11-17 coarsened; the walk stopped at the week that was done, days 0-3 untouched.
    assert all(a < b for a, b in zip(after[11:18], before[11:18], strict=True))
    assert after[:11] == before[:11] and after[18:] == before[18:]


def test_delete_downtime_and_retention(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:5")
    store(factory, ids, "ffs")
    with transaction(factory) as session:
        (period,), _ = runs.downtime_page(session, ids["monitor"], T0, T0 + timedelta(hours=1))
        assert runs.delete_downtime(session, period.id)
        assert not runs.delete_downtime(session, period.id)
    with transaction(factory) as session:
        deleted = runs.delete_runs_before(session, T0 + timedelta(seconds=90), chunk=1)
        assert deleted == 1
        runs.delete_runs_before(session, T0 + timedelta(seconds=90))
        left = session.scalars(select(CheckRun.started_at).where(CheckRun.check_id == ids["uptime"])).all()
        assert left == [T0 + timedelta(seconds=120)]
        assert runs.uptime_series(session, [ids["uptime"]], T0, T0 + timedelta(hours=1), "day")


def test_disabled_or_deleted_check_results_are_dropped(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:6", disabled=("uptime",))
    job = Job(ids["uptime"], ids["monitor"], "uptime", "tcp", "x:1", {}, "local", T0)
    gone = Job(10**9, ids["monitor"], "uptime", "tcp", "x:1", {}, "local", T0)
    result = CheckResult(Outcome.SUCCEEDED, "Up", T0, T0)
    with transaction(factory) as session:
        report = persist(session, [Finished(job, result), Finished(gone, result)], T0, derived=False)
    assert report.stored == 0 and report.dropped == 2


def test_a_result_for_a_check_now_on_another_monitor_is_dropped(factory: sessionmaker[Session]) -> None:
    first = add_monitor(factory, "127.0.0.1:7")
    second = add_monitor(factory, "127.0.0.1:8")
    # a job that names the first monitor with the second monitor's check
    stale = Job(second["uptime"], first["monitor"], "uptime", "tcp", "x:1", {}, "local", T0)
    with transaction(factory) as session:
        report = persist(session, [Finished(stale, CheckResult(Outcome.FAILED, "Down: x", T0, T0))], T0)
    assert report.stored == 0 and report.dropped == 1


def test_finished_days_are_packed_once_and_answer_the_same(factory: sessionmaker[Session]) -> None:
    ids = add_monitor(factory, "127.0.0.1:11")
    check = ids["uptime"]
    start = T0.replace(hour=0) + timedelta(days=300)  # clear of the other tests' days
    for day in range(6):  # a run in every hour of six days, a few of them failed
        for hour in range(24):
            outcome = "f" if (day + hour) % 11 == 0 else "s"
            store(factory, ids, outcome, start + timedelta(days=day, hours=hour))
    now = [start + timedelta(days=6, hours=1)]
    end = start + timedelta(days=6)

    def answers() -> list[object]:
        with factory() as session:
            return [
                *(runs.uptime_series(session, [check], start, end, split) for split in ("hour", "day")),
                *(runs.metrics(session, check, start, end, group) for group in ("hour", "day", "week")),
                runs.uptime_seconds(session, [check], start, end, "hour"),
            ]

    sweep = RetentionSweep(Database(factory), lambda: now[0])
    asyncio.run(sweep.fold_hours())
    before = answers()
    with factory() as session:
        sizes = _day_bytes(session, check)
    # The first sweep walks back from the day before yesterday (day 4) to the first day.
    assert asyncio.run(sweep.pack_days()) == 5
    with factory() as session:
        packed = _day_bytes(session, check)
    assert all(a < b for a, b in zip(packed[:5], sizes[:5], strict=True)) and packed[5] == sizes[5]
    assert answers() == before
    assert asyncio.run(sweep.pack_days()) == 0  # the same day: nothing new
    # A late run in a packed day is an entry after its block, and counts.
    store(factory, ids, "f", start + timedelta(days=2, hours=3, minutes=30))
    asyncio.run(sweep.fold_hours())
    late = answers()
    assert late != before
    # A day later the next sweep packs day 5 only.
    now[0] += timedelta(days=1)
    assert asyncio.run(sweep.pack_days()) == 1
    assert answers() == late
    # A restarted process finds the newest day packed and walks no further.
    assert asyncio.run(RetentionSweep(Database(factory), lambda: now[0]).pack_days()) == 0

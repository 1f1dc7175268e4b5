"""Compact run columns (migration 0024): a run's times as epoch milliseconds, its timings as
whole microseconds, read and compared as aware datetimes and float milliseconds; existing
rows convert on upgrade (and back on downgrade), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from lookout.engine.persist import Finished
from lookout.engine.queue import Job
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.store.db import (
    UtcDateTime,
    create_db_engine,
    epoch_millis,
    from_epoch_millis,
    from_micros,
    make_session_factory,
    micros,
    transaction,
)
from lookout.store.migrate import alembic_config, upgrade_to_head
from lookout.store.repositories import runs as runs_repo
from lookout.store.repositories.engine import engine_store_for
from lookout.store.tables import CheckRun
from lookout.store.tables.runs import RUN_RESULTS, RunResult, result_code
from tests.engine.seed import add_monitor, migrated, persist

T0 = datetime(2026, 11, 20, 22, 0, 59, 999_999, tzinfo=UTC)
TIMINGS = ("total_ms", "dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "download_ms")


def test_times_floor_to_milliseconds_and_round_trip() -> None:
    assert epoch_millis(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert epoch_millis(T0) == int(T0.replace(microsecond=0).timestamp()) * 1000 + 999
    assert epoch_millis(T0.replace(tzinfo=None)) == epoch_millis(T0)  # naive is UTC
    assert epoch_millis(T0.astimezone(UTC).replace(tzinfo=None)) == epoch_millis(T0)
    back = from_epoch_millis(epoch_millis(T0))
    assert back == T0.replace(microsecond=999_000) and back.tzinfo is UTC
    # Flooring keeps order: a <= b still holds of the stored values.
    assert epoch_millis(T0) <= epoch_millis(T0 + timedelta(microseconds=1))


@pytest.mark.parametrize("ms", [0.0, 0.001, 2.0, 111.054, 124.68576593810182, 35_999_999.999, None])
def test_timings_keep_microseconds(ms: float | None) -> None:
    stored = micros(ms)
    assert stored is None if ms is None else isinstance(stored, int)
    if ms is not None and round(ms, 3) == ms:  # curl's resolution converts exactly
        assert from_micros(stored) == ms
    elif ms is not None:
        assert from_micros(stored) == pytest.approx(ms, abs=0.0005)
    else:
        assert from_micros(stored) is None


def test_every_outcome_has_a_result_code() -> None:
    assert [result_code(outcome.value) for outcome in Outcome] == list(range(len(Outcome)))
    assert RunResult().process_result_value(
        result_code(Outcome.WARNING), sa.create_engine("sqlite://").dialect
    ) == ("warning")
    with pytest.raises(ValueError, match="not 'late'"):
        result_code("late")


def test_stored_runs_compare_and_average_as_before(database_url: str) -> None:
    factory = migrated(database_url)
    ids = add_monitor(factory, "https://compact.example", "http", {"uptime": {}})
    totals = [120.001, 80.5, 99.999]
    finished = []
    for i, total in enumerate(totals):
        at = T0 + timedelta(seconds=i)
        job = Job(ids["uptime"], ids["monitor"], "uptime", "http", "x", {}, "local", at, 60.0, 2)
        timings = Timings(1.5, 10.0, None, total - 20.0, 0.25, total)
        result = CheckResult(Outcome.SUCCEEDED, "Up", at, at + timedelta(microseconds=1500), timings=timings)
        finished.append(Finished(job, result))
    with transaction(factory) as session:
        persist(session, finished, T0 + timedelta(seconds=5))
    with factory() as session:
        page, total = runs_repo.runs_page(session, ids["uptime"], started_after=T0 + timedelta(seconds=1))
        assert total == 2 and [run.started_at for run in page] == [
            (T0 + timedelta(seconds=s)).replace(microsecond=999_000) for s in (2, 1)
        ]
        run = page[-1]
        assert run.ended_at == (T0 + timedelta(seconds=1, microseconds=1500)).replace(microsecond=1000)
        assert (run.total_ms, run.dns_ms, run.tls_ms, run.download_ms) == (80.5, 1.5, None, 0.25)
        assert run.first_byte_ms == pytest.approx(60.5)
        average = runs_repo.average_response_time(session, ids["uptime"], T0 - timedelta(minutes=1))
        assert average == pytest.approx(sum(totals) / 3)
        assert runs_repo.average_response_times(session, [ids["uptime"]], T0 + timedelta(seconds=2)) == {
            ids["uptime"]: pytest.approx(99.999)
        }
        store = engine_store_for(session.get_bind().dialect.name)
        assert store.recent_averages(session, [ids["uptime"]], T0) == {
            ids["uptime"]: pytest.approx(sum(totals) / 3)
        }
        raw = session.execute(
            sa.text(
                "SELECT started_at, total_ms, tls_ms FROM check_runs WHERE check_id = :id ORDER BY started_at"
            ),
            {"id": ids["uptime"]},
        ).all()
    assert [tuple(row) for row in raw] == [
        (epoch_millis(T0 + timedelta(seconds=i)), round(total * 1000), None) for i, total in enumerate(totals)
    ]


_OLD_RUNS = sa.table(
    "check_runs",
    *(sa.column(name, sa.Integer()) for name in ("id", "check_id", "monitor_id", "slot")),
    *(sa.column(name, sa.String()) for name in ("result", "summary", "location")),
    *(sa.column(name, UtcDateTime()) for name in ("started_at", "ended_at")),
    *(sa.column(name, sa.Float()) for name in TIMINGS),
    sa.column("details", sa.LargeBinary()),
)


def _old_run(ids: dict[str, int], i: int, slot: int | None, at: datetime) -> dict[str, object]:
    return {
        "check_id": ids["uptime"],
        "monitor_id": ids["monitor"],
        "slot": slot,
        "result": "succeeded" if slot is not None else RUN_RESULTS[(i - 1) % len(RUN_RESULTS)],
        "summary": "Up",
        "location": "local",
        "started_at": at,
        "ended_at": at + timedelta(milliseconds=250, microseconds=999),
        "total_ms": 111.054 + i,
        "dns_ms": None,
        "connect_ms": 10.0,
        "tls_ms": 0.0,
        "first_byte_ms": 124.68576593810182,
        "download_ms": 0.001,
        "details": b"{}",
    }


def _indexes(connection: sa.Connection) -> dict[str, str]:
    if connection.dialect.name == "postgresql":
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'check_runs'"
    else:
        query = (
            "SELECT name, coalesce(sql, '') FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = 'check_runs'"
        )
    return {str(name): str(sql) for name, sql in connection.execute(sa.text(query))}


def test_the_migration_converts_runs_both_ways(empty_url: str) -> None:
    engine = create_db_engine(empty_url)
    config = alembic_config(engine)
    command.upgrade(config, "0023")
    ids = add_monitor(make_session_factory(engine), "https://old.example", "http", {"uptime": {}})
    times = [T0, T0.replace(microsecond=0), T0 + timedelta(microseconds=1), T0 - timedelta(days=400)]
    times.append(T0 + timedelta(seconds=2))
    # Two successes in slots, then a warning, a failure and an error without one.
    old = [_old_run(ids, i, i if i < 2 else None, at) for i, at in enumerate(times)]
    assert {run["result"] for run in old} == set(RUN_RESULTS)
    with engine.begin() as connection:
        connection.execute(sa.insert(_OLD_RUNS), old)
        # The newest run went (its slot was replaced): its id must not come back.
        newest = connection.execute(sa.select(sa.func.max(_OLD_RUNS.c.id))).scalar_one()
        connection.execute(sa.insert(_OLD_RUNS), _old_run(ids, 9, None, T0))
        connection.execute(sa.delete(_OLD_RUNS).where(_OLD_RUNS.c.id == newest + 1))
        indexes_before = _indexes(connection)
    engine.dispose()

    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        runs = session.scalars(sa.select(CheckRun).order_by(CheckRun.id)).all()
        assert [run.started_at for run in runs] == [from_epoch_millis(epoch_millis(at)) for at in times]
        assert [run.ended_at for run in runs] == [
            from_epoch_millis(epoch_millis(at + timedelta(milliseconds=250, microseconds=999)))
            for at in times
        ]
        for run, before in zip(runs, old, strict=True):
            assert [getattr(run, name) for name in TIMINGS] == [
                from_micros(micros(before[name])) for name in TIMINGS
            ]
            assert (run.slot, run.result) == (before["slot"], before["result"])
        raw = session.execute(
            sa.text("SELECT started_at, ended_at, dns_ms, first_byte_ms, result FROM check_runs ORDER BY id")
        ).all()
        assert {row[2] for row in raw} == {None}
        assert all(isinstance(value, int) for row in raw for value in (row[0], row[1], row[3]))
        assert [row[4] for row in raw] == [result_code(str(run["result"])) for run in old]
        # Comparisons with datetimes keep working on converted rows.
        page, total = runs_repo.runs_page(session, ids["uptime"], started_after=T0 - timedelta(days=1))
        assert total == 4 and [run.started_at for run in page] == [
            (T0 + timedelta(seconds=2)).replace(microsecond=999_000),
            T0 + timedelta(microseconds=1),
            T0.replace(microsecond=999_000),
            T0.replace(microsecond=0),
        ]
    with transaction(factory) as session:
        session.add(CheckRun(**{**_old_run(ids, 5, None, T0), "details": {}}))
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.max(_OLD_RUNS.c.id))).scalar_one() == newest + 2
        after = _indexes(connection)
        assert after.keys() == indexes_before.keys()
        assert "WHERE" in after["ix_check_runs_unslotted_started"].upper()
        assert "slot IS NULL" in after["ix_check_runs_unslotted_started"].replace("(", "").replace(")", "")

    command.downgrade(config, "0023")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(_OLD_RUNS).order_by(_OLD_RUNS.c.id)).mappings().all()
        assert [row["started_at"] for row in rows[: len(times)]] == [
            at.replace(microsecond=at.microsecond // 1000 * 1000) for at in times
        ]
        assert [row["result"] for row in rows[: len(times)]] == [run["result"] for run in old]
        assert rows[0]["total_ms"] == 111.054 and rows[0]["download_ms"] == 0.001
        assert rows[0]["first_byte_ms"] == 124.686 and rows[0]["dns_ms"] is None
        assert _indexes(connection).keys() == indexes_before.keys()
        assert "WHERE" in _indexes(connection)["ix_check_runs_unslotted_started"].upper()
    engine.dispose()
    upgrade_to_head(engine)
    with factory() as session:
        again = session.scalars(sa.select(CheckRun).order_by(CheckRun.id)).all()[: len(times)]
        assert [run.started_at for run in again] == [from_epoch_millis(epoch_millis(at)) for at in times]
        assert [run.result for run in again] == [run["result"] for run in old]
    engine.dispose()

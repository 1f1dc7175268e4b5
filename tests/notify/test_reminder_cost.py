"""Reminders cost what the checks still down cost, not what the history holds: the scan
finds each down check's latest failure from the check, so a long history of changes of
checks that are up does not make it longer, and a scan in the middle of a reminder period
decides nothing (a check down for days is looked at once a period, not every minute)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session, sessionmaker

from lookout.store.db import transaction
from lookout.store.repositories.notifications import DownFailure, down_failures
from lookout.store.tables import StateChange
from tests.engine.seed import add_monitor
from tests.notify.harness import (
    Clock,
    Runs,
    start_time,
    told_of_a_failure,
)
from tests.sqlite_steps import counted


@contextmanager
def statements(factory: sessionmaker[Session]) -> Iterator[list[str]]:
    """The SQL statements run on the factory's engine inside the block."""
    seen: list[str] = []
    engine = factory.kw["bind"]

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def add_history(factory: sessionmaker[Session], ids: dict[str, int], changes: int) -> None:
    """`changes` old failures and fixes of a check that is up now."""
    at = start_time() - timedelta(days=10)
    with transaction(factory) as session:
        session.execute(
            insert(StateChange),
            [
                {
                    "check_id": ids["uptime"],
                    "monitor_id": ids["monitor"],
                    "kind": "failed" if n % 2 == 0 else "fixed",
                    "from_status": "up" if n % 2 == 0 else "down",
                    "to_status": "down" if n % 2 == 0 else "up",
                    "result": "failed" if n % 2 == 0 else "succeeded",
                    "reason": "Down: timed out" if n % 2 == 0 else "Up",
                    "created_at": at + timedelta(minutes=n),
                    "processed_at": at + timedelta(minutes=n),
                }
                for n in range(changes)
            ],
        )


def read_cost(factory: sessionmaker[Session], read: Callable[[Session], object]) -> int | None:
    """The work of `read` in SQLite's steps (hundreds); None on PostgreSQL, where the test
    proves the answer only."""
    with factory() as session:
        if session.get_bind().dialect.name != "sqlite":
            return None
        return counted(session, read)[1]


def test_the_down_checks_are_found_without_reading_the_history(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    down = add_monitor(factory, "127.0.0.1:9")
    Runs(factory, down, clock).store("f")
    expected = down_failures_of(factory)
    assert len(expected) == 1
    flapped = add_monitor(factory, "127.0.0.2:9")
    add_history(factory, flapped, 100)
    short = read_cost(factory, down_failures)
    add_history(factory, flapped, 5000)
    long = read_cost(factory, down_failures)
    assert down_failures_of(factory) == expected
    if short is not None and long is not None:
        assert long <= short + 2, (short, long)


def down_failures_of(factory: sessionmaker[Session]) -> list[DownFailure]:
    with factory() as session:
        return down_failures(session)


async def test_a_scan_inside_a_reminder_period_decides_nothing(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    async with told_of_a_failure(factory, clock, reminder_every=timedelta(hours=1)) as told:
        assert told.hooks.events() == ["uptimeCheckFailed"]
    outbox = told.outbox
    period_ended = clock.now + timedelta(hours=1, minutes=1)
    assert outbox.remind(period_ended, since=period_ended - timedelta(minutes=2)) == 1
    with statements(factory) as seen:
        assert outbox.remind(period_ended + timedelta(minutes=1), since=period_ended) == 0
    assert len(seen) == 1 and "check_states" in seen[0], seen  # the down checks, nothing more
    # After a start (no last scan) every period is looked at again: the reminder made above
    # is found by its key and not made twice.
    assert outbox.remind(period_ended + timedelta(minutes=1), since=None) == 0

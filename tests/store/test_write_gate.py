"""The SQLite write gate: writers of one process take turns in arrival order."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from lookout.store.db import create_db_engine, engine_write_gate, make_session_factory, transaction
from lookout.store.write_gate import GateTimeoutError, WriteGate


def _wait_until(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_writers_get_the_gate_in_the_order_they_asked() -> None:
    gate = WriteGate()
    order: list[int] = []
    queued: list[int] = []
    release = threading.Event()

    def holder() -> None:
        with gate.held():
            release.wait(5)

    def writer(n: int) -> None:
        queued.append(n)
        with gate.held():
            order.append(n)

    first = threading.Thread(target=holder)
    first.start()
    _wait_until(lambda: gate._owner is not None)
    threads = []
    for n in range(8):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=n: len(gate._waiters) == n + 1)  # queued before the next starts
    release.set()
    for thread in [first, *threads]:
        thread.join(5)
    assert order == list(range(8))
    assert gate._owner is None and not gate._waiters


def test_a_thread_holding_the_gate_may_open_another_transaction() -> None:
    gate = WriteGate(timeout=1)
    with gate.held():
        with gate.held():
            assert gate.owned()
        assert gate.owned()  # the inner block leaves it to the outer one
    assert not gate.owned() and gate._owner is None


def test_a_writer_not_handed_the_gate_in_time_gives_up_its_place() -> None:
    gate = WriteGate(timeout=0.2)
    release = threading.Event()

    def hold() -> None:
        with gate.held():
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    _wait_until(lambda: gate._owner is not None)
    with pytest.raises(GateTimeoutError), gate.held():
        pass
    assert not gate._waiters
    release.set()
    holder.join(5)


def test_a_writer_gets_in_behind_a_busy_writer_instead_of_starving(tmp_path: Path) -> None:
    """The engine's database thread writes again as soon as it commits; a request's write
    must get the next turn, not poll SQLite's lock until the engine pauses."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        session.execute(text("CREATE TABLE hits (who TEXT)"))
    busy_commits = 0
    stop = threading.Event()

    def busy_writer() -> None:
        nonlocal busy_commits
        while not stop.is_set():
            with transaction(sessions) as session:
                session.execute(text("INSERT INTO hits VALUES ('busy')"))
                time.sleep(0.01)  # holds the lock with the GIL free, as a write batch does
            busy_commits += 1

    busy = threading.Thread(target=busy_writer)
    busy.start()
    _wait_until(lambda: busy_commits >= 3)
    waited = []
    for _ in range(5):
        before = busy_commits
        with transaction(sessions) as session:
            session.execute(text("INSERT INTO hits VALUES ('request')"))
        waited.append(busy_commits - before)
    stop.set()
    busy.join(10)
    # At most the busy writer's transaction under way and the one queued before ours.
    assert max(waited) <= 2, waited
    with sessions() as session:
        assert session.scalar(text("SELECT COUNT(*) FROM hits WHERE who = 'request'")) == 5
    engine.dispose()


def test_writes_outside_transaction_give_the_gate_back(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    gate = engine_write_gate(engine)
    assert gate is not None
    with engine.begin() as connection:  # as the migrations write
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        assert gate.owned()
    assert gate._owner is None
    with engine.connect() as connection:  # a write rolled back
        connection.execute(text("INSERT INTO t VALUES (2)"))
        assert gate.owned()
        connection.rollback()
    assert gate._owner is None
    engine.dispose()

"""Counting SQLite's virtual machine steps: a measure of a query's work that does not
depend on the machine's speed, for tests that prove a cost does not grow with the store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

STEPS_PER_CALL = 100
T = TypeVar("T")


class Steps:
    """Steps counted so far: SQLite calls the handler every `per_call` steps."""

    def __init__(self, per_call: int = STEPS_PER_CALL) -> None:
        self.per_call = per_call
        self.calls = 0

    def count(self) -> int:
        self.calls += 1
        return 0  # go on

    @property
    def total(self) -> int:
        """Steps, to the nearest `per_call` below."""
        return self.calls * self.per_call

    @property
    def hundreds(self) -> int:
        return self.total // 100


def counted(session: Session, work: Callable[[Session], T]) -> tuple[T, int]:
    """What `work` returns and the steps (in hundreds) it took on this session's connection."""
    steps = Steps()
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    raw.set_progress_handler(steps.count, STEPS_PER_CALL)
    try:
        return work(session), steps.hundreds
    finally:
        raw.set_progress_handler(None, STEPS_PER_CALL)


@contextmanager
def steps_on(engine: Engine, per_call: int = STEPS_PER_CALL) -> Iterator[Steps]:
    """The steps of every connection `engine` hands out inside the block (`per_call` 1
    counts every step: for statements that each take fewer than a hundred)."""
    steps = Steps(per_call)

    def on_checkout(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.set_progress_handler(steps.count, per_call)

    event.listen(engine, "checkout", on_checkout)
    try:
        yield steps
    finally:
        event.remove(engine, "checkout", on_checkout)

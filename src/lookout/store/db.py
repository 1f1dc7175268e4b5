"""Engine and session factory; SQLite gets WAL and foreign keys, PostgreSQL works as is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    MetaData,
    Select,
    TypeDecorator,
    create_engine,
    delete,
    event,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores naive UTC; hands back aware UTC datetimes whatever the backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_millis(value: datetime) -> int:
    """Whole milliseconds since the Unix epoch, rounded down (naive values are UTC): an
    instant never moves later, so `a <= b` still holds of the stored values."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    since = value - _EPOCH
    return (since.days * 86_400 + since.seconds) * 1000 + since.microseconds // 1000


def from_epoch_millis(value: int) -> datetime:
    seconds, millis = divmod(int(value), 1000)
    return _EPOCH + timedelta(seconds=seconds, milliseconds=millis)


def micros(ms: float | None) -> int | None:
    """Milliseconds as whole microseconds (curl's resolution: its times convert exactly)."""
    return None if ms is None else round(ms * 1000)


def from_micros(value: float | None) -> float | None:
    """Microseconds (or an average of them: a float, or PostgreSQL's numeric) as float ms."""
    return None if value is None else float(value) / 1000


class IntegerCodec(TypeDecorator[T]):
    """A value stored as an integer: `encode` on the way in, `decode` on the way out (None
    stays None). The SQLite fast path calls the same `encode` (repositories/engine.py)."""

    impl: type[Integer] = BigInteger
    cache_ok = True
    encode: Callable[[Any], int | None]
    decode: Callable[[Any], Any]

    def process_bind_param(self, value: T | None, dialect: Dialect) -> int | None:
        return None if value is None else self.encode(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> T | None:
        return None if value is None else cast(T, self.decode(value))


class EpochMillis(IntegerCodec[datetime]):
    """An instant stored as integer milliseconds since the epoch (6 bytes in SQLite where
    DATETIME text takes 26, in the row and in every index on it); takes and gives aware
    UTC datetimes, so comparisons with datetimes work as on `UtcDateTime`."""

    cache_ok = True  # SQLAlchemy reads it off each class, never inherited
    encode = staticmethod(epoch_millis)
    decode = staticmethod(from_epoch_millis)


class Micros(IntegerCodec[float]):
    """A duration in float milliseconds stored as integer microseconds."""

    cache_ok = True
    encode = staticmethod(micros)
    decode = staticmethod(from_micros)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; for SQLite it makes the parent directory and sets pragmas."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool if path == ":memory:" else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


def delete_selected(session: Session, model: Any, ids: Select[Any]) -> int:
    """Delete the rows of `model` whose ids `ids` selects (a bounded query: the retention
    sweep deletes a chunk a transaction); how many went."""
    chosen = list(session.scalars(ids))
    if chosen:
        session.execute(delete(model).where(model.id.in_(chosen)))
    return len(chosen)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)

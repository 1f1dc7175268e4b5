"""The engine's database thread tunes its SQLite connections once, and a checkpointer thread
moves the WAL into the database file so the engine's commits never do."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.orm import Session

from lookout.engine.database import Database
from lookout.store.db import create_db_engine, make_session_factory


async def test_sqlite_connections_get_the_engine_pragmas(tmp_path: Path) -> None:
    db = Database(make_session_factory(create_db_engine(f"sqlite:///{tmp_path / 'e.db'}")))
    try:
        for _ in range(2):
            cache = await db.run(lambda s: s.connection().exec_driver_sql("PRAGMA cache_size").scalar())
            wal = await db.run(lambda s: s.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar())
            assert (cache, wal) == (-65536, 0)
    finally:
        db.close()


def _fill(session: Session) -> None:
    connection = session.connection()
    connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)")
    for _ in range(2000):
        connection.exec_driver_sql("INSERT INTO filler (body) VALUES (?)", ("x" * 500,))


async def test_the_checkpointer_moves_the_wal_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = Database(make_session_factory(create_db_engine(f"sqlite:///{path}")))
    try:
        await db.run(lambda s: s.connection().exec_driver_sql("SELECT 1").scalar())
        await db.run(_fill)  # ~1 MB, into the WAL: the engine's connection never checkpoints
        before = path.stat().st_size
        assert before < 500_000
        for _ in range(40):
            await asyncio.sleep(0.1)
            if path.stat().st_size > 1_000_000:
                break
        assert path.stat().st_size > 1_000_000
    finally:
        db.close()

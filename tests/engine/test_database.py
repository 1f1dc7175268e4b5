"""The engine's database thread tunes its SQLite connections once."""

from __future__ import annotations

from pathlib import Path

from lookout.engine.database import Database
from lookout.store.db import create_db_engine, make_session_factory


async def test_sqlite_connections_get_the_engine_pragmas(tmp_path: Path) -> None:
    db = Database(make_session_factory(create_db_engine(f"sqlite:///{tmp_path / 'e.db'}")))
    try:
        for _ in range(2):
            cache = await db.run(lambda s: s.connection().exec_driver_sql("PRAGMA cache_size").scalar())
            wal = await db.run(lambda s: s.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar())
            assert (cache, wal) == (-65536, 10000)
    finally:
        db.close()

"""Ids that leave the process are never handed out twice, on SQLite as on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import delete, select

from lookout.store.db import transaction
from lookout.store.tables import Check, Monitor
from tests.engine.seed import add_monitor, migrated


def test_a_deleted_monitors_ids_are_not_reused(database_url: str) -> None:
    factory = migrated(database_url)
    first = add_monitor(factory, "ids.example:1")
    with transaction(factory) as session:
        session.execute(delete(Monitor).where(Monitor.id == first["monitor"]))
    second = add_monitor(factory, "ids.example:2")
    assert second["monitor"] > first["monitor"]
    assert second["uptime"] > first["uptime"]
    with factory() as session:
        assert session.scalar(select(Check.id).where(Check.id == first["uptime"])) is None

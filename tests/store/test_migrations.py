"""Alembic's history builds exactly the schema the tables declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import lookout.store.tables  # noqa: F401  (registers every table)
from lookout.app import open_store
from lookout.settings import Settings
from lookout.store.db import Base
from lookout.store.migrate import upgrade_to_head


def test_migrations_match_the_tables(database_url: str) -> None:
    store = open_store(Settings(database_url=database_url, run_engine=False))
    upgrade_to_head(store.engine)  # a second upgrade is a no-op
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []

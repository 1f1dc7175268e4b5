"""Alembic environment: runs on the connection `lookout.store.migrate` hands over."""

from __future__ import annotations

from alembic import context

import lookout.store.tables  # noqa: F401  (registers every table on Base.metadata)
from lookout.store.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic's own CLI is used
    from lookout.store.db import create_db_engine

    connection = create_db_engine(config.get_main_option("sqlalchemy.url") or "").connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

"""Is this process able to serve: the database answers and carries this build's schema."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from lookout.store.db import transaction
from lookout.store.migrate import current_revision, head_revision
from lookout.store.repositories import notifications


@dataclass(frozen=True, slots=True)
class Probe:
    ok: bool
    reason: str = ""


class HealthService:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine)
        self._head = head_revision()

    def database(self) -> Probe:
        """Reachable, readable and writable, and migrated to this build's head."""
        path = self._sqlite_path()
        # A pooled connection keeps working on a file that was made unreadable under it;
        # the file's own permissions say whether the next connection (or restart) will.
        if path is not None and not os.path.exists(path):
            return Probe(False, "the database file is missing")
        if path is not None and not os.access(path, os.R_OK | os.W_OK):
            return Probe(False, "the database file is not readable and writable")
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            revision = current_revision(self._engine)
        except Exception as exc:  # any driver error means "not ready", with its first line
            first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            return Probe(
                False, f"database unreachable: {first_line[0] if first_line else type(exc).__name__}"
            )
        if revision != self._head:
            return Probe(False, f"database at migration {revision}, this build needs {self._head}")
        return Probe(True)

    def outbox_backlog(self) -> dict[str, int]:
        with transaction(self._sessions) as session:
            return notifications.backlog(session)

    def _sqlite_path(self) -> str | None:
        url = self._engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return url.database

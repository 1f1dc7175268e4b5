"""The checks' seam to monitor-level options: read from the store when a run asks (a crawl
asks once per run, daily), never carried on every job of every check."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import CheckContext
from lookout.store.tables import Monitor

MAX_HEADERS = 50


class StoreMonitorOptions:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    async def crawler_headers(self, monitor_id: int) -> list[tuple[str, str]]:
        return await asyncio.to_thread(self._crawler_headers, monitor_id)

    def _crawler_headers(self, monitor_id: int) -> list[tuple[str, str]]:
        with self._sessions() as session:
            options = session.scalar(select(Monitor.options).where(Monitor.id == monitor_id)) or {}
        headers = options.get("crawler_headers") or []
        return [(str(h["name"]), str(h["value"])) for h in headers[:MAX_HEADERS] if isinstance(h, dict)]


def with_monitor_options(ctx: CheckContext, sessions: sessionmaker[Session]) -> CheckContext:
    return dataclasses.replace(ctx, monitor_options=StoreMonitorOptions(sessions))

"""Store helpers for engine tests and the benchmark: a migrated database and monitors."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.app import Store, build_services
from lookout.checks.registry import CHECKS
from lookout.engine.persist import BatchPersister, BatchReport, Finished
from lookout.engine.settings_cache import SettingsCache
from lookout.store.db import create_db_engine, make_session_factory, transaction
from lookout.store.migrate import upgrade_to_head
from lookout.store.repositories.engine import engine_store_for
from lookout.store.tables import Check, Monitor, Team

_badges = itertools.count(1)


def migrated(url: str) -> sessionmaker[Session]:
    engine = create_db_engine(url)
    upgrade_to_head(engine)
    return make_session_factory(engine)


def add_monitor(
    factory: sessionmaker[Session],
    url: str,
    monitor_type: str = "tcp",
    checks: dict[str, dict[str, Any]] | None = None,
    disabled: tuple[str, ...] = (),
    next_run_at: datetime | None = None,
) -> dict[str, int]:
    """A monitor with the given enabled checks (type → settings); returns type → check id."""
    now = datetime.now(UTC)
    checks = checks if checks is not None else {"uptime": {}}
    with transaction(factory) as session:
        team = session.query(Team).first()
        if team is None:
            team = Team(name="team", timezone="UTC", created_at=now)
            session.add(team)
            session.flush()
        monitor = Monitor(
            team_id=team.id,
            type=monitor_type,
            url=url,
            sort_url=url,
            badge_id=f"b{next(_badges)}-{id(session)}",
            created_at=now,
            updated_at=now,
        )
        session.add(monitor)
        session.flush()
        ids = {"monitor": monitor.id}
        for check_type, settings in checks.items():
            check = Check(
                monitor_id=monitor.id,
                type=check_type,
                enabled=check_type not in disabled,
                settings=settings,
                next_run_at=next_run_at,
                created_at=now,
                updated_at=now,
            )
            session.add(check)
            session.flush()
            ids[check_type] = check.id
        return ids


def add_http_monitors(store: Store, count: int) -> None:
    """`count` http monitors (Oh Dear's default checks) created through the monitors service."""
    services = build_services(store)
    issued = services.tokens.create("seed@example.test", "seed")
    who = services.tokens.authenticate(issued.token)
    for index in range(count):
        services.monitors.create(
            who, {"url": f"https://m{index}.example", "team_id": issued.team_id, "type": "http"}
        )


def persist(
    session: Session,
    finished: Sequence[Finished],
    now: datetime,
    *,
    derived: bool = True,
    fast_path: bool = True,
    runs_kept: int = 100,
    shared_writes: bool = False,
) -> BatchReport:
    """One batch through the engine's own writer path, as the engine would store it;
    `derived=False` leaves derived checks (performance) unjudged, so a test can record their
    runs itself."""
    store = engine_store_for(session.get_bind().dialect.name, fast_path=fast_path)
    persister = BatchPersister if derived else _Underived
    return persister(
        store, CHECKS, SettingsCache(CHECKS), runs_kept=runs_kept, shared_writes=shared_writes
    ).persist(session, finished, now)


class _Underived(BatchPersister):
    def _derived_items(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

"""Each team's monitor count is kept by the database (migration 0022's triggers), whatever
adds or removes a monitor: the API's service, a bulk insert, a delete, a team's cascade."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, insert, select, update

from lookout.app import build_services, open_store
from lookout.settings import Settings
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import monitors as repo
from lookout.store.tables import Monitor, Team, TeamMonitorCount


def _counted(session: object, team_id: int) -> tuple[int, int | None]:
    """(monitors really there, the kept count)."""
    real = session.scalar(select(func.count()).select_from(Monitor).where(Monitor.team_id == team_id))  # type: ignore[attr-defined]
    kept = session.scalar(select(TeamMonitorCount.monitors).where(TeamMonitorCount.team_id == team_id))  # type: ignore[attr-defined]
    return real, kept


def test_the_count_follows_every_way_a_monitor_comes_and_goes(database_url: str) -> None:
    store = open_store(Settings(database_url=database_url, run_engine=False))
    services = build_services(store)
    issued = services.tokens.create(f"{uuid.uuid4().hex}@example.test", uuid.uuid4().hex)
    other = services.tokens.create(f"{uuid.uuid4().hex}@example.test", uuid.uuid4().hex)
    who = services.tokens.authenticate(issued.token)
    team = issued.team_id
    made = [
        services.monitors.create(who, {"url": f"https://c{i}.example", "team_id": team, "type": "http"})
        for i in range(3)
    ]
    with store.sessions() as session:
        assert _counted(session, team) == (3, 3)
        assert repo.team_monitor_count(session, team) == 3
        assert repo.monitor_count(session, {team, other.team_id}) == 3
        assert repo.monitor_count(session, {other.team_id}) == 0

    now = utcnow()
    with transaction(store.sessions) as session:
        template = {
            "team_id": team, "type": "http", "sort_url": "x", "group_name": "", "options": {},
            "summarized_check_result": "pending", "created_at": now, "updated_at": now,
        }  # fmt: skip
        session.execute(
            insert(Monitor),
            [
                {**template, "url": f"https://bulk{i}.example", "badge_id": uuid.uuid4().hex[:26]}
                for i in range(5)
            ],
        )
    services.monitors.delete(who, made[0].monitor.id)
    with transaction(store.sessions) as session:
        assert _counted(session, team) == (7, 7)
        moved = session.scalar(select(Monitor.id).where(Monitor.team_id == team).limit(1))
        session.execute(update(Monitor).where(Monitor.id == moved).values(team_id=other.team_id))
        session.execute(update(Monitor).where(Monitor.team_id == team).values(group_name="same team"))
    with store.sessions() as session:
        assert _counted(session, team) == (6, 6)
        assert _counted(session, other.team_id) == (1, 1)
        assert repo.monitor_count(session, {team, other.team_id}) == 7

    with transaction(store.sessions) as session:
        session.execute(delete(Team).where(Team.id == team))
    with store.sessions() as session:
        assert _counted(session, team) == (0, None)
        assert repo.monitor_count(session, {team}) == 0


def test_a_listing_total_is_the_kept_count(database_url: str) -> None:
    store = open_store(Settings(database_url=database_url, run_engine=False))
    services = build_services(store)
    issued = services.tokens.create(f"{uuid.uuid4().hex}@example.test", uuid.uuid4().hex)
    who = services.tokens.authenticate(issued.token)
    for i in range(4):
        services.monitors.create(
            who, {"url": f"https://l{i}.example", "team_id": issued.team_id, "type": "http"}
        )
    page = services.monitors.list(who, None, 2, 3)
    assert page.total == 4
    assert len(page.items) == 1

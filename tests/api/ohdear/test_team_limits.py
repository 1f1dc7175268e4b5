"""Per-team limits are settings: a team at its monitor limit gets a 422, other teams do not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings


def test_a_team_at_its_monitor_limit_gets_a_422(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'l.db'}", run_engine=False, max_monitors_per_team=2
    )
    store = open_store(settings)
    services = build_services(store, settings)
    full = services.tokens.create("full@example.test", "full")
    other = services.tokens.create("other@example.test", "other")
    with TestClient(create_app(settings, store)) as client:

        def create(issued: Any, n: int) -> httpx.Response:
            body = {
                "url": f"https://limit-{issued.team_id}-{n}.example",
                "team_id": issued.team_id,
                "type": "http",
            }
            return client.post(
                "/api/monitors", json=body, headers={"Authorization": f"Bearer {issued.token}"}
            )

        assert [create(full, n).status_code for n in range(2)] == [201, 201]
        refused = create(full, 2)
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"team_id": ["The team already has its limit of 2 monitors."]}
        assert create(other, 0).status_code == 201

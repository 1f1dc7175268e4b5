"""An app on a real database (SQLite and PostgreSQL) and a cast of users.

alice and bob share team A; eve is alone in team E. Every test makes its own cast, so
tests never see each other's data even though the database is shared per session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lookout.app import Store, build_services, create_app, open_store
from lookout.settings import Settings


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind, for a test that opens its own app (a live engine)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lookout.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


@dataclass
class Caller:
    client: TestClient
    token: str
    team_id: int
    user_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.headers, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.put(path, headers=self.headers, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.client.delete(path, headers=self.headers, **kwargs)


@dataclass
class Cast:
    alice: Caller
    bob: Caller
    eve: Caller


@pytest.fixture(scope="session")
def store(database_url: str) -> Store:
    return open_store(
        Settings(
            database_url=database_url,
            rate_limit_per_minute=100_000,
            run_engine=False,
            run_outbox=False,
            run_failover=False,
        )
    )


@pytest.fixture(scope="session")
def client(store: Store) -> Iterator[TestClient]:
    settings = Settings(
        database_url=str(store.engine.url),
        rate_limit_per_minute=100_000,
        rate_limit_unauthenticated_per_minute=100_000,
        run_engine=False,
        run_outbox=False,
        run_failover=False,
    )
    with TestClient(create_app(settings, store)) as test_client:
        yield test_client


@pytest.fixture
def cast(store: Store, client: TestClient) -> Cast:
    tokens = build_services(store).tokens
    run = uuid.uuid4().hex[:8]
    team_a, team_e = f"team-a-{run}", f"team-e-{run}"
    issued = {
        "alice": tokens.create(f"alice-{run}@example.test", team_a),
        "bob": tokens.create(f"bob-{run}@example.test", team_a, role="Member"),
        "eve": tokens.create(f"eve-{run}@example.test", team_e),
    }
    callers = {
        name: Caller(client, token.token, token.team_id, token.user_id) for name, token in issued.items()
    }
    return Cast(**callers)


@pytest.fixture
def alice(cast: Cast) -> Caller:
    return cast.alice

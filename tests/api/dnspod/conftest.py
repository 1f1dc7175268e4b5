"""A DNSPod client on a real app (SQLite and PostgreSQL): form POSTs with an `ID,SECRET` token."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lookout.app import Store, build_services, create_app, open_store
from lookout.settings import Settings


@pytest.fixture(scope="session")
def dnspod_store(database_url: str) -> Store:
    return open_store(
        Settings(database_url=database_url, run_engine=False, run_outbox=False, run_failover=False)
    )


@pytest.fixture(scope="session")
def dnspod_client(dnspod_store: Store) -> Iterator[TestClient]:
    settings = Settings(
        database_url=str(dnspod_store.engine.url),
        run_engine=False,
        run_outbox=False,
        run_failover=False,
        max_monitors_per_team=3,
    )
    with TestClient(create_app(settings, dnspod_store)) as client:
        yield client


# A Monitor.Create form that is taken (with a domain_id and a record_id added).
MONITOR_FORM = {
    "port": 80,
    "monitor_type": "http",
    "monitor_path": "/",
    "monitor_interval": 360,
    "points": "ctc,cuc,cmc",
    "bak_ip": "pass",
    "host": "testapi.com",
}


@dataclass
class DnsPod:
    client: TestClient
    token: str
    team_id: int

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        data = {"login_token": self.token, "format": "json", **{k: str(v) for k, v in params.items()}}
        response = self.client.post(f"/{action}", data=data)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert isinstance(body["status"]["code"], str)
        return body

    def code(self, action: str, **params: Any) -> str:
        return str(self.call(action, **params)["status"]["code"])

    def domain_with_record(
        self, value: str = "192.0.2.10", sub: str = "www", rtype: str = "A"
    ) -> tuple[int, int, str]:
        name = f"d{uuid.uuid4().hex[:10]}.test"
        domain_id = int(self.call("Domain.Create", domain=name)["domain"]["id"])
        created = self.call(
            "Record.Create",
            domain_id=domain_id,
            sub_domain=sub,
            record_type=rtype,
            record_line="默认",
            value=value,
        )
        return domain_id, int(created["record"]["id"]), name


def _user(store: Store, client: TestClient) -> DnsPod:
    run = uuid.uuid4().hex[:8]
    issued = build_services(store).tokens.create(f"dp-{run}@example.test", f"dp-team-{run}")
    return DnsPod(client, issued.dnspod_token, issued.team_id)


@pytest.fixture
def pod(dnspod_store: Store, dnspod_client: TestClient) -> DnsPod:
    return _user(dnspod_store, dnspod_client)


@pytest.fixture
def other(dnspod_store: Store, dnspod_client: TestClient) -> DnsPod:
    return _user(dnspod_store, dnspod_client)

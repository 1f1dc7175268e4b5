"""Domain and application health as a user meets them through the API alone: a monitor
whose checks run in the live engine against loopback registries and a loopback app, then
request-run, the results read back, a health check's history, snoozes, and walls between
teams. On SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from tests.servers.app_health import SECRET, RunningApp, result, results, serve_app_health
from tests.servers.rdap import RunningRdap, RunningWhois, rdap_domain, serve_rdap, serve_whois


@pytest.fixture
def registries() -> Iterator[tuple[RunningRdap, RunningWhois]]:
    soon = datetime.now(UTC) + timedelta(days=10)
    domains = {"soon.test": rdap_domain("soon.test", expires=soon, statuses=["client transfer prohibited"])}
    with serve_rdap(domains, ["test"]) as rdap, serve_whois({}) as whois:
        yield rdap, whois


@pytest.fixture
def app() -> Iterator[RunningApp]:
    with serve_app_health() as running:
        yield running


def eventually(probe: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_domain_and_application_health_through_the_api(
    db_url: str, tmp_path: Path, registries: tuple[RunningRdap, RunningWhois], app: RunningApp
) -> None:
    rdap, whois = registries
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path,
        allow_private_targets=True,
        rdap_bootstrap_url=rdap.bootstrap_url,
        whois_referral_server=whois.address,
    )
    store = open_store(settings)
    tokens = build_services(store).tokens
    issued = tokens.create("owner@example.test", "owners")
    stranger = tokens.create("stranger@example.test", "strangers")
    with TestClient(
        create_app(settings, store), headers={"Authorization": f"Bearer {issued.token}"}
    ) as client:
        created = client.post(
            "/api/monitors",
            json={
                "url": "https://www.soon.test/",
                "team_id": issued.team_id,
                "type": "http",
                "checks": ["domain"],
                "application_health_check_settings": {
                    "result_url": f"{app.url}/health/live",
                    "secret": SECRET,
                    "headers": [{"name": "X-Env", "value": "test"}],
                },
            },
        )
        assert created.status_code == 201, created.text
        monitor = created.json()
        mid = monitor["id"]
        checks = {c["type"]: c for c in monitor["checks"]}

        # Domain: runs as soon as the monitor exists; expiring in 10 days is a warning.
        domain = eventually(
            lambda: (d := client.get(f"/api/monitors/{mid}/domain").json())["expires_at"] and d
        )
        assert domain["domain_statuses"] == ["clientTransferProhibited"]
        assert domain["rdap_domain_response"]["ldhName"] == "SOON.TEST"
        assert domain["registered_at"] is None and domain["created_at"] is not None
        assert domain["not_supported_reason"] is None
        shown = eventually(lambda: _check(client, mid, "domain")["latest_run_result"] == "warning")
        assert shown
        assert _check(client, mid, "domain")["summary"].startswith("Expires in 9 days")
        runs_path = f"/api/monitors/{mid}/checks/domain/runs"
        assert client.post(f"/api/checks/{checks['domain']['id']}/request-run").status_code == 200
        eventually(lambda: len(client.get(runs_path).json()["data"]) == 2)

        # Application health: enabled, it runs at once.
        app_check = checks["application_health"]["id"]
        assert client.post(f"/api/checks/{app_check}/enable").json()["enabled"] is True
        listing = f"/api/monitors/{mid}/application-health-checks"
        first = eventually(lambda: client.get(listing).json()["data"])
        assert [(h["name"], h["status"], h["message"]) for h in first] == [
            ("Database", "ok", "Database is ok")
        ]
        assert first[0]["meta"] == {"value": 42} and first[0]["active_snooze"] is None
        assert app.last_headers["x-env"] == "test"
        assert _check(client, mid, "application_health")["latest_run_result"] == "succeeded"

        # The app's database fails and a disk check appears; request-run reads it at once.
        app.live = results(result("Database", "failed"), result("UsedDiskSpace", "warning"))
        assert client.post(f"/api/checks/{app_check}/request-run").status_code == 200
        eventually(lambda: _check(client, mid, "application_health")["latest_run_result"] == "failed")
        now = {h["name"]: h for h in client.get(listing).json()["data"]}
        assert now["Database"]["status"] == "failed" and now["UsedDiskSpace"]["status"] == "warning"
        assert _check(client, mid, "application_health")["summary"] == "1 failing: Database"
        database = now["Database"]["id"]
        history = client.get(f"{listing}/{database}").json()
        assert [item["status"] for item in history["data"]] == ["failed", "ok"]
        assert history["meta"]["total"] == 2 and history["data"][0]["message"] == "Database is failed"

        # Snoozes per health check.
        snoozed = client.post(f"{listing}/{database}/snooze", json={"minutes": 30})
        assert snoozed.status_code == 200, snoozed.text
        snooze = snoozed.json()["active_snooze"]
        assert snooze["snoozed_by"] and snooze["source"] == "API"
        assert {h["id"]: h for h in client.get(listing).json()["data"]}[database]["active_snooze"] == snooze
        refused = client.post(f"{listing}/{database}/snooze", json={"minutes": 0})
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"minutes": ["The minutes field must be at least 1."]}
        assert client.post(f"{listing}/{database}/unsnooze").json()["active_snooze"] is None

        # Another team sees none of it; unknown ids are 404 too.
        other = {"Authorization": f"Bearer {stranger.token}"}
        for path in (f"/api/monitors/{mid}/domain", listing, f"{listing}/{database}", f"{listing}/999999"):
            assert client.get(path, headers=other).status_code == 404
        assert (
            client.post(f"{listing}/{database}/snooze", headers=other, json={"minutes": 5}).status_code == 404
        )
        assert client.get(f"{listing}/999999").status_code == 404
        assert client.get(f"/api/sites/{mid}/domain").json()["expires_at"] == domain["expires_at"]


def _check(client: TestClient, monitor_id: int, check_type: str) -> dict[str, Any]:
    shown = client.get(f"/api/monitors/{monitor_id}").json()
    check: dict[str, Any] = next(c for c in shown["checks"] if c["type"] == check_type)
    return check

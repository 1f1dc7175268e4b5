"""The API with its engine running: a check on a loopback site runs, request-run runs it
again, and the runs show in the check history and the uptime series."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from tests.servers.threaded_http import WelcomeSite, welcome_site


@pytest.fixture
def site() -> Iterator[str]:
    with welcome_site() as url:
        yield url


def eventually(probe: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_request_run_runs_the_check_again(tmp_path: Path, site: str) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lookout.db'}", allow_private_targets=True, location="paris"
    )
    store = open_store(settings)
    issued = build_services(store).tokens.create("live@example.test", "live")
    headers = {"Authorization": f"Bearer {issued.token}"}
    with TestClient(create_app(settings, store), headers=headers) as client:
        monitor = client.post(
            "/api/monitors",
            json={
                "url": site,
                "team_id": issued.team_id,
                "type": "http",
                "checks": ["uptime", "performance"],
                "uptime_check_settings": {"look_for_string": "Welcome", "check_interval_in_seconds": 3600},
            },
        ).json()
        uptime = next(c for c in monitor["checks"] if c["type"] == "uptime")
        runs_path = f"/api/monitors/{monitor['id']}/checks/uptime/runs"

        first = eventually(lambda: client.get(runs_path).json()["data"])
        assert [run["result"] for run in first] == ["succeeded"]

        answered = client.post(f"/api/checks/{uptime['id']}/request-run")
        assert answered.status_code == 200 and answered.json()["id"] == uptime["id"]

        def two_runs() -> list[dict[str, Any]] | None:
            runs: list[dict[str, Any]] = client.get(runs_path).json()["data"]
            return runs if len(runs) == 2 else None

        both = eventually(two_runs)
        assert [run["check_id"] for run in both] == [uptime["id"], uptime["id"]]
        assert WelcomeSite.hits >= 2

        shown = client.get(f"/api/monitors/{monitor['id']}").json()
        assert shown["summarized_check_result"] == "succeeded"
        checks = {c["type"]: c for c in shown["checks"]}
        assert checks["uptime"]["summary"] == "Up" and checks["uptime"]["latest_run_result"] == "succeeded"
        assert checks["performance"]["average_response_time_in_ms"] is not None
        day = time.strftime("%Y%m%d", time.gmtime())
        series = client.get(
            f"/api/monitors/{monitor['id']}/uptime",
            params={"filter[started_at]": f"{day}000000", "filter[ended_at]": f"{day}235959", "split": "day"},
        ).json()
        assert series == [{"datetime": f"{day[:4]}-{day[4:6]}-{day[6:]} 00:00:00", "uptime_percentage": 100}]


def test_a_default_http_monitor_leaves_pending_at_once(tmp_path: Path, site: str) -> None:
    """A monitor created with Oh Dear's default checks (uptime, performance and broken links
    for an http site) runs every check this build implements as soon as it is created,
    whatever their intervals, and is no longer `pending` once they have run."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'lookout.db'}", allow_private_targets=True)
    store = open_store(settings)
    issued = build_services(store).tokens.create("default@example.test", "default")
    headers = {"Authorization": f"Bearer {issued.token}"}
    with TestClient(create_app(settings, store), headers=headers) as client:
        created = client.post("/api/monitors", json={"url": site, "team_id": issued.team_id, "type": "http"})
        assert created.status_code == 201, created.text
        monitor = created.json()
        enabled = {c["type"] for c in monitor["checks"] if c["enabled"]}
        assert {"uptime", "performance", "broken_links"} <= enabled  # (certificates: https only)
        assert monitor["summarized_check_result"] == "pending"
        shown = eventually(
            lambda: (
                (m := client.get(f"/api/monitors/{monitor['id']}").json())["summarized_check_result"]
                != "pending"
                and m
            )
        )
        assert shown["summarized_check_result"] == "succeeded"
        checks = {c["type"]: c for c in shown["checks"]}
        assert checks["uptime"]["latest_run_result"] == "succeeded"
        assert checks["performance"]["latest_run_result"] == "succeeded"

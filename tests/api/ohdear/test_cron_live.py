"""As a user would, with the engine running: create a monitor, add a cron check, ping it,
let it go late (on a fake clock), and read the state back; the engine recorded `failed`
and then `recovered` state changes for the monitor's Scheduled tasks check."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

import lookout.check_context
from lookout.app import build_services, create_app, open_store
from lookout.services.cron import CronService
from lookout.services.pings import PingRecorder
from lookout.settings import Settings
from lookout.store.tables import StateChange


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def eventually(probe: Callable[[], Any], seconds: float = 15) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_user_sees_a_late_job_fail_the_check_and_a_ping_recover_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC))
    monkeypatch.setattr(lookout.check_context, "precise_utcnow", clock)  # the engine's clock
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'lookout.db'}", public_url="https://lookout.example/"
    )
    store = open_store(settings)
    issued = build_services(store).tokens.create("cron@example.test", "cron")
    app = create_app(settings, store)
    app.state.services = dataclasses.replace(
        app.state.services, cron=CronService(store.sessions, clock), pings=PingRecorder(store.sessions, clock)
    )
    with TestClient(app, headers={"Authorization": f"Bearer {issued.token}"}) as client:
        monitor = client.post(
            "/api/monitors",
            json={
                "url": "https://jobs.example",
                "team_id": issued.team_id,
                "type": "http",
                "checks": ["uptime"],
            },
        ).json()
        task = client.post(
            f"/api/monitors/{monitor['id']}/cron-checks",
            json={"name": "backup", "type": "simple", "frequency_in_minutes": 10, "grace_time_in_minutes": 2},
        ).json()
        assert task["ping_url"] == f"https://lookout.example/ping/{task['uuid']}"
        client.post(f"/api/checks/{_check(monitor, 'uptime')['id']}/disable")

        assert client.post(f"/ping/{task['uuid']}").text == "OK"

        def cron_check() -> dict[str, Any]:
            return _check(client.get(f"/api/monitors/{monitor['id']}").json(), "cron")

        assert cron_check()["enabled"] is True
        # The new task is judged once at once: the check is not left pending.
        eventually(lambda: cron_check()["latest_run_result"] == "succeeded")
        shown = client.get(f"/api/monitors/{monitor['id']}").json()
        assert shown["summarized_check_result"] == "succeeded"
        clock.now += timedelta(minutes=12, seconds=1)  # due 12:10, grace to 12:12
        failed = eventually(lambda: (c := cron_check())["latest_run_result"] == "failed" and c)
        assert failed["summary"] == "backup late: no ping since 2026-06-01 12:00:00 UTC"
        listed = client.get(f"/api/monitors/{monitor['id']}/cron-checks").json()["data"][0]
        assert (listed["latest_result"], listed["latest_result_label"]) == ("pingFinished", "late")

        clock.now += timedelta(minutes=1)
        assert client.post(f"/ping/{task['uuid']}/finished", data={"exit_code": "0"}).status_code == 200
        recovered = eventually(lambda: (c := cron_check())["latest_run_result"] == "succeeded" and c)
        assert recovered["summary"] == "1 scheduled task, not late or failed"

    with store.sessions() as session:
        changes = session.execute(
            select(StateChange.kind, StateChange.reason)
            .where(StateChange.check_id == failed["id"])
            .order_by(StateChange.id)
        ).all()
    assert [kind for kind, _ in changes] == ["failed", "recovered"]
    assert "backup late" in changes[0][1]


def _check(monitor: dict[str, Any], check_type: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in monitor["checks"] if c["type"] == check_type)
    return found

"""Cron checks (A12): CRUD, sync, validation, snoozes, teams as walls; the ping receiver;
and the heartbeat sweep deciding lateness on a fake clock (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lookout.app import Store
from lookout.engine.heartbeats import HeartbeatSweep
from lookout.services.cron import CronService
from lookout.services.pings import PingRecorder
from tests.api.ohdear.conftest import Caller, Cast

TASK_KEYS = {
    "id",
    "uuid",
    "name",
    "type",
    "description",
    "frequency_in_minutes",
    "grace_time_in_minutes",
    "cron_expression",
    "human_readable_cron_expression",
    "server_timezone",
    "ping_url",
    "created_at",
    "latest_result",
    "latest_result_label",
    "latest_result_label_color",
    "latest_ping_at",
    "human_readable_latest_ping_at",
    "active_snooze",
}
INVALID = "The given data was invalid."


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock(store: Store, client: TestClient) -> Iterator[FakeClock]:
    """The services' clock, faked for this test (the app object is shared by the session)."""
    fake = FakeClock(datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC))
    app: Any = client.app
    real = app.state.services
    app.state.services = dataclasses.replace(
        real, cron=CronService(store.sessions, clock=fake), pings=PingRecorder(store.sessions, clock=fake)
    )
    try:
        yield fake
    finally:
        app.state.services = real


def monitor(caller: Caller, url: str, kind: str = "http") -> dict[str, Any]:
    response = caller.post("/api/monitors", json={"url": url, "team_id": caller.team_id, "type": kind})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def add(caller: Caller, monitor_id: int, **fields: Any) -> dict[str, Any]:
    response = caller.post(f"/api/monitors/{monitor_id}/cron-checks", json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ping(client: TestClient, task: dict[str, Any], suffix: str = "", **kwargs: Any) -> Any:
    path = "/" + task["ping_url"].split("/", 3)[3] + suffix
    return client.post(path, **kwargs) if kwargs else client.get(path)


def shown(caller: Caller, monitor_id: int, task_id: int) -> dict[str, Any]:
    tasks = caller.get(f"/api/monitors/{monitor_id}/cron-checks").json()["data"]
    found: dict[str, Any] = next(t for t in tasks if t["id"] == task_id)
    return found


# -- CRUD and sync ------------------------------------------------------------------------


def test_create_list_update_delete(alice: Caller, clock: FakeClock) -> None:
    site = monitor(alice, "https://cron-crud.example")
    created = add(
        alice, site["id"], name="backup", type="cron", cron_expression="30 2 * * *",
        server_timezone="Europe/Amsterdam", grace_time_in_minutes=10, description="nightly",
    )  # fmt: skip
    assert set(created) == TASK_KEYS
    assert created["type"] == "cron" and created["cron_expression"] == "30 2 * * *"
    assert created["human_readable_cron_expression"] == "At 02:30"
    assert created["frequency_in_minutes"] is None and created["server_timezone"] == "Europe/Amsterdam"
    assert created["ping_url"] == f"http://testserver/ping/{created['uuid']}"
    assert created["latest_result"] == "" and created["latest_ping_at"] == ""
    assert (created["latest_result_label"], created["latest_result_label_color"]) == (
        "waiting on first ping",
        "blue",
    )
    assert created["created_at"] == "2026-06-01 12:00:00" and created["active_snooze"] is None

    simple = add(alice, site["id"], name="queue", frequency_in_minutes=5)
    assert (
        simple["type"] == "simple"
        and simple["grace_time_in_minutes"] == 5
        and simple["cron_expression"] == ""
    )

    listed = alice.get(f"/api/monitors/{site['id']}/cron-checks").json()
    assert [t["name"] for t in listed["data"]] == ["backup", "queue"]
    assert listed["meta"]["total"] == 2 and listed["meta"]["per_page"] == 200
    legacy = alice.get(f"/api/sites/{site['id']}/cron-checks").json()
    assert [t["id"] for t in legacy["data"]] == [created["id"], simple["id"]]

    updated = alice.put(
        f"/api/cron-checks/{simple['id']}", json={"frequency_in_minutes": 15, "name": "queue2"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["frequency_in_minutes"] == 15 and updated.json()["name"] == "queue2"
    nested = alice.put(
        f"/api/monitors/{site['id']}/cron-checks/{simple['id']}", json={"grace_time_in_minutes": 1}
    )
    assert nested.status_code == 200 and nested.json()["grace_time_in_minutes"] == 1

    # The monitor's "Scheduled tasks" check was turned on by the first task.
    checks = {c["type"]: c for c in alice.get(f"/api/monitors/{site['id']}").json()["checks"]}
    assert checks["cron"]["enabled"] is True

    assert alice.delete(f"/api/cron-checks/{simple['id']}").status_code == 204
    assert alice.delete(f"/api/monitors/{site['id']}/cron-checks/{created['id']}").status_code == 204
    assert alice.delete(f"/api/cron-checks/{created['id']}").status_code == 404
    assert alice.get(f"/api/monitors/{site['id']}/cron-checks").json()["data"] == []


def test_sync_creates_updates_and_deletes_by_name(alice: Caller, clock: FakeClock) -> None:
    site = monitor(alice, "https://cron-sync.example")
    kept = add(alice, site["id"], name="kept", frequency_in_minutes=60)
    gone = add(alice, site["id"], name="gone", frequency_in_minutes=60)
    body = {
        "cron_checks": [
            {"name": "kept", "type": "cron", "cron_expression": "*/10 * * * *", "grace_time_in_minutes": 2,
             "server_timezone": "UTC", "description": ""},
            {"name": "new one", "type": "cron", "cron_expression": "@daily", "grace_time_in_minutes": 5,
             "server_timezone": "America/New_York", "description": "made by sync"},
        ]
    }  # fmt: skip
    synced = alice.post(f"/api/monitors/{site['id']}/cron-checks/sync", json=body)
    assert synced.status_code == 200, synced.text
    data = synced.json()["data"]
    assert set(synced.json()) == {"data"}
    assert [t["name"] for t in data] == ["kept", "new one"]
    assert data[0]["id"] == kept["uuid"] or data[0]["uuid"] == kept["uuid"]  # same task, same ping url
    assert data[0]["type"] == "cron" and data[0]["cron_expression"] == "*/10 * * * *"
    assert data[1]["cron_expression"] == "0 0 * * *" and data[1]["ping_url"].endswith(data[1]["uuid"])
    names = [t["name"] for t in alice.get(f"/api/monitors/{site['id']}/cron-checks").json()["data"]]
    assert names == ["kept", "new one"]
    assert alice.put(f"/api/cron-checks/{gone['id']}", json={"name": "x"}).status_code == 404

    legacy = alice.post(f"/api/sites/{site['id']}/cron-checks/sync", json={"cron_checks": []})
    assert legacy.status_code == 200 and legacy.json() == {"data": []}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"name", "frequency_in_minutes"}),
        ({"name": "x", "type": "simple"}, {"frequency_in_minutes"}),
        ({"name": "x", "type": "cron"}, {"cron_expression"}),
        ({"name": "x", "type": "weekly", "frequency_in_minutes": 5}, {"type"}),
        ({"name": "x", "cron_expression": "61 * * * *"}, {"cron_expression"}),
        ({"name": "x", "cron_expression": "0 0 * * * *"}, {"cron_expression"}),
        ({"name": "x", "cron_expression": "0 0 30 2 *"}, {"cron_expression"}),
        ({"name": "x", "cron_expression": "* " * 200}, {"cron_expression"}),
        (
            {"name": "x", "cron_expression": "0 0 * * *", "server_timezone": "Mars/Olympus"},
            {"server_timezone"},
        ),
        (
            {"name": "x", "cron_expression": "0 0 * * *", "server_timezone": "../../etc/passwd"},
            {"server_timezone"},
        ),
        ({"name": "x", "frequency_in_minutes": 0}, {"frequency_in_minutes"}),
        ({"name": "x", "frequency_in_minutes": 2**70}, {"frequency_in_minutes"}),
        ({"name": "x", "frequency_in_minutes": "ten"}, {"frequency_in_minutes"}),
        ({"name": "x", "frequency_in_minutes": 5, "grace_time_in_minutes": -1}, {"grace_time_in_minutes"}),
        ({"name": "a\x00b", "frequency_in_minutes": 5}, {"name"}),
        ({"name": "n" * 256, "frequency_in_minutes": 5}, {"name"}),
        ({"name": ["x"], "frequency_in_minutes": 5}, {"name"}),
    ],
)
def test_validation_errors_are_422_in_laravel_shape(
    alice: Caller, clock: FakeClock, fields: dict[str, Any], errors: set[str]
) -> None:
    site = monitor(alice, "https://cron-invalid.example")
    response = alice.post(f"/api/monitors/{site['id']}/cron-checks", json=fields)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"] == INVALID and set(body["errors"]) == errors
    assert all(isinstance(m, list) and m and isinstance(m[0], str) for m in body["errors"].values())


def test_sync_errors_name_the_item_and_change_nothing(alice: Caller, clock: FakeClock) -> None:
    site = monitor(alice, "https://cron-sync-invalid.example")
    add(alice, site["id"], name="kept", frequency_in_minutes=60)
    bad = alice.post(
        f"/api/monitors/{site['id']}/cron-checks/sync",
        json={
            "cron_checks": [
                {"name": "ok", "cron_expression": "* * * * *"},
                {"name": "bad", "cron_expression": "x"},
            ]
        },
    )
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"cron_checks.1.cron_expression"}
    assert (
        alice.post(f"/api/monitors/{site['id']}/cron-checks/sync", json={"cron_checks": "no"}).status_code
        == 422
    )
    assert [t["name"] for t in alice.get(f"/api/monitors/{site['id']}/cron-checks").json()["data"]] == [
        "kept"
    ]


def test_teams_are_walls_and_other_monitor_types_have_no_tasks(cast: Cast, clock: FakeClock) -> None:
    site = monitor(cast.alice, "https://cron-walls.example")
    task = add(cast.alice, site["id"], name="mine", frequency_in_minutes=5)
    eve = cast.eve
    assert eve.get(f"/api/monitors/{site['id']}/cron-checks").status_code == 404
    assert eve.post(f"/api/monitors/{site['id']}/cron-checks", json={"name": "x"}).status_code == 404
    assert eve.put(f"/api/cron-checks/{task['id']}", json={"name": "x"}).status_code == 404
    assert eve.delete(f"/api/cron-checks/{task['id']}").status_code == 404
    assert eve.post(f"/api/cron-checks/{task['id']}/snooze", json={"minutes": 5}).status_code == 404
    assert cast.bob.get(f"/api/monitors/{site['id']}/cron-checks").status_code == 200  # same team
    other = monitor(cast.alice, "https://cron-walls2.example")
    assert cast.alice.put(f"/api/monitors/{other['id']}/cron-checks/{task['id']}", json={}).status_code == 404
    pinger = monitor(cast.alice, "10.9.8.7", "ping")
    refused = cast.alice.post(
        f"/api/monitors/{pinger['id']}/cron-checks", json={"name": "x", "frequency_in_minutes": 5}
    )
    assert refused.status_code == 422 and "monitor" in refused.json()["errors"]


def test_snooze_and_unsnooze(alice: Caller, clock: FakeClock) -> None:
    site = monitor(alice, "https://cron-snooze.example")
    task = add(alice, site["id"], name="snoozy", frequency_in_minutes=5)
    snoozed = alice.post(f"/api/cron-checks/{task['id']}/snooze", json={"minutes": 60})
    assert snoozed.status_code == 200, snoozed.text
    active = snoozed.json()["active_snooze"]
    assert active["starts_at"] == "2026-06-01 12:00:00" and active["ends_at"] == "2026-06-01 13:00:00"
    assert active["source"] == "API" and active["unsnoozed_by"] is None
    assert alice.post(f"/api/cron-checks/{task['id']}/snooze", json={"minutes": 0}).status_code == 422
    assert shown(alice, site["id"], task["id"])["active_snooze"]["id"] == active["id"]
    unsnoozed = alice.post(f"/api/cron-checks/{task['id']}/unsnooze")
    assert unsnoozed.status_code == 200 and unsnoozed.json()["active_snooze"] is None


# -- the ping receiver --------------------------------------------------------------------


def test_pings_of_each_kind(client: TestClient, alice: Caller, clock: FakeClock) -> None:
    site = monitor(alice, "https://cron-pings.example")
    task = add(alice, site["id"], name="job", frequency_in_minutes=60)

    started = ping(client, task, "/starting")
    assert started.status_code == 200 and started.text == "OK"
    assert started.headers["content-type"].startswith("text/plain")
    now = shown(alice, site["id"], task["id"])
    assert (now["latest_result"], now["latest_result_label"]) == ("pingStarting", "running")
    assert now["latest_ping_at"] == "2026-06-01 12:00:00"

    clock.advance(minutes=2)
    finished = ping(client, task, "/finished", data={"memory": "1024", "runtime": "1.5", "exit_code": "0"})
    assert finished.status_code == 200
    now = shown(alice, site["id"], task["id"])
    assert (now["latest_result"], now["latest_result_label"], now["latest_result_label_color"]) == (
        "pingFinished", "ok", "green",
    )  # fmt: skip

    failed = ping(client, task, "/failed", json={"failure_message": "disk full\x00", "exit_code": 1})
    assert failed.status_code == 200
    now = shown(alice, site["id"], task["id"])
    assert (now["latest_result"], now["latest_result_label"], now["latest_result_label_color"]) == (
        "pingFailed", "failed", "red",
    )  # fmt: skip

    # A bare ping (GET or POST) is a finished run; a non-zero exit code makes it a failure.
    assert ping(client, task).status_code == 200
    assert shown(alice, site["id"], task["id"])["latest_result_label"] == "ok"
    assert client.post(task["ping_url"].split("testserver")[1] + "?exit_code=3").status_code == 200
    assert shown(alice, site["id"], task["id"])["latest_result_label"] == "failed"


def test_ping_input_is_bounded_and_unknown_uuids_are_404(
    client: TestClient, alice: Caller, clock: FakeClock
) -> None:
    site = monitor(alice, "https://cron-ping-input.example")
    task = add(alice, site["id"], name="job", frequency_in_minutes=60)
    assert client.get("/ping/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/ping/not-a-uuid").status_code == 404
    assert client.get(f"/ping/{task['uuid']}/exploded").status_code == 404
    assert client.get("/ping/" + "a" * 5000).status_code == 404
    for body in ({"exit_code": "abc"}, {"memory": -1}, {"runtime": "nan"}, {"exit_code": 2**40}):
        response = ping(client, task, "/finished", json=body)
        assert response.status_code == 422 and response.json()["message"] == INVALID, body
    assert (
        ping(
            client, task, "/finished", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert ping(client, task, "/finished", content=b"x" * 20_000).status_code == 413
    long = ping(client, task, "/failed", data={"failure_message": "y" * 5000})
    assert long.status_code == 200  # kept, cut to 1024 characters
    # No token needed, and the API's gate does not see /ping.
    assert "x-ratelimit-limit" not in {k.lower() for k in long.headers}


# -- late detection -----------------------------------------------------------------------


def sweep_for(store: Store, clock: FakeClock, site: dict[str, Any]) -> tuple[HeartbeatSweep, list[int]]:
    """A sweep on the shared database; `asked` keeps the runs asked of this site's check
    (other tests' tasks are swept too)."""
    asked: list[int] = []
    ours = next(c["id"] for c in site["checks"] if c["type"] == "cron")

    async def request_run(check_id: int) -> bool:
        if check_id == ours:
            asked.append(check_id)
        return True

    sweep = HeartbeatSweep.on_sessions(store.sessions, clock, request_run)
    asyncio.run(sweep.tick())
    assert asked == [ours]  # a new task is judged once, so the check is not left pending
    asked.clear()
    return sweep, asked


def test_a_late_job_is_caught_at_the_right_minute(
    store: Store, client: TestClient, alice: Caller, clock: FakeClock
) -> None:
    site = monitor(alice, "https://cron-late.example")
    cron_check = next(c for c in site["checks"] if c["type"] == "cron")
    task = add(
        alice, site["id"], name="hourly", type="cron", cron_expression="0 * * * *", grace_time_in_minutes=5
    )
    sweep, asked = sweep_for(store, clock, site)

    clock.now = datetime(2026, 6, 1, 12, 0, 20, tzinfo=UTC)
    ping(client, task)
    asyncio.run(sweep.tick())
    assert asked == [] and shown(alice, site["id"], task["id"])["latest_result_label"] == "ok"

    clock.now = datetime(2026, 6, 1, 13, 4, 59, tzinfo=UTC)  # due 13:00, grace to 13:05
    asyncio.run(sweep.tick())
    assert asked == [] and shown(alice, site["id"], task["id"])["latest_result_label"] == "ok"

    clock.now = datetime(2026, 6, 1, 13, 5, 0, tzinfo=UTC)
    asyncio.run(sweep.tick())
    assert asked == [cron_check["id"]]
    assert shown(alice, site["id"], task["id"])["latest_result_label"] == "late"
    asyncio.run(sweep.tick())
    assert asked == [cron_check["id"]]  # told once

    clock.advance(minutes=3)
    ping(client, task)  # the late job ran after all: recovered
    asyncio.run(sweep.tick())
    assert asked == [cron_check["id"]] * 2
    assert shown(alice, site["id"], task["id"])["latest_result_label"] == "ok"


def test_started_and_never_finished_and_failed_exit_code(
    store: Store, client: TestClient, alice: Caller, clock: FakeClock
) -> None:
    site = monitor(alice, "https://cron-stuck.example")
    task = add(alice, site["id"], name="import", frequency_in_minutes=1440, grace_time_in_minutes=10)
    sweep, asked = sweep_for(store, clock, site)
    ping(client, task, "/starting")
    clock.advance(minutes=9, seconds=59)
    asyncio.run(sweep.tick())
    assert asked == []
    clock.advance(seconds=1)
    asyncio.run(sweep.tick())
    assert len(asked) == 1 and shown(alice, site["id"], task["id"])["latest_result_label"] == "late"

    ping(client, task, "/finished", data={"exit_code": "2"})
    assert shown(alice, site["id"], task["id"])["latest_result_label"] == "failed"
    asyncio.run(sweep.tick())
    assert len(asked) == 2  # late -> failed: the check re-judges (its summary gives the exit code)
    ping(client, task, "/finished", data={"exit_code": "0"})
    asyncio.run(sweep.tick())
    assert len(asked) == 3 and shown(alice, site["id"], task["id"])["latest_result_label"] == "ok"


def test_snoozed_failures_are_not_reported_until_the_snooze_ends(
    store: Store, client: TestClient, alice: Caller, clock: FakeClock
) -> None:
    site = monitor(alice, "https://cron-snoozed-late.example")
    task = add(alice, site["id"], name="quiet", frequency_in_minutes=10, grace_time_in_minutes=0)
    sweep, asked = sweep_for(store, clock, site)
    ping(client, task)
    alice.post(f"/api/cron-checks/{task['id']}/snooze", json={"minutes": 30})
    clock.advance(minutes=11)
    asyncio.run(sweep.tick())
    # Late, but snoozed: the check is told "snoozed" (it does not fail for it).
    assert len(asked) == 1 and shown(alice, site["id"], task["id"])["latest_result_label"] == "late"
    clock.advance(minutes=18)
    asyncio.run(sweep.tick())
    assert len(asked) == 1
    clock.advance(minutes=2)  # the snooze ended at 12:30: now the check hears it is late
    asyncio.run(sweep.tick())
    assert len(asked) == 2

"""Maintenance windows through the Oh Dear API (A15), on SQLite and PostgreSQL: one-off
periods in the team's time zone, start/stop now, recurring windows, other teams' 404s, 422s,
and uptime that does not count downtime inside a window."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from lookout.app import Store
from lookout.store.db import transaction
from lookout.store.tables import Team

# The API suite's fixtures (an app on SQLite and PostgreSQL, a cast of callers) are imported
# from its conftest; tests name them as parameters, which ruff reads as redefinitions.
# ruff: noqa: F811
from tests.api.ohdear.conftest import Caller, Cast, alice, cast, client, store  # noqa: F401
from tests.api.ohdear.recorded import DOWN, UP, at, record
from tests.api.ohdear.test_check_actions import make

INVALID = "The given data was invalid."


def assert_invalid(response: httpx.Response, errors: dict[str, list[str]]) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["message"], body["errors"]) == (INVALID, errors)


def new_monitor(caller: Caller) -> dict:
    return make(caller, f"https://maint-{uuid.uuid4().hex[:10]}.example")


def set_zone(store: Store, caller: Caller, name: str) -> None:
    with transaction(store.sessions) as session:
        session.execute(update(Team).where(Team.id == caller.team_id).values(timezone=name))


def test_periods_are_written_and_read_in_the_team_zone(store: Store, cast: Cast) -> None:
    alice = cast.alice
    set_zone(store, alice, "Europe/Amsterdam")
    monitor = new_monitor(alice)
    created = alice.post(
        "/api/maintenance-periods",
        json={
            "monitor_id": monitor["id"],
            "starts_at": "2026-07-01 22:00",
            "ends_at": "2026-07-02 01:30",
            "name": "DB",
        },
    )
    assert created.status_code == 201, created.text
    period = created.json()
    assert period == {
        "id": period["id"],
        "monitor_id": monitor["id"],
        "name": "DB",
        "starts_at": "2026-07-01 22:00:00",
        "ends_at": "2026-07-02 01:30:00",
    }
    # The same period for a UTC reader: two hours earlier (CEST).
    set_zone(store, alice, "UTC")
    listed = alice.get(f"/api/monitors/{monitor['id']}/maintenance-periods").json()
    assert [(p["starts_at"], p["ends_at"]) for p in listed["data"]] == [
        ("2026-07-01 20:00:00", "2026-07-01 23:30:00")
    ]
    assert listed["meta"]["total"] == 1

    # Filters are YmdHis in UTC; periods overlapping the range are listed.
    base = f"/api/monitors/{monitor['id']}/maintenance-periods"
    assert alice.get(base, params={"filter[started_at]": "20260701230000"}).json()["meta"]["total"] == 1
    assert alice.get(base, params={"filter[started_at]": "20260702000000"}).json()["meta"]["total"] == 0
    assert alice.get(base, params={"filter[ended_at]": "20260701190000"}).json()["meta"]["total"] == 0
    assert_invalid(
        alice.get(base, params={"filter[started_at]": "yesterday"}),
        {"filter.started_at": ["The filter.started at field must match the format YmdHis."]},
    )

    changed = alice.put(
        f"/api/maintenance-periods/{period['id']}",
        json={"starts_at": "2026-07-03 10:00", "ends_at": "2026-07-03 11:00"},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["starts_at"], changed.json()["name"]) == ("2026-07-03 10:00:00", None)

    assert alice.delete(f"/api/maintenance-periods/{period['id']}").status_code == 204
    assert alice.get(base).json()["data"] == []
    assert alice.delete(f"/api/maintenance-periods/{period['id']}").status_code == 404


def test_a_period_under_the_monitor_path_and_on_sites(alice: Caller) -> None:
    monitor = new_monitor(alice)
    created = alice.post(
        f"/api/sites/{monitor['id']}/maintenance-periods",
        json={"starts_at": "2026-07-01 10:00:00", "ends_at": "2026-07-01 11:00:00"},
    )
    assert created.status_code == 201, created.text
    assert alice.get(f"/api/monitors/{monitor['id']}/maintenance-periods").json()["data"] == [created.json()]


def test_start_and_stop_maintenance(alice: Caller) -> None:
    monitor = new_monitor(alice)
    started = alice.post(
        f"/api/monitors/{monitor['id']}/start-maintenance", json={"stop_maintenance_after_seconds": 600}
    )
    assert started.status_code == 201, started.text
    period = started.json()
    opened = datetime.fromisoformat(period["starts_at"]).replace(tzinfo=UTC)
    closes = datetime.fromisoformat(period["ends_at"]).replace(tzinfo=UTC)
    assert closes - opened == timedelta(seconds=600)
    assert abs(datetime.now(UTC) - opened) < timedelta(minutes=1)

    stopped = alice.post(f"/api/monitors/{monitor['id']}/stop-maintenance")
    assert stopped.status_code == 204
    assert stopped.content == b""
    listed = alice.get(f"/api/monitors/{monitor['id']}/maintenance-periods").json()["data"]
    assert listed[0]["ends_at"] < period["ends_at"]

    # With no body: an hour, as Oh Dear's default.
    default = alice.post(f"/api/monitors/{monitor['id']}/start-maintenance").json()
    hour = datetime.fromisoformat(default["ends_at"]) - datetime.fromisoformat(default["starts_at"])
    assert hour == timedelta(hours=1)
    delayed = alice.post(f"/api/monitors/{monitor['id']}/stop-maintenance", json={"delay_seconds": 300})
    assert delayed.status_code == 204
    newest = alice.get(f"/api/monitors/{monitor['id']}/maintenance-periods").json()["data"][0]
    left = datetime.fromisoformat(newest["ends_at"]) - datetime.fromisoformat(default["starts_at"])
    assert timedelta(seconds=299) <= left <= timedelta(seconds=360)


def test_recurring_windows(store: Store, cast: Cast) -> None:
    alice = cast.alice
    set_zone(store, alice, "America/New_York")
    monitor = new_monitor(alice)
    created = alice.post(
        "/api/recurring-maintenance-periods",
        json={
            "monitor_id": monitor["id"],
            "name": "Backups",
            "recurrence_type": "weekly",
            "days_of_week": [6, 7, 6],
            "start_time": "23:30",
            "end_time": "01:00",
        },
    )
    assert created.status_code == 201, created.text
    window = created.json()
    assert {
        k: window[k] for k in ("monitor_id", "name", "recurrence_type", "days_of_week", "day_of_month")
    } == {
        "monitor_id": monitor["id"],
        "name": "Backups",
        "recurrence_type": "weekly",
        "days_of_week": [6, 7],
        "day_of_month": None,
    }
    assert window["human_readable_schedule"] == (
        "Every Saturday and Sunday from 23:30 to 01:00 the next day (America/New_York)"
    )
    assert alice.get(f"/api/recurring-maintenance-periods/{window['id']}").json() == window
    assert alice.get(f"/api/monitors/{monitor['id']}/recurring-maintenance-periods").json() == {
        "data": [window]
    }

    daily = alice.put(
        f"/api/recurring-maintenance-periods/{window['id']}",
        json={"recurrence_type": "daily", "start_time": "03:00", "end_time": "04:00"},
    )
    assert daily.status_code == 200, daily.text
    assert (daily.json()["days_of_week"], daily.json()["human_readable_schedule"]) == (
        [],
        "Every day from 03:00 to 04:00 (America/New_York)",
    )
    second = alice.post(
        f"/api/monitors/{monitor['id']}/recurring-maintenance-periods",
        json={"recurrence_type": "monthly", "day_of_month": 1, "start_time": "00:00", "end_time": "02:00"},
    )
    assert second.status_code == 201, second.text
    assert len(alice.get(f"/api/monitors/{monitor['id']}/recurring-maintenance-periods").json()["data"]) == 2
    assert alice.delete(f"/api/recurring-maintenance-periods/{window['id']}").status_code == 204
    assert alice.get(f"/api/recurring-maintenance-periods/{window['id']}").status_code == 404


def test_another_teams_maintenance_is_not_found(cast: Cast) -> None:
    alice, eve = cast.alice, cast.eve
    monitor = new_monitor(alice)
    period = alice.post(f"/api/monitors/{monitor['id']}/start-maintenance").json()
    window = alice.post(
        f"/api/monitors/{monitor['id']}/recurring-maintenance-periods",
        json={"recurrence_type": "daily", "start_time": "01:00", "end_time": "02:00"},
    ).json()
    body = {"starts_at": "2026-07-01 10:00", "ends_at": "2026-07-01 11:00"}
    recurring_body = {"recurrence_type": "daily", "start_time": "01:00", "end_time": "02:00"}
    for response in (
        eve.get(f"/api/monitors/{monitor['id']}/maintenance-periods"),
        eve.post(f"/api/monitors/{monitor['id']}/maintenance-periods", json=body),
        eve.post(f"/api/monitors/{monitor['id']}/start-maintenance"),
        eve.post(f"/api/monitors/{monitor['id']}/stop-maintenance"),
        eve.get(f"/api/monitors/{monitor['id']}/recurring-maintenance-periods"),
        eve.post(f"/api/monitors/{monitor['id']}/recurring-maintenance-periods", json=recurring_body),
        eve.put(f"/api/maintenance-periods/{period['id']}", json=body),
        eve.delete(f"/api/maintenance-periods/{period['id']}"),
        eve.get(f"/api/recurring-maintenance-periods/{window['id']}"),
        eve.put(f"/api/recurring-maintenance-periods/{window['id']}", json=recurring_body),
        eve.delete(f"/api/recurring-maintenance-periods/{window['id']}"),
        alice.get(f"/api/monitors/{2**31 - 1}/maintenance-periods"),
        alice.delete(f"/api/maintenance-periods/{2**31 - 1}"),
    ):
        assert response.status_code == 404, response.text
        assert "message" in response.json()
    # With the monitor in the body, an unknown monitor is a 422 on the field.
    assert_invalid(
        eve.post("/api/maintenance-periods", json={"monitor_id": monitor["id"], **body}),
        {"monitor_id": ["The selected monitor id is invalid."]},
    )
    assert len(alice.get(f"/api/monitors/{monitor['id']}/maintenance-periods").json()["data"]) == 1


@pytest.mark.parametrize(
    ("path", "body", "errors"),
    [
        (
            "maintenance-periods",
            {},
            {
                "starts_at": ["The starts at field is required."],
                "ends_at": ["The ends at field is required."],
            },
        ),
        (
            "maintenance-periods",
            {"starts_at": "2026-07-01T10:00:00Z", "ends_at": "2026-02-30 10:00"},
            {
                "starts_at": ["The starts at field must match the format Y-m-d H:i."],
                "ends_at": ["The ends at field must match the format Y-m-d H:i."],
            },
        ),
        (
            "maintenance-periods",
            {"starts_at": "2026-07-01 10:00", "ends_at": "2026-07-01 10:00"},
            {"ends_at": ["The ends at field must be a date after starts at."]},
        ),
        (
            "maintenance-periods",
            {"starts_at": "0001-01-01 00:00", "ends_at": "9999-12-31 23:59", "name": "x" * 256},
            {
                "name": ["The name field must not be greater than 255 characters."],
                "starts_at": ["The starts at field must be a date between 1970 and 2999."],
                "ends_at": ["The ends at field must be a date between 1970 and 2999."],
            },
        ),
        (
            "start-maintenance",
            {"stop_maintenance_after_seconds": "soon"},
            {
                "stop_maintenance_after_seconds": [
                    "The stop maintenance after seconds field must be an integer."
                ]
            },
        ),
        (
            "start-maintenance",
            {"stop_maintenance_after_seconds": 2**70},
            {
                "stop_maintenance_after_seconds": [
                    "The stop maintenance after seconds field must be an integer."
                ]
            },
        ),
        (
            "start-maintenance",
            {"stop_maintenance_after_seconds": 10**9},
            {
                "stop_maintenance_after_seconds": [
                    "The stop maintenance after seconds field must not be greater than 31622400."
                ]
            },
        ),
        (
            "stop-maintenance",
            {"delay_seconds": 0},
            {"delay_seconds": ["The delay seconds field must be at least 1."]},
        ),
        ("stop-maintenance", "now", {"body": ["The request body must be a JSON object."]}),
        (
            "recurring-maintenance-periods",
            {"recurrence_type": "hourly", "start_time": "25:00", "end_time": "1am"},
            {
                "recurrence_type": ["The selected recurrence type is invalid."],
                "start_time": ["The start time field must match the format H:i."],
                "end_time": ["The end time field must match the format H:i."],
            },
        ),
        (
            "recurring-maintenance-periods",
            {"start_time": "02:00", "end_time": "02:00", "days_of_week": [0, 8, "x"]},
            {
                "end_time": ["The end time field and start time must be different."],
                "days_of_week.0": ["The days of week.0 field must be between 1 and 7."],
                "days_of_week.1": ["The days of week.1 field must be between 1 and 7."],
                "days_of_week.2": ["The days of week.2 field must be between 1 and 7."],
            },
        ),
        (
            "recurring-maintenance-periods",
            {"start_time": "02:00", "end_time": "03:00"},
            {"days_of_week": ["The days of week field is required when recurrence type is weekly."]},
        ),
        (
            "recurring-maintenance-periods",
            {"recurrence_type": "monthly", "start_time": "02:00", "end_time": "03:00", "day_of_month": 32},
            {"day_of_month": ["The day of month field must not be greater than 31."]},
        ),
    ],
)
def test_validation_errors(alice: Caller, path: str, body: object, errors: dict[str, list[str]]) -> None:
    monitor = new_monitor(alice)
    assert_invalid(alice.post(f"/api/monitors/{monitor['id']}/{path}", json=body), errors)


def test_uptime_does_not_count_downtime_inside_maintenance(store: Store, alice: Caller) -> None:
    monitor = new_monitor(alice)
    # Hourly runs on 5 January: up, down, down, up (two hours down, 01:00 to 03:00).
    runs = [(at(f"2026-01-05 0{hour}:00:00"), outcome) for hour, outcome in enumerate([UP, DOWN, DOWN, UP])]
    record(store, monitor, "uptime", runs, interval=3600)
    window = {"filter[started_at]": "20260105000000", "filter[ended_at]": "20260105235959"}
    uptime = f"/api/monitors/{monitor['id']}/uptime"
    assert alice.get(uptime, params={**window, "split": "day"}).json() == [
        {"datetime": "2026-01-05 00:00:00", "uptime_percentage": 50.0}
    ]

    # Maintenance over the first hour of the downtime: that hour no longer counts.
    made = alice.post(
        f"/api/monitors/{monitor['id']}/maintenance-periods",
        json={"starts_at": "2026-01-05 01:00", "ends_at": "2026-01-05 02:00"},
    )
    assert made.status_code == 201, made.text
    by_day = alice.get(uptime, params={**window, "split": "day"}).json()
    assert by_day == [{"datetime": "2026-01-05 00:00:00", "uptime_percentage": round(100 * 2 / 3, 4)}]
    by_hour = alice.get(uptime, params={**window, "split": "hour"}).json()
    assert [(p["datetime"][11:13], p["uptime_percentage"]) for p in by_hour] == [
        ("00", 100.0),
        ("01", 100.0),  # down only while in maintenance
        ("02", 0.0),
        ("03", 100.0),
    ]
    # The downtime list itself is unchanged: maintenance excuses it, it does not erase it.
    assert alice.get(f"/api/monitors/{monitor['id']}/downtime").json()["meta"]["total"] == 1


def test_uptime_metrics_agree_with_uptime_inside_maintenance(store: Store, alice: Caller) -> None:
    monitor = make(alice, f"maint-{uuid.uuid4().hex[:10]}.example:5432", "tcp")
    # Hourly runs on 5 January: up, down, down, up (two hours down, 01:00 to 03:00).
    runs = [(at(f"2026-01-05 0{hour}:00:00"), outcome) for hour, outcome in enumerate([UP, DOWN, DOWN, UP])]
    record(store, monitor, "uptime", runs, interval=3600)
    uptime = f"/api/monitors/{monitor['id']}/uptime"
    metrics = f"/api/monitors/{monitor['id']}/tcp-uptime-metrics"
    window = {"filter[started_at]": "20260105000000", "filter[ended_at]": "20260105235959"}
    span = {"filter[start]": "20260105000000", "filter[end]": "20260105235959"}

    def agree(split: str) -> list[tuple[str, float, int]]:
        series = alice.get(uptime, params={**window, "split": split}).json()
        points = alice.get(metrics, params={**span, "filter[group_by]": split}).json()["data"]
        assert [(p["datetime"], p["uptime_percentage"]) for p in series] == [
            (p["date"], p["uptime_percentage"]) for p in points
        ]
        return [(p["date"][11:13], p["uptime_percentage"], p["downtime_seconds"]) for p in points]

    assert agree("day") == [("00", 50.0, 7200)]
    made = alice.post(
        f"/api/monitors/{monitor['id']}/maintenance-periods",
        json={"starts_at": "2026-01-05 01:00", "ends_at": "2026-01-05 02:00"},
    )
    assert made.status_code == 201, made.text
    # The hour down inside the window counts neither way, in both endpoints.
    assert agree("day") == [("00", round(100 * 2 / 3, 4), 3600)]
    assert agree("hour") == [("00", 100.0, 0), ("01", 100.0, 0), ("02", 0.0, 3600), ("03", 100.0, 0)]
    [point] = alice.get(metrics, params={**span, "filter[group_by]": "day"}).json()["data"]
    assert (point["uptime_seconds"], point["downtime_percentage"]) == (7200, round(100 / 3, 4))

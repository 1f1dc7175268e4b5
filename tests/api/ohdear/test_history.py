"""Check runs, uptime and downtime of a monitor, from rows the engine's persistence wrote."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from lookout.app import Store
from lookout.model.result import Outcome
from tests.api.ohdear.conftest import Caller, Cast
from tests.api.ohdear.recorded import DOWN, UP, at, record
from tests.api.ohdear.test_check_actions import make

DAY = "2026-01-05"


def hourly_sequence(store: Store, monitor: dict) -> None:
    """Up, up, down, up at 00:00–03:00: three of four hours up."""
    runs = [(at(f"{DAY} 0{hour}:00:00"), outcome) for hour, outcome in enumerate([UP, UP, DOWN, UP])]
    record(store, monitor, "uptime", runs, interval=3600)


@pytest.fixture
def recorded(store: Store, alice: Caller) -> dict:
    monitor = make(alice, f"https://history-{uuid.uuid4().hex[:10]}.example")
    hourly_sequence(store, monitor)
    return monitor


def test_uptime_by_day_hour_and_month(alice: Caller, recorded: dict) -> None:
    window = {"filter[started_at]": "20260105000000", "filter[ended_at]": "20260105235959"}
    by_day = alice.get(f"/api/monitors/{recorded['id']}/uptime", params={**window, "split": "day"})
    assert by_day.status_code == 200, by_day.text
    assert by_day.json() == [{"datetime": "2026-01-05 00:00:00", "uptime_percentage": 75.0}]

    by_hour = alice.get(
        f"/api/monitors/{recorded['id']}/uptime", params={**window, "filter[split]": "hour"}
    ).json()
    assert [(p["datetime"][11:13], p["uptime_percentage"]) for p in by_hour] == [
        ("00", 100.0),
        ("01", 100.0),
        ("02", 0.0),
        ("03", 100.0),
    ]
    month = {"filter[started_at]": "20260101000000", "filter[ended_at]": "20260131235959", "split": "month"}
    assert alice.get(f"/api/sites/{recorded['id']}/uptime", params=month).json() == [
        {"datetime": "2026-01-01 00:00:00", "uptime_percentage": 75.0}
    ]
    elsewhere = {"filter[started_at]": "20250101000000", "filter[ended_at]": "20250102000000", "split": "day"}
    assert alice.get(f"/api/monitors/{recorded['id']}/uptime", params=elsewhere).json() == []


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {},
            {
                "filter.started_at": ["The filter.started at field is required."],
                "filter.ended_at": ["The filter.ended at field is required."],
                "split": ["The split field is required."],
            },
        ),
        (
            {"filter[started_at]": "2026-01-01", "filter[ended_at]": "20260101000000", "split": "week"},
            {
                "filter.started_at": ["The filter.started at field must match the format YmdHis."],
                "split": ["The selected split is invalid."],
            },
        ),
        (
            {"filter[started_at]": "20260102000000", "filter[ended_at]": "20260101000000", "split": "day"},
            {
                "filter.ended_at": [
                    "The filter.ended at field must be a date after or equal to filter.started at."
                ]
            },
        ),
        (
            {"filter[started_at]": "20200101000000", "filter[ended_at]": "20260101000000", "split": "hour"},
            {"split": ["The period holds more than 2000 hours; use a larger split or a shorter period."]},
        ),
        (
            {"filter[started_at]": "20261301000000", "filter[ended_at]": "20260101000000", "split": "day"},
            {"filter.started_at": ["The filter.started at field must match the format YmdHis."]},
        ),
    ],
)
def test_uptime_rejects_bad_filters(alice: Caller, recorded: dict, params: dict, errors: dict) -> None:
    response = alice.get(f"/api/monitors/{recorded['id']}/uptime", params=params)
    assert response.status_code == 422
    assert response.json()["errors"] == errors


def test_check_runs_are_finished_runs_with_iso_times(store: Store, alice: Caller, recorded: dict) -> None:
    record(store, recorded, "uptime", [(at(f"{DAY} 04:00:00"), Outcome.ERRORED)], interval=3600)
    path = f"/api/monitors/{recorded['id']}/checks/uptime/runs"
    body = alice.get(path).json()
    uptime_id = next(c["id"] for c in recorded["checks"] if c["type"] == "uptime")
    assert [run["started_at"] for run in body["data"]] == [f"{DAY}T0{h}:00:00+00:00" for h in (3, 2, 1, 0)]
    assert body["meta"]["total"] == 4 and body["meta"]["per_page"] == 200
    newest = body["data"][0]
    assert newest == {
        "id": newest["id"],
        "check_id": uptime_id,
        "check_type": "uptime",
        "result": "succeeded",
        "summary": "Up",
        "started_at": "2026-01-05T03:00:00+00:00",
        "ended_at": "2026-01-05T03:00:01+00:00",
    }

    failed = alice.get(path, params={"filter[result]": "failed"}).json()["data"]
    assert [run["started_at"][11:13] for run in failed] == ["02"]
    window = {"filter[started_after]": "20260105010000", "filter[started_before]": "20260105020000"}
    assert [r["started_at"][11:13] for r in alice.get(path, params=window).json()["data"]] == ["02", "01"]
    paged = alice.get(path, params={"page[size]": 3, "page[number]": 2}).json()
    assert [r["started_at"][11:13] for r in paged["data"]] == ["00"] and paged["meta"]["last_page"] == 2
    assert alice.get(f"/api/sites/{recorded['id']}/checks/uptime/runs").json()["data"] == body["data"]
    assert alice.get(f"/api/monitors/{recorded['id']}/checks/broken_links/runs").json()["data"] == []


def test_check_runs_404_and_422(cast: Cast, recorded: dict) -> None:
    alice = cast.alice
    for check_type in ("ai", "nonsense"):  # not carried by an http monitor / not a type
        response = alice.get(f"/api/monitors/{recorded['id']}/checks/{check_type}/runs")
        assert response.status_code == 404, check_type
    assert cast.eve.get(f"/api/monitors/{recorded['id']}/checks/uptime/runs").status_code == 404
    bad = alice.get(
        f"/api/monitors/{recorded['id']}/checks/uptime/runs",
        params={"filter[result]": "errored-or-timed-out", "filter[started_after]": "yesterday"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {
        "filter.started_after": ["The filter.started after field must match the format YmdHis."],
        "filter.result": ["The selected filter.result is invalid."],
    }


def test_downtime_is_listed_and_deleted_within_the_team(store: Store, cast: Cast, recorded: dict) -> None:
    alice, bob, eve = cast.alice, cast.bob, cast.eve
    # A second outage that is still going on.
    record(store, recorded, "uptime", [(at(f"{DAY} 05:00:00"), DOWN)], interval=3600)
    path = f"/api/monitors/{recorded['id']}/downtime"
    body = alice.get(
        path, params={"filter[started_at]": "20260105000000", "filter[ended_at]": "20260106000000"}
    )
    assert body.status_code == 200, body.text
    periods = body.json()["data"]
    assert [(p["started_at"], p["ended_at"]) for p in periods] == [
        (f"{DAY} 05:00:00", None),
        (f"{DAY} 02:00:00", f"{DAY} 03:00:00"),
    ]
    assert set(periods[0]) == {"id", "started_at", "ended_at", "notes_html", "notes_markdown"}
    assert body.json()["meta"]["total"] == 2
    early = {"filter[started_at]": "20260105000000", "filter[ended_at]": "20260105023000"}
    assert [p["id"] for p in alice.get(path, params=early).json()["data"]] == [periods[1]["id"]]
    assert alice.get(f"/api/sites/{recorded['id']}/downtime").json()["data"] == periods
    bad = alice.get(path, params={"filter[started_at]": "soon"})
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["filter.started_at"]
    assert eve.get(path).status_code == 404

    assert eve.delete(f"/api/downtime/{periods[1]['id']}").status_code == 404
    assert bob.delete(f"/api/downtime/{periods[1]['id']}").status_code == 204
    assert alice.delete(f"/api/downtime/{periods[1]['id']}").status_code == 404
    assert [p["id"] for p in alice.get(path).json()["data"]] == [periods[0]["id"]]


def test_day_boundaries_split_uptime_by_the_time_each_run_covers(store: Store, alice: Caller) -> None:
    monitor = make(alice, "https://boundaries.example")
    start = at("2026-02-01 22:00:00")
    outcomes = [UP, DOWN, UP, UP]  # 22:00 up, 23:00 down, 00:00 and 01:00 up
    record(
        store,
        monitor,
        "uptime",
        [(start + timedelta(hours=i), o) for i, o in enumerate(outcomes)],
        interval=3600,
    )
    window = {"filter[started_at]": "20260201000000", "filter[ended_at]": "20260202235959", "split": "day"}
    assert alice.get(f"/api/monitors/{monitor['id']}/uptime", params=window).json() == [
        {"datetime": "2026-02-01 00:00:00", "uptime_percentage": 50.0},
        {"datetime": "2026-02-02 00:00:00", "uptime_percentage": 100.0},
    ]

"""GET /api/monitors/{id}/{http,ping,tcp}-uptime-metrics from runs the engine's persistence wrote."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from lookout.app import Store
from lookout.model.result import Timings
from tests.api.ohdear.conftest import Caller, Cast
from tests.api.ohdear.recorded import DOWN, UP, at, record
from tests.api.ohdear.test_check_actions import make

TEN = at("2026-01-06 10:00:00")
HTTP_TIMINGS = Timings(dns_ms=10, connect_ms=20, tls_ms=30, first_byte_ms=40, download_ms=5, total_ms=105)
WINDOW = {"filter[start]": "20260106100000", "filter[end]": "20260106100500"}


def three_minutes(store: Store, monitor: dict, timings: Timings) -> None:
    runs = [(TEN + timedelta(minutes=i), outcome) for i, outcome in enumerate([UP, UP, DOWN])]
    record(store, monitor, "uptime", runs, interval=60, timings=timings)


def unique(kind: str) -> str:
    name = f"metrics-{uuid.uuid4().hex[:10]}.example"
    return {"http": f"https://{name}", "ping": name, "tcp": f"{name}:5432"}[kind]


def test_http_metrics_by_minute_and_hour(store: Store, alice: Caller) -> None:
    monitor = make(alice, unique("http"))
    three_minutes(store, monitor, HTTP_TIMINGS)

    response = alice.get(f"/api/monitors/{monitor['id']}/http-uptime-metrics", params=WINDOW)
    assert response.status_code == 200, response.text
    points = response.json()["data"]
    assert [p["date"] for p in points] == [
        "2026-01-06 10:00:00",
        "2026-01-06 10:01:00",
        "2026-01-06 10:02:00",
    ]
    assert points[0] == {
        "dns_time_in_seconds": 0.01,
        "tcp_time_in_seconds": 0.02,
        "ssl_handshake_time_in_seconds": 0.03,
        "remote_server_processing_time_in_seconds": 0.04,
        "download_time_in_seconds": 0.005,
        "total_time_in_seconds": 0.105,
        "curl": {
            "namelookup_time": 0.01,
            "connect_time": 0.03,
            "appconnect_time": 0.06,
            "starttransfer_time": 0.1,
            "pretransfer_time": 0.06,
            "redirect_time": 0.0,
            "total_time": 0.105,
            "header_size": 0,
            "size_download": 0,
            "speed_download": 0,
        },
        "date": "2026-01-06 10:00:00",
    }
    assert points[2]["total_time_in_seconds"] is None  # the failed run was not timed

    hourly = {**WINDOW, "filter[group_by]": "hour"}
    by_hour = alice.get(f"/api/sites/{monitor['id']}/http-uptime-metrics", params=hourly).json()["data"]
    assert [(p["date"], p["total_time_in_seconds"]) for p in by_hour] == [("2026-01-06 10:00:00", 0.105)]


def test_ping_and_tcp_metrics_have_their_own_fields(store: Store, alice: Caller) -> None:
    ping = make(alice, unique("ping"), "ping")
    three_minutes(store, ping, Timings(total_ms=12.5))
    tcp = make(alice, unique("tcp"), "tcp")
    three_minutes(store, tcp, Timings(connect_ms=3.25, total_ms=4.0))
    day = {**WINDOW, "filter[group_by]": "day"}

    [ping_day] = alice.get(f"/api/monitors/{ping['id']}/ping-uptime-metrics", params=day).json()["data"]
    assert ping_day == {
        "minimum_time_in_ms": 12.5,
        "maximum_time_in_ms": 12.5,
        "average_time_in_ms": 12.5,
        "packet_loss_percentage": 33.33,
        "uptime_percentage": 66.6667,
        "downtime_percentage": 33.3333,
        "uptime_seconds": 120,
        "downtime_seconds": 60,
        "date": "2026-01-06 00:00:00",
    }
    tcp_minutes = alice.get(f"/api/monitors/{tcp['id']}/tcp-uptime-metrics", params=WINDOW).json()["data"]
    assert tcp_minutes[0] == {
        "time_to_connect_in_ms": 3.25,
        "uptime_percentage": 100.0,
        "downtime_percentage": 0.0,
        "uptime_seconds": 60,
        "downtime_seconds": 0,
        "date": "2026-01-06 10:00:00",
    }
    assert tcp_minutes[2]["uptime_percentage"] == 0.0


def test_metrics_of_another_kind_or_team_are_not_found(cast: Cast) -> None:
    monitor = make(cast.alice, unique("http"))
    assert (
        cast.alice.get(f"/api/monitors/{monitor['id']}/ping-uptime-metrics", params=WINDOW).status_code == 404
    )
    assert (
        cast.alice.get(f"/api/monitors/{monitor['id']}/tcp-uptime-metrics", params=WINDOW).status_code == 404
    )
    assert (
        cast.eve.get(f"/api/monitors/{monitor['id']}/http-uptime-metrics", params=WINDOW).status_code == 404
    )
    empty = cast.bob.get(f"/api/monitors/{monitor['id']}/http-uptime-metrics", params=WINDOW)
    assert empty.status_code == 200 and empty.json() == {"data": []}


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {},
            {
                "filter.start": ["The filter.start field is required."],
                "filter.end": ["The filter.end field is required."],
            },
        ),
        (
            {**WINDOW, "filter[group_by]": "year"},
            {"filter.group_by": ["The selected filter.group by is invalid."]},
        ),
        (
            {"filter[start]": "20260101000000", "filter[end]": "20260102000000"},
            {
                "filter.group_by": [
                    "The period holds more than 500 minutes; "
                    "use a larger filter.group by or a shorter period."
                ]
            },
        ),
        (
            {"filter[start]": "20260106000000", "filter[end]": "20260105000000", "filter[group_by]": "day"},
            {"filter.end": ["The filter.end field must be a date after or equal to filter.start."]},
        ),
    ],
)
def test_metrics_reject_bad_filters(alice: Caller, params: dict, errors: dict) -> None:
    monitor = make(alice, unique("tcp"), "tcp")
    response = alice.get(f"/api/monitors/{monitor['id']}/tcp-uptime-metrics", params=params)
    assert response.status_code == 422
    assert response.json()["errors"] == errors


def test_a_future_end_is_clamped_to_now(alice: Caller) -> None:
    monitor = make(alice, unique("http"))
    # From 400 days ago to 2099 would be far more than 500 days; up to now it is not.
    start = (datetime.now(UTC) - timedelta(days=400)).strftime("%Y%m%d%H%M%S")
    params = {"filter[start]": start, "filter[end]": "20990101000000", "filter[group_by]": "day"}
    response = alice.get(f"/api/monitors/{monitor['id']}/http-uptime-metrics", params=params)
    assert response.status_code == 200, response.text

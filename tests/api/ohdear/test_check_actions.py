"""POST /api/checks/{id}/enable|disable|request-run|snooze|unsnooze; teams are walls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from lookout.app import Store
from lookout.model.result import Timings
from tests.api.ohdear.conftest import Caller, Cast
from tests.api.ohdear.recorded import UP, record

CHECK_KEYS = {
    "id",
    "type",
    "label",
    "enabled",
    "latest_run_ended_at",
    "latest_run_result",
    "summary",
    "settings",
    "active_snooze",
}
SNOOZE_KEYS = {"id", "starts_at", "ends_at", "snoozed_by", "unsnoozed_by", "source", "created_at"}


def make(caller: Caller, url: str, kind: str = "http") -> dict:
    response = caller.post("/api/monitors", json={"url": url, "team_id": caller.team_id, "type": kind})
    assert response.status_code == 201, response.text
    return response.json()


def check_of(monitor: dict, check_type: str) -> dict:
    return next(c for c in monitor["checks"] if c["type"] == check_type)


def test_disable_and_enable_answer_with_the_check_and_resummarise(alice: Caller) -> None:
    monitor = make(alice, "https://actions.example")
    broken = check_of(monitor, "broken_links")

    disabled = alice.post(f"/api/checks/{broken['id']}/disable")
    assert disabled.status_code == 200, disabled.text
    body = disabled.json()
    assert set(body) == CHECK_KEYS
    assert body == {**broken, "enabled": False, "summary": "Disabled"}
    assert alice.post(f"/api/checks/{broken['id']}/disable").json()["enabled"] is False  # idempotent

    enabled = alice.post(f"/api/checks/{broken['id']}/enable").json()
    assert enabled["enabled"] is True and enabled["summary"] == "Pending"
    shown = alice.get(f"/api/monitors/{monitor['id']}").json()
    assert check_of(shown, "broken_links")["enabled"] is True


def test_summarized_check_result_follows_enable_and_disable(store: Store, alice: Caller) -> None:
    monitor = make(alice, "10.1.2.3", "ping")
    record(store, monitor, "uptime", [(datetime.now(UTC) - timedelta(minutes=1), UP)])
    performance = check_of(monitor, "performance")
    # The performance check never ran, so the monitor is pending while it is enabled.
    assert alice.get(f"/api/monitors/{monitor['id']}").json()["summarized_check_result"] == "pending"

    alice.post(f"/api/checks/{performance['id']}/disable")
    assert alice.get(f"/api/monitors/{monitor['id']}").json()["summarized_check_result"] == "succeeded"
    alice.post(f"/api/checks/{performance['id']}/enable")
    assert alice.get(f"/api/monitors/{monitor['id']}").json()["summarized_check_result"] == "pending"


def test_every_enabled_check_counts_in_its_monitor_summary_and_can_be_asked_to_run(
    store: Store, alice: Caller
) -> None:
    """Lighthouse runs too: enabled and not yet run, it keeps its monitor pending (on enable
    and on an update alike) until its first result, and request-run accepts it."""
    http = make(alice, "https://lighthouse.example")
    lighthouse = check_of(http, "lighthouse")
    for check_type in ("uptime", "performance", "certificate_health", "broken_links"):
        record(store, http, check_type, [(datetime.now(UTC) - timedelta(minutes=1), UP)])
    updated = alice.put(f"/api/monitors/{http['id']}", json={"friendly_name": "Lit"})
    assert updated.json()["summarized_check_result"] == "succeeded"

    assert alice.post(f"/api/checks/{lighthouse['id']}/enable").json()["enabled"] is True
    assert alice.get(f"/api/monitors/{http['id']}").json()["summarized_check_result"] == "pending"
    updated = alice.put(f"/api/monitors/{http['id']}", json={"friendly_name": "Lit again"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["summarized_check_result"] == "pending"
    assert alice.post(f"/api/checks/{lighthouse['id']}/request-run").status_code == 200

    record(store, http, "lighthouse", [(datetime.now(UTC) - timedelta(seconds=5), UP)])
    updated = alice.put(f"/api/monitors/{http['id']}", json={"friendly_name": "Lit at last"})
    assert updated.json()["summarized_check_result"] == "succeeded"


def test_snooze_and_unsnooze(cast: Cast) -> None:
    alice, bob = cast.alice, cast.bob
    monitor = make(alice, "https://snooze.example")
    uptime = check_of(monitor, "uptime")
    assert uptime["active_snooze"] is None

    before = datetime.now(UTC).replace(microsecond=0)
    snoozed = alice.post(f"/api/checks/{uptime['id']}/snooze", json={"minutes": 60})
    assert snoozed.status_code == 200, snoozed.text
    snooze = snoozed.json()["active_snooze"]
    assert set(snooze) == SNOOZE_KEYS
    starts = datetime.strptime(snooze["starts_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    ends = datetime.strptime(snooze["ends_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before <= starts <= datetime.now(UTC) and ends - starts == timedelta(minutes=60)
    assert snooze["snoozed_by"].startswith("alice-") and snooze["unsnoozed_by"] is None
    assert snooze["source"] == "API" and snooze["created_at"] == snooze["starts_at"]

    # Shown on the monitor (by id and in the list) for the whole team.
    by_id = bob.get(f"/api/monitors/{monitor['id']}").json()
    assert check_of(by_id, "uptime")["active_snooze"] == snooze
    listed = next(m for m in bob.get("/api/monitors").json()["data"] if m["id"] == monitor["id"])
    assert check_of(listed, "uptime")["active_snooze"] == snooze
    assert check_of(listed, "performance")["active_snooze"] is None

    again = alice.post(f"/api/checks/{uptime['id']}/snooze", json={"minutes": 5}).json()["active_snooze"]
    assert again["id"] != snooze["id"]  # a new snooze replaces the running one

    unsnoozed = bob.post(f"/api/checks/{uptime['id']}/unsnooze")
    assert unsnoozed.status_code == 200 and unsnoozed.json()["active_snooze"] is None
    assert check_of(alice.get(f"/api/monitors/{monitor['id']}").json(), "uptime")["active_snooze"] is None
    assert bob.post(f"/api/checks/{uptime['id']}/unsnooze").status_code == 200  # nothing to end


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "The minutes field is required."),
        (None, "The minutes field is required."),
        ({"minutes": "soon"}, "The minutes field must be an integer."),
        ({"minutes": 1.5}, "The minutes field must be an integer."),
        ({"minutes": True}, "The minutes field must be an integer."),
        ({"minutes": 0}, "The minutes field must be at least 1."),
        ({"minutes": 525601}, "The minutes field must not be greater than 525600."),
    ],
)
def test_snooze_needs_whole_minutes(alice: Caller, body: object, message: str) -> None:
    uptime = check_of(make(alice, f"https://snooze-{abs(hash(str(body)))}.example"), "uptime")
    response = alice.post(f"/api/checks/{uptime['id']}/snooze", json=body)
    assert response.status_code == 422
    assert response.json()["errors"] == {"minutes": [message]}
    assert response.json()["message"] == "The given data was invalid."


class RecordingEngine:
    def __init__(self) -> None:
        self.requested: list[int] = []

    async def request_run(self, check_id: int) -> bool:
        self.requested.append(check_id)
        return True


def test_request_run_answers_with_the_check_and_queues_a_run(client: TestClient, alice: Caller) -> None:
    monitor = make(alice, "https://run-now.example")
    uptime = check_of(monitor, "uptime")
    path = f"/api/checks/{uptime['id']}/request-run"

    without_engine = alice.post(path)
    assert without_engine.status_code == 200 and without_engine.json() == uptime

    engine = RecordingEngine()
    client.app.state.engine = engine  # type: ignore[attr-defined]
    try:
        headers = {"httpClientHeaders": [{"name": "X-Probe", "value": "1"}]}
        assert alice.post(path, json=headers).json() == uptime
        assert engine.requested == [uptime["id"]]
        bad = alice.post(path, json={"httpClientHeaders": [{"name": "X"}]})
        assert bad.status_code == 422
        assert bad.json()["errors"] == {
            "httpClientHeaders.0.value": ["The httpClientHeaders.0.value field is required."]
        }
        assert engine.requested == [uptime["id"]]
    finally:
        client.app.state.engine = None  # type: ignore[attr-defined]


def test_average_response_time_covers_the_last_15_minutes(store: Store, alice: Caller) -> None:
    monitor = make(alice, "https://averages.example")
    now = datetime.now(UTC).replace(microsecond=0)
    old = [(now - timedelta(minutes=40), UP)]
    recent = [(now - timedelta(minutes=m), UP) for m in (3, 2)]
    record(store, monitor, "performance", old, timings=Timings(total_ms=900.0))
    record(store, monitor, "performance", recent[:1], timings=Timings(total_ms=100.0))
    record(store, monitor, "performance", recent[1:], timings=Timings(total_ms=200.0))

    shown = alice.get(f"/api/monitors/{monitor['id']}").json()
    assert check_of(shown, "performance")["average_response_time_in_ms"] == 150.0
    assert "average_response_time_in_ms" not in check_of(shown, "uptime")
    listed = next(m for m in alice.get("/api/monitors").json()["data"] if m["id"] == monitor["id"])
    assert check_of(listed, "performance")["average_response_time_in_ms"] == 150.0
    performance_id = check_of(shown, "performance")["id"]
    action = alice.post(f"/api/checks/{performance_id}/unsnooze").json()
    assert action["average_response_time_in_ms"] == 150.0


@pytest.mark.parametrize("action", ["enable", "disable", "request-run", "snooze", "unsnooze"])
def test_another_teams_check_is_not_found(cast: Cast, action: str) -> None:
    uptime = check_of(make(cast.alice, f"https://walls-{action}.example"), "uptime")
    response = cast.eve.post(f"/api/checks/{uptime['id']}/{action}", json={"minutes": 5})
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"
    assert cast.eve.post(f"/api/checks/999999999/{action}", json={"minutes": 5}).status_code == 404
    assert cast.alice.client.post(f"/api/checks/{uptime['id']}/{action}").status_code == 401
    assert cast.alice.get(f"/api/checks/{uptime['id']}/{action}").status_code == 405

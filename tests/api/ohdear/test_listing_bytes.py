"""GET /api/monitors answers byte for byte what the presenter written check by check did.

The listing's presenter inlines the check objects for speed (2,600 per page of 200); this
keeps the straightforward version as the reference and compares whole pages: monitor types
with and without https, disabled checks, tags, names, a snooze, a performance average, a
check that has run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from starlette.datastructures import URL

from lookout.api.ohdear import presenters
from lookout.api.ohdear.pagination import paginated
from lookout.api.ohdear.timefmt import stamp
from lookout.app import Store, build_services
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.monitor import uses_https
from lookout.services.monitors import shown_summary
from lookout.services.views import CheckRecord, MonitorView, SnoozeRecord
from lookout.store.db import transaction, utcnow
from lookout.store.tables import Check, CheckRun
from tests.api.ohdear.conftest import Caller


def _check_json(check: CheckRecord, average: float | None, snooze: SnoozeRecord | None) -> dict[str, Any]:
    enabled = bool(check.enabled)
    body: dict[str, Any] = {
        "id": check.id,
        "type": check.type,
        "label": presenters._LABELS[check.type],
        "enabled": enabled,
        "latest_run_ended_at": stamp(check.latest_run_ended_at),
        "latest_run_result": check.latest_run_result or "pending",
        "summary": shown_summary(enabled, check.latest_run_result, check.summary),
        "settings": presenters._settings(check),
        "active_snooze": presenters.snooze_json(snooze) if snooze is not None else None,
    }
    if check.type == CheckType.PERFORMANCE:
        body["average_response_time_in_ms"] = None if average is None else round(average, 2)
    return body


def _reference_monitor_json(view: MonitorView) -> dict[str, Any]:
    monitor = view.monitor
    monitor_type = MonitorType(monitor.type)
    checks = [_check_json(c, view.averages.get(c.id), view.snoozes.get(c.id)) for c in view.checks]
    body: dict[str, Any] = {
        "id": monitor.id,
        "team_id": monitor.team_id,
        "type": monitor.type,
        "url": monitor.url,
        "uses_https": uses_https(monitor.url),
        "sort_url": monitor.sort_url,
        "label": monitor.friendly_name or monitor.sort_url,
        "group_name": monitor.group_name or "",
        "tags": list(view.tags),
        "description": monitor.description,
        "notes": monitor.notes,
        "latest_run_date": stamp(monitor.latest_run_date),
        "summarized_check_result": monitor.summarized_check_result,
        "checks": checks,
    }
    by_key = {
        presenters._KEYS[c.type]: presenters._settings(c) for c in view.checks if c.type in presenters._KEYS
    }
    for key in presenters._SETTINGS_ORDER:
        body[key] = by_key.get(key) or presenters._DEFAULTS_BY_TYPE[monitor_type].get(key)
    body["ai_check_settings"] = by_key.get("ai_check_settings")
    options = monitor.options or {}
    body["crawler_headers"] = options.get("crawler_headers", [])
    body["send_report_to_emails"] = options.get("send_report_to_emails", [])
    body["include_check_types_in_report"] = options.get("include_check_types_in_report", [])
    body["badge_id"] = monitor.badge_id
    body["marked_for_deletion_at"] = stamp(monitor.marked_for_deletion_at)
    body["created_at"] = stamp(monitor.created_at)
    body["updated_at"] = stamp(monitor.updated_at)
    return body


def test_a_page_is_byte_for_byte_what_it_was(store: Store, alice: Caller) -> None:
    bodies: list[dict[str, Any]] = [
        {"url": "https://bytes.example", "type": "http", "tags": ["b", "a"], "friendly_name": "Bytes"},
        {"url": "http://plain.example/x", "type": "http", "checks": ["uptime", "performance"]},
        {"url": "bytes.example", "type": "ping", "group_name": "g", "description": "d", "notes": "n"},
        {"url": "bytes.example:5432", "type": "tcp"},
        {
            "url": "https://headers.example",
            "type": "http",
            "crawler_settings": {"headers": [{"name": "X-A", "value": "1"}]},
            "send_report_to_emails": ["ops@example.test"],
        },
    ]
    made = []
    for body in bodies:
        response = alice.post("/api/monitors", json={**body, "team_id": alice.team_id})
        assert response.status_code == 201, response.text
        made.append(response.json())
    checks = {check["type"]: check["id"] for check in made[0]["checks"]}
    assert alice.post(f"/api/checks/{checks['uptime']}/snooze", json={"minutes": 60}).status_code == 200
    now = utcnow()
    with transaction(store.sessions) as session:
        session.query(Check).filter(Check.id == checks["uptime"]).update(
            {"latest_run_ended_at": now, "latest_run_result": "succeeded", "summary": "Up"}
        )
        for index, total in enumerate((101.234, 99.5, 120.0)):
            at = now - timedelta(minutes=index)
            session.add(
                CheckRun(
                    check_id=checks["performance"], monitor_id=made[0]["id"], result="succeeded",
                    summary="ok", started_at=at, ended_at=at, location="local", total_ms=total,
                )
            )  # fmt: skip

    services = build_services(store)
    who = services.tokens.authenticate(alice.token)
    for query, page, size in (("", 1, 200), ("?page[size]=2&page[number]=2", 2, 2), ("?page[size]=2", 1, 2)):
        response = alice.get(f"/api/monitors{query}")
        assert response.status_code == 200
        listing = services.monitors.list(who, None, page, size)
        expected = paginated(
            [_reference_monitor_json(view) for view in listing.items],
            URL(f"http://testserver/api/monitors{query}"),
            page,
            size,
            listing.total,
        )
        assert response.content == orjson.dumps(expected)
    first = next(m for m in alice.get("/api/monitors").json()["data"] if m["id"] == made[0]["id"])
    performance = next(c for c in first["checks"] if c["type"] == "performance")
    assert performance["average_response_time_in_ms"] == 106.91
    assert next(c for c in first["checks"] if c["type"] == "uptime")["active_snooze"] is not None

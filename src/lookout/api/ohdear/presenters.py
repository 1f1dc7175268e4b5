"""Monitor and check objects in the exact shape of the Oh Dear API.

This sits on the hot path of `GET /api/monitors` (200 monitors, up to thirteen checks
each), so it builds plain dicts from the services' views and passes each check's stored
settings JSON through instead of parsing and copying it.
"""

from __future__ import annotations

from typing import Any

import orjson

from lookout.api.ohdear.timefmt import stamp
from lookout.model.check_settings import SETTINGS_KEYS, settings_model_for
from lookout.model.check_type import CHECK_LABELS, CHECKS_BY_MONITOR_TYPE, CheckType, MonitorType
from lookout.model.monitor import uses_https
from lookout.services.monitors import shown_summary
from lookout.services.views import CheckRecord, CheckView, MonitorView, SnoozeRecord

_LABELS = {check_type.value: label for check_type, label in CHECK_LABELS.items()}
_KEYS = {check_type.value: key for check_type, key in SETTINGS_KEYS.items()}
_EMPTY_SETTINGS: list[Any] = []  # PHP's empty array: Oh Dear shows settings-less checks as []


def _defaults_not_carried(monitor_type: MonitorType) -> dict[str, Any]:
    """Settings objects for check types this monitor type lacks: shown with defaults."""
    carried = set(CHECKS_BY_MONITOR_TYPE[monitor_type])
    defaults: dict[str, Any] = {}
    for check_type, key in SETTINGS_KEYS.items():
        if check_type in carried or check_type in (CheckType.UPTIME, CheckType.AI):
            continue
        dumped = settings_model_for(check_type, monitor_type)().model_dump(mode="json")
        if check_type is CheckType.APPLICATION_HEALTH:
            dumped["secret"] = None
        defaults[key] = dumped
    return defaults


# The order the spec's monitor object lists its settings objects in.
_SETTINGS_ORDER = (
    "uptime_check_settings",
    "certificate_health_check_settings",
    "broken_links_check_settings",
    "dns_check_settings",
    "lighthouse_check_settings",
    "application_health_check_settings",
    "domain_check_settings",
    "performance_check_settings",
    "sitemap_check_settings",
    "ports_check_settings",
    "dns_blocklist_check_settings",
)
assert set(_SETTINGS_ORDER) | {"ai_check_settings"} == set(SETTINGS_KEYS.values())

_DEFAULTS_BY_TYPE = {monitor_type: _defaults_not_carried(monitor_type) for monitor_type in MonitorType}
_PERFORMANCE = CheckType.PERFORMANCE.value


def _settings(check: CheckRecord) -> orjson.Fragment | list[Any]:
    # The stored JSON goes out as is: parsing it only to serialise it again cost more
    # than anything else in a 200-monitor listing.
    if check.settings_json in ("{}", ""):
        return _EMPTY_SETTINGS
    return orjson.Fragment(check.settings_json)


def snooze_json(snooze: SnoozeRecord | None) -> dict[str, Any] | None:
    if snooze is None:
        return None
    return {
        "id": snooze.id,
        "starts_at": stamp(snooze.starts_at),
        "ends_at": stamp(snooze.ends_at),
        "snoozed_by": snooze.snoozed_by,
        "unsnoozed_by": snooze.unsnoozed_by,
        "source": snooze.source,
        "created_at": stamp(snooze.created_at),
    }


def check_json(
    check: CheckRecord,
    average_response_time_in_ms: float | None = None,
    snooze: SnoozeRecord | None = None,
) -> dict[str, Any]:
    enabled = bool(check.enabled)
    result = check.latest_run_result or "pending"
    summary = shown_summary(enabled, check.latest_run_result, check.summary)
    body: dict[str, Any] = {
        "id": check.id,
        "type": check.type,
        "label": _LABELS[check.type],
        "enabled": enabled,
        "latest_run_ended_at": stamp(check.latest_run_ended_at),
        "latest_run_result": result,
        "summary": summary,
        "settings": _settings(check),
        "active_snooze": snooze_json(snooze) if snooze is not None else None,
    }
    if check.type == CheckType.PERFORMANCE:
        body["average_response_time_in_ms"] = (
            None if average_response_time_in_ms is None else round(average_response_time_in_ms, 2)
        )
    return body


def monitor_json(view: MonitorView) -> dict[str, Any]:
    monitor = view.monitor
    averages, snoozes = view.averages, view.snoozes
    checks: list[dict[str, Any]] = []
    settings_by_key: dict[str, Any] = {}
    # check_json inlined, over the record's fields unpacked at once: a page of 200 monitors
    # builds 2,600 of these, and each call, attribute read and second Fragment showed.
    for check_id, _monitor_id, check_type, enabled, settings_json, ended_at, result, summary in view.checks:
        settings = _EMPTY_SETTINGS if settings_json in ("{}", "") else orjson.Fragment(settings_json)
        enabled = bool(enabled)
        snooze = snoozes.get(check_id) if snoozes else None
        body = {
            "id": check_id,
            "type": check_type,
            "label": _LABELS[check_type],
            "enabled": enabled,
            "latest_run_ended_at": None if ended_at is None else ended_at.isoformat(" ", "seconds")[:19],
            "latest_run_result": result or "pending",
            "summary": ("Pending" if result is None else summary) if enabled else "Disabled",
            "settings": settings,
            "active_snooze": None if snooze is None else snooze_json(snooze),
        }
        if check_type == _PERFORMANCE:
            average = averages.get(check_id)
            body["average_response_time_in_ms"] = None if average is None else round(average, 2)
        checks.append(body)
        key = _KEYS.get(check_type)
        if key is not None:
            settings_by_key[key] = settings
    body = {
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
    defaults = _DEFAULTS_BY_TYPE[MonitorType(monitor.type)]
    for key in _SETTINGS_ORDER:
        body[key] = settings_by_key.get(key) or defaults.get(key)
    body["ai_check_settings"] = settings_by_key.get("ai_check_settings")
    options = monitor.options or {}
    body["crawler_headers"] = options.get("crawler_headers", [])
    body["send_report_to_emails"] = options.get("send_report_to_emails", [])
    body["include_check_types_in_report"] = options.get("include_check_types_in_report", [])
    body["badge_id"] = monitor.badge_id
    body["marked_for_deletion_at"] = stamp(monitor.marked_for_deletion_at)
    body["created_at"] = stamp(monitor.created_at)
    body["updated_at"] = stamp(monitor.updated_at)
    return body


def check_view_json(view: CheckView) -> dict[str, Any]:
    return check_json(view.check, view.average_response_time_in_ms, view.active_snooze)

"""What the domain and application health checks keep beside their runs: health checks that
come and go, a history row per status, the latest domain lookup (or why there is none)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from lookout.model.result import CheckResult, Outcome
from lookout.store.db import transaction
from lookout.store.repositories import app_checks as repo
from tests.engine.seed import add_monitor, migrated

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _run(at: datetime, details: dict[str, Any]) -> CheckResult:
    return CheckResult(Outcome.SUCCEEDED, "", at, at, details=details)


def _health(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {
        "results": [
            {
                "name": name,
                "label": name,
                "status": status,
                "message": "",
                "short_summary": status,
                "meta": {},
            }
            for name, status in pairs
        ]
    }


def test_health_checks_history_and_presence(database_url: str) -> None:
    factory = migrated(database_url)
    ids = add_monitor(factory, "https://app.example/", "http", {"application_health": {}})
    check, monitor = ids["application_health"], ids["monitor"]
    runs = [
        _health(("db", "ok"), ("disk", "ok")),
        _health(("db", "ok"), ("disk", "warning")),
        _health(("db", "ok")),  # disk is no longer reported
        {"problems": ["The result URL answered HTTP 500"]},  # nothing known: nothing changes
        _health(("db", "failed"), ("disk", "warning")),
    ]
    for minute, details in enumerate(runs):
        with transaction(factory) as session:
            repo.record_app_health(session, check, monitor, _run(T0 + timedelta(minutes=minute), details))
    with factory() as session:
        listed, total = repo.health_checks_page(session, monitor, 0, 10)
        assert total == 2 and [(h.name, h.status) for h in listed] == [("db", "failed"), ("disk", "warning")]
        db, disk = listed
        assert db.detected_at == T0 + timedelta(minutes=4)
        assert disk.detected_at == T0 + timedelta(minutes=4)  # reported again after an absence
        history, count = repo.results_page(session, db.id, 0, 10)
        assert count == 2 and [(r.status, r.detected_at, r.updated_at) for r in history] == [
            ("failed", T0 + timedelta(minutes=4), T0 + timedelta(minutes=4)),
            ("ok", T0, T0 + timedelta(minutes=2)),
        ]
        disk_history, _ = repo.results_page(session, disk.id, 0, 10)
        assert [r.status for r in disk_history] == ["warning", "ok"]


def test_the_latest_domain_lookup_is_kept(database_url: str) -> None:
    factory = migrated(database_url)
    ids = add_monitor(factory, "https://www.example.test/", "http", {"domain": {}})
    check, monitor = ids["domain"], ids["monitor"]
    found = {
        "domain": "example.test",
        "source": "rdap",
        "expires_at": "2027-01-01T00:00:00+00:00",
        "domain_statuses": ["active"],
        "response": {"ldhName": "EXAMPLE.TEST"},
    }
    with transaction(factory) as session:
        repo.record_domain(session, check, monitor, _run(T0, found))
        # A failed lookup keeps what was known.
        repo.record_domain(session, check, monitor, _run(T0 + timedelta(hours=1), {"domain": "example.test"}))
    with factory() as session:
        row = repo.domain_registration(session, monitor)
        assert row is not None and row.expires_at == datetime(2027, 1, 1, tzinfo=UTC)
        assert row.updated_at == T0 and row.response == {"ldhName": "EXAMPLE.TEST"}
    with transaction(factory) as session:
        gone = {"domain": "example.test", "source": None, "not_supported_reason": "no RDAP, no WHOIS"}
        repo.record_domain(session, check, monitor, _run(T0 + timedelta(days=1), gone))
    with factory() as session:
        row = repo.domain_registration(session, monitor)
        assert row is not None and row.not_supported_reason == "no RDAP, no WHOIS" and row.expires_at is None
        assert row.created_at == T0

"""A Lighthouse check as a user meets it through the API alone: enabled on an http monitor,
run by the live engine (Lighthouse and Chromium auditing a loopback page), its reports
read back (list, latest, one, with the JSON report), and walls between teams. On SQLite and
PostgreSQL. Keeping only the last few JSON reports is tested on both, without a browser."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from fastapi.testclient import TestClient

from lookout.app import Store, build_services, create_app, open_store
from lookout.model.result import CheckResult, Outcome
from lookout.net.lighthouse import LighthouseRunner
from lookout.settings import Settings
from lookout.store.repositories import reports
from lookout.store.tables import Check
from tests.api.ohdear.test_domain_and_app_health_api import _check, eventually
from tests.conftest import missing
from tests.servers.audit_site import audit_site

LIST_KEYS = {
    "id",
    "performance_score",
    "accessibility_score",
    "best_practices_score",
    "seo_score",
    "progressive_web_app_score",
    "first_contentful_paint_in_ms",
    "speed_index_in_ms",
    "largest_contentful_paint_in_ms",
    "time_to_interactive_in_ms",
    "total_blocking_time_in_ms",
    "cumulative_layout_shift",
    "performed_on_checker_server",
    "issues",
    "created_at",
}


def test_lighthouse_reports_through_the_api(db_url: str, tmp_path: Path) -> None:
    if isinstance(found := LighthouseRunner.find(), str):
        missing(f"{found} (make lighthouse; apt-get install chromium)")
    settings = Settings(database_url=db_url, data_dir=tmp_path, allow_private_targets=True)
    store = open_store(settings)
    tokens = build_services(store).tokens
    issued = tokens.create("owner@example.test", "owners")
    stranger = tokens.create("stranger@example.test", "strangers")
    auth = {"Authorization": f"Bearer {issued.token}"}
    with audit_site() as site, TestClient(create_app(settings, store), headers=auth) as client:
        created = client.post(
            "/api/monitors",
            json={
                "url": f"{site.url}/plain",
                "team_id": issued.team_id,
                "type": "http",
                "checks": ["lighthouse"],
                "lighthouse_check_settings": {"device_emulation": "desktop"},
            },
        )
        assert created.status_code == 201, created.text
        mid = created.json()["id"]
        assert _check(client, mid, "lighthouse")["enabled"] is True

        listing = f"/api/monitors/{mid}/lighthouse-reports"
        (first,) = eventually(lambda: client.get(listing).json()["data"], seconds=120)
        assert set(first) == LIST_KEYS
        assert first["seo_score"] >= 90 and first["issues"] == []
        assert first["performed_on_checker_server"] == settings.location
        lighthouse = _check(client, mid, "lighthouse")
        assert lighthouse["latest_run_result"] == "succeeded"
        assert lighthouse["summary"].startswith("Performance ")
        assert client.get(f"/api/monitors/{mid}").json()["summarized_check_result"] == "succeeded"

        latest = client.get(f"{listing}/latest").json()
        assert {k: v for k, v in latest.items() if k != "json_report"} == first
        assert latest["json_report"]["finalDisplayedUrl"] == f"{site.url}/plain"
        assert latest["json_report"]["lighthouseVersion"].startswith("12.")
        assert client.get(f"{listing}/{first['id']}").json() == latest
        assert client.get(f"/api/sites/{mid}/lighthouse-reports/latest").json() == latest

        other = {"Authorization": f"Bearer {stranger.token}"}
        for path in (listing, f"{listing}/latest", f"{listing}/{first['id']}"):
            assert client.get(path, headers=other).status_code == 404
        assert client.get(f"{listing}/999999").status_code == 404


def test_only_the_last_reports_of_a_check_are_kept(db_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=db_url, data_dir=tmp_path, run_engine=False)
    store: Store = open_store(settings)
    issued = build_services(store).tokens.create("owner@example.test", "owners")
    with TestClient(create_app(settings, store)) as client:
        created = client.post(
            "/api/monitors",
            headers={"Authorization": f"Bearer {issued.token}"},
            json={"url": "https://kept.example", "team_id": issued.team_id, "type": "http"},
        ).json()
    check_ids = [c["id"] for c in created["checks"] if c["type"] in ("lighthouse", "uptime")]
    start = datetime(2026, 12, 1, tzinfo=UTC)
    starts = [start + timedelta(days=day) for day in range(reports.REPORTS_KEPT + 3)]
    with store.sessions() as session, session.begin():
        for check_id in check_ids:
            for at in starts:
                body = zlib.compress(orjson.dumps({"check": check_id, "at": at.isoformat()}))
                result = CheckResult(Outcome.SUCCEEDED, "ok", at, at, report=body)
                reports.record_report(session, check_id, created["id"], result)
            reports.record_report(session, check_id, created["id"], CheckResult(Outcome.ERRORED, "x", at, at))
    with store.sessions() as session:
        assert session.get(Check, check_ids[0]) is not None
        for check_id in check_ids:
            kept = [at for at in starts if reports.report(session, check_id, at) is not None]
            assert kept == starts[-reports.REPORTS_KEPT :]
            newest = reports.report(session, check_id, starts[-1])
            assert newest is not None
            assert orjson.loads(zlib.decompress(newest)) == {"check": check_id, "at": starts[-1].isoformat()}

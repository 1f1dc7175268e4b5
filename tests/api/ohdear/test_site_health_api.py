"""Broken links, mixed content and sitemap as a user sees them: a monitor of the generated
loopback site, its crawl checks run by the engine (and again on request-run), the reports
read back from /api/broken-links, /api/mixed-content and /api/sitemap."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from tests.servers.site import Site, site_in_thread


@pytest.fixture
def site() -> Iterator[Site]:
    with site_in_thread() as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of this test's own: the engine runs every check it finds."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lookout.db'}"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


def eventually(probe: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_crawl_reports_after_a_run_and_a_requested_run(own_database: str, site: Site) -> None:
    settings = Settings(database_url=own_database, allow_private_targets=True, location="paris")
    store = open_store(settings)
    services = build_services(store)
    owner = services.tokens.create("crawl@example.test", "crawlers")
    stranger = services.tokens.create("other@example.test", "others")
    headers = {"Authorization": f"Bearer {owner.token}"}
    with TestClient(create_app(settings, store), headers=headers) as client:
        monitor = client.post(
            "/api/monitors",
            json={
                "url": site.url("/"),
                "team_id": owner.team_id,
                "type": "http",
                "checks": ["broken_links", "sitemap"],
                "broken_links_check_settings": {
                    "crawler_speed": "unlimited",
                    "whitelisted_urls": ["*/calendar/*", "*/huge", "*/ignored/*"],
                    "types": ["link", "image"],
                },
                "sitemap_check_settings": {"path": "sitemap.xml", "speed": "unlimited"},
            },
        ).json()
        checks = {check["type"]: check for check in monitor["checks"]}
        path = f"/api/broken-links/{monitor['id']}"

        def crawled() -> dict[str, Any] | None:
            body: dict[str, Any] = client.get(path).json()
            return body if body["meta"]["run_id"] is not None else None

        first = eventually(crawled)
        links = {(item["relative_crawled_url"], item["relative_found_on_url"]) for item in first["data"]}
        assert links == {
            ("/missing-page", "/page/7"),
            ("/img/missing.png", "/page/11"),
            ("/server-error", "/page/23"),
            ("/loop-a", "/page/29"),
        }
        missing = next(item for item in first["data"] if item["relative_crawled_url"] == "/missing-page")
        assert missing == {
            "status_code": 404,
            "crawled_url": site.url("/missing-page"),
            "relative_crawled_url": "/missing-page",
            "found_on_url": site.url("/page/7"),
            "relative_found_on_url": "/page/7",
            "link_text": "Link to /missing-page",
            "type": "link",
            "error_message": None,
            "internal": True,
        }
        assert first["meta"]["total"] == 4 and first["meta"]["per_page"] == 1000

        pages_before = site.hits[("GET", "/page/0")]
        answered = client.post(f"/api/checks/{checks['broken_links']['id']}/request-run")
        assert answered.status_code == 200
        second = eventually(
            lambda: (body := client.get(path).json())["meta"]["run_id"] != first["meta"]["run_id"] and body
        )
        assert site.hits[("GET", "/page/0")] == pages_before + 1
        assert {(i["relative_crawled_url"], i["relative_found_on_url"]) for i in second["data"]} == links

        shown = client.get(f"/api/monitors/{monitor['id']}").json()
        broken = next(check for check in shown["checks"] if check["type"] == "broken_links")
        assert broken["latest_run_result"] == "failed" and broken["summary"].startswith("4 broken links")

        sitemap = eventually(
            lambda: (body := client.get(f"/api/sitemap/{monitor['id']}").json())["checkUrl"] and body
        )
        assert sitemap["totalIssuesCount"] == 4 and sitemap["hasIssues"] is True
        assert [entry["url"] for entry in sitemap["sitemaps"]] == [
            site.url("/sitemap-pages.xml"),
            site.url("/sitemap-more.xml.gz"),
        ]

        mixed = client.get(f"/api/mixed-content/{monitor['id']}").json()
        assert mixed["data"] == [] and mixed["meta"]["run_id"] is None  # the check is disabled

        other = {"Authorization": f"Bearer {stranger.token}"}
        for route in ("broken-links", "mixed-content", "sitemap"):
            assert client.get(f"/api/{route}/{monitor['id']}", headers=other).status_code == 404
        assert client.get("/api/broken-links/0").status_code == 404

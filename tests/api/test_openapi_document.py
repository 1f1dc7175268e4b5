"""The OpenAPI document is valid, every reference in it resolves, it documents the parameters
the API reads, and its docs pages work without internet (in a real headless browser)."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from lookout.app import create_app
from lookout.settings import Settings
from tests.conftest import REQUIRE_SERVICES
from tests.test_serve_restart import free_port


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("oas"), run_engine=False)


@pytest.fixture(scope="module")
def document(settings: Settings) -> dict[str, Any]:
    with TestClient(create_app(settings)) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    refs = set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(document)))
    assert refs, "expected component references"
    for ref in refs:
        assert resolve(document, ref) is not None, ref


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def test_documented_parameters_are_the_accepted_ones(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            # A leading underscore is a Python parameter name leaking without its alias.
            assert not parameter["name"].startswith("_"), (path, method, parameter["name"])
    listing = {p["name"] for p in document["paths"]["/api/monitors"]["get"]["parameters"]}
    assert {"page[number]", "page[size]", "filter[team_id]"} <= listing
    uptime = {p["name"] for p in document["paths"]["/api/monitors/{monitor_id}/uptime"]["get"]["parameters"]}
    assert {"split", "filter[started_at]", "filter[ended_at]"} <= uptime


def test_monitor_fields_are_described_and_requests_have_examples(document: dict[str, Any]) -> None:
    monitor = document["components"]["schemas"]["MonitorBody"]["properties"]
    undocumented = [name for name, prop in monitor.items() if not prop.get("description")]
    assert not undocumented
    create = document["paths"]["/api/monitors"]["post"]["requestBody"]["content"]["application/json"]
    assert create["example"]["url"] and all(
        create["schema"]["properties"][k].get("description") for k in create["example"]
    )
    for path, method, operation in operations(document):
        body = operation.get("requestBody")
        if body is not None and "application/json" in body["content"]:
            assert "example" in body["content"]["application/json"], (path, method)


def test_docs_pages_use_no_cdn(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page).text
            assert "cdn." not in html and "googleapis" not in html, page
            for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', html):
                assert client.get(asset).status_code == 200, asset


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def live_url(settings: Settings) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_swagger_ui_lists_the_operations_in_a_real_browser(live_url: str, tmp_path: Path) -> None:
    executable = chromium()
    if executable is None:
        reason = "Chromium is not installed (make test installs Debian's chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    assert httpx.get(f"{live_url}/docs").status_code == 200
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox"] if os.geteuid() == 0 else []
        )
        try:
            page = browser.new_page()
            # Anything not on loopback is refused: the page must not need the internet.
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
            page.goto(f"{live_url}/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=20_000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert any("/api/monitors" in p for p in paths), paths[:10]
            page.screenshot(path=str(tmp_path / "docs.png"))
        finally:
            browser.close()

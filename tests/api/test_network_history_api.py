"""DNS, ports and DNS blocklist checks tried as a user would, through the Oh Dear API alone:
create a monitor with the checks enabled, let the engine (running in the app) run them
against loopback nameservers, a loopback DNSBL and loopback TCP listeners, change a DNS
record, request a run, and read the results and the A14 history items back."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import dns.zone
import pytest
from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from tests.servers.dns import ZoneServer, serve_zone

T = TypeVar("T")
ORIGIN = "lookout.test."


def zone_text(serial: int, www: str) -> str:
    # bl.lookout.test is a DNSBL listing 127.0.0.1; the operator's blocklist file names it.
    return f"""
@      300 IN SOA ns1.lookout.test. hostmaster.lookout.test. {serial} 3600 600 86400 300
@      300 IN NS  ns1.lookout.test.
@      300 IN NS  ns2.lookout.test.
ns1    300 IN A   127.0.0.2
ns2    300 IN A   127.0.0.3
www    300 IN A   {www}
www    300 IN TXT "hello"
1.0.0.127.bl 60 IN A 127.0.0.2
"""


BLOCKLISTS = """
[[blocklists]]
key = "loopback-bl"
name = "Loopback BL"
zone = "bl.lookout.test"
timeout_ms = 2000
[blocklists.return_codes]
"127.0.0.2" = "Listed for the test"
"""


class LoopThread:
    """An event loop in a thread for the loopback servers; the TestClient has its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stack = contextlib.AsyncExitStack()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def close(self) -> None:
        self.call(self.stack.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@dataclass
class World:
    ns1: ZoneServer
    ns2: ZoneServer
    open_port: int
    also_open_port: int

    def load(self, text: str) -> None:
        for server in (self.ns1, self.ns2):
            server.zone = dns.zone.from_text(text, ORIGIN, relativize=False)


@pytest.fixture
def world() -> Iterator[World]:
    loops = LoopThread()
    try:
        ns1 = loops.call(
            loops.stack.enter_async_context(serve_zone(zone_text(1, "127.0.0.1"), ORIGIN, "127.0.0.2"))
        )
        ns2 = loops.call(
            loops.stack.enter_async_context(
                serve_zone(zone_text(1, "127.0.0.1"), ORIGIN, "127.0.0.3", ns1.port)
            )
        )
        listeners = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
        try:
            yield World(ns1, ns2, listeners[0].getsockname()[1], listeners[1].getsockname()[1])
        finally:
            for listener in listeners:
                listener.close()
    finally:
        loops.close()


def eventually(probe: Callable[[], T | None], seconds: float = 20) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_dns_ports_and_blocklist_through_the_api(tmp_path: Path, world: World, database_url: str) -> None:
    blocklists = tmp_path / "blocklists.toml"
    blocklists.write_text(BLOCKLISTS)
    settings = Settings(
        database_url=database_url,
        allow_private_targets=True,
        dns_resolvers=world.ns1.setting,
        dns_authoritative_port=world.ns1.port,
        dns_blocklists_file=blocklists,
        rate_limit_per_minute=100_000,
    )
    store = open_store(settings)
    tokens = build_services(store).tokens
    suffix = tmp_path.name[-12:]
    owner = tokens.create(f"net-{suffix}@example.test", f"net-{suffix}")
    stranger = tokens.create(f"other-{suffix}@example.test", f"other-{suffix}")
    headers = {"Authorization": f"Bearer {owner.token}", "Accept": "application/json"}
    with TestClient(create_app(settings, store), headers=headers) as client:
        created = client.post(
            "/api/monitors",
            json={
                "url": "https://www.lookout.test/",
                "team_id": owner.team_id,
                "type": "http",
                "checks": ["dns", "ports", "dns_blocklist"],
                "ports_check_settings": {
                    "expected_open_ports": [world.open_port],
                    "expected_closed_ports": [world.also_open_port],
                    "timeout_per_port_ms": 1000,
                    "failure_threshold": 1,  # shown at once, no quick re-check to wait for
                },
            },
        )
        assert created.status_code == 201, created.text
        monitor = created.json()
        mid = monitor["id"]
        check_ids = {c["type"]: c["id"] for c in monitor["checks"]}

        def latest() -> dict[str, Any] | None:
            checks = {c["type"]: c for c in client.get(f"/api/monitors/{mid}").json()["checks"]}
            wanted = ("dns", "ports", "dns_blocklist")
            done = all(checks[t]["latest_run_result"] not in (None, "pending") for t in wanted)
            return checks if done else None

        checks = eventually(latest)
        assert checks["dns"]["latest_run_result"] == "succeeded", checks["dns"]["summary"]
        assert checks["ports"]["latest_run_result"] == "failed"
        assert checks["ports"]["summary"] == f"Down: Port {world.also_open_port} should be closed but is open"
        assert checks["dns_blocklist"]["latest_run_result"] == "failed"
        assert checks["dns_blocklist"]["summary"] == "Down: listed: 127.0.0.1 on Loopback BL"

        ports = client.get(f"/api/monitors/{mid}/ports-history-items").json()
        assert ports["meta"]["total"] == 1
        (item,) = ports["data"]
        assert set(item) == {
            "id",
            "scanned_host",
            "resolved_ip",
            "open_ports",
            "issues",
            "scan_time_ms",
            "created_at",
        }
        assert item["scanned_host"] == "www.lookout.test" and item["resolved_ip"] == "127.0.0.1"
        assert item["open_ports"] == sorted([world.open_port, world.also_open_port])
        assert client.get(f"/api/monitors/{mid}/ports-history-items/{item['id']}").json() == item

        listing = client.get(f"/api/sites/{mid}/dns-blocklist-history-items").json()["data"][0]
        assert listing["checked_domain"] == "www.lookout.test" and listing["resolved_ips"] == ["127.0.0.1"]
        assert listing["blocklist_results"] == [
            {
                "provider": "Loopback BL",
                "listed": True,
                "query_target": "1.0.0.127.bl.lookout.test",
                "return_code": "127.0.0.2",
                "reason": "Listed for the test",
                "timed_out": False,
            }
        ]

        # The record changes on both nameservers; a run asked for sees it.
        world.load(zone_text(2, "127.0.0.9"))
        asked = client.post(f"/api/checks/{check_ids['dns']}/request-run")
        assert asked.status_code == 200 and asked.json()["id"] == check_ids["dns"]

        def two_items() -> list[dict[str, Any]] | None:
            body = client.get(f"/api/monitors/{mid}/dns-history-items").json()
            return body["data"] if len(body["data"]) == 2 else None

        newest, first = eventually(two_items)
        assert set(newest) == {
            "id",
            "authoritative_nameservers",
            "dns_records",
            "raw_dns_records",
            "issues",
            "diff_summary",
            "created_at",
        }
        assert first["diff_summary"] == "No changes"
        assert newest["diff_summary"] == "- A www.lookout.test 127.0.0.1\n+ A www.lookout.test 127.0.0.9"
        assert newest["authoritative_nameservers"] == ["ns1.lookout.test", "ns2.lookout.test"]
        assert {
            "host": "www.lookout.test",
            "ttl": 300,
            "class": "IN",
            "type": "A",
            "ip": "127.0.0.9",
        } in newest["dns_records"]
        assert client.get(f"/api/monitors/{mid}/dns-history-items/{newest['id']}").json() == newest
        dns_check = next(c for c in client.get(f"/api/monitors/{mid}").json()["checks"] if c["type"] == "dns")
        assert dns_check["latest_run_result"] == "warning"
        assert dns_check["summary"] == "1 DNS record set changed"
        runs = client.get(f"/api/monitors/{mid}/checks/dns/runs").json()["data"]
        assert [r["result"] for r in runs] == ["warning", "succeeded"]

        # Another team's monitor, unknown items and ids that are no ids are 404s.
        other = {"Authorization": f"Bearer {stranger.token}"}
        assert client.get(f"/api/monitors/{mid}/dns-history-items", headers=other).status_code == 404
        assert (
            client.get(f"/api/monitors/{mid}/ports-history-items/{item['id']}", headers=other).status_code
            == 404
        )
        assert client.get(f"/api/monitors/{mid}/dns-history-items/{item['id']}").status_code == 404
        assert client.get(f"/api/monitors/{mid}/dns-history-items/999999999").status_code == 404
        assert client.get("/api/monitors/999999999/dns-history-items").status_code == 404
        bad = client.get(f"/api/monitors/{mid}/dns-history-items/abc")  # Laravel: no such route
        assert bad.status_code == 404 and bad.json()["message"] == "Not Found"

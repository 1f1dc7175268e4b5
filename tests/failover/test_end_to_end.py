"""Issue 10's "Done when", tried as a new user would with only DNSPod form POSTs, against a
real BIND 9 fed by RFC 2136: the watched web server stops, the record moves to the backup
IP in Record.Info and in BIND's answer and a Down callback arrives; it starts again, the
record comes back and an Ok callback arrives; Monitor.Getdowns shows the switch log.

Fast clock: D-Monitor checks every 5 s (LOOKOUT_DMONITOR_INTERVAL_SECONDS, the smallest
interval a check may have) instead of 60, and failover polls every 0.1 s.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import pytest
from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from tests.failover.sites import CallbackReceiver, Site, free_port
from tests.servers.bind import Bind, start_bind

ORIGINAL, BACKUP = "127.0.0.2", "127.0.0.3"


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[Bind]:
    server = start_bind(tmp_path, zone=f"f{uuid.uuid4().hex[:8]}.test")
    yield server
    server.stop()


def bind_answer(bind: Bind, name: str) -> tuple[set[str], int]:
    query = dns.message.make_query(name + ".", "A")
    response = dns.query.tcp(query, bind.host, port=bind.port, timeout=2)
    for rrset in response.answer:
        return {rdata.to_text() for rdata in rrset}, rrset.ttl
    return set(), 0


def wait_for(what: str, ok: Callable[[], bool], seen: Callable[[], object], timeout: float = 45.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if ok():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; seen: {seen()}")


def test_failover_end_to_end(database_url: str, bind: Bind) -> None:
    port = free_port(ORIGINAL)
    original, backup = Site(ORIGINAL, port), Site(BACKUP, port)
    original.start()
    backup.start()
    receiver = CallbackReceiver(key="s3cr3t")
    settings = Settings(
        database_url=database_url,
        allow_private_targets=True,
        run_outbox=False,
        dns_update_server=bind.server,
        dns_tsig_key_name=bind.key_name,
        dns_tsig_algorithm=bind.algorithm,
        dns_tsig_secret=bind.secret,
        dmonitor_interval_seconds=5,
        failover_poll_seconds=0.1,
    )
    store = open_store(settings)
    run = uuid.uuid4().hex[:8]
    token = build_services(store).tokens.create(f"fo-{run}@example.test", f"fo-{run}").dnspod_token
    try:
        with TestClient(create_app(settings, store)) as client:

            def call(action: str, **params: Any) -> dict[str, Any]:
                data = {"login_token": token, "format": "json", **{k: str(v) for k, v in params.items()}}
                body: dict[str, Any] = client.post(f"/{action}", data=data).json()
                assert body["status"]["code"] == "1", (action, body)
                return body

            domain_id = call("Domain.Create", domain=bind.zone)["domain"]["id"]
            record_id = call(
                "Record.Create",
                domain_id=domain_id,
                sub_domain="www",
                record_type="A",
                record_line="默认",
                value=ORIGINAL,
                ttl=600,
            )["record"]["id"]
            name = f"www.{bind.zone}"
            assert bind_answer(bind, name) == ({ORIGINAL}, 600)
            monitor_id = call(
                "Monitor.Create",
                domain_id=domain_id,
                record_id=record_id,
                port=port,
                monitor_type="http",
                monitor_path="/",
                monitor_interval=60,
                points="ctc,cuc",
                bak_ip=BACKUP,
                host=name,
                keep_ttl="no",
                callback_url=receiver.url,
                callback_key="s3cr3t",
            )["monitor"]["monitor_id"]

            def info() -> dict[str, Any]:
                return call("Monitor.Info", monitor_id=monitor_id)["info"]

            def record_value() -> str:
                return str(call("Record.Info", domain_id=domain_id, record_id=record_id)["record"]["value"])

            def seen() -> object:
                return (info(), record_value(), bind_answer(bind, name), receiver.received, receiver.bad)

            wait_for("the first check", lambda: info()["status_code"] == "200", seen)
            assert original.hits >= 1  # the check dialled the record's IP with Host = www...

            original.stop()
            took = wait_for(
                "the switch to the backup",
                lambda: (
                    record_value() == BACKUP
                    and bind_answer(bind, name) == ({BACKUP}, 60)
                    and receiver.statuses() == ["Down"]
                ),
                seen,
            )
            assert took < 30
            down = receiver.received[0]
            assert (down["monitor_id"], down["domain_id"], down["record_id"]) == (
                monitor_id,
                str(domain_id),
                str(record_id),
            )
            assert (down["ip"], down["sub_domain"], down["record_line"], down["domain"]) == (
                ORIGINAL,
                "www",
                "默认",
                bind.zone,
            )
            assert int(down["status_code"]) < 0 and down["reason"]
            assert info()["now_ip"] == BACKUP and info()["status"] == "Down"
            assert call("Record.List", domain_id=domain_id)["records"][0]["monitor_status"] == "Down"

            original.start()
            wait_for(
                "the switch back",
                lambda: (
                    record_value() == ORIGINAL
                    and bind_answer(bind, name) == ({ORIGINAL}, 600)
                    and receiver.statuses() == ["Down", "Ok"]
                ),
                seen,
            )
            assert receiver.received[1]["status_code"] == "200"
            assert receiver.bad == []
            assert info()["now_ip"] == ORIGINAL and info()["status"] == "Ok"

            downs = call("Monitor.Getdowns", offset=0, length=10)
            assert downs["info"]["total_count"] == "1"
            event = downs["monitor_downs"][0]
            assert event["ip"] == ORIGINAL and event["warn_reason"]
            assert event["updated_on"] != "0000-00-00 00:00:00"
            log = event["switch_log"]
            assert len(log) == 2, log
            assert log[0].endswith(f"{ORIGINAL} is down; switched to {BACKUP}")
            assert log[1].endswith(f"{ORIGINAL} is up again; switched back to {ORIGINAL}")
            history = call("Monitor.Gethistory", monitor_id=monitor_id, hours=1)["monitor_history"]
            statuses = {sample["status"] for sample in history[0]["data"]["data"]}
            assert {"Ok", "Down"} <= statuses
    finally:
        original.stop()
        backup.stop()
        receiver.close()

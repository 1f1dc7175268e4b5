"""Record.Modify moves a monitored record to an IP that is down too. The check was down
and stays down, so the engine records no new state change; failover must still see the
new IP's first verdict as a fresh Down: a new outage in Monitor.Getdowns, a switch to the
backup in Record.Info and in BIND's answer, and a Down callback about the new IP. When
the new IP starts answering, the record returns to it with an Ok callback.

All with DNSPod form POSTs and the real engine checking loopback servers (D-Monitor
interval 5 s), BIND 9 fed by RFC 2136.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from lookout.app import build_services, create_app, open_store
from lookout.settings import Settings
from tests.failover.sites import CallbackReceiver, Site, free_port
from tests.failover.test_end_to_end import bind, bind_answer, wait_for  # noqa: F401 (fixture)
from tests.servers.bind import Bind

ORIGINAL, BACKUP, DEAD = "127.0.0.2", "127.0.0.3", "127.0.0.7"


def test_a_record_moved_to_a_down_ip_opens_a_new_outage_switches_and_calls_back(
    database_url: str,
    bind: Bind,  # noqa: F811
) -> None:
    port = free_port(ORIGINAL)
    backup, moved = Site(BACKUP, port), Site(DEAD, port)
    backup.start()
    receiver = CallbackReceiver(key="k3y")
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
    token = build_services(store).tokens.create(f"mv-{port}@example.test", f"mv-{port}").dnspod_token
    try:
        with TestClient(create_app(settings, store)) as client:

            def call(action: str, **params: Any) -> dict[str, Any]:
                data = {"login_token": token, "format": "json", **{k: str(v) for k, v in params.items()}}
                body: dict[str, Any] = client.post(f"/{action}", data=data).json()
                assert body["status"]["code"] == "1", (action, body)
                return body

            domain_id = call("Domain.Create", domain=bind.zone)["domain"]["id"]
            name = f"www.{bind.zone}"
            record_id = call(
                "Record.Create",
                domain_id=domain_id,
                sub_domain="www",
                record_type="A",
                record_line="默认",
                value=ORIGINAL,
                ttl=600,
            )["record"]["id"]
            # Nothing answers on ORIGINAL: the first checks fail and failover switches.
            monitor_id = call(
                "Monitor.Create",
                domain_id=domain_id,
                record_id=record_id,
                port=port,
                monitor_type="http",
                monitor_path="/",
                monitor_interval=60,
                points="ctc",
                bak_ip=BACKUP,
                host=name,
                keep_ttl="no",
                callback_url=receiver.url,
                callback_key="k3y",
            )["monitor"]["monitor_id"]

            def record() -> dict[str, Any]:
                found: dict[str, Any] = call("Record.Info", domain_id=domain_id, record_id=record_id)[
                    "record"
                ]
                return found

            def downs() -> list[dict[str, Any]]:
                found: list[dict[str, Any]] = call("Monitor.Getdowns", offset=0, length=10)["monitor_downs"]
                return found

            def seen() -> object:
                return (record(), bind_answer(bind, name), receiver.received, downs())

            wait_for(
                "the first switch",
                lambda: bind_answer(bind, name) == ({BACKUP}, 60) and receiver.statuses() == ["Down"],
                seen,
            )
            assert receiver.received[0]["ip"] == ORIGINAL

            # The owner points the record at another server, which is down as well.
            call(
                "Record.Modify",
                domain_id=domain_id,
                record_id=record_id,
                sub_domain="www",
                record_type="A",
                record_line="默认",
                value=DEAD,
            )
            wait_for(
                "the new IP's outage, switch and callback",
                lambda: (
                    record()["value"] == BACKUP
                    and bind_answer(bind, name) == ({BACKUP}, 60)
                    and receiver.statuses() == ["Down", "Down"]
                    and len(downs()) == 2
                    # The switch is logged on the new outage after the record moved.
                    and bool(downs()[0]["switch_log"])
                ),
                seen,
            )
            fresh = receiver.received[1]
            assert (fresh["ip"], fresh["record_id"], fresh["monitor_id"]) == (
                DEAD,
                str(record_id),
                monitor_id,
            )
            assert int(fresh["status_code"]) < 0 and fresh["reason"]
            assert receiver.bad == []
            info = call("Monitor.Info", monitor_id=monitor_id)["info"]
            assert (info["ip"], info["now_ip"], info["status"]) == (DEAD, BACKUP, "Down")
            newest, oldest = downs()
            assert newest["ip"] == DEAD and newest["warn_reason"]
            assert newest["updated_on"] == "0000-00-00 00:00:00"
            assert newest["switch_log"][-1].endswith(f"{DEAD} is down; switched to {BACKUP}")
            assert oldest["ip"] == ORIGINAL and oldest["updated_on"] != "0000-00-00 00:00:00"
            assert oldest["switch_log"][-1].endswith(f"record set to {DEAD} by its owner; switch closed")

            # The new server starts: the record returns to it, with an Ok callback.
            moved.start()
            wait_for(
                "the switch back to the new IP",
                lambda: (
                    bind_answer(bind, name) == ({DEAD}, 600)
                    and receiver.statuses() == ["Down", "Down", "Ok"]
                    and downs()[0]["updated_on"] != "0000-00-00 00:00:00"
                ),
                seen,
            )
            assert receiver.received[2]["ip"] == DEAD
            assert len(downs()) == 2  # no outage opened twice for the same move
    finally:
        backup.stop()
        moved.stop()
        receiver.close()

"""email_notice / sms_notice and less_notice reach the notify outbox through its generic
per-monitor limits: a D-Monitor created with nobody to tell (`email_notice=` and no
sms_notice) has its messages kept but never sent, and `less_notice=yes` lets each
destination hear of it once an hour. The D-Monitors are made with DNSPod form POSTs; the
state changes come from the engine's own writer; a real webhook receives what is sent."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from lookout.app import build_services, create_app, open_store
from lookout.notify.policy import (
    MONITOR_HOURLY_LIMIT,
    MONITOR_MUTED,
    Decision,
    PolicyConfig,
    Situation,
    Verdict,
    decide,
)
from lookout.settings import Settings
from lookout.store.tables import Check, DMonitor, NotificationMessage
from tests.notify.harness import Clock, Runs, add_destination, make_outbox, start_time
from tests.notify.receivers import serve_hooks


def test_the_policy_honours_a_monitors_own_limits() -> None:
    now = start_time()
    base = Situation("failed", "UptimeCheckFailedNotification", (), True, now, now)
    config = PolicyConfig()
    assert decide(base, config).verdict is Verdict.SEND
    muted = Situation("failed", "UptimeCheckFailedNotification", (), True, now, now, monitor_muted=True)
    assert decide(muted, config) == Decision(Verdict.SUPPRESS, MONITOR_MUTED)
    once = {"monitor_max_per_hour": 1}
    first = Situation("failed", "UptimeCheckFailedNotification", (), True, now, now, **once)  # type: ignore[arg-type]
    again = Situation(
        "recovered",
        "UptimeCheckRecoveredNotification",
        (),
        True,
        now,
        now,
        sent_for_monitor_this_hour=1,
        **once,  # type: ignore[arg-type]
    )
    assert decide(first, config).verdict is Verdict.SEND
    assert (decide(again, config).verdict, decide(again, config).reason) == (
        Verdict.SUPPRESS,
        MONITOR_HOURLY_LIMIT,
    )


async def test_email_notice_empty_mutes_and_less_notice_limits_the_monitor(fresh_url: str) -> None:
    settings = Settings(database_url=fresh_url, run_engine=False, run_outbox=False, run_failover=False)
    store = open_store(settings)
    run = uuid.uuid4().hex[:8]
    issued = build_services(store).tokens.create(f"nt-{run}@example.test", f"nt-{run}")
    monitors: dict[str, int] = {}
    with TestClient(create_app(settings, store)) as client:

        def call(action: str, **params: Any) -> dict[str, Any]:
            data = {
                "login_token": issued.dnspod_token,
                "format": "json",
                **{k: str(v) for k, v in params.items()},
            }
            body: dict[str, Any] = client.post(f"/{action}", data=data).json()
            assert body["status"]["code"] == "1", (action, body)
            return body

        domain_id = call("Domain.Create", domain=f"n{run}.test")["domain"]["id"]
        settings_of = {
            "port": 80,
            "monitor_type": "http",
            "monitor_path": "/",
            "monitor_interval": 60,
            "points": "ctc",
            "bak_ip": "pass",
        }
        for name, notices in (("quiet", {"email_notice": ""}), ("less", {"less_notice": "yes"})):
            record_id = call(
                "Record.Create", domain_id=domain_id, sub_domain=name, record_type="A", value="192.0.2.7"
            )["record"]["id"]
            created = call(
                "Monitor.Create",
                domain_id=domain_id,
                record_id=record_id,
                host=f"{name}.n{run}.test",
                **settings_of,
                **notices,
            )
            monitors[name] = int(created["monitor"]["monitor_id"])

        def runs_of(name: str, clock: Clock) -> Runs:
            with store.sessions() as session:
                row = session.get(DMonitor, monitors[name])
                assert row is not None and row.monitor_id is not None
                check_id = session.scalars(
                    select(Check.id).where(Check.monitor_id == row.monitor_id, Check.type == "uptime")
                ).one()
                return Runs(
                    store.sessions, {"uptime": check_id, "monitor": row.monitor_id}, clock, threshold=1
                )

        def messages(name: str) -> list[tuple[str, str, str | None]]:
            with store.sessions() as session:
                row = session.get(DMonitor, monitors[name])
                assert row is not None
                found = session.execute(
                    select(
                        NotificationMessage.kind,
                        NotificationMessage.status,
                        NotificationMessage.status_reason,
                    )
                    .where(NotificationMessage.monitor_id == row.monitor_id)
                    .order_by(NotificationMessage.id)
                ).all()
            return [tuple(item) for item in found]  # type: ignore[misc]

        clock = Clock(start_time())
        async with serve_hooks() as hooks:
            add_destination(
                store.sessions, issued.team_id, "webhook", {"url": hooks.url()}, secret=hooks.secret
            )
            outbox = make_outbox(store.sessions, clock)
            quiet, less = runs_of("quiet", clock), runs_of("less", clock)

            quiet.store("fs")
            for _ in range(3):
                await outbox.run_once()
            assert hooks.received == []
            assert messages("quiet") == [
                ("failed", "suppressed", MONITOR_MUTED),
                ("recovered", "suppressed", MONITOR_MUTED),
            ]
            # Someone to tell again: told.
            call(
                "Monitor.Modify",
                monitor_id=monitors["quiet"],
                host=f"quiet.n{run}.test",
                email_notice="me",
                **settings_of,
            )
            quiet.store("f")
            for _ in range(3):
                await outbox.run_once()
            assert hooks.events() == ["uptimeCheckFailed"]

            less.store("fsf")
            for _ in range(3):
                await outbox.run_once()
            assert [(kind, status) for kind, status, _ in messages("less")] == [
                ("failed", "sent"),
                ("recovered", "suppressed"),
                ("failed", "suppressed"),
            ]
            assert messages("less")[1][2] == MONITOR_HOURLY_LIMIT
            clock.advance(hours=1)
            less.store("sf")
            for _ in range(3):
                await outbox.run_once()
            # An hour on: the next failure is told (the recovery of an untold one is not).
            assert [(kind, status) for kind, status, _ in messages("less")][3:] == [
                ("recovered", "suppressed"),
                ("failed", "sent"),
            ]
            assert hooks.events() == ["uptimeCheckFailed", "uptimeCheckFailed", "uptimeCheckFailed"]

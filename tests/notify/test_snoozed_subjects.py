"""Snoozes of scheduled tasks and of an app's health checks silence notifications, not
checks: the real checks run (the cron check over the stored tasks, the application health
check against a loopback app), the engine's writer stores their state changes, and the
outbox holds a failure that only snoozed subjects cause and sends one that something
un-snoozed causes, to a loopback webhook that verifies signatures."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.application_health import ApplicationHealthCheck
from lookout.checks.base import CheckContext, Target
from lookout.checks.cron import CronCheck
from lookout.engine.heartbeats import StoreTaskSource
from lookout.engine.persist import Finished
from lookout.engine.queue import Job
from lookout.model.check_settings import ApplicationHealthSettings, CronSettings
from lookout.model.check_type import MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.services.app_health import StoreHealthSnoozes
from lookout.store.db import transaction
from lookout.store.repositories import app_checks
from lookout.store.tables import Monitor, NotificationMessage
from lookout.store.tables.app_checks import AppHealthCheck
from lookout.store.tables.cron import CronCheck as CronTask
from tests.engine.seed import add_monitor, persist
from tests.notify.harness import Clock, add_destination, make_outbox, start_time
from tests.notify.receivers import HookReceiver, serve_hooks
from tests.servers.app_health import SECRET, result, results, serve_app_health


def context(factory: sessionmaker[Session], clock: Clock) -> CheckContext:
    resolver = Resolver.from_setting(None)
    return CheckContext(
        resolver=resolver,
        guard=TargetGuard(resolver, allow_private=True),
        clock=clock,
        location="test",
        http_client=HttpClient,
        cron_tasks=StoreTaskSource(factory),
        health_snoozes=StoreHealthSnoozes(factory),
    )


def store_result(
    factory: sessionmaker[Session], ids: dict[str, int], check_type: str, result: CheckResult, clock: Clock
) -> None:
    """The run through the engine's own writer (threshold 1), as the engine stores it."""
    job = Job(
        ids[check_type],
        ids["monitor"],
        check_type,
        "http",
        "https://app.example.test",
        {},
        "test",
        result.started_at,
        interval_seconds=None if check_type == "cron" else 60,
        threshold=1,
    )
    with transaction(factory) as session:
        persist(session, [Finished(job, result)], clock.now)


def held_and_sent(factory: sessionmaker[Session], monitor_id: int) -> list[tuple[str, str, str | None]]:
    with factory() as session:
        rows = session.scalars(
            select(NotificationMessage)
            .where(NotificationMessage.monitor_id == monitor_id)
            .order_by(NotificationMessage.id)
        )
        return [(m.kind, m.status, m.status_reason) for m in rows]


async def drain(outbox: Any, rounds: int = 3) -> None:
    for _ in range(rounds):
        await outbox.run_once()


def add_task(factory: sessionmaker[Session], monitor_id: int, name: str, **values: Any) -> int:
    with transaction(factory) as session:
        task = CronTask(
            monitor_id=monitor_id,
            uuid=str(uuid.uuid4()),
            name=name,
            type="simple",
            frequency_in_minutes=10,
            grace_time_in_minutes=0,
            created_at=values["created_at"],
            updated_at=values.pop("created_at"),
            **values,
        )
        session.add(task)
        session.flush()
        return task.id


def set_task(factory: sessionmaker[Session], task_id: int, **values: Any) -> None:
    with transaction(factory) as session:
        session.execute(update(CronTask).where(CronTask.id == task_id).values(**values))


def team_of(factory: sessionmaker[Session], monitor_id: int) -> int:
    with factory() as session:
        monitor = session.get(Monitor, monitor_id)
        assert monitor is not None
        return monitor.team_id


async def run_cron(
    factory: sessionmaker[Session], ids: dict[str, int], clock: Clock, hooks: HookReceiver, outbox: Any
) -> CheckResult:
    target = Target(ids["monitor"], MonitorType.HTTP, "https://app.example.test")
    result = await CronCheck().run(target, CronSettings(), context(factory, clock))
    store_result(factory, ids, "cron", result, clock)
    clock.advance(seconds=5)
    await drain(outbox)
    return result


async def test_a_failure_of_snoozed_scheduled_tasks_only_is_held(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    ids = add_monitor(factory, "https://app.example.test", "http", {"cron": {}})
    both = add_monitor(factory, "https://other.example.test", "http", {"cron": {}})
    now = clock.now
    snoozed_until = now + timedelta(minutes=30)
    late = {"status": "late", "latest_ping_at": now - timedelta(minutes=15), "created_at": now}
    backup = add_task(factory, ids["monitor"], "backup", snoozed_until=snoozed_until, **late)
    report = add_task(
        factory, ids["monitor"], "report", status="ok", deadline_at=now + timedelta(hours=1), created_at=now
    )
    # On the second monitor an un-snoozed task fails beside a snoozed one from the start.
    add_task(factory, both["monitor"], "backup", snoozed_until=snoozed_until, **late)
    add_task(factory, both["monitor"], "report", status="failed", latest_exit_code=3, created_at=now)
    async with serve_hooks() as hooks:
        add_destination(
            factory, team_of(factory, ids["monitor"]), "webhook", {"url": hooks.url()}, secret=hooks.secret
        )
        outbox = make_outbox(factory, clock)

        first = await run_cron(factory, ids, clock, hooks, outbox)
        # The check fails (a snooze does not silence it) and says until when it is silenced.
        assert first.outcome is Outcome.FAILED and "snoozed until" in first.summary
        assert first.details["silenced_until"] == snoozed_until.isoformat()
        assert hooks.received == []
        assert held_and_sent(factory, ids["monitor"]) == [("failed", "suppressed", "snoozed")]

        mixed = await run_cron(factory, both, clock, hooks, outbox)
        assert mixed.outcome is Outcome.FAILED and "silenced_until" not in mixed.details
        assert hooks.events() == ["cronCheckFailed"]
        assert hooks.received[0]["monitor"]["id"] == both["monitor"]

        # While the check is down for the snoozed task, an un-snoozed one fails too: told.
        set_task(factory, report, status="failed", latest_exit_code=1, deadline_at=None)
        second = await run_cron(factory, ids, clock, hooks, outbox)
        assert "silenced_until" not in second.details
        assert hooks.events() == ["cronCheckFailed", "cronCheckChanged"]
        assert hooks.received[1]["run"]["details"]["new"] == [f"task:{report}"]

        set_task(factory, report, status="ok", latest_exit_code=0, deadline_at=clock.now + timedelta(hours=2))
        await run_cron(factory, ids, clock, hooks, outbox)
        clock.advance(minutes=31)  # the snooze ends and the task is still late: now it is news
        await run_cron(factory, ids, clock, hooks, outbox)
        assert hooks.events() == ["cronCheckFailed", "cronCheckChanged", "cronCheckChanged"]
        assert hooks.received[2]["run"]["details"]["new"] == [f"task:{backup}"]
        assert hooks.bad_signatures == 0
    assert held_and_sent(factory, ids["monitor"]) == [
        ("failed", "suppressed", "snoozed"),
        ("changed", "sent", None),
        ("changed", "sent", None),
    ]


async def run_app_health(
    factory: sessionmaker[Session], ids: dict[str, int], url: str, clock: Clock, outbox: Any
) -> CheckResult:
    target = Target(ids["monitor"], MonitorType.HTTP, url)
    settings = ApplicationHealthSettings.model_validate(
        {"result_url": f"{url}/health/live", "secret": SECRET}
    )
    result = await ApplicationHealthCheck().run(target, settings, context(factory, clock))
    store_result(factory, ids, "application_health", result, clock)
    clock.advance(minutes=1)
    await drain(outbox)
    return result


def snooze_health_check(factory: sessionmaker[Session], monitor_id: int, name: str, until: datetime) -> None:
    with transaction(factory) as session:
        row = session.scalars(
            select(AppHealthCheck).where(AppHealthCheck.monitor_id == monitor_id, AppHealthCheck.name == name)
        ).one()
        app_checks.add_snooze(session, row.id, until - timedelta(hours=2), until, "ops", "API")


async def test_a_failure_of_snoozed_health_checks_only_is_held(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    ids = add_monitor(factory, "https://app.example.test", "http", {"application_health": {}})
    with serve_app_health() as app:
        async with serve_hooks() as hooks:
            add_destination(
                factory,
                team_of(factory, ids["monitor"]),
                "webhook",
                {"url": hooks.url()},
                secret=hooks.secret,
            )
            outbox = make_outbox(factory, clock)
            app.live = results(result("Database", "ok"), result("UsedDiskSpace", "ok"))
            assert (await run_app_health(factory, ids, app.url, clock, outbox)).outcome is Outcome.SUCCEEDED
            until = clock.now + timedelta(hours=1)
            snooze_health_check(factory, ids["monitor"], "UsedDiskSpace", until)

            app.live = results(result("Database", "ok"), result("UsedDiskSpace", "failed"))
            held = await run_app_health(factory, ids, app.url, clock, outbox)
            assert held.outcome is Outcome.FAILED and held.details["silenced_until"] == until.isoformat()
            assert hooks.received == []

            # The database fails too while the disk keeps the check down: told at once.
            app.live = results(result("Database", "crashed"), result("UsedDiskSpace", "failed"))
            told = await run_app_health(factory, ids, app.url, clock, outbox)
            assert told.outcome is Outcome.FAILED and "silenced_until" not in told.details
            assert hooks.events() == ["applicationHealthCheckChanged"]
            assert hooks.received[0]["run"]["details"]["new"] == ["result:Database"]

            # Up, then only the snoozed one fails again: held; then the database: sent.
            app.live = results(result("Database", "ok"), result("UsedDiskSpace", "ok"))
            await run_app_health(factory, ids, app.url, clock, outbox)
            app.live = results(result("Database", "ok"), result("UsedDiskSpace", "failed"))
            await run_app_health(factory, ids, app.url, clock, outbox)
            assert hooks.events() == ["applicationHealthCheckChanged", "applicationHealthCheckRecovered"]
            app.live = results(result("Database", "failed"), result("UsedDiskSpace", "ok"))
            await run_app_health(factory, ids, app.url, clock, outbox)
            assert hooks.bad_signatures == 0
    assert held_and_sent(factory, ids["monitor"]) == [
        ("failed", "suppressed", "snoozed"),
        ("changed", "sent", None),
        ("recovered", "sent", None),
        ("failed", "suppressed", "snoozed"),
        ("changed", "sent", None),
    ]

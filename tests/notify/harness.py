"""Building an outbox on a real database with real senders, and driving real state changes
through the engine's own writer (as the evaluator makes them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.engine.persist import Finished
from lookout.engine.queue import Job
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.resolve import Resolver
from lookout.notify.channels.mail import SmtpConfig
from lookout.notify.dispatch import build_dispatcher
from lookout.notify.outbox import Outbox, OutboxTuning
from lookout.notify.policy import PolicyConfig
from lookout.store.db import transaction, utcnow
from lookout.store.tables import Monitor, NotificationDestination
from tests.engine.seed import add_monitor, persist
from tests.notify.receivers import HookReceiver, serve_hooks


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def make_outbox(
    factory: sessionmaker[Session],
    clock: Clock,
    *,
    smtp_port: int | None = None,
    policy: PolicyConfig | None = None,
    webhook_timeout_s: float = 0.5,
    lease: timedelta = timedelta(seconds=120),
    worker: str | None = None,
) -> Outbox:
    guard = TargetGuard(Resolver.from_setting(None), allow_private=True)
    dispatcher = build_dispatcher(
        guard=guard,
        http_client=lambda: HttpClient(guard),
        smtp=SmtpConfig(
            host="127.0.0.1" if smtp_port else None, port=smtp_port, sender="lookout@example.test"
        ),
        public_url="https://lookout.example.test",
        webhook_timeout_s=webhook_timeout_s,
        apprise_timeout_s=5.0,
    )
    tuning = OutboxTuning(poll_s=0.05, lease=lease, backoff_s=(0.0, 0.0), policy=policy or PolicyConfig())
    return Outbox(factory, dispatcher, tuning, clock=clock, worker=worker)


def add_destination(
    factory: sessionmaker[Session], team_id: int, channel: str, destination: dict[str, Any], **extra: Any
) -> int:
    now = utcnow()
    with transaction(factory) as session:
        row = NotificationDestination(
            team_id=team_id,
            channel=channel,
            destination=destination,
            notification_types=extra.pop("notification_types", []),
            enabled=extra.pop("enabled", True),
            created_at=now,
            updated_at=now,
            **extra,
        )
        session.add(row)
        session.flush()
        return row.id


@dataclass
class Runs:
    """Stores results for one check (uptime unless `check` says) through the engine's
    writer, one minute apart."""

    factory: sessionmaker[Session]
    ids: dict[str, int]
    clock: Clock
    threshold: int = 1
    check: str = "uptime"
    monitor_type: str = "tcp"

    def store(self, outcomes: str) -> None:
        for letter in outcomes:
            at = self.clock.now
            outcome = {"s": Outcome.SUCCEEDED, "f": Outcome.FAILED, "w": Outcome.WARNING}[letter]
            summary = "Up" if outcome.is_up else "Down: connection refused"
            result = CheckResult(
                outcome, summary, at, at + timedelta(seconds=1), timings=Timings(total_ms=10.0)
            )
            job = Job(
                self.ids[self.check],
                self.ids["monitor"],
                self.check,
                self.monitor_type,
                "x:1",
                {},
                "local",
                at,
                interval_seconds=60,
                threshold=self.threshold,
            )
            with transaction(self.factory) as session:
                persist(session, [Finished(job, result)], at + timedelta(seconds=1))
            self.clock.advance(seconds=60)


def start_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def team_of(factory: sessionmaker[Session], monitor_id: int) -> int:
    with factory() as session:
        monitor = session.get(Monitor, monitor_id)
        assert monitor is not None
        return monitor.team_id


async def drain(outbox: object, rounds: int = 5) -> None:
    for _ in range(rounds):
        await outbox.run_once()  # type: ignore[attr-defined]


@dataclass
class ToldOfFailure:
    outbox: Outbox
    hooks: HookReceiver
    ids: dict[str, int]  # the monitor's and its checks' (add_monitor)


@asynccontextmanager
async def told_of_a_failure(
    factory: sessionmaker[Session], clock: Clock, reminder_every: timedelta
) -> AsyncIterator[ToldOfFailure]:
    """A monitor whose failure its team's webhook has just been told of, with reminders every
    `reminder_every`; the webhook's receiver serves until the block ends."""
    ids = add_monitor(factory, "127.0.0.1:9")
    async with serve_hooks() as hooks:
        add_destination(
            factory, team_of(factory, ids["monitor"]), "webhook", {"url": hooks.url()}, secret=hooks.secret
        )
        outbox = make_outbox(factory, clock, policy=PolicyConfig(reminder_every=reminder_every))
        Runs(factory, ids, clock).store("f")
        await drain(outbox)
        yield ToldOfFailure(outbox, hooks, ids)

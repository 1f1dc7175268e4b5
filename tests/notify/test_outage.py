"""An outage on our side: 200 monitors fail in the same minute. Each destination gets the
rate limit's worth of messages and one summary listing every other failure, not 200."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lookout.engine.persist import Finished
from lookout.engine.queue import Job
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.notify.policy import PolicyConfig
from lookout.store.db import transaction
from lookout.store.tables import Monitor, NotificationMessage
from tests.engine.seed import add_monitor, persist
from tests.notify.harness import Clock, add_destination, make_outbox, start_time
from tests.notify.receivers import serve_hooks

MONITORS = 200
RATE = PolicyConfig().rate_per_minute  # the default: LOOKOUT_NOTIFICATION_RATE_PER_MINUTE


async def test_two_hundred_monitors_failing_at_once_make_a_few_messages_and_one_summary(
    factory: sessionmaker[Session],
) -> None:
    clock = Clock(start_time())
    monitors = [add_monitor(factory, f"127.0.0.{1 + n // 250}:{1000 + n}") for n in range(MONITORS)]
    with factory() as session:
        first = session.get(Monitor, monitors[0]["monitor"])
        assert first is not None
        team = first.team_id
    # Our network goes: every monitor's uptime check fails in one batch of the writer.
    at = clock.now
    finished = [
        Finished(
            Job(ids["uptime"], ids["monitor"], "uptime", "tcp", "x:1", {}, "local", at, threshold=1),
            CheckResult(
                Outcome.FAILED, "Down: network unreachable", at, at + timedelta(seconds=1), timings=Timings()
            ),
        )
        for ids in monitors
    ]
    with transaction(factory) as session:
        assert persist(session, finished, at + timedelta(seconds=1)).changes == MONITORS
    async with serve_hooks() as hooks:
        add_destination(factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret)
        add_destination(factory, team, "apprise", {"url": f"json://127.0.0.1:{hooks.port}/apprise"})
        outbox = make_outbox(factory, clock)
        clock.advance(seconds=2)
        await outbox.run_once()
        clock.advance(minutes=1)  # the minute's summary is due
        for _ in range(3):
            await outbox.run_once()

        assert hooks.bad_signatures == 0
        assert hooks.events().count("uptimeCheckFailed") == RATE
        (summary,) = [body for body in hooks.received if body["type"] == "notificationsSummary"]
        assert len(hooks.received) == RATE + 1
        listed = {item["monitor"]["id"] for item in summary["run"]["items"]}
        told = {body["monitor"]["id"] for body in hooks.received if body["type"] == "uptimeCheckFailed"}
        assert len(listed) == MONITORS - RATE and not listed & told
        assert listed | told == {ids["monitor"] for ids in monitors}

        titles = [post["title"] for post in hooks.apprise]
        assert len(titles) == RATE + 1
        assert titles.count(f"[Lookout] {MONITORS - RATE} more notifications held back") == 1
        (text,) = [post["message"] for post in hooks.apprise if "held back" in post["title"]]
        assert f"... and {MONITORS - RATE - 50} more." in text
    with factory() as session:
        statuses = dict(
            session.execute(
                select(NotificationMessage.status, func.count()).group_by(NotificationMessage.status)
            ).all()
        )
    # Per destination: RATE failures and one summary sent, the rest folded into it.
    assert statuses == {"sent": 2 * (RATE + 1), "collapsed": 2 * (MONITORS - RATE)}

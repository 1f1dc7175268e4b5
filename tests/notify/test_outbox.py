"""The outbox against real receivers: webhooks signed and retried, mail over SMTP, Apprise
json://; exactly one failed and one recovered per destination; no flood; silence; and a
claim left by a dead process delivered by the next."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from lookout.notify.policy import PolicyConfig
from lookout.store.db import transaction
from lookout.store.tables import (
    MaintenancePeriod,
    Monitor,
    MonitorTag,
    NotificationDelivery,
    NotificationMessage,
    Snooze,
    StateChange,
    Tag,
    TagGroup,
    TagGroupTag,
    Team,
)
from tests.engine.seed import add_monitor
from tests.notify.harness import (
    Clock,
    Runs,
    add_destination,
    drain,
    make_outbox,
    start_time,
    team_of,
    told_of_a_failure,
)
from tests.notify.receivers import serve_hooks, serve_smtp


def messages(factory: sessionmaker[Session]) -> list[NotificationMessage]:
    with factory() as session:
        return list(session.scalars(select(NotificationMessage).order_by(NotificationMessage.id)))


def deliveries(factory: sessionmaker[Session]) -> list[NotificationDelivery]:
    with factory() as session:
        return list(session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


async def test_down_and_up_tells_each_destination_once(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    ids = add_monitor(factory, "127.0.0.1:9")
    team = team_of(factory, ids["monitor"])
    runs = Runs(factory, ids, clock, threshold=2)
    async with serve_hooks() as hooks:
        with serve_smtp() as mailbox:
            add_destination(factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret)
            add_destination(factory, team, "mail", {"mail": "ops@example.test"})
            add_destination(factory, team, "apprise", {"url": f"json://127.0.0.1:{hooks.port}/apprise"})
            add_destination(
                factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret, monitor_id=ids["monitor"]
            )
            outbox = make_outbox(factory, clock, smtp_port=mailbox.port)
            runs.store("sff")  # down after the second failure
            await drain(outbox)
            runs.store("ffs")  # still down, then up
            await drain(outbox)

            assert hooks.bad_signatures == 0
            assert hooks.events() == ["uptimeCheckFailed"] * 2 + ["uptimeCheckRecovered"] * 2
            body = hooks.received[0]
            assert body["dateTime"] == body["date_time"] and len(body["dateTime"]) == 14
            assert body["monitor"] == body["site"] and body["monitor"]["id"] == ids["monitor"]
            assert body["run"]["summary"] == "Down: connection refused"

            assert [m["Subject"] for m in mailbox.messages] == [
                "[Lookout] Uptime failed: 127.0.0.1:9",
                "[Lookout] Uptime recovered: 127.0.0.1:9",
            ]
            mail = mailbox.messages[0]
            assert mail["From"] == "lookout@example.test" and mail["To"] == "ops@example.test"
            plain = mail.get_body(("plain",))
            html = mail.get_body(("html",))
            assert plain is not None and html is not None
            assert "Down: connection refused" in plain.get_content()
            assert "Failing since:" in plain.get_content()
            assert f"https://lookout.example.test/monitors/{ids['monitor']}" in plain.get_content()
            assert "<h2>Uptime failed on 127.0.0.1:9</h2>" in html.get_content()

            assert [a["title"] for a in hooks.apprise] == [
                "[Lookout] Uptime failed: 127.0.0.1:9",
                "[Lookout] Uptime recovered: 127.0.0.1:9",
            ]
    tried = deliveries(factory)
    assert len(tried) == 8 and all(d.status == "sent" and d.error is None for d in tried)
    assert {d.channel for d in tried} == {"webhook", "mail", "apprise"}


async def test_changes_of_teams_without_a_destination_are_taken_in_bulk_and_told_nowhere(
    factory: sessionmaker[Session],
) -> None:
    clock = Clock(start_time())
    told = add_monitor(factory, "127.0.0.1:9")
    quiet = [add_monitor(factory, f"127.0.0.1:{port}") for port in (10, 11, 12)]
    with transaction(factory) as session:
        other = Team(name="quiet", timezone="UTC", created_at=clock.now)
        session.add(other)
        session.flush()
        for ids in quiet:
            session.execute(update(Monitor).where(Monitor.id == ids["monitor"]).values(team_id=other.id))
    async with serve_hooks() as hooks:
        add_destination(
            factory, team_of(factory, told["monitor"]), "webhook", {"url": hooks.url()}, secret=hooks.secret
        )
        outbox = make_outbox(factory, clock)
        # The told team's change sits between the quiet ones, in one fan-out batch.
        for ids in (quiet[0], told, quiet[1], quiet[2]):
            Runs(factory, ids, Clock(clock.now)).store("sf")
        await drain(outbox, 3)
        assert hooks.events() == ["uptimeCheckFailed"]
        assert [m.monitor_id for m in messages(factory)] == [told["monitor"]]
        with factory() as session:
            changes = list(session.scalars(select(StateChange)))
        assert len(changes) == 4 and all(change.processed_at is not None for change in changes)


async def test_retries_on_500_and_on_a_hang_then_gives_up(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    ids = add_monitor(factory, "127.0.0.1:9")
    team = team_of(factory, ids["monitor"])
    async with serve_hooks() as hooks:
        hooks.script = ["500", "hang", "ok"]
        add_destination(factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret)
        outbox = make_outbox(factory, clock, webhook_timeout_s=0.3)
        Runs(factory, ids, clock).store("sf")
        await drain(outbox, 4)
        assert hooks.events() == ["uptimeCheckFailed"]
        tried = deliveries(factory)
        assert [(d.attempt, d.status) for d in tried] == [(1, "failed"), (2, "failed"), (3, "sent")]
        assert tried[0].error == "HTTP 500 (only 200 counts as delivered)"
        assert tried[1].error is not None and tried[1].error.startswith("timeout")
        assert 250 <= tried[1].duration_ms < 2000

        hooks.script = ["500"]
        hooks.hits = 0
        Runs(factory, ids, clock).store("s")
        await drain(outbox, 5)
        (recovered,) = [m for m in messages(factory) if m.kind == "recovered"]
        assert recovered.status == "failed" and recovered.attempts == 3


async def test_a_flapping_target_does_not_flood(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    ids = add_monitor(factory, "127.0.0.1:9")
    team = team_of(factory, ids["monitor"])
    async with serve_hooks() as hooks:
        add_destination(factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret)
        outbox = make_outbox(factory, clock, policy=PolicyConfig(flap_per_hour=4, rate_per_minute=10))
        runs = Runs(factory, ids, clock)
        for _ in range(10):  # 20 crossings, a minute apart
            runs.store("f")
            await outbox.run_once()
            runs.store("s")
            await outbox.run_once()
        clock.advance(hours=1)
        await drain(outbox)
    events = hooks.events()
    assert events.count("uptimeCheckFailed") + events.count("uptimeCheckRecovered") == 4
    summaries = [body for body in hooks.received if body["type"] == "notificationsSummary"]
    assert 1 <= len(summaries) <= 2  # the hour it started in, and perhaps the next
    assert sum(len(s["run"]["items"]) for s in summaries) == 16


async def test_rate_limit_per_destination_folds_an_outage_into_a_summary(
    factory: sessionmaker[Session],
) -> None:
    clock = Clock(start_time())
    monitors = [add_monitor(factory, f"127.0.0.1:{port}") for port in range(10, 40)]
    team = team_of(factory, monitors[0]["monitor"])
    async with serve_hooks() as hooks:
        add_destination(factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret)
        outbox = make_outbox(factory, clock, policy=PolicyConfig(rate_per_minute=5))
        for ids in monitors:  # our network goes: every monitor fails at once
            Runs(factory, ids, Clock(clock.now)).store("f")
        await outbox.run_once()
        clock.advance(minutes=1)
        await drain(outbox)
    assert hooks.events().count("uptimeCheckFailed") == 5
    (summary,) = [body for body in hooks.received if body["type"] == "notificationsSummary"]
    assert len(summary["run"]["items"]) == 25


async def test_snoozed_checks_send_nothing_but_recovery_is_not_sent_either(
    factory: sessionmaker[Session],
) -> None:
    clock = Clock(start_time())
    ids = add_monitor(factory, "127.0.0.1:9")
    team = team_of(factory, ids["monitor"])
    with transaction(factory) as session:
        session.add(
            Snooze(
                check_id=ids["uptime"],
                starts_at=clock.now,
                ends_at=clock.now + timedelta(minutes=10),
                created_at=clock.now,
            )
        )
    async with serve_hooks() as hooks:
        add_destination(factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret)
        outbox = make_outbox(factory, clock)
        runs = Runs(factory, ids, clock)
        runs.store("ff")
        await drain(outbox)
        clock.advance(minutes=20)  # the snooze is over; it recovers: nobody was told it broke
        runs.store("s")
        await drain(outbox)
    assert hooks.received == []
    assert [(m.kind, m.status, m.status_reason) for m in messages(factory)] == [
        ("failed", "suppressed", "snoozed"),
        ("recovered", "suppressed", "nobody was told it broke"),
    ]


async def test_a_reminder_while_still_down(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    async with told_of_a_failure(factory, clock, reminder_every=timedelta(hours=1)) as told:
        outbox, hooks, ids = told.outbox, told.hooks, told.ids
        for _ in range(3):
            clock.advance(minutes=30)
            await drain(outbox)
        assert hooks.events() == ["uptimeCheckFailed"] * 2
        assert hooks.received[1]["run"]["reminder"] == 1
        Runs(factory, ids, clock).store("s")
        await drain(outbox)
        clock.advance(hours=3)  # up again: no more reminders
        await drain(outbox)
    assert hooks.events() == ["uptimeCheckFailed"] * 2 + ["uptimeCheckRecovered"]


async def test_a_failing_ai_check_is_told_again_as_its_throttle_says(factory: sessionmaker[Session]) -> None:
    """Oh Dear's throttle_failed_interval: a failing AI check is told again every 2 hours,
    while an uptime check down beside it waits for the instance's 24 hours."""
    clock = Clock(start_time())
    throttle = {"prompt": "p", "throttle_failed_interval_unit": "hours", "throttle_failed_interval_value": 2}
    ai = add_monitor(factory, "http://127.0.0.1:9/", monitor_type="ai", checks={"ai": throttle})
    up = add_monitor(factory, "127.0.0.1:9")
    async with serve_hooks() as hooks:
        team = team_of(factory, ai["monitor"])
        add_destination(factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret)
        outbox = make_outbox(factory, clock, policy=PolicyConfig(reminder_every=timedelta(hours=24)))
        Runs(factory, ai, clock, check="ai", monitor_type="ai").store("f")
        Runs(factory, up, clock).store("f")
        await drain(outbox)
        assert sorted(hooks.events()) == ["aiCheckFailed", "uptimeCheckFailed"]
        for _ in range(9):  # 4.5 hours
            clock.advance(minutes=30)
            await drain(outbox)
        assert [(body["run"]["reminder"], body["monitor"]["id"]) for body in hooks.received[2:]] == [
            (1, ai["monitor"]),
            (2, ai["monitor"]),
        ]


async def test_a_claim_left_by_a_dead_process_is_delivered_once_by_the_next(
    factory: sessionmaker[Session],
) -> None:
    clock = Clock(start_time())
    ids = add_monitor(factory, "127.0.0.1:9")
    team = team_of(factory, ids["monitor"])
    async with serve_hooks() as hooks:
        add_destination(factory, team, "webhook", {"url": hooks.url()}, secret=hooks.secret)
        Runs(factory, ids, clock).store("f")
        first = make_outbox(factory, clock, lease=timedelta(seconds=30), worker="first")
        second = make_outbox(factory, clock, lease=timedelta(seconds=30), worker="second")
        first.fan_out(clock.now)
        assert len(first.claim_due(clock.now)) == 1  # decided, claimed ... and the process dies
        assert second.fan_out(clock.now) == 0
        assert second.claim_due(clock.now) == []  # the claim holds while its lease runs
        await second.run_once()
        assert hooks.received == []
        clock.advance(seconds=31)
        await second.run_once()
        await second.run_once()
    assert hooks.events() == ["uptimeCheckFailed"]
    (message,) = messages(factory)
    assert message.status == "sent" and message.claimed_by is None


async def test_tag_and_tag_group_levels_filters_and_maintenance(factory: sessionmaker[Session]) -> None:
    clock = Clock(start_time())
    ids = add_monitor(factory, "127.0.0.1:9")
    quiet = add_monitor(factory, "127.0.0.1:10")
    team = team_of(factory, ids["monitor"])
    with transaction(factory) as session:
        tag = Tag(team_id=team, name="prod", slug="prod", created_at=clock.now, updated_at=clock.now)
        group = TagGroup(team_id=team, label="All prod", created_at=clock.now, updated_at=clock.now)
        session.add_all([tag, group])
        session.flush()
        session.add_all(
            [
                MonitorTag(monitor_id=ids["monitor"], tag_id=tag.id),
                MonitorTag(monitor_id=quiet["monitor"], tag_id=tag.id),
                TagGroupTag(tag_group_id=group.id, tag_id=tag.id),
                MaintenancePeriod(
                    monitor_id=quiet["monitor"],
                    starts_at=clock.now - timedelta(minutes=1),
                    ends_at=clock.now + timedelta(hours=1),
                    created_at=clock.now,
                    updated_at=clock.now,
                ),
            ]
        )
        tag_id, group_id = tag.id, group.id
    async with serve_hooks() as hooks:
        add_destination(
            factory, team, "webhook", {"url": hooks.url("/hook")}, secret=hooks.secret, tag_id=tag_id
        )
        add_destination(
            factory, team, "webhook", {"url": hooks.url("/hook")}, secret=hooks.secret, tag_group_id=group_id
        )
        only_certs = add_destination(
            factory,
            team,
            "webhook",
            {"url": hooks.url("/hook")},
            secret=hooks.secret,
            notification_types=["CertificateExpiresSoonNotification"],
        )
        add_destination(
            factory, team, "webhook", {"url": hooks.url("/hook")}, secret=hooks.secret, enabled=False
        )
        outbox = make_outbox(factory, clock)
        Runs(factory, ids, Clock(clock.now)).store("f")
        Runs(factory, quiet, Clock(clock.now)).store("f")  # in maintenance: held
        await drain(outbox)
    assert hooks.events() == ["uptimeCheckFailed"] * 2
    assert {body["monitor"]["id"] for body in hooks.received} == {ids["monitor"]}
    held = [m for m in messages(factory) if m.status == "suppressed"]
    assert [(m.monitor_id, m.status_reason) for m in held] == [(quiet["monitor"], "in maintenance")] * 2
    assert all(m.destination_id != only_certs for m in messages(factory))

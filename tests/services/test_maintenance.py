"""Maintenance windows and snoozes: recurring windows in time zones and across daylight-saving
changes (pure), and the questions notifications ask of the store (`in_maintenance`,
`monitors_in_maintenance`, `is_snoozed`) on SQLite and PostgreSQL, with a fake clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from lookout.app import Store, build_services, open_store
from lookout.errors import NotFoundError, ValidationFailed
from lookout.model.maintenance import RecurringWindow, merge, occurrences, overlap_seconds
from lookout.services.checks import CheckService
from lookout.services.maintenance import (
    MaintenanceService,
    in_maintenance,
    is_snoozed,
    maintenance_intervals,
    monitors_in_maintenance,
    snoozed_checks,
)
from lookout.services.tokens import Principal
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.tables import Team

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def sundays(start: time, end: time) -> RecurringWindow:
    return RecurringWindow("weekly", start, end, days_of_week=(7,))


# -- pure: recurring windows ------------------------------------------------------------


def test_a_weekly_window_keeps_its_local_time_across_the_spring_change() -> None:
    window = sundays(time(2), time(4))
    found = occurrences(window, AMSTERDAM, utc(2026, 3, 21), utc(2026, 4, 6))
    assert found == [
        (utc(2026, 3, 22, 1), utc(2026, 3, 22, 3)),  # CET, UTC+1
        # 29 March: 02:00 does not exist (clocks jump to 03:00); read with the old offset,
        # it is 01:00 UTC, and 04:00 CEST is 02:00 UTC: one real hour of maintenance.
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
        (utc(2026, 4, 5, 0), utc(2026, 4, 5, 2)),  # CEST, UTC+2
    ]


def test_a_window_over_the_autumn_change_lasts_the_extra_hour() -> None:
    window = RecurringWindow("daily", time(1), time(3))
    found = occurrences(window, NEW_YORK, utc(2026, 11, 1), utc(2026, 11, 2))
    # 1 November 2026: 01:00 EDT (the first of the two 01:00s) is 05:00 UTC, 03:00 EST is 08:00 UTC.
    assert (utc(2026, 11, 1, 5), utc(2026, 11, 1, 8)) in found


def test_a_window_past_midnight_ends_the_next_day_and_is_found_from_it() -> None:
    window = RecurringWindow("weekly", time(23), time(1), days_of_week=(1,))  # Monday 23:00 to Tuesday 01:00
    tokyo = ZoneInfo("Asia/Tokyo")
    # Asked only about Tuesday 00:30 Tokyo (Monday 15:30 UTC): the window opened the day before.
    at = datetime(2026, 6, 2, 0, 30, tzinfo=tokyo).astimezone(UTC)
    assert occurrences(window, tokyo, at, at + timedelta(seconds=1)) == [
        (utc(2026, 6, 1, 14), utc(2026, 6, 1, 16))
    ]
    # The same wall-clock window in UTC is nine hours later.
    assert occurrences(window, ZoneInfo("UTC"), at, at + timedelta(seconds=1)) == []


def test_monthly_windows_skip_months_without_the_day() -> None:
    window = RecurringWindow("monthly", time(0), time(6), day_of_month=31)
    found = occurrences(window, ZoneInfo("UTC"), utc(2026, 1, 1), utc(2026, 5, 1))
    assert [opens.month for opens, _ in found] == [1, 3]


def test_describe_reads_like_a_schedule() -> None:
    window = RecurringWindow("weekly", time(2), time(4), days_of_week=(1, 3, 5))
    assert window.describe("Europe/Amsterdam") == (
        "Every Monday, Wednesday and Friday from 02:00 to 04:00 (Europe/Amsterdam)"
    )
    assert RecurringWindow("daily", time(23), time(1)).describe("UTC") == (
        "Every day from 23:00 to 01:00 the next day (UTC)"
    )


def test_merge_and_overlap() -> None:
    a = merge([(utc(2026, 1, 1, 2), utc(2026, 1, 1, 4)), (utc(2026, 1, 1, 1), utc(2026, 1, 1, 3))])
    assert a == [(utc(2026, 1, 1, 1), utc(2026, 1, 1, 4))]
    b = merge([(utc(2026, 1, 1, 0), utc(2026, 1, 1, 2)), (utc(2026, 1, 1, 3), utc(2026, 1, 1, 5))])
    # Overlap of [1,4) with [0,2)+[3,5) is 2 hours, but only 1 inside [1:30, 3:30).
    assert overlap_seconds(a, b, utc(2026, 1, 1), utc(2026, 1, 2)) == 7200
    assert overlap_seconds(a, b, utc(2026, 1, 1, 1, 30), utc(2026, 1, 1, 3, 30)) == 3600


# -- against the database ---------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def store(database_url: str) -> Store:
    return open_store(Settings(database_url=database_url, run_engine=False))


@pytest.fixture
def who(store: Store) -> Principal:
    tokens = build_services(store).tokens
    issued = tokens.create(f"m-{uuid.uuid4().hex[:8]}@example.test", f"team-{uuid.uuid4().hex[:8]}")
    return tokens.authenticate(issued.token)


@pytest.fixture
def stranger(store: Store) -> Principal:
    tokens = build_services(store).tokens
    issued = tokens.create(f"s-{uuid.uuid4().hex[:8]}@example.test", f"team-{uuid.uuid4().hex[:8]}")
    return tokens.authenticate(issued.token)


def new_monitor(store: Store, who: Principal) -> tuple[int, dict[str, int]]:
    view = build_services(store).monitors.create(
        who,
        {
            "url": f"https://m-{uuid.uuid4().hex[:8]}.example",
            "team_id": next(iter(who.team_ids)),
            "type": "http",
        },
    )
    return view.monitor.id, {c.type: c.id for c in view.checks}


def set_zone(store: Store, who: Principal, name: str) -> None:
    with transaction(store.sessions) as session:
        session.execute(update(Team).where(Team.id.in_(who.team_ids)).values(timezone=name))


@pytest.fixture
def clock() -> Iterator[Clock]:
    yield Clock(utc(2026, 3, 28, 12))


def test_one_off_periods_in_the_team_zone(store: Store, who: Principal, clock: Clock) -> None:
    set_zone(store, who, "Europe/Amsterdam")
    service = MaintenanceService(store.sessions, clock)
    monitor_id, _ = new_monitor(store, who)
    period = service.add_period(
        who, monitor_id, {"starts_at": "2026-03-28 14:00", "ends_at": "2026-03-28 15:30", "name": "deploy"}
    )
    assert (period.starts_at, period.ends_at) == (utc(2026, 3, 28, 13), utc(2026, 3, 28, 14, 30))
    with store.sessions() as session:
        assert not in_maintenance(session, monitor_id, utc(2026, 3, 28, 12, 59, 59))
        assert in_maintenance(session, monitor_id, utc(2026, 3, 28, 13))
        assert in_maintenance(session, monitor_id, utc(2026, 3, 28, 14, 29))
        assert not in_maintenance(session, monitor_id, utc(2026, 3, 28, 14, 30))  # the end is open


def test_recurring_window_across_dst_in_the_team_zone(store: Store, who: Principal, clock: Clock) -> None:
    set_zone(store, who, "Europe/Amsterdam")
    service = MaintenanceService(store.sessions, clock)
    monitor_id, _ = new_monitor(store, who)
    view = service.add_recurring(
        who,
        monitor_id,
        {"recurrence_type": "weekly", "days_of_week": [7], "start_time": "02:00", "end_time": "04:00"},
    )
    assert view.human_readable_schedule == "Every Sunday from 02:00 to 04:00 (Europe/Amsterdam)"
    with store.sessions() as session:
        # Before the change: 02:00 CET is 01:00 UTC; after: 02:00 CEST is 00:00 UTC.
        assert in_maintenance(session, monitor_id, utc(2026, 3, 22, 1, 30))
        assert not in_maintenance(session, monitor_id, utc(2026, 3, 22, 0, 30))
        assert in_maintenance(session, monitor_id, utc(2026, 4, 5, 0, 30))
        assert not in_maintenance(session, monitor_id, utc(2026, 4, 5, 2, 30))
        assert not in_maintenance(session, monitor_id, utc(2026, 4, 6, 0, 30))  # a Monday
    # The same window seen by a team in New York sits elsewhere in UTC.
    set_zone(store, who, "America/New_York")
    with store.sessions() as session:
        assert not in_maintenance(session, monitor_id, utc(2026, 4, 5, 0, 30))
        assert in_maintenance(session, monitor_id, utc(2026, 4, 5, 6, 30))  # 02:30 EDT


def test_many_monitors_at_once(store: Store, who: Principal, clock: Clock) -> None:
    service = MaintenanceService(store.sessions, clock)
    quiet, _ = new_monitor(store, who)
    recurring, _ = new_monitor(store, who)
    loud, _ = new_monitor(store, who)
    service.start(who, quiet, {"stop_maintenance_after_seconds": 600})
    service.add_recurring(
        who, recurring, {"recurrence_type": "daily", "start_time": "11:00", "end_time": "13:00"}
    )
    with store.sessions() as session:
        assert monitors_in_maintenance(session, [quiet, recurring, loud], clock.now) == {quiet, recurring}
        assert monitors_in_maintenance(session, [], clock.now) == set()
        assert monitors_in_maintenance(session, [quiet, loud], clock.now + timedelta(minutes=10)) == set()


def test_start_and_stop_now_and_with_a_delay(store: Store, who: Principal, clock: Clock) -> None:
    service = MaintenanceService(store.sessions, clock)
    monitor_id, _ = new_monitor(store, who)
    started = service.start(who, monitor_id, {})
    assert started.ends_at - started.starts_at == timedelta(hours=1)  # the default
    with store.sessions() as session:
        assert in_maintenance(session, monitor_id, clock.now + timedelta(minutes=59))

    clock.now += timedelta(minutes=5)
    service.stop(who, monitor_id, {"delay_seconds": 120})
    with store.sessions() as session:
        assert in_maintenance(session, monitor_id, clock.now + timedelta(seconds=119))
        assert not in_maintenance(session, monitor_id, clock.now + timedelta(seconds=120))

    service.stop(who, monitor_id, None)
    with store.sessions() as session:
        assert not in_maintenance(session, monitor_id, clock.now)
        assert maintenance_intervals(session, monitor_id, clock.now - timedelta(hours=1), clock.now) == [
            (started.starts_at, clock.now)
        ]


def test_recurring_windows_do_not_rewrite_the_past(store: Store, who: Principal, clock: Clock) -> None:
    service = MaintenanceService(store.sessions, clock)
    monitor_id, _ = new_monitor(store, who)
    service.add_recurring(
        who, monitor_id, {"recurrence_type": "daily", "start_time": "00:00", "end_time": "01:00"}
    )
    with store.sessions() as session:
        found = maintenance_intervals(session, monitor_id, utc(2026, 3, 26), utc(2026, 3, 30))
    assert found == [(utc(2026, 3, 29), utc(2026, 3, 29, 1))]  # created 28 March at noon


def test_validation_and_other_teams(store: Store, who: Principal, stranger: Principal, clock: Clock) -> None:
    service = MaintenanceService(store.sessions, clock)
    monitor_id, _ = new_monitor(store, who)
    with pytest.raises(ValidationFailed) as caught:
        service.add_period(who, monitor_id, {"starts_at": "2026-03-28 15:00", "ends_at": "2026-03-28 14:00"})
    assert caught.value.errors == {"ends_at": ["The ends at field must be a date after starts at."]}
    with pytest.raises(ValidationFailed) as caught:
        service.start(who, monitor_id, {"stop_maintenance_after_seconds": 4})
    assert caught.value.errors == {
        "stop_maintenance_after_seconds": ["The stop maintenance after seconds field must be at least 5."]
    }
    with pytest.raises(NotFoundError):
        service.start(stranger, monitor_id, {})
    with pytest.raises(NotFoundError):
        service.stop(stranger, monitor_id, {})
    with pytest.raises(ValidationFailed) as caught:
        service.add_period(stranger, None, {"monitor_id": monitor_id, "starts_at": "x", "ends_at": "y"})
    assert caught.value.errors == {"monitor_id": ["The selected monitor id is invalid."]}


def test_snoozes_by_check_id(store: Store, who: Principal, clock: Clock) -> None:
    _, checks = new_monitor(store, who)
    uptime, performance = checks["uptime"], checks["performance"]
    service = CheckService(store.sessions, clock)
    service.snooze(who, uptime, {"minutes": 30})
    with store.sessions() as session:
        assert is_snoozed(session, uptime, clock.now)
        assert is_snoozed(session, uptime, clock.now + timedelta(minutes=29))
        assert not is_snoozed(session, uptime, clock.now + timedelta(minutes=30))
        assert not is_snoozed(session, performance, clock.now)
        assert snoozed_checks(session, [uptime, performance], clock.now) == {uptime}
    clock.now += timedelta(minutes=10)
    service.unsnooze(who, uptime)
    with store.sessions() as session:
        assert not is_snoozed(session, uptime, clock.now)
        assert snoozed_checks(session, [uptime, performance], clock.now) == set()

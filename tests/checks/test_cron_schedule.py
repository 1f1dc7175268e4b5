"""Late detection's arithmetic: next fire times in a time zone, across daylight-saving
changes in both directions (Debian cron's rules), and what each ping means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lookout.checks.cron import judge_tasks
from lookout.model.cron import (
    CronType,
    Ping,
    PingKind,
    Schedule,
    TaskSnapshot,
    TaskState,
    TaskStatus,
    after_ping,
    at,
    effective,
)
from lookout.model.cron_schedule import InvalidSchedule, check_fires, next_fire, normalize_expression, zone
from lookout.model.result import Outcome

AMS = "Europe/Amsterdam"  # 2026: forward 29 March 01:00 UTC, back 25 October 01:00 UTC
NY = "America/New_York"  # 2026: forward 8 March 07:00 UTC, back 1 November 06:00 UTC


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_plain_fire_times_in_a_zone() -> None:
    assert next_fire("30 2 * * *", AMS, utc(2026, 6, 1, 0, 0)) == utc(2026, 6, 1, 0, 30)  # CEST
    assert next_fire("30 2 * * *", AMS, utc(2026, 1, 1, 0, 0)) == utc(2026, 1, 1, 1, 30)  # CET
    assert next_fire("0 9 * * 1-5", NY, utc(2026, 6, 5, 14, 0)) == utc(2026, 6, 8, 13, 0)  # Fri -> Mon
    # Strictly after: a ping at the fire time itself waits for the next one.
    assert next_fire("0 * * * *", "UTC", utc(2026, 1, 1, 10, 0, 0)) == utc(2026, 1, 1, 11, 0)
    assert next_fire("0 * * * *", "UTC", utc(2026, 1, 1, 9, 59, 59)) == utc(2026, 1, 1, 10, 0)


@pytest.mark.parametrize(
    ("expression", "zone_name", "after", "expected"),
    [
        # Skipped hour, fixed-time job: runs at the first instant after the jump (03:00 CEST).
        ("30 2 * * *", AMS, utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0)),
        ("30 2 * * *", AMS, utc(2026, 3, 29, 1, 0, 30), utc(2026, 3, 30, 0, 30)),
        ("30 2 * * *", NY, utc(2026, 3, 7, 8, 0), utc(2026, 3, 8, 7, 0)),
        # Skipped hour, wildcard job: the skipped times are skipped, the rest keep their pace.
        ("*/15 * * * *", AMS, utc(2026, 3, 29, 0, 50), utc(2026, 3, 29, 1, 0)),
        ("*/15 2 * * *", AMS, utc(2026, 3, 28, 1, 50), utc(2026, 3, 30, 0, 0)),
        # Job outside the changed hour: its wall time holds, its UTC time moves by an hour.
        ("0 4 * * *", AMS, utc(2026, 3, 28, 4, 0), utc(2026, 3, 29, 2, 0)),
        # Repeated hour, fixed-time job: once, at the first 02:30 (CEST).
        ("30 2 * * *", AMS, utc(2026, 10, 24, 1, 0), utc(2026, 10, 25, 0, 30)),
        ("30 2 * * *", AMS, utc(2026, 10, 25, 0, 30, 40), utc(2026, 10, 26, 1, 30)),
        ("30 1 * * *", NY, utc(2026, 10, 31, 6, 0), utc(2026, 11, 1, 5, 30)),
        ("30 1 * * *", NY, utc(2026, 11, 1, 5, 31), utc(2026, 11, 2, 6, 30)),
        # Repeated hour, wildcard job: both occurrences, every 30 minutes of real time.
        ("*/30 * * * *", AMS, utc(2026, 10, 25, 0, 10), utc(2026, 10, 25, 0, 30)),
        ("*/30 * * * *", AMS, utc(2026, 10, 25, 0, 40), utc(2026, 10, 25, 1, 0)),
        ("*/30 * * * *", AMS, utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 1, 30)),
        ("*/30 * * * *", AMS, utc(2026, 10, 25, 1, 40), utc(2026, 10, 25, 2, 0)),
    ],
)
def test_daylight_saving_changes(
    expression: str, zone_name: str, after: datetime, expected: datetime
) -> None:
    assert next_fire(expression, zone_name, after) == expected


def test_a_late_cron_job_across_the_spring_change_is_due_at_the_right_minute() -> None:
    schedule = Schedule(CronType.CRON, 5, cron_expression="30 2 * * *", timezone=AMS)
    ran = utc(2026, 3, 28, 1, 30, 12)  # 02:30:12 CET
    state = after_ping(schedule, Ping(PingKind.FINISHED, ran))
    assert state == TaskState(TaskStatus.OK, utc(2026, 3, 29, 1, 5))  # 03:00 CEST + 5 minutes
    assert at(state, utc(2026, 3, 29, 1, 4, 59)).status is TaskStatus.OK
    assert at(state, utc(2026, 3, 29, 1, 5)).status is TaskStatus.LATE


def test_a_late_cron_job_across_the_autumn_change_is_due_at_the_right_minute() -> None:
    schedule = Schedule(CronType.CRON, 10, cron_expression="0 3 * * *", timezone=NY)
    state = after_ping(schedule, Ping(PingKind.FINISHED, utc(2026, 10, 31, 7, 0, 30)))  # 03:00 EDT
    assert state.deadline_at == utc(2026, 11, 1, 8, 10)  # 03:00 EST + 10 minutes: 25 hours later


def test_simple_schedule_and_pings() -> None:
    schedule = Schedule(CronType.SIMPLE, 5, frequency_in_minutes=60)
    t0 = utc(2026, 6, 1, 12, 0, 30)
    assert after_ping(schedule, Ping(PingKind.FINISHED, t0)).deadline_at == utc(2026, 6, 1, 13, 5, 30)
    running = after_ping(schedule, Ping(PingKind.STARTING, t0))
    assert running == TaskState(TaskStatus.RUNNING, t0 + timedelta(minutes=5), t0)
    late = at(running, t0 + timedelta(minutes=5))
    assert late.status is TaskStatus.LATE and late.started_at == t0
    assert after_ping(schedule, Ping(PingKind.FAILED, t0)).status is TaskStatus.FAILED
    assert after_ping(schedule, Ping(PingKind.FINISHED, t0, exit_code=1)).status is TaskStatus.FAILED
    assert after_ping(schedule, Ping(PingKind.FINISHED, t0, exit_code=0)).status is TaskStatus.OK
    # No grace still gives a started job a minute to finish.
    quick = Schedule(CronType.SIMPLE, 0, frequency_in_minutes=1)
    assert quick.running_deadline(t0) == t0 + timedelta(minutes=1)


def test_effective_status_and_snoozes() -> None:
    now = utc(2026, 6, 1, 12)
    assert effective("running", None, now) == "ok" and effective("new", None, now) == "ok"
    assert effective("late", None, now) == "late"
    assert effective("failed", now + timedelta(minutes=1), now) == "snoozed"
    assert effective("failed", now, now) == "failed"


@pytest.mark.parametrize(
    "expression",
    ["", "61 * * * *", "* * * *", "0 0 * * * *", "@reboot", "x y z a b", "0 0 30 2 *", "* " * 200],
)
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(InvalidSchedule):
        check_fires(normalize_expression(expression), "UTC", utc(2026, 1, 1))


def test_expressions_are_normalised_and_zones_checked() -> None:
    assert normalize_expression("  @daily ") == "0 0 * * *"
    assert normalize_expression("0  9 * *   MON-FRI") == "0 9 * * MON-FRI"
    assert zone("Europe/Amsterdam").key == "Europe/Amsterdam"
    for bad in ("Mars/Olympus", "../etc/passwd", "", "x" * 100, "/etc/localtime"):
        with pytest.raises(InvalidSchedule):
            zone(bad)


def task(status: str, **kwargs: object) -> TaskSnapshot:
    values: dict[str, object] = {
        "id": 1,
        "name": "backup",
        "status": status,
        "deadline_at": None,
        "started_at": None,
        "snoozed_until": None,
        "latest_ping_at": None,
        "latest_exit_code": None,
        "latest_failure_message": None,
    }
    values.update(kwargs)
    return TaskSnapshot(**values)  # type: ignore[arg-type]


def test_the_monitor_check_judges_all_tasks() -> None:
    now = utc(2026, 6, 1, 12)
    assert judge_tasks([], now)[:2] == (Outcome.SUCCEEDED, "No scheduled tasks")
    fine = judge_tasks([task("ok", deadline_at=now + timedelta(minutes=1)), task("new", id=2)], now)
    assert fine[0] is Outcome.SUCCEEDED and fine[3] == ()
    failed = judge_tasks([task("failed", latest_exit_code=3, latest_failure_message="disk full")], now)
    assert failed[0] is Outcome.FAILED and failed[1] == "backup failed: exit code 3, disk full"
    assert [f.key for f in failed[3]] == ["task:1"]
    # Past its deadline without the sweep having said so yet: late all the same.
    overdue = judge_tasks([task("ok", deadline_at=now, latest_ping_at=now - timedelta(hours=1))], now)
    assert overdue[0] is Outcome.FAILED and "no ping since 2026-06-01 11:00:00 UTC" in overdue[1]
    stuck = judge_tasks([task("running", started_at=now - timedelta(minutes=9), deadline_at=now)], now)
    assert "did not finish in time" in stuck[1]
    # A snooze silences notifications, not the check: it still fails, says until when the
    # failure is silenced, and the snoozed task is no finding (its snooze ending is news).
    until = now + timedelta(minutes=5)
    snoozed = judge_tasks([task("late", snoozed_until=until)], now)
    assert snoozed[0] is Outcome.FAILED and snoozed[2]["tasks"][0]["status"] == "snoozed"
    assert snoozed[2]["silenced_until"] == until.isoformat() and snoozed[3] == ()
    assert "snoozed until 2026-06-01 12:05:00 UTC" in snoozed[1]
    mixed = judge_tasks([task("late", snoozed_until=until), task("failed", id=2, name="report")], now)
    assert mixed[0] is Outcome.FAILED and "silenced_until" not in mixed[2]
    assert [f.key for f in mixed[3]] == ["task:2"]
    two = judge_tasks([task("failed"), task("late", id=2, name="report")], now)
    assert two[1].startswith("2 scheduled tasks failing") and len(two[3]) == 2

"""Read side of the engine's records for the API: runs, uptime, downtime, metrics.

Percentages and averages are computed here from rollups (hours, kept forever: live ones
as rows, finished ones packed a day to a row; days and longer are sums of hours; minutes,
kept 48 hours); runs are the kept ones (each check's last successes in its ring, and every
other run for `retention_days`); routers only reshape the values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import LargeBinary, Table, bindparam, delete, func, select, update
from sqlalchemy import cast as sa_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from lookout.model import periods
from lookout.model.metrics import MetricPoint
from lookout.store import hour_blob, minute_blob
from lookout.store.db import delete_selected
from lookout.store.entries import added_up
from lookout.store.tables import (
    Check,
    CheckRun,
    DowntimePeriod,
    Finding,
    MinuteRollup,
    Snooze,
    StateChange,
    UptimeDay,
    UptimeHour,
)

Split = Literal["hour", "day", "month"]
GroupBy = Literal["minute", "hour", "day", "week", "month"]
DELETE_CHUNK = 5000


def runs_page(
    session: Session,
    check_id: int,
    *,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    result: str | None = None,
    offset: int = 0,
    limit: int = 50,
    results: Collection[str] | None = None,
) -> tuple[list[CheckRun], int]:
    """Newest first, and the total count under the same filters; `results` limits outcomes."""
    where = [CheckRun.check_id == check_id]
    if results is not None:
        where.append(CheckRun.result.in_(list(results)))
    if started_after is not None:
        where.append(CheckRun.started_at >= started_after)
    if started_before is not None:
        where.append(CheckRun.started_at <= started_before)
    if result is not None:
        where.append(CheckRun.result == result)
    total = session.scalar(select(func.count()).select_from(CheckRun).where(*where)) or 0
    rows = session.scalars(
        select(CheckRun)
        .where(*where)
        .order_by(CheckRun.started_at.desc(), CheckRun.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def get_run(session: Session, run_id: int) -> CheckRun | None:
    return session.get(CheckRun, run_id)


# Typed as the column, so the average of stored microseconds reads back in milliseconds.
_AVERAGE_TOTAL = func.avg(CheckRun.total_ms, type_=CheckRun.total_ms.type)


def average_response_time(session: Session, check_id: int, since: datetime) -> float | None:
    """Mean total time in ms of the check's runs started since `since` (None if none)."""
    value = session.scalar(
        select(_AVERAGE_TOTAL).where(CheckRun.check_id == check_id, CheckRun.started_at >= since)
    )
    return None if value is None else float(value)


_AVERAGES_SINCE = (
    select(CheckRun.check_id, _AVERAGE_TOTAL)
    .where(CheckRun.check_id.in_(bindparam("ids", expanding=True)), CheckRun.started_at >= bindparam("since"))
    .group_by(CheckRun.check_id)
)


def average_response_times(session: Session, check_ids: Iterable[int], since: datetime) -> dict[int, float]:
    """The same for many checks at once (a monitor list); checks without runs are absent."""
    rows = session.connection().execute(_AVERAGES_SINCE, {"ids": list(set(check_ids)), "since": since})
    return {row[0]: float(row[1]) for row in rows if row[1] is not None}


def uptime_check_id(session: Session, monitor_id: int) -> int | None:
    return session.scalar(select(Check.id).where(Check.monitor_id == monitor_id, Check.type == "uptime"))


# An hour's values in `hour_blob.Hour` order: the live table's columns after its key.
_HOUR_VALUES = (
    UptimeHour.runs,
    UptimeHour.failed_runs,
    UptimeHour.timed_runs,
    UptimeHour.up_us,
    UptimeHour.down_us,
    UptimeHour.sum_total_us,
    UptimeHour.min_total_us,
    UptimeHour.max_total_us,
    UptimeHour.sum_dns_us,
    UptimeHour.sum_connect_us,
    UptimeHour.sum_tls_us,
    UptimeHour.sum_first_byte_us,
    UptimeHour.sum_download_us,
)


def _hours(
    session: Session, check_ids: Sequence[int], bucket: str, start: datetime, end: datetime
) -> list[tuple[datetime, list[int | None]]]:
    """(hour start, values) of every hour with data whose `bucket` period starts in
    [floor(start, bucket), end), oldest first: the live hours and the folded ones (one day
    row each), entries of the same hour added up (over the checks too)."""
    low = periods.floor(start, bucket)
    if low >= end:
        return []
    high = periods.floor(end, bucket)
    if high < end:  # the period holding `end` counts whole, as a row per period did
        high += timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    first, last = _epoch_hours(low), _epoch_hours(high)
    ids = list(check_ids)
    folded = session.execute(
        select(UptimeDay.day, UptimeDay.data).where(
            UptimeDay.check_id.in_(ids),
            UptimeDay.day >= first // hour_blob.HOURS_PER_ROW,
            UptimeDay.day <= (last - 1) // hour_blob.HOURS_PER_ROW,
        )
    )
    entries: list[tuple[int, Sequence[int | None]]] = [
        (hour, values)
        for day, data in folded
        for hour, values in hour_blob.decode(day, bytes(data))
        if first <= hour < last
    ]
    live = session.execute(
        select(UptimeHour.hour, *_HOUR_VALUES).where(
            UptimeHour.check_id.in_(ids), UptimeHour.hour >= first, UptimeHour.hour < last
        )
    )
    entries += [(hour, counted) for hour, *counted in live]
    hours = added_up(entries, hour_blob.merge)
    return [(_EPOCH + timedelta(hours=hour), hours[hour]) for hour in sorted(hours)]


def _epoch_hours(at: datetime) -> int:
    return int((at - _EPOCH).total_seconds() // 3600)


def uptime_series(
    session: Session, check_ids: Sequence[int], start: datetime, end: datetime, split: Split
) -> list[tuple[datetime, float]]:
    """(period start, uptime %) for every period with data, oldest first.

    Time counts as down while the check was confirmed down (after the failure threshold),
    so blips below the threshold do not lower the percentage.
    """
    return [
        (period, round(100 * up / (up + down), 4))
        for period, (up, down) in sorted(uptime_seconds(session, check_ids, start, end, split).items())
        if up + down > 0
    ]


def uptime_seconds(
    session: Session, check_ids: Sequence[int], start: datetime, end: datetime, split: Split
) -> dict[datetime, tuple[float, float]]:
    """(up seconds, down seconds) per period with data: what `uptime_series` divides, for a
    caller that adjusts them first (maintenance time is taken out of the down seconds)."""
    bucket = "hour" if split == "hour" else "day"
    sums: dict[datetime, tuple[int, int]] = {}
    for at, values in _hours(session, check_ids, bucket, start, end):
        period = periods.floor(at, split)
        up, down = sums.get(period, (0, 0))
        sums[period] = (up + (values[3] or 0), down + (values[4] or 0))
    return {period: (up / 1e6, down / 1e6) for period, (up, down) in sums.items()}


def downtime_intervals(
    session: Session, check_id: int, start: datetime, end: datetime, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The check's downtime periods overlapping [start, end); an ongoing one ends `now`."""
    rows = session.execute(
        select(DowntimePeriod.started_at, DowntimePeriod.ended_at).where(
            DowntimePeriod.check_id == check_id,
            DowntimePeriod.started_at < end,
            (DowntimePeriod.ended_at.is_(None)) | (DowntimePeriod.ended_at > start),
        )
    )
    return [(started, ended if ended is not None else max(now, started)) for started, ended in rows]


class _Acc:
    def __init__(self) -> None:
        self.runs = self.failed = self.timed = 0
        self.up = self.down = 0.0
        self.sums = dict.fromkeys(("total", "dns", "connect", "tls", "first_byte", "download"), 0.0)
        self.low: float | None = None
        self.high: float | None = None

    def timing(self, low: float | None, high: float | None) -> None:
        if low is not None:
            self.low = low if self.low is None else min(self.low, low)
        if high is not None:
            self.high = high if self.high is None else max(self.high, high)

    def point(self, date: datetime) -> MetricPoint:
        def avg(name: str) -> float | None:
            return self.sums[name] / self.timed if self.timed else None

        return MetricPoint(
            date,
            self.runs,
            self.failed,
            self.up,
            self.down,
            avg("total"),
            self.low,
            self.high,
            avg("dns"),
            avg("connect"),
            avg("tls"),
            avg("first_byte"),
            avg("download"),
        )


def metrics(
    session: Session, check_id: int, start: datetime, end: datetime, group_by: GroupBy
) -> list[MetricPoint]:
    """Measurements grouped by period, oldest first; minutes come from the minute rollups."""
    groups: dict[datetime, _Acc] = {}
    if group_by == "minute":
        _from_minutes(session, check_id, start, end, groups)
        return [groups[date].point(date) for date in sorted(groups)]
    # Whole microseconds add up exactly; they become seconds and milliseconds once per period.
    bucket = "hour" if group_by == "hour" else "day"
    totals = added_up(
        (
            (periods.floor(at, group_by), values)
            for at, values in _hours(session, [check_id], bucket, start, end)
        ),
        hour_blob.merge,
    )
    for period, (runs, failed, timed, up, down, total, low, high, *phases) in totals.items():
        acc = groups[period] = _Acc()
        acc.runs, acc.failed, acc.timed = runs or 0, failed or 0, timed or 0
        acc.up, acc.down = (up or 0) / 1e6, (down or 0) / 1e6
        acc.sums["total"] = (total or 0) / 1000
        for name, value in zip(("dns", "connect", "tls", "first_byte", "download"), phases, strict=True):
            acc.sums[name] = (value or 0) / 1000
        acc.timing(None if low is None else low / 1000, None if high is None else high / 1000)
    return [groups[date].point(date) for date in sorted(groups)]


def _from_minutes(
    session: Session, check_id: int, start: datetime, end: datetime, groups: dict[datetime, _Acc]
) -> None:
    """Minute groups from the minute rollups (kept 48 hours) whose minute starts in [start, end)."""
    first, last = _epoch_minute_ceil(start), _epoch_minute_ceil(end)
    rows = session.execute(
        select(MinuteRollup.half_hour, MinuteRollup.data).where(
            MinuteRollup.check_id == check_id,
            MinuteRollup.half_hour >= first // minute_blob.MINUTES_PER_ROW,
            MinuteRollup.half_hour <= (last - 1) // minute_blob.MINUTES_PER_ROW,
        )
    )
    minutes = added_up(
        (
            (minute, values)
            for half_hour, data in rows
            for minute, values in minute_blob.decode(half_hour, bytes(data))
            if first <= minute < last
        ),
        minute_blob.merge,
    )
    for minute, (runs, failed, timed, total, low, high, *phases) in minutes.items():
        acc = groups.setdefault(_EPOCH + timedelta(minutes=minute), _Acc())
        acc.runs += runs or 0
        acc.failed += failed or 0
        acc.timed += timed or 0
        acc.sums["total"] += (total or 0) / 1000  # stored in whole microseconds
        for name, value in zip(("dns", "connect", "tls", "first_byte", "download"), phases, strict=True):
            acc.sums[name] += (value or 0) / 1000
        acc.timing(None if low is None else low / 1000, None if high is None else high / 1000)
    # A minute has no evaluator view: its uptime is its share of runs that were up.
    for acc in groups.values():
        acc.up = 60.0 * (acc.runs - acc.failed) / acc.runs if acc.runs else 60.0
        acc.down = 60.0 - acc.up


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_minute_ceil(at: datetime) -> int:
    return math.ceil((at - _EPOCH).total_seconds() / 60)


def downtime_page(
    session: Session,
    monitor_id: int,
    start: datetime,
    end: datetime,
    *,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[DowntimePeriod], int]:
    """Periods overlapping [start, end], newest first; ongoing ones have ended_at None."""
    where = [
        DowntimePeriod.monitor_id == monitor_id,
        DowntimePeriod.started_at < end,
        (DowntimePeriod.ended_at.is_(None)) | (DowntimePeriod.ended_at > start),
    ]
    total = session.scalar(select(func.count()).select_from(DowntimePeriod).where(*where)) or 0
    rows = session.scalars(
        select(DowntimePeriod)
        .where(*where)
        .order_by(DowntimePeriod.started_at.desc(), DowntimePeriod.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def get_downtime(session: Session, downtime_id: int) -> DowntimePeriod | None:
    return session.get(DowntimePeriod, downtime_id)


def delete_downtime(session: Session, downtime_id: int) -> bool:
    """True when a period was deleted (the caller checks the team owns its monitor)."""
    deleted = session.execute(delete(DowntimePeriod).where(DowntimePeriod.id == downtime_id))
    return bool(getattr(deleted, "rowcount", 0))


@dataclass(frozen=True, slots=True)
class SnoozeRecord:
    id: int
    check_id: int
    starts_at: datetime
    ends_at: datetime
    snoozed_by: str | None
    unsnoozed_by: str | None
    source: str
    created_at: datetime


SNOOZE_COLUMNS = (
    Snooze.id,
    Snooze.check_id,
    Snooze.starts_at,
    Snooze.ends_at,
    Snooze.snoozed_by,
    Snooze.unsnoozed_by,
    Snooze.source,
    Snooze.created_at,
)


_ACTIVE_SNOOZES = (
    select(*SNOOZE_COLUMNS)
    .join(Check, Check.id == Snooze.check_id)
    .where(
        Check.monitor_id.in_(bindparam("ids", expanding=True)),
        Snooze.starts_at <= bindparam("now"),
        Snooze.ends_at > bindparam("now"),
    )
    .order_by(Snooze.ends_at)
)


def active_snoozes(session: Session, monitor_ids: Sequence[int], now: datetime) -> dict[int, SnoozeRecord]:
    """The running snooze of every snoozed check of these monitors, by check id; one query."""
    if not monitor_ids:
        return {}
    rows = session.connection().execute(_ACTIVE_SNOOZES, {"ids": list(monitor_ids), "now": now})
    # Ordered by end, so the longest-running snooze of a check wins.
    return {record.check_id: record for record in (SnoozeRecord(*row) for row in rows)}


def add_snooze(
    session: Session,
    check_id: int,
    starts_at: datetime,
    ends_at: datetime,
    snoozed_by: str | None,
    source: str,
) -> SnoozeRecord:
    snooze = Snooze(
        check_id=check_id,
        starts_at=starts_at,
        ends_at=ends_at,
        snoozed_by=snoozed_by,
        source=source,
        created_at=starts_at,
    )
    session.add(snooze)
    session.flush()
    return SnoozeRecord(snooze.id, check_id, starts_at, ends_at, snoozed_by, None, source, starts_at)


def end_snoozes(session: Session, check_id: int, now: datetime, unsnoozed_by: str | None) -> int:
    """End every running snooze of the check at `now`; how many there were."""
    values: dict[str, object] = {"ends_at": now}
    if unsnoozed_by is not None:
        values["unsnoozed_by"] = unsnoozed_by
    ended = session.execute(
        update(Snooze)
        .where(Snooze.check_id == check_id, Snooze.starts_at <= now, Snooze.ends_at > now)
        .values(**values)
    )
    return int(getattr(ended, "rowcount", 0) or 0)


def active_snooze(session: Session, check_id: int, now: datetime) -> Snooze | None:
    return session.scalar(
        select(Snooze)
        .where(Snooze.check_id == check_id, Snooze.starts_at <= now, Snooze.ends_at > now)
        .order_by(Snooze.ends_at.desc())
        .limit(1)
    )


def delete_runs_before(session: Session, cutoff: datetime, chunk: int = DELETE_CHUNK) -> int:
    """Delete up to `chunk` unslotted runs (those that were not a success) started before
    `cutoff`; rollups were written with them. Successful runs live in their check's ring."""
    return delete_selected(
        session,
        CheckRun,
        select(CheckRun.id).where(CheckRun.slot.is_(None), CheckRun.started_at < cutoff).limit(chunk),
    )


def delete_changes_before(session: Session, cutoff: datetime, chunk: int = DELETE_CHUNK) -> int:
    """Delete up to `chunk` state changes handled (fanned out) before `cutoff` whose check
    has been up since, with that recovery handled too; their messages and claims go with
    them (foreign keys). What a check still needs stays whatever its age: the changes of an
    episode not over yet (the reminders read its failure, the recovery its messages) and
    each check's latest change."""
    later = aliased(StateChange)
    closed = (
        select(later.id)
        .where(
            later.check_id == StateChange.check_id,
            later.id > StateChange.id,
            later.to_status == "up",
            later.processed_at.is_not(None),
        )
        .correlate(StateChange)
        .exists()
    )
    # processed_at < cutoff walks the (processed_at, id) index: only changes past the
    # retention are looked at (a change is never handled before it is made).
    return delete_selected(
        session,
        StateChange,
        select(StateChange.id).where(StateChange.processed_at < cutoff, closed).limit(chunk),
    )


def delete_resolved_findings(
    session: Session, check_ids: Sequence[int], cutoff: datetime, chunk: int = DELETE_CHUNK
) -> int:
    """Delete up to `chunk` of these checks' findings resolved before `cutoff` (one index
    range each): a site's years of fixed links are many transactions, not one."""
    return delete_selected(
        session,
        Finding,
        select(Finding.id)
        .where(Finding.check_id.in_(list(check_ids)), Finding.resolved_at < cutoff)
        .limit(chunk),
    )


def delete_minutes_before(session: Session, check_ids: Sequence[int], cutoff_minute: int) -> int:
    """Delete the minute rollups of these checks whose minutes are all older than
    `cutoff_minute` (epoch minutes): one primary-key range per check."""
    result = session.execute(
        delete(MinuteRollup).where(
            MinuteRollup.check_id.in_(list(check_ids)),
            MinuteRollup.half_hour < cutoff_minute // minute_blob.MINUTES_PER_ROW,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def pack_minutes(
    session: Session, check_ids: Sequence[int], first_half_hour: int, before_half_hour: int
) -> int:
    """Pack these checks' minute rows of half hours in [first, before) as one block each
    (`minute_blob.pack`); how many rows were packed. A row is replaced only if it still
    holds what was read, so a run appended meanwhile is kept (packed by a later sweep)."""
    minutes = cast(Table, MinuteRollup.__table__)
    return _repack(
        session, minutes, minutes.c.half_hour, check_ids, first_half_hour, before_half_hour, minute_blob.pack
    )


def _repack(
    session: Session,
    table: Table,
    key: Any,
    check_ids: Sequence[int],
    first: int,
    before: int,
    repack: Callable[[int, bytes], bytes | None],
) -> int:
    """Rewrite the `data` of these checks' rows with `key` in [first, before) as `repack`
    makes it (None: leave the row); how many rows were rewritten. A row is replaced only if
    it still holds what was read: one appended to meanwhile waits for the next sweep."""
    rows = session.execute(
        select(table.c.check_id, key, table.c.data).where(
            table.c.check_id.in_(list(check_ids)), key >= first, key < before
        )
    ).all()
    changed = []
    for check_id, at, data in rows:
        new = repack(at, bytes(data))
        if new is not None:
            changed.append({"r_check": check_id, "r_key": at, "r_old": bytes(data), "r_new": new})
    if changed:
        session.execute(
            update(table)
            .where(
                table.c.check_id == bindparam("r_check"),
                key == bindparam("r_key"),
                table.c.data == bindparam("r_old"),
            )
            .values(data=bindparam("r_new")),
            changed,
        )
    return len(changed)


def all_check_ids(session: Session, types: Sequence[str] | None = None) -> list[int]:
    """Every check's id (of `types` only when given), in order: what the sweeps walk in
    chunks. Read once per walk: asking for the next chunk above an id sorted every check of
    the types again for each chunk, which made a walk quadratic (100,000 uptime checks:
    chunks of 1,000 took 1.5 s of the database thread and chunks of 200 7.3 s, where this
    read of the type index takes about 50 ms)."""
    query = select(Check.id)
    if types is not None:
        query = query.where(Check.type.in_(list(types)))
    return sorted(session.scalars(query))


def fold_hours(session: Session, check_ids: Sequence[int], before_hour: int) -> int:
    """Move these checks' live hours before `before_hour` (epoch hours) into their day's
    packed row (appended, no read); how many hours moved. The delete returns what it took,
    so a writer adding to one of these hours meanwhile makes a new live row, not a lost one."""
    hours = cast(Table, UptimeHour.__table__)
    taken = session.execute(
        delete(hours)
        .where(hours.c.check_id.in_(list(check_ids)), hours.c.hour < before_hour)
        .returning(hours.c.check_id, hours.c.hour, *(hours.c[column.key] for column in _HOUR_VALUES))
    ).all()
    if not taken:
        return 0
    packed: dict[tuple[int, int], bytearray] = {}
    for check_id, hour, *values in sorted(taken, key=lambda row: (row[0], row[1])):
        day, offset = hour_blob.row_key(hour)
        packed.setdefault((check_id, day), bytearray()).extend(hour_blob.encode(offset, values))
    days = cast(Table, UptimeDay.__table__)
    stmt: Any
    stmt = postgresql.insert(days) if session.get_bind().dialect.name == "postgresql" else sqlite.insert(days)
    # Cast: SQLite's `||` makes text even of two blobs.
    stmt = stmt.on_conflict_do_update(
        index_elements=["check_id", "day"],
        set_={"data": sa_cast(days.c.data.concat(stmt.excluded.data), LargeBinary)},
    )
    session.execute(
        stmt, [{"check_id": key[0], "day": key[1], "data": bytes(data)} for key, data in packed.items()]
    )
    return len(taken)


def pack_days(session: Session, check_ids: Sequence[int], first_day: int, before_day: int) -> int:
    """Pack these checks' day rows in [first_day, before_day) (days since the epoch) as one
    block each (`hour_blob.pack`); how many rows were packed. A row changed since it was
    read (a late hour folded in by another process) is left as it is."""
    days = cast(Table, UptimeDay.__table__)
    return _repack(session, days, days.c.day, check_ids, first_day, before_day, hour_blob.pack)


def coarsen_days(session: Session, check_ids: Sequence[int], first_day: int, before_day: int) -> int:
    """Add up the hours of these checks' days in [first_day, before_day) (days since the
    epoch) into one entry each (`hour_blob.coarsen`); how many days were coarsened. A day
    whose row changed since it was read (a late hour folded into it by another process) is
    left for the next sweep."""
    days = cast(Table, UptimeDay.__table__)
    return _repack(session, days, days.c.day, check_ids, first_day, before_day, hour_blob.coarsen)

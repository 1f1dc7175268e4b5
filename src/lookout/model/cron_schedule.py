"""When a scheduled task is next expected: the pure arithmetic of late detection.

A `simple` task is expected `frequency_in_minutes` after its last ping; a `cron` task at the
first time its expression fires after the last ping, read on the wall clock of its
`server_timezone`. Either is late `grace_time_in_minutes` after that.

Daylight-saving changes follow Debian's cron, which is what most of these jobs run under.
A job is "fixed-time" when neither its minute nor its hour field starts with `*`:

- clocks jump forward (a skipped hour): a fixed-time job whose time falls in the skipped
  hour runs once, at the first instant after the jump; a wildcard job's skipped times are
  simply skipped.
- clocks go back (a repeated hour): a fixed-time job runs once, at the first occurrence;
  a wildcard job runs in both occurrences (every 15 minutes stays every 15 minutes).

Cron times fall on whole minutes, so the next fire time after an instant is the one after
that instant's minute: answers are cached per (expression, zone, minute), and ten thousand
pings of one expression cost one computation a minute.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

MAX_EXPRESSION_LENGTH = 255
# Wall time and UTC order disagree by at most the size of a clock change (at most two
# hours anywhere); the search around a change looks this far either side.
_CHANGE_SPAN = timedelta(hours=3)
_MAX_STEPS = 20_000  # a minutely expression over a change needs ~400

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_FIELD = re.compile(r"[0-9A-Za-z*/,\-?#]+")


class InvalidSchedule(ValueError):  # noqa: N818 - reads as what it is, like ValidationFailed
    """The expression or time zone cannot be used; the message is for a person."""


def normalize_expression(expression: str) -> str:
    """The five-field form of `expression` (aliases expanded, spaces collapsed), or
    InvalidSchedule. Only standard five-field cron: no seconds, no year."""
    text = expression.strip()
    if not text:
        raise InvalidSchedule("The cron expression is required.")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise InvalidSchedule(
            f"The cron expression must not be greater than {MAX_EXPRESSION_LENGTH} characters."
        )
    text = ALIASES.get(text.lower(), text)
    fields = text.split()
    if len(fields) != 5 or not all(_FIELD.fullmatch(field) for field in fields):
        raise InvalidSchedule("The cron expression must have five fields: minute hour day month weekday.")
    normalized = " ".join(fields)
    try:
        valid = croniter.is_valid(normalized)
    except (CroniterBadCronError, ValueError, TypeError):
        valid = False
    if not valid:
        raise InvalidSchedule("The cron expression is not valid.")
    return normalized


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or InvalidSchedule."""
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        raise InvalidSchedule("The server timezone must be a valid timezone.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidSchedule("The server timezone must be a valid timezone.") from None


def check_fires(expression: str, zone_name: str, now: datetime) -> None:
    """InvalidSchedule unless the expression fires at some time (not "0 0 30 2 *")."""
    try:
        next_fire(expression, zone_name, now)
    except (CroniterBadDateError, CroniterBadCronError, ValueError):
        raise InvalidSchedule("The cron expression never fires.") from None


def is_fixed_time(expression: str) -> bool:
    """Debian cron's distinction: a job is fixed-time unless its minute or hour is `*...`."""
    minute, hour = expression.split()[:2]
    return not (minute.startswith("*") or hour.startswith("*"))


def next_fire(expression: str, zone_name: str, after: datetime) -> datetime:
    """The first instant (aware UTC) strictly after `after` at which the five-field
    `expression` fires on the wall clock of `zone_name`."""
    minute = after.astimezone(UTC).replace(second=0, microsecond=0)
    return _next_fire(expression, zone_name, minute)


@lru_cache(maxsize=65_536)
def _next_fire(expression: str, zone_name: str, after: datetime) -> datetime:
    tz = ZoneInfo(zone_name)
    local = after.astimezone(tz)
    wall: datetime = croniter(expression, local.replace(tzinfo=None)).get_next(datetime)
    first, second = wall.replace(tzinfo=tz), wall.replace(tzinfo=tz, fold=1)
    offset = first.utcoffset()
    if offset == second.utcoffset() == local.utcoffset():
        # The usual case: no clock change between `after` and the fire time's wall time.
        return first.astimezone(UTC)
    return _next_fire_across_change(expression, tz, after)


def _next_fire_across_change(expression: str, tz: ZoneInfo, after: datetime) -> datetime:
    fixed = is_fixed_time(expression)
    start = after.astimezone(tz).replace(tzinfo=None) - _CHANGE_SPAN
    walls = croniter(expression, start)
    best: datetime | None = None
    for _ in range(_MAX_STEPS):
        wall: datetime = walls.get_next(datetime)
        for instant in _instants(wall, tz, fixed):
            if instant > after and (best is None or instant < best):
                best = instant
        if best is not None and wall.replace(tzinfo=tz).astimezone(UTC) - _CHANGE_SPAN > best:
            return best
    if best is None:
        raise CroniterBadDateError("no fire time found")
    return best


def _instants(wall: datetime, tz: ZoneInfo, fixed: bool) -> tuple[datetime, ...]:
    """The instants at which a job due at the naive local time `wall` runs."""
    first, second = wall.replace(tzinfo=tz), wall.replace(tzinfo=tz, fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    if before == after:
        return (first.astimezone(UTC),)
    assert before is not None and after is not None
    if before > after:  # a repeated hour: `first` is the earlier occurrence
        earlier = first.astimezone(UTC)
        return (earlier,) if fixed else (earlier, second.astimezone(UTC))
    # A skipped hour: `wall` never shows on the clock.
    return (_change_instant(wall - after, wall - before, tz),) if fixed else ()


def _change_instant(low: datetime, high: datetime, tz: ZoneInfo) -> datetime:
    """The instant the clock jumped, between two naive UTC times on either side of it."""
    low, high = low.replace(tzinfo=UTC), high.replace(tzinfo=UTC)
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)

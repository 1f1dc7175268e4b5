"""What the services hand to the APIs: plain, immutable views, never database rows.

Presenters read these and nothing of the store. A listing builds thirteen checks for each
of 200 monitors, so `CheckRecord` is a named tuple made straight from the DBAPI row (a
frozen dataclass costs about five times as much to build); every other view is a slotted
frozen dataclass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

import orjson


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    """A monitor's own fields, as stored."""

    id: int
    team_id: int
    type: str
    url: str
    sort_url: str
    friendly_name: str | None
    group_name: str
    description: str | None
    notes: str | None
    options: Mapping[str, Any]
    badge_id: str
    latest_run_date: datetime | None
    summarized_check_result: str
    marked_for_deletion_at: datetime | None
    created_at: datetime
    updated_at: datetime


class CheckRecord(NamedTuple):
    """The fields of a check the APIs show; `settings_json` is the stored settings object.

    The order is the store's check columns: a listing makes these with `_make` from the
    DBAPI tuples and emits `settings_json` untouched.
    """

    id: int
    monitor_id: int
    type: str
    enabled: bool
    settings_json: str
    latest_run_ended_at: datetime | None
    latest_run_result: str | None
    summary: str | None

    @property
    def settings(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.settings_json)
        return parsed


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


@dataclass(frozen=True, slots=True)
class MonitorView:
    """A monitor with its checks (in display order) and tag names.

    `averages` (performance check id → ms) and `snoozes` (check id → running snooze)
    hold only the checks that have one; one page of monitors shares them.
    """

    monitor: MonitorRecord
    checks: Sequence[CheckRecord]
    tags: Sequence[str]
    averages: Mapping[int, float] = field(default_factory=dict)
    snoozes: Mapping[int, SnoozeRecord] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MonitorPage:
    items: list[MonitorView]
    total: int
    page: int
    size: int


@dataclass(frozen=True, slots=True)
class CheckView:
    """One check as it now stands, with what a monitor listing shows beside it."""

    check: CheckRecord
    average_response_time_in_ms: float | None
    active_snooze: SnoozeRecord | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    check_id: int
    check_type: str
    result: str
    summary: str | None
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True, slots=True)
class DowntimeRecord:
    id: int
    started_at: datetime
    ended_at: datetime | None
    notes_markdown: str | None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int

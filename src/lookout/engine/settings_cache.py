"""Validated check settings, kept per check while its stored JSON stays the same.

Validating a settings dict with Pydantic costs more than the rest of scheduling a run, and
the scheduler, the runner and the writer all need the model. Each check's entry is reused
while the raw dict it came from is equal to the job's (identity first: the runner sees the
very dict the scheduler validated), so an edited setting is picked up on the next run.

The numbers the engine derives — time budget, interval, failure threshold, pool — come
from the check type's own declarations (checks/base.py), never from guessing at fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from lookout.checks.base import AnyCheck, Check, Pool
from lookout.model.check_settings import SettingsModel
from lookout.model.check_type import CheckType, MonitorType


class UnknownCheckTypeError(ValueError):
    """The stored check type has no implementation in this process's registry."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A check's validated settings and the numbers the engine derives from them."""

    check_type: str
    monitor_type: str
    raw: dict[str, Any]
    settings: SettingsModel
    timeout: float
    interval: float | None
    threshold: int
    pool: str
    runnable: bool = True  # False for a derived check: judged, never run


def prepare(
    checks: Mapping[CheckType, AnyCheck], check_type: str, monitor_type: str, raw: dict[str, Any]
) -> Prepared:
    """Validate `raw`; raises pydantic.ValidationError when it does not, UnknownCheckTypeError
    (a ValueError) when the type is not registered."""
    try:
        check = checks[CheckType(check_type)]
    except (KeyError, ValueError):
        raise UnknownCheckTypeError(check_type) from None
    settings = check.settings_model(MonitorType(monitor_type)).model_validate(raw)
    if isinstance(check, Check):
        return Prepared(
            check_type,
            monitor_type,
            raw,
            settings,
            check.time_budget(settings),
            check.interval(settings),
            check.failure_threshold(settings),
            check.pool.value,
        )
    # A derived check has no run, schedule or pool of its own.
    return Prepared(check_type, monitor_type, raw, settings, 0.0, None, 1, Pool.FAST.value, runnable=False)


class SettingsCache:
    """Per check, the entry its settings last validated to; entries are shared by every
    check whose settings are the same JSON, so most checks (on their defaults) share a
    handful of them. At 100,000 monitors the per-check cache of 200,000 entries kept
    filling and starting over, and validation was 5% of the engine's time under the GIL."""

    def __init__(
        self, checks: Mapping[CheckType, AnyCheck], max_entries: int = 2_000_000, max_shared: int = 100_000
    ) -> None:
        self._checks = checks
        self._entries: dict[int, Prepared] = {}
        self._shared: dict[tuple[str, str, bytes], Prepared] = {}
        self._max = max_entries
        self._max_shared = max_shared
        self.validations = 0

    def get(self, check_id: int, check_type: str, monitor_type: str, raw: dict[str, Any]) -> Prepared:
        """The check's prepared settings; raises pydantic.ValidationError when `raw` is invalid."""
        entry = self._entries.get(check_id)
        if (
            entry is not None
            and (entry.raw is raw or entry.raw == raw)
            and entry.check_type == check_type
            and entry.monitor_type == monitor_type
        ):
            return entry
        key = (check_type, monitor_type, orjson.dumps(raw, option=orjson.OPT_SORT_KEYS))
        entry = self._shared.get(key)
        if entry is None:
            entry = prepare(self._checks, check_type, monitor_type, raw)
            self.validations += 1
            if len(self._shared) >= self._max_shared:
                self._shared.clear()
            self._shared[key] = entry
        if len(self._entries) >= self._max:
            self._entries.clear()  # deleted checks' entries go too; the live ones come back
        self._entries[check_id] = entry
        return entry

    def forget(self, check_id: int) -> None:
        self._entries.pop(check_id, None)

    def __len__(self) -> int:
        return len(self._entries)

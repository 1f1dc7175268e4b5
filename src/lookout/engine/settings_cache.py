"""Validated check settings, kept per check while its stored JSON stays the same.

Validating a settings dict with Pydantic costs more than the rest of scheduling a run, and
the scheduler and the runner both need the model. Each check's entry is reused while the
raw dict it came from is equal to the job's (identity first: the runner sees the very dict
the scheduler validated), so an edited setting is picked up on the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lookout.model.check_settings import SettingsModel, settings_model_for
from lookout.model.check_type import CheckType, MonitorType

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Prepared:
    """A check's validated settings and the numbers the engine derives from them."""

    check_type: str
    monitor_type: str
    raw: dict[str, Any]
    settings: SettingsModel
    timeout: float
    interval: float
    threshold: int


def timeout_of(settings: SettingsModel) -> float:
    """The check's own time budget in seconds, from whichever field its settings have."""
    fields = settings.model_dump()
    if "timeout" in fields:
        return float(fields["timeout"])
    if "timeout_in_ms" in fields:
        return float(fields["timeout_in_ms"]) / 1000
    if "timeout_in_seconds" in fields:
        # Ping: every packet may wait for its reply, one interval apart.
        count = fields.get("count", 1)
        return float(fields["timeout_in_seconds"] + count * fields.get("interval_in_seconds", 0))
    return DEFAULT_TIMEOUT


def prepare(check_type: str, monitor_type: str, raw: dict[str, Any]) -> Prepared:
    """Validate `raw`; raises pydantic.ValidationError when it does not."""
    model = settings_model_for(CheckType(check_type), MonitorType(monitor_type))
    settings = model.model_validate(raw)
    return Prepared(
        check_type,
        monitor_type,
        raw,
        settings,
        timeout_of(settings),
        float(getattr(settings, "check_interval_in_seconds", 60)),
        int(getattr(settings, "failed_notification_threshold", 1)),
    )


class SettingsCache:
    def __init__(self, max_entries: int = 200_000) -> None:
        self._entries: dict[int, Prepared] = {}
        self._max = max_entries
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
        entry = prepare(check_type, monitor_type, raw)
        self.validations += 1
        if len(self._entries) >= self._max:
            self._entries.clear()  # deleted checks' entries go too; the live ones come back
        self._entries[check_id] = entry
        return entry

    def forget(self, check_id: int) -> None:
        self._entries.pop(check_id, None)

    def __len__(self) -> int:
        return len(self._entries)

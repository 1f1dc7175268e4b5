"""Check actions: enable, disable, snooze, unsnooze, and finding a check to run now.

Each answers with the check as it now stands (`CheckView`). Another team's check is not
found. Enabling or disabling also re-summarises the monitor at once, so the monitor
shows the right `summarized_check_result` before the engine's next write.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError, ValidationFailed
from lookout.model import http_fields
from lookout.model.check_type import CheckType
from lookout.model.summary import summarize
from lookout.services.monitors import AVERAGE_WINDOW, make_check, snooze_record
from lookout.services.tokens import Principal
from lookout.services.validation import int64_from_text
from lookout.services.views import CheckRecord, CheckView
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import monitors as repo
from lookout.store.repositories import runs as runs_repo

MAX_SNOOZE_MINUTES = 525_600  # a year
SNOOZE_SOURCE = "API"


class CheckService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def get(self, who: Principal, check_id: int) -> CheckView:
        with self._sessions() as session:
            return self._view(session, self._record(session, who, check_id))

    def enable(self, who: Principal, check_id: int) -> CheckView:
        return self._set_enabled(who, check_id, True)

    def disable(self, who: Principal, check_id: int) -> CheckView:
        return self._set_enabled(who, check_id, False)

    def snooze(self, who: Principal, check_id: int, raw: Any) -> CheckView:
        minutes = snooze_minutes(raw)
        with transaction(self._sessions) as session:
            record = self._record(session, who, check_id)
            now = self._clock()
            # A new snooze replaces the running one rather than stacking on it.
            runs_repo.end_snoozes(session, check_id, now, None)
            snooze = runs_repo.add_snooze(
                session, check_id, now, now + timedelta(minutes=minutes), _person(who), SNOOZE_SOURCE
            )
            return CheckView(record, self._average(session, record), snooze_record(snooze))

    def unsnooze(self, who: Principal, check_id: int) -> CheckView:
        with transaction(self._sessions) as session:
            record = self._record(session, who, check_id)
            runs_repo.end_snoozes(session, check_id, self._clock(), _person(who))
            return CheckView(record, self._average(session, record), None)

    # -- helpers ----------------------------------------------------------------------

    def _set_enabled(self, who: Principal, check_id: int, enabled: bool) -> CheckView:
        with transaction(self._sessions) as session:
            record = self._record(session, who, check_id)
            if record.enabled != enabled:
                now = self._clock()
                # next_run_at = now puts an enabled check in front of the scheduler.
                repo.update_check(
                    session,
                    check_id,
                    {"enabled": enabled, "next_run_at": now if enabled else None, "updated_at": now},
                )
                siblings = repo.checks_of(session, [record.monitor_id], make_check)[record.monitor_id]
                results = [
                    c.latest_run_result for c in siblings if (enabled if c.id == check_id else c.enabled)
                ]
                repo.update_monitor(
                    session, record.monitor_id, {"summarized_check_result": summarize(results)}
                )
                record = self._record(session, who, check_id)
            return self._view(session, record)

    @staticmethod
    def _record(session: Session, who: Principal, check_id: int) -> CheckRecord:
        record = repo.check_record(session, check_id, who.team_ids, make_check)
        if record is None:
            raise NotFoundError("Check not found.")
        return record

    def _view(self, session: Session, record: CheckRecord) -> CheckView:
        snooze = runs_repo.active_snooze(session, record.id, self._clock())
        active = snooze_record(snooze) if snooze is not None else None
        return CheckView(record, self._average(session, record), active)

    def _average(self, session: Session, record: CheckRecord) -> float | None:
        if record.type != CheckType.PERFORMANCE:
            return None
        return runs_repo.average_response_time(session, record.id, self._clock() - AVERAGE_WINDOW)


def snooze_minutes(raw: Any) -> int:
    """`minutes` from a snooze body: a whole number from 1 to a year, as Laravel checks it."""
    minutes = raw.get("minutes") if isinstance(raw, dict) else None
    if minutes is None or minutes == "":
        raise ValidationFailed({"minutes": ["The minutes field is required."]})
    if isinstance(minutes, str):
        minutes = int64_from_text(minutes)
    if isinstance(minutes, float) and minutes.is_integer():
        minutes = int(minutes)
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationFailed({"minutes": ["The minutes field must be an integer."]})
    if minutes < 1:
        raise ValidationFailed({"minutes": ["The minutes field must be at least 1."]})
    if minutes > MAX_SNOOZE_MINUTES:
        raise ValidationFailed(
            {"minutes": [f"The minutes field must not be greater than {MAX_SNOOZE_MINUTES}."]}
        )
    return minutes


def _person(who: Principal) -> str:
    return who.name or who.email


def run_request_headers(raw: Any) -> list[dict[str, str]]:
    """The optional `httpClientHeaders` of a request-run body, checked for shape."""
    if raw is None or raw == {}:
        return []
    if not isinstance(raw, dict):
        raise ValidationFailed({"body": ["The request body must be a JSON object."]})
    headers = raw.get("httpClientHeaders")
    if headers is None:
        return []
    if not isinstance(headers, list):
        raise ValidationFailed({"httpClientHeaders": ["The http client headers field must be an array."]})
    errors: dict[str, list[str]] = {}
    for index, header in enumerate(headers):
        for part in ("name", "value"):
            value = header.get(part) if isinstance(header, dict) else None
            key = f"httpClientHeaders.{index}.{part}"
            if not isinstance(value, str):
                errors[key] = [f"The {key} field is required."]
            elif http_fields.has_control(value):
                errors[key] = [f"The {key} field must not contain control characters."]
    if errors:
        raise ValidationFailed(errors)
    return [{"name": h["name"], "value": h["value"]} for h in headers]

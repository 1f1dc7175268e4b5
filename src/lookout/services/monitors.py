"""Monitor use cases: list, fetch, create, update, delete, whitelist, check summary.

Every read and write is scoped to the caller's teams: another team's monitor is simply
not found. Settings are merged over the stored (or default) object and validated by the
check type's model, so the store only ever holds complete, valid settings.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError, ValidationFailed
from lookout.model import monitor as monitor_rules
from lookout.model.check_settings import SETTINGS_KEYS, settings_model_for
from lookout.model.check_type import (
    CHECKS_BY_MONITOR_TYPE,
    DEFAULT_ENABLED_CHECKS,
    CheckType,
    MonitorType,
)
from lookout.model.summary import summarize
from lookout.net.guard import refusal_reason
from lookout.services import validation
from lookout.services.monitor_input import ParsedPayload, parse_payload
from lookout.services.tokens import Principal
from lookout.services.views import CheckRecord, MonitorPage, MonitorRecord, MonitorView, SnoozeRecord
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import monitors as repo
from lookout.store.repositories import runs as runs_repo
from lookout.store.tables import Snooze

URL_SCHEME_MESSAGE = 'You should enter a url that starts with either "http://" or "https://".'
_URL_RULES: dict[MonitorType, tuple[Callable[[str], bool], str]] = {
    MonitorType.HTTP: (monitor_rules.is_http_url, URL_SCHEME_MESSAGE),
    MonitorType.AI: (monitor_rules.is_http_url, URL_SCHEME_MESSAGE),
    MonitorType.PING: (
        monitor_rules.is_hostname_or_ip,
        "The url field must be a valid host name or IP address.",
    ),
    MonitorType.TCP: (
        lambda url: monitor_rules.split_host_port(url) is not None,
        "The url field must be a host and a port between 1 and 65535, like example.com:3306.",
    ),
}

# `MonitorService.list` shadows the builtin inside the class body.
Errors = dict[str, list[str]]
# Oh Dear's `average_response_time_in_ms` covers the past 15 minutes.
AVERAGE_WINDOW = timedelta(minutes=15)
# Check rows become services records straight from the DBAPI tuple (see views.CheckRecord).
make_check = CheckRecord._make
# A new monitor's columns: every field of its record but the id the store assigns.
_INSERTED_MONITOR_FIELDS = tuple(f.name for f in dataclasses.fields(MonitorRecord) if f.name != "id")


class MonitorService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = utcnow,
        *,
        max_monitors_per_team: int | None = None,
    ):
        self._sessions = sessions
        self._clock = clock
        self._max_per_team = max_monitors_per_team

    # -- reads ------------------------------------------------------------------------

    def list(self, who: Principal, team_id: int | None, page: int, size: int) -> MonitorPage:
        team_ids = who.team_ids if team_id is None else who.team_ids & {team_id}
        with self._sessions() as session:
            monitors, total = repo.page_of_monitors(
                session, team_ids, (page - 1) * size, size, _record_from_values
            )
            return MonitorPage(self._views(session, monitors), total, page, size)

    def total(self) -> int:
        """Every team's monitors (what `lookout serve` sizes its API workers by)."""
        with self._sessions() as session:
            return repo.total_monitors(session)

    def get(self, who: Principal, monitor_id: int) -> MonitorView:
        with self._sessions() as session:
            return self._view(session, repo.monitor_row(session, monitor_id, who.team_ids))

    def get_by_url(self, who: Principal, url: str) -> MonitorView:
        if "\x00" in url:  # never stored (refused on input), and PostgreSQL cannot compare it
            raise NotFoundError("Monitor not found.")
        with self._sessions() as session:
            return self._view(session, repo.monitor_row_by_url(session, url.strip(), who.team_ids))

    def check_summary(
        self, who: Principal, monitor_id: int, check_type: str
    ) -> tuple[str | None, str | None]:
        """(result, summary) of one check; result is None while the check is disabled."""
        view = self.get(who, monitor_id)
        for check in view.checks:
            if check.type == check_type:
                summary = shown_summary(check.enabled, check.latest_run_result, check.summary)
                return (check.latest_run_result or "pending") if check.enabled else None, summary
        raise NotFoundError(f"The monitor has no {check_type} check.")

    # -- writes -----------------------------------------------------------------------

    def create(self, who: Principal, raw: Any) -> MonitorView:
        errors: Errors = {}
        payload = parse_payload(raw, errors)
        fields = payload.fields
        if fields.url is None and "url" not in errors:
            errors["url"] = ["The url field is required."]
        if fields.team_id is None and "team_id" not in errors:
            errors["team_id"] = ["The team id field is required."]
        if fields.type is None and "type" not in errors:
            errors["type"] = ["The type field is required."]
        if fields.team_id is not None and fields.team_id not in who.team_ids:
            errors.setdefault("team_id", []).append("You do not belong to that team.")
        monitor_type = fields.type or MonitorType.HTTP
        if fields.url is not None:
            self._check_url(fields.url, monitor_type, errors)
        enabled = self._enabled_checks(payload, monitor_type, errors, on_create=True)
        settings = self._merged_settings(payload, monitor_type, {}, errors)
        with transaction(self._sessions) as session:
            if (
                fields.url
                and fields.team_id is not None
                and not errors.get("url")
                and not errors.get("team_id")
                and repo.url_taken(session, fields.team_id, monitor_type, fields.url, None)
            ):
                errors.setdefault("url", []).append("The url has already been taken.")
            limit = self._max_per_team
            if (
                limit is not None
                and fields.team_id is not None
                and not errors.get("team_id")
                and repo.team_monitor_count(session, fields.team_id) >= limit
            ):
                errors.setdefault("team_id", []).append(
                    f"The team already has its limit of {limit} monitors."
                )
            if errors:
                raise ValidationFailed(errors)
            assert fields.url is not None and fields.team_id is not None
            return self._insert(session, payload, monitor_type, enabled or set(), settings)

    def update(self, who: Principal, monitor_id: int, raw: Any) -> MonitorView:
        errors: Errors = {}
        payload = parse_payload(raw, errors)
        for forbidden in ("team_id", "type"):
            if isinstance(raw, dict) and forbidden in raw:
                name = validation.attribute_name(forbidden)
                errors[forbidden] = [f"The {name} field is prohibited."]
        with transaction(self._sessions) as session:
            current = self._view(session, repo.monitor_row(session, monitor_id, who.team_ids))
            monitor_type = MonitorType(current.monitor.type)
            url = payload.fields.url
            if "url" in payload.sent and url is None and "url" not in errors:
                errors["url"] = ["The url field is required."]
            if url is not None:
                self._check_url(url, monitor_type, errors)
                if not errors.get("url") and repo.url_taken(
                    session, current.monitor.team_id, monitor_type, url, monitor_id
                ):
                    errors["url"] = ["The url has already been taken."]
            enabled = self._enabled_checks(payload, monitor_type, errors, on_create=False)
            stored = {CheckType(check.type): check.settings for check in current.checks}
            settings = self._merged_settings(payload, monitor_type, stored, errors)
            if errors:
                raise ValidationFailed(errors)
            self._apply_update(session, current, payload, enabled, settings)
            return self._view(session, repo.monitor_row(session, monitor_id, who.team_ids))

    def delete(self, who: Principal, monitor_id: int) -> None:
        with transaction(self._sessions) as session:
            if repo.monitor_row(session, monitor_id, who.team_ids) is None:
                raise NotFoundError("Monitor not found.")
            repo.delete_monitor(session, monitor_id)

    def add_to_broken_links_whitelist(self, who: Principal, monitor_id: int, url: Any) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValidationFailed({"whitelistUrl": ["The whitelist url field is required."]})
        if len(url) > 2048:
            raise ValidationFailed(
                {"whitelistUrl": ["The whitelist url field must not be greater than 2048 characters."]}
            )
        if validation.has_control_characters(url):
            raise ValidationFailed({"whitelistUrl": [validation.control_characters_message("whitelist_url")]})
        with transaction(self._sessions) as session:
            view = self._view(session, repo.monitor_row(session, monitor_id, who.team_ids))
            check = next((c for c in view.checks if c.type == CheckType.BROKEN_LINKS), None)
            if check is None:
                raise NotFoundError("This monitor has no broken links check.")
            whitelisted = list(check.settings.get("whitelisted_urls", []))
            if url.strip() not in whitelisted:
                whitelisted.append(url.strip())
            repo.update_check(
                session,
                check.id,
                {
                    "settings": {**check.settings, "whitelisted_urls": whitelisted},
                    "updated_at": self._clock(),
                },
            )

    # -- helpers ----------------------------------------------------------------------

    def _views(self, session: Session, monitors: Sequence[MonitorRecord]) -> builtins.list[MonitorView]:
        ids = [monitor.id for monitor in monitors]
        checks = repo.checks_of(session, ids, make_check)
        tags = repo.tags_of(session, ids)
        now = self._clock()
        # One query each for the whole page, never one per monitor.
        performance = [
            c.id for records in checks.values() for c in records if c.type == CheckType.PERFORMANCE
        ]
        averages: dict[int, float] = {}
        if performance:
            averages = runs_repo.average_response_times(session, performance, now - AVERAGE_WINDOW)
        snoozes = {
            check_id: snooze_record(snooze)
            for check_id, snooze in runs_repo.active_snoozes(session, ids, now).items()
        }
        # Checks are inserted in display order, so id order is display order.
        return [MonitorView(m, checks[m.id], tags[m.id], averages, snoozes) for m in monitors]

    def _view(self, session: Session, row: Row[Any] | None) -> MonitorView:
        if row is None:
            raise NotFoundError("Monitor not found.")
        return self._views(session, [monitor_record(row)])[0]

    @staticmethod
    def _check_url(url: str, monitor_type: MonitorType, errors: Errors) -> None:
        if "url" in errors:
            return
        if not url:
            errors["url"] = ["The url field is required."]
            return
        is_valid, message = _URL_RULES[monitor_type]
        refusal = _always_refused(monitor_rules.target_host(url, monitor_type)) if is_valid(url) else None
        if refusal:
            errors["url"] = [f"The url may not point here: {refusal}."]
        elif not is_valid(url):
            errors["url"] = [message]

    @staticmethod
    def _enabled_checks(
        payload: ParsedPayload,
        monitor_type: MonitorType,
        errors: Errors,
        *,
        on_create: bool,
    ) -> set[CheckType] | None:
        """The checks to enable: those sent, the type's defaults on create, or None (keep)."""
        carried = CHECKS_BY_MONITOR_TYPE[monitor_type]
        if payload.fields.checks is None:
            if not on_create:
                return None
            defaults = set(DEFAULT_ENABLED_CHECKS[monitor_type])
            if payload.fields.url and not monitor_rules.uses_https(payload.fields.url):
                defaults.discard(CheckType.CERTIFICATE_HEALTH)  # a plain http:// site has none
            return defaults
        for index, check_type in enumerate(payload.fields.checks):
            if check_type not in carried:
                errors.setdefault(f"checks.{index}", []).append(f"The selected checks.{index} is invalid.")
        return set(payload.fields.checks)

    @staticmethod
    def _merged_settings(
        payload: ParsedPayload,
        monitor_type: MonitorType,
        stored: dict[CheckType, dict[str, Any]],
        errors: Errors,
    ) -> dict[CheckType, dict[str, Any]]:
        merged: dict[CheckType, dict[str, Any]] = {}
        for check_type in CHECKS_BY_MONITOR_TYPE[monitor_type]:
            sent = dict(payload.settings.get(check_type, {}))
            if check_type is CheckType.BROKEN_LINKS:
                sent.pop("do_not_crawl_urls", None)  # returned, but not accepted on input
            if check_type not in stored and not sent:
                merged[check_type] = orjson.loads(_default_settings(check_type, monitor_type))
            elif check_type not in stored or sent:
                model = settings_model_for(check_type, monitor_type)
                key = SETTINGS_KEYS.get(check_type, check_type.value)
                try:
                    merged[check_type] = model.model_validate(
                        {**stored.get(check_type, {}), **sent}
                    ).model_dump(mode="json")
                except ValidationError as exc:
                    validation.collect(errors, exc, key)
                    continue
                # Bounded fields were refused by the model with its own message; this
                # catches an integer in a field without bounds before the store's JSON does.
                for path, message in validation.integer_range_errors(merged[check_type], key):
                    errors.setdefault(path, []).append(message)
        return merged

    def _insert(
        self,
        session: Session,
        payload: ParsedPayload,
        monitor_type: MonitorType,
        enabled: set[CheckType],
        settings: dict[CheckType, dict[str, Any]],
    ) -> MonitorView:
        """Insert the monitor and one check of each type it carries; its view, built from
        what was inserted (a new monitor has no runs, snoozes or averages to read back)."""
        fields = payload.fields
        assert fields.url is not None and fields.team_id is not None
        now = self._clock()
        record = MonitorRecord(
            id=0,
            team_id=fields.team_id,
            type=monitor_type.value,
            url=fields.url,
            sort_url=monitor_rules.sort_url(fields.url, monitor_type),
            friendly_name=fields.friendly_name or None,
            group_name=fields.group_name or "",
            description=fields.description,
            notes=fields.notes,
            options=_options(payload, {}),
            badge_id=secrets.token_hex(13),
            latest_run_date=None,
            summarized_check_result=summarize(["pending"] if enabled else []),
            marked_for_deletion_at=None,
            created_at=now,
            updated_at=now,
        )
        values = {name: getattr(record, name) for name in _INSERTED_MONITOR_FIELDS}
        monitor_id = repo.insert_monitor(session, values)
        carried = CHECKS_BY_MONITOR_TYPE[monitor_type]
        check_ids = repo.insert_checks(
            session,
            [
                {
                    "monitor_id": monitor_id,
                    "type": check_type.value,
                    "enabled": check_type in enabled,
                    "settings": settings[check_type],
                    "next_run_at": now if check_type in enabled else None,
                    "created_at": now,
                    "updated_at": now,
                }
                for check_type in carried
            ],
        )
        tags: list[str] = []
        if fields.tags:
            repo.set_tags(session, fields.team_id, monitor_id, fields.tags)
            tags = repo.tags_of(session, [monitor_id])[monitor_id]
        checks = [
            CheckRecord(
                check_id,
                monitor_id,
                check_type.value,
                check_type in enabled,
                orjson.dumps(settings[check_type]).decode(),
                None,
                None,
                None,
            )
            for check_id, check_type in zip(check_ids, carried, strict=True)
        ]
        return MonitorView(dataclasses.replace(record, id=monitor_id), checks, tags)

    def _apply_update(
        self,
        session: Session,
        current: MonitorView,
        payload: ParsedPayload,
        enabled: set[CheckType] | None,
        settings: dict[CheckType, dict[str, Any]],
    ) -> None:
        now = self._clock()
        monitor = current.monitor
        fields = payload.fields
        values: dict[str, Any] = {"updated_at": now}
        if fields.url is not None:
            values["url"] = fields.url
            values["sort_url"] = monitor_rules.sort_url(fields.url, MonitorType(monitor.type))
        if "friendly_name" in payload.sent:
            values["friendly_name"] = fields.friendly_name or None
        if "group_name" in payload.sent:
            values["group_name"] = fields.group_name or ""
        for name in ("description", "notes"):
            if name in payload.sent:
                values[name] = getattr(fields, name)
        values["options"] = _options(payload, monitor.options or {})
        results: list[str | None] = []
        for check in current.checks:
            check_type = CheckType(check.type)
            changes: dict[str, Any] = {}
            if check_type in settings:
                changes["settings"] = settings[check_type]
            is_enabled = check.enabled if enabled is None else check_type in enabled
            if is_enabled != check.enabled:
                changes["enabled"] = is_enabled
                changes["next_run_at"] = now if is_enabled else None
            if changes:
                repo.update_check(session, check.id, {**changes, "updated_at": now})
            if is_enabled:
                results.append(check.latest_run_result)
        values["summarized_check_result"] = summarize(results)
        repo.update_monitor(session, monitor.id, values)
        if fields.tags is not None:
            repo.set_tags(session, monitor.team_id, monitor.id, fields.tags)


def _always_refused(host: str) -> str | None:
    """Why an IP-literal host may never be checked (cloud metadata and link-local addresses).

    Names are not resolved here: what they point at can change, so the target guard judges
    them on every run; an address written into the url can be refused at once.
    """
    try:
        return refusal_reason(host.strip("[]"), allow_private=True)
    except ValueError:
        return None


def shown_summary(enabled: bool, latest_run_result: str | None, summary: str | None) -> str | None:
    """What a person sees for a check: Disabled, Pending until its first run, then its summary."""
    if not enabled:
        return "Disabled"
    return "Pending" if latest_run_result is None else summary


def monitor_record(row: Row[Any]) -> MonitorRecord:
    """A monitor row as the services' own record: by column name, so new columns are harmless."""
    return MonitorRecord(
        row.id,
        row.team_id,
        row.type,
        row.url,
        row.sort_url,
        row.friendly_name,
        row.group_name,
        row.description,
        row.notes,
        row.options or {},
        row.badge_id,
        row.latest_run_date,
        row.summarized_check_result,
        row.marked_for_deletion_at,
        row.created_at,
        row.updated_at,
    )


def _record_from_values(values: Sequence[Any]) -> MonitorRecord:
    """A monitor record from the values of `repo.RECORD_COLUMNS` (a listing's hot path)."""
    record = MonitorRecord(*values)
    if record.options is None:
        object.__setattr__(record, "options", {})
    return record


def snooze_record(snooze: runs_repo.SnoozeRecord | Snooze) -> SnoozeRecord:
    return SnoozeRecord(
        snooze.id,
        snooze.check_id,
        snooze.starts_at,
        snooze.ends_at,
        snooze.snoozed_by,
        snooze.unsnoozed_by,
        snooze.source,
        snooze.created_at,
    )


@functools.cache
def _default_settings(check_type: CheckType, monitor_type: MonitorType) -> bytes:
    """A check type's default settings as JSON; validating them on every create cost a
    seventh of it (0.92 -> 0.80 ms per monitor created in process, 13 check types)."""
    model = settings_model_for(check_type, monitor_type)
    return orjson.dumps(model.model_validate({}).model_dump(mode="json"))


def _options(payload: ParsedPayload, current: Mapping[str, Any]) -> dict[str, Any]:
    fields = payload.fields
    options = {
        "crawler_headers": current.get("crawler_headers", []),
        "send_report_to_emails": current.get("send_report_to_emails", []),
        "include_check_types_in_report": current.get("include_check_types_in_report", []),
    }
    if fields.crawler_settings is not None:
        options["crawler_headers"] = [h.model_dump() for h in fields.crawler_settings.headers]
    if fields.send_report_to_emails is not None:
        options["send_report_to_emails"] = fields.send_report_to_emails
    if fields.include_check_types_in_report is not None:
        options["include_check_types_in_report"] = [t.value for t in fields.include_check_types_in_report]
    return options

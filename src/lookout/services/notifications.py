"""Notification destinations at team, monitor, tag and tag-group level (Oh Dear A19):
list, create, update, delete and send a test message. Another team's destination,
monitor, tag or group is not found. A webhook's signing secret is given on create or
generated, and shown in that answer only."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from lookout.errors import NotFoundError, ValidationFailed
from lookout.model import events
from lookout.net.guard import TargetGuard, TargetRefused
from lookout.net.resolve import ResolveError
from lookout.notify.dispatch import Attempt, Dispatcher, Target
from lookout.notify.registry import CHANNELS, CheckedDestination, check_destination
from lookout.services.tokens import Principal
from lookout.services.validation import has_control_characters
from lookout.store.db import transaction, utcnow
from lookout.store.repositories import notifications as repo
from lookout.store.tables import NotificationDestination

LevelKind = Literal["team", "monitor", "tag", "tag_group"]
MAX_TYPES = 200
MAX_LABEL = 255


@dataclass(frozen=True, slots=True)
class Level:
    kind: LevelKind
    # The team, monitor, tag or tag group; None lists every team-level (or tag-level)
    # destination of the caller's teams.
    id: int | None = None


@dataclass(frozen=True, slots=True)
class DestinationView:
    id: int
    team_id: int
    level: LevelKind
    label: str | None
    channel: str
    destination: dict[str, Any]
    notification_types: list[str]
    enabled: bool
    disabled_reason: str | None
    tag: tuple[int, str] | None = None
    tag_group: tuple[int, str] | None = None
    # The webhook secret, only in the answer that created it.
    secret: str | None = None


class NotificationService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        guard: TargetGuard,
        dispatcher: Dispatcher,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._guard = guard
        self._dispatcher = dispatcher
        self._clock = clock

    # -- reads --------------------------------------------------------------------------

    def listed(self, who: Principal, level: Level) -> list[DestinationView]:
        with self._sessions() as session:
            if level.kind == "team":
                rows = repo.destinations_at(session, _teams(who, level.id))
            elif level.kind == "tag" and level.id is None:
                rows = repo.destinations_at(session, who.team_ids, any_tag=True)
            else:
                self._owner_team(session, who, level)
                where = _where(level)
                rows = repo.destinations_at(
                    session,
                    who.team_ids,
                    monitor_id=where.get("monitor_id"),
                    tag_id=where.get("tag_id"),
                    tag_group_id=where.get("tag_group_id"),
                )
            return self._views(session, rows)

    # -- writes -------------------------------------------------------------------------

    async def create(self, who: Principal, level: Level, raw: Any) -> DestinationView:
        fields = _fields(raw, creating=True)
        checked = check_destination(fields["channel"], fields["destination"])
        await self._guard_hosts(checked)
        secret = None
        if fields["channel"] == "webhook":
            secret = checked.secret or secrets.token_hex(24)
        return await asyncio.to_thread(self._create, who, level, fields, checked, secret)

    def _create(
        self,
        who: Principal,
        level: Level,
        fields: dict[str, Any],
        checked: CheckedDestination,
        secret: str | None,
    ) -> DestinationView:
        with transaction(self._sessions) as session:
            team_id = self._owner_team(session, who, level)
            now = self._clock()
            row = repo.add_destination(
                session,
                {
                    "team_id": team_id,
                    **_where(level),
                    "label": fields.get("label"),
                    "channel": fields["channel"],
                    "destination": checked.destination,
                    "secret": secret,
                    "notification_types": fields.get("notification_types") or [],
                    "enabled": fields.get("enabled", True),
                    "disabled_reason": fields.get("disabled_reason"),
                    "created_at": now,
                    "updated_at": now,
                },
            )
            (view,) = self._views(session, [row])
            return _with_secret(view, secret)

    async def update(self, who: Principal, level: Level, destination_id: int, raw: Any) -> DestinationView:
        fields = _fields(raw, creating=False)
        with self._sessions() as session:
            current = self._destination(session, who, level, destination_id)
            channel = fields.get("channel", current.channel)
            given = fields.get("destination")
            if channel != current.channel and given is None:
                raise ValidationFailed({"destination": ["The destination field is required."]})
            old_destination = dict(current.destination)
        checked = None
        if given is not None:
            checked = check_destination(channel, given)
            await self._guard_hosts(checked)
        elif "channel" in fields:
            checked = check_destination(channel, old_destination)
        return await asyncio.to_thread(self._update, who, level, destination_id, fields, checked)

    def _update(
        self,
        who: Principal,
        level: Level,
        destination_id: int,
        fields: dict[str, Any],
        checked: CheckedDestination | None,
    ) -> DestinationView:
        with transaction(self._sessions) as session:
            row = self._destination(session, who, level, destination_id)
            for key in ("label", "channel", "notification_types", "enabled", "disabled_reason"):
                if key in fields:
                    setattr(row, key, fields[key] if key != "notification_types" else (fields[key] or []))
            if "enabled" in fields and fields["enabled"] and "disabled_reason" not in fields:
                row.disabled_reason = None
            shown_secret = None
            if checked is not None:
                row.destination = checked.destination
                if row.channel == "webhook" and (checked.secret or not row.secret):
                    row.secret = shown_secret = checked.secret or secrets.token_hex(24)
            row.updated_at = self._clock()
            session.flush()
            (view,) = self._views(session, [row])
            return _with_secret(view, shown_secret)

    def delete(self, who: Principal, level: Level, destination_id: int) -> None:
        with transaction(self._sessions) as session:
            self._destination(session, who, level, destination_id)
            repo.delete_destination(session, destination_id)

    async def send_test(self, who: Principal, level: Level, destination_id: int) -> Attempt:
        target, team_id = await asyncio.to_thread(self._target, who, level, destination_id)
        now = self._clock()
        payload = {
            "event": events.TEST_EVENT.event,
            "notification_type": events.TEST_EVENT.notification_type,
            "kind": events.TEST,
            "at": now.isoformat(),
            "reason": "A test notification from Lookout.",
            "channel": target.channel,
            "destination_label": target.label,
            "monitor": {"team_id": team_id},
            "check": None,
        }
        attempt = await self._dispatcher.attempt(target, payload)
        await asyncio.to_thread(self._record_test, target, payload, attempt)
        return attempt

    def _target(self, who: Principal, level: Level, destination_id: int) -> tuple[Target, int]:
        with self._sessions() as session:
            row = self._destination(session, who, level, destination_id)
            target = Target(row.id, row.channel, dict(row.destination), row.secret, row.label)
            return target, row.team_id

    def _record_test(self, target: Target, payload: dict[str, Any], attempt: Attempt) -> None:
        now = self._clock()
        with transaction(self._sessions) as session:
            message_id = repo.add_message(
                session,
                {
                    "destination_id": target.id,
                    "dedupe_key": f"test:{target.id}:{uuid.uuid4().hex}",
                    "event": payload["event"],
                    "notification_type": payload["notification_type"],
                    "kind": events.TEST,
                    "status": repo.SENT if attempt.ok else repo.FAILED,
                    "status_reason": (attempt.error or "")[:255] or None,
                    "payload": payload,
                    "attempts": 1,
                    "due_at": now,
                    "created_at": now,
                    "sent_at": now if attempt.ok else None,
                },
            )
            repo.record_attempt(
                session, message_id, target.id, target.channel, 1, attempt.error, attempt.duration_ms, now
            )

    # -- helpers ------------------------------------------------------------------------

    async def _guard_hosts(self, checked: CheckedDestination) -> None:
        for host in checked.hosts:
            field = "destination.url" if "url" in checked.destination else "destination"
            try:
                await self._guard.check(host)
            except TargetRefused as exc:
                raise ValidationFailed(
                    {field: [f"The destination host is not allowed: {exc.reason}."]}
                ) from None
            except ResolveError:
                pass  # may resolve later; every send is guarded again

    @staticmethod
    def _owner_team(session: Session, who: Principal, level: Level) -> int:
        """The team the level belongs to, if the caller is in it; else not found."""
        owner: int | None = None
        if level.id is not None:
            if level.kind == "team":
                owner = level.id if level.id in who.team_ids else None
            elif level.kind == "monitor":
                owner = repo.monitor_team(session, level.id, who.team_ids)
            elif level.kind == "tag":
                found = repo.tag_of(session, level.id, who.team_ids)
                owner = found[0] if found else None
            else:
                group = repo.tag_group_of(session, level.id, who.team_ids)
                owner = group[0] if group else None
        if owner is None:
            raise NotFoundError(f"No query results for {level.kind.replace('_', ' ')}.")
        return owner

    def _destination(
        self, session: Session, who: Principal, level: Level, destination_id: int
    ) -> NotificationDestination:
        team_id = self._owner_team(session, who, level)
        row = repo.destination(session, destination_id, who.team_ids)
        where = _where(level)
        if (
            row is None
            or row.team_id != team_id
            or _level_of(row) != level.kind
            or any(getattr(row, column) != value for column, value in where.items())
        ):
            raise NotFoundError("Notification destination not found.")
        return row

    def _views(self, session: Session, rows: list[NotificationDestination]) -> list[DestinationView]:
        tags = repo.tag_names(session, {row.tag_id for row in rows if row.tag_id is not None})
        groups = repo.tag_group_labels(
            session, {row.tag_group_id for row in rows if row.tag_group_id is not None}
        )
        views = []
        for row in rows:
            views.append(
                DestinationView(
                    id=row.id,
                    team_id=row.team_id,
                    level=_level_of(row),
                    label=row.label,
                    channel=row.channel,
                    destination=dict(row.destination),
                    notification_types=list(row.notification_types or []),
                    enabled=row.enabled,
                    disabled_reason=row.disabled_reason,
                    tag=(row.tag_id, tags.get(row.tag_id, "")) if row.tag_id is not None else None,
                    tag_group=(row.tag_group_id, groups.get(row.tag_group_id, ""))
                    if row.tag_group_id is not None
                    else None,
                )
            )
        return views


def _with_secret(view: DestinationView, secret: str | None) -> DestinationView:
    if secret is None:
        return view
    return DestinationView(
        view.id,
        view.team_id,
        view.level,
        view.label,
        view.channel,
        view.destination,
        view.notification_types,
        view.enabled,
        view.disabled_reason,
        view.tag,
        view.tag_group,
        secret,
    )


def _teams(who: Principal, team_id: int | None) -> frozenset[int]:
    if team_id is None:
        return who.team_ids
    if team_id not in who.team_ids:
        raise NotFoundError("No query results for team.")
    return frozenset({team_id})


def _where(level: Level) -> dict[str, int]:
    if level.kind == "monitor" and level.id is not None:
        return {"monitor_id": level.id}
    if level.kind == "tag" and level.id is not None:
        return {"tag_id": level.id}
    if level.kind == "tag_group" and level.id is not None:
        return {"tag_group_id": level.id}
    return {}


def _level_of(row: NotificationDestination) -> LevelKind:
    if row.monitor_id is not None:
        return "monitor"
    if row.tag_id is not None:
        return "tag"
    if row.tag_group_id is not None:
        return "tag_group"
    return "team"


def _fields(raw: Any, *, creating: bool) -> dict[str, Any]:
    """The body's fields, checked one by one (Laravel-style messages)."""
    if not isinstance(raw, dict):
        raise ValidationFailed(
            {"channel": ["The channel field is required."]}
            if creating
            else {"body": ["The request body must be a JSON object."]}
        )
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {}
    channel = raw.get("channel")
    if channel is None:
        if creating:
            errors["channel"] = ["The channel field is required."]
    elif not isinstance(channel, str) or channel not in CHANNELS:
        errors["channel"] = ["The selected channel is invalid."]
    else:
        fields["channel"] = channel
    destination = raw.get("destination")
    if destination is None:
        if creating:
            errors["destination"] = ["The destination field is required."]
    elif not isinstance(destination, dict):
        errors["destination"] = ["The destination field must be an array."]
    else:
        fields["destination"] = destination
    if "label" in raw:
        label = raw["label"]
        if label is not None and not isinstance(label, str):
            errors["label"] = ["The label field must be a string."]
        elif isinstance(label, str) and len(label) > MAX_LABEL:
            errors["label"] = [f"The label field must not be greater than {MAX_LABEL} characters."]
        elif isinstance(label, str) and has_control_characters(label):
            errors["label"] = ["The label field must not contain control characters."]
        else:
            fields["label"] = label or None
    if "notification_types" in raw:
        types = raw["notification_types"]
        known = events.all_notification_types()
        if types is None:
            fields["notification_types"] = []
        elif not isinstance(types, list) or len(types) > MAX_TYPES:
            errors["notification_types"] = ["The notification types field must be an array."]
        else:
            for index, name in enumerate(types):
                if not isinstance(name, str) or name not in known:
                    errors[f"notification_types.{index}"] = [
                        f"The selected notification_types.{index} is invalid."
                    ]
            fields["notification_types"] = sorted({t for t in types if isinstance(t, str)})
    if "enabled" in raw:
        if not isinstance(raw["enabled"], bool):
            errors["enabled"] = ["The enabled field must be true or false."]
        else:
            fields["enabled"] = raw["enabled"]
    if "disabled_reason" in raw:
        reason = raw["disabled_reason"]
        if reason is not None and (
            not isinstance(reason, str) or len(reason) > MAX_LABEL or has_control_characters(reason)
        ):
            errors["disabled_reason"] = [
                f"The disabled reason field must be a string of at most {MAX_LABEL} characters."
            ]
        else:
            fields["disabled_reason"] = reason or None
    if errors:
        raise ValidationFailed(errors)
    return fields

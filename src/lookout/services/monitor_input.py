"""The monitor payload both create and update accept, checked field by field.

Parsing collects every problem at once, keyed by the field's dotted path, so a client
sees all of them in one answer as Laravel would show them.

Before any field's own rules, every string sent (in settings objects too, whatever their
model) is screened for control characters: PostgreSQL cannot store a NUL, and none has a
use in a name, url or tag. A field that fails is reported once, with that message, and
not validated further. Notes, description and check settings are free text and may hold
tabs and line breaks (a TCP send string ends in CRLF; a settings model that wants one
line, as headers do, says so itself); every other field is one line, tabs refused too.
Crawler headers are left to the header rule every request header follows.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from lookout.model import monitor as monitor_rules
from lookout.model.check_settings import SETTINGS_KEYS, HeaderField
from lookout.model.check_type import CheckType, MonitorType
from lookout.services import validation

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Fields a person writes paragraphs in.
MULTILINE_FIELDS = frozenset({"notes", "description"})
# Request headers follow the rule every header the API takes follows (HeaderField: a
# token for a name, a value without control characters but tab), with the same words.
CHECKED_BY_THEIR_MODEL = frozenset({"crawler_settings"})

TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class CrawlerSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    headers: list[HeaderField] = Field(default_factory=list, max_length=10)


class MonitorPayload(BaseModel):
    """Top-level fields; `*_check_settings` objects are validated by their own models."""

    model_config = ConfigDict(extra="ignore")

    url: str | None = Field(default=None, max_length=2048)
    team_id: int | None = None
    type: MonitorType | None = None
    checks: list[CheckType] | None = Field(default=None, max_length=len(CheckType))
    group_name: str | None = Field(default=None, max_length=255)
    friendly_name: str | None = Field(default=None, max_length=255)
    tags: list[TagName] | None = Field(default=None, max_length=50)
    notes: str | None = Field(default=None, max_length=10_000)
    description: str | None = Field(default=None, max_length=10_000)
    crawler_settings: CrawlerSettings | None = None
    send_report_to_emails: list[str] | None = Field(default=None, max_length=20)
    include_check_types_in_report: list[CheckType] | None = Field(default=None, max_length=len(CheckType))

    @field_validator("url")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return monitor_rules.ascii_url(value.strip()) if isinstance(value, str) else value

    @field_validator("send_report_to_emails")
    @classmethod
    def _emails(cls, value: list[str] | None) -> list[str] | None:
        for email in value or []:
            if not _EMAIL.match(email):
                raise ValueError(f"must contain valid email addresses ({email!r} is not one)")
        return value


class ParsedPayload:
    """What a client sent: the known fields it set, and the settings objects it sent."""

    def __init__(self, fields: MonitorPayload, sent: set[str], settings: dict[CheckType, dict[str, Any]]):
        self.fields = fields
        self.sent = sent
        self.settings = settings


def parse_payload(raw: Any, errors: dict[str, list[str]]) -> ParsedPayload:
    """Parse a JSON body; problems go into `errors`, and what parsed is returned anyway."""
    if not isinstance(raw, Mapping):
        errors.setdefault("body", []).append("The request body must be a JSON object.")
        return ParsedPayload(MonitorPayload(), set(), {})
    sent = {key for key, value in raw.items() if key in MonitorPayload.model_fields}
    known = _screened(
        {key: raw[key] for key in sent},
        "",
        errors,
        multiline=MULTILINE_FIELDS,
        unscreened=CHECKED_BY_THEIR_MODEL,
    )
    fields = _validated_fields(known, errors)
    settings: dict[CheckType, dict[str, Any]] = {}
    for check_type, key in SETTINGS_KEYS.items():
        if key not in raw or raw[key] is None:
            continue
        value = raw[key]
        if not isinstance(value, Mapping):
            errors.setdefault(key, []).append(f"The {validation.attribute_name(key)} field must be an array.")
            continue
        # Any setting may be free text; a model that wants one line checks that itself.
        settings[check_type] = _screened(value, key, errors, multiline=value.keys())
    return ParsedPayload(fields, sent, settings)


def _screened(
    values: Mapping[str, Any],
    prefix: str,
    errors: dict[str, list[str]],
    *,
    multiline: Container[str],
    unscreened: Container[str] = (),
) -> dict[str, Any]:
    """`values` without the keys whose value holds control characters; each string that
    does is added to `errors` under its dotted path."""
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if key in unscreened:
            kept[key] = value
            continue
        path = validation.join_path(prefix, [key])
        problems = list(validation.control_character_errors(value, path, multiline=key in multiline))
        for where, message in problems:
            errors.setdefault(where, []).append(message)
        if not problems:
            kept[key] = value
    return kept


def _validated_fields(known: Mapping[str, Any], errors: dict[str, list[str]]) -> MonitorPayload:
    try:
        return MonitorPayload.model_validate(known)
    except ValidationError as exc:
        validation.collect(errors, exc)
        bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        good = {key: value for key, value in known.items() if key not in bad}
        return MonitorPayload.model_validate(good)

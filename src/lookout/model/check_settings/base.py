"""Shared pieces of the per-check settings models."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lookout.model import http_fields


class SettingsModel(BaseModel):
    """Base of every settings object: unknown keys are ignored, as Oh Dear does."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    def reminder_every(self) -> timedelta | None:
        """How often a check that stays down is told again; None: as the instance's policy
        says (LOOKOUT_NOTIFICATION_REMINDER_HOURS)."""
        return None


class NameValue(SettingsModel):
    """A form field (or any name and value sent without HTTP's own grammar)."""

    name: str = Field(min_length=1, max_length=255)
    value: str = Field(default="", max_length=8192)


def header_name(value: str) -> str:
    name = value.strip()  # Laravel trims input; a space around a name is never meant
    if not http_fields.is_token(name):
        raise ValueError(http_fields.NAME_RULE)
    return name


def header_value(value: str) -> str:
    if http_fields.has_control(value):
        raise ValueError(http_fields.VALUE_RULE)
    return value


class HeaderField(NameValue):
    """A request header: an RFC 9110 token for a name, a value without control characters."""

    _name_is_token = field_validator("name")(header_name)
    _value_has_no_controls = field_validator("value")(header_value)


class ScheduledSettings(SettingsModel):
    """Settings of a check the scheduler runs on its own clock."""

    check_interval_in_seconds: int = Field(default=60, ge=5, le=86_400)

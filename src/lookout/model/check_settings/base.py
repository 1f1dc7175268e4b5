"""Shared pieces of the per-check settings models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SettingsModel(BaseModel):
    """Base of every settings object: unknown keys are ignored, as Oh Dear does."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class NameValue(SettingsModel):
    """A header or form field: `{"name": ..., "value": ...}`."""

    name: str = Field(min_length=1, max_length=255)
    value: str = Field(default="", max_length=8192)


class ScheduledSettings(SettingsModel):
    """Settings of a check the scheduler runs on its own clock."""

    check_interval_in_seconds: int = Field(default=60, ge=5, le=86_400)

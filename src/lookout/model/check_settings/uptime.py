"""Uptime settings, one shape per monitor type (http, ping, tcp)."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from lookout.model.check_settings.base import (
    HeaderField,
    NameValue,
    ScheduledSettings,
    SettingsModel,
    header_name,
    header_value,
)
from lookout.model.check_settings.regex import UserRegex, compile_user_regex

STATUS_PATTERN = re.compile(r"^[1-5](?:[0-9*]{0,2})$")


class HttpVerb(StrEnum):
    GET = "get"
    HEAD = "head"
    POST = "post"
    PUT = "put"
    PATCH = "patch"
    DELETE = "delete"
    OPTIONS = "options"


class HeaderCondition(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    CONTAINS = "contains"
    NOT_CONTAINS = "not_contains"
    MATCHES_REGEX = "matches_regex"


def _normalise_condition(value: object) -> object:
    # Clients write "not equals", "not-equals" or "matches regex"; store one spelling.
    if isinstance(value, str):
        text = re.sub(r"[\s\-]+", "_", value.strip().lower())
        return "matches_regex" if text in {"matches", "regex", "matches_regexp"} else text
    return value


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


class ExpectedResponseHeader(SettingsModel):
    name: str = Field(min_length=1, max_length=255)
    condition: Annotated[HeaderCondition, BeforeValidator(_normalise_condition)] = HeaderCondition.EQUALS
    value: str = Field(default="", max_length=8192)
    _regex: UserRegex | None = PrivateAttr(default=None)

    _name_is_token = field_validator("name")(header_name)

    @field_validator("value")
    @classmethod
    def _value_is_valid(cls, value: str, info: ValidationInfo) -> str:
        # Checked here, not after the model, so the 422 names the value field itself.
        header_value(value)
        if info.data.get("condition") is HeaderCondition.MATCHES_REGEX:
            compile_user_regex(value)
        return value

    @model_validator(mode="after")
    def _compile_once(self) -> ExpectedResponseHeader:
        # Kept on the model, which the engine's settings cache keeps: runs never compile.
        is_regex = self.condition is HeaderCondition.MATCHES_REGEX
        self._regex = compile_user_regex(self.value) if is_regex else None
        return self

    @property
    def regex(self) -> UserRegex | None:
        """The compiled pattern of a `matches_regex` rule (RE2: linear time), else None."""
        return self._regex


class HttpUptimeSettings(ScheduledSettings):
    location: str = Field(default="paris", max_length=255)
    look_for_string: str = Field(default="", max_length=4096)
    absent_string: str | None = Field(default=None, max_length=4096)
    expected_response_headers: list[ExpectedResponseHeader] = Field(default_factory=list, max_length=20)
    failed_notification_threshold: int = Field(default=2, ge=1, le=60)
    http_verb: Annotated[HttpVerb, BeforeValidator(_lower)] = HttpVerb.GET
    payload: list[NameValue] = Field(default_factory=list, max_length=50)
    timeout: int = Field(default=5, ge=1, le=60)
    valid_status_codes: list[str] = Field(default_factory=lambda: ["2*"], min_length=1, max_length=50)
    max_redirect_count: int = Field(default=5, ge=0, le=20)
    expected_final_redirect_url: str | None = Field(default=None, max_length=2048)
    http_client_headers: list[HeaderField] = Field(default_factory=list, max_length=10)
    # D-Monitors (DNSPod): dial this IP for the url's host (Host header and SNI stay the
    # host), count these statuses as a warning rather than a failure (4xx is Warn), and
    # confirm a failure where one of these points (`ctc,cuc`) is checked from. None of the
    # three is part of Oh Dear's settings: left out of the stored JSON while unset.
    connect_ip: str | None = Field(default=None, max_length=45)
    warning_status_codes: list[str] = Field(default_factory=list, max_length=50)
    dmonitor_points: str | None = Field(default=None, max_length=255)

    @field_validator("connect_ip")
    @classmethod
    def _connect_ip_is_an_ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            raise ValueError("must be an IPv4 or IPv6 address") from None

    @model_serializer(mode="wrap")
    def _without_unset_extensions(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, object]:
        dumped: dict[str, object] = handler(self)
        if dumped.get("connect_ip", "") is None:
            del dumped["connect_ip"]
        if dumped.get("warning_status_codes") == []:
            del dumped["warning_status_codes"]
        if dumped.get("dmonitor_points", "") is None:
            del dumped["dmonitor_points"]
        return dumped

    @field_validator("look_for_string", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("valid_status_codes", "warning_status_codes", mode="before")
    @classmethod
    def _codes_as_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return [str(item) if isinstance(item, int) else item for item in value]
        return value

    @field_validator("valid_status_codes", "warning_status_codes")
    @classmethod
    def _codes_are_patterns(cls, value: list[str]) -> list[str]:
        for code in value:
            if not STATUS_PATTERN.fullmatch(code):
                raise ValueError("must be status codes like 200 or patterns like 2*")
        return value


class PingUptimeSettings(ScheduledSettings):
    location: str = Field(default="paris", max_length=255)
    ttl: int = Field(default=64, ge=1, le=255)
    count: int = Field(default=5, ge=1, le=20)
    packet_size_in_bytes: int = Field(default=56, ge=0, le=1472)
    acceptable_packet_loss_percentage: int = Field(default=0, ge=0, le=100)
    acceptable_average_response_time_in_ms: int = Field(default=400, ge=1, le=60_000)
    timeout_in_seconds: int = Field(default=1, ge=1, le=30)
    interval_in_seconds: float = Field(default=1, ge=0.01, le=10)
    failed_notification_threshold: int = Field(default=2, ge=1, le=60)


class TcpUptimeSettings(ScheduledSettings):
    location: str = Field(default="paris", max_length=255)
    tcp_send_string: str = Field(default="", max_length=4096)
    timeout_in_ms: int = Field(default=1000, ge=100, le=60_000)
    look_for_string_in_welcome_message: str = Field(default="", max_length=4096)
    look_for_string_in_send_string_response: str = Field(default="", max_length=4096)
    failed_notification_threshold: int = Field(default=2, ge=1, le=60)

    @field_validator(
        "tcp_send_string",
        "look_for_string_in_welcome_message",
        "look_for_string_in_send_string_response",
        mode="before",
    )
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return "" if value is None else value

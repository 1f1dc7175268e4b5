"""OpenAPI descriptions of the Oh Dear API's bodies.

Routers return plain dicts through orjson (the list endpoint is hot), so these models
document requests and responses and keep schemathesis honest; they do not serialise.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, RootModel

from lookout.model.check_settings import SETTINGS_KEYS, UPTIME_SETTINGS, settings_model_for
from lookout.model.check_type import CheckType, MonitorType


class ErrorBody(BaseModel):
    message: str
    error: str


class ValidationErrorBody(ErrorBody):
    errors: dict[str, list[str]]


class NameValueBody(BaseModel):
    name: str
    value: str


class SnoozeBody(BaseModel):
    id: int
    starts_at: str
    ends_at: str
    snoozed_by: str | None
    unsnoozed_by: str | None
    source: str
    created_at: str


class CheckBody(BaseModel):
    id: int
    type: CheckType
    label: str
    enabled: bool
    latest_run_ended_at: str | None
    latest_run_result: str | None
    summary: str | None
    settings: dict[str, Any] | list[Any]
    active_snooze: SnoozeBody | None
    average_response_time_in_ms: float | None = Field(default=None, description="performance checks only")


MONITOR_FIELD_DOCS: dict[str, str] = {
    "id": "The monitor's id; never reused.",
    "team_id": "The team that owns the monitor.",
    "type": "http, ping, tcp or ai: what is monitored and which checks it carries.",
    "url": "What is checked: a URL (http), a host name or address (ping), host:port (tcp).",
    "uses_https": "Whether the url is https.",
    "sort_url": "The url without its scheme, for sorting.",
    "label": "The friendly name, or the url without its scheme.",
    "friendly_name": "A name shown instead of the url.",
    "group_name": "A free-form group shown in lists.",
    "tags": "Tag names; unknown tags are created.",
    "description": "Free text about the monitor.",
    "notes": "Free text for the people on call.",
    "latest_run_date": "When any of its checks last finished (UTC, Y-m-d H:i:s).",
    "summarized_check_result": (
        "The worst result among its enabled checks: succeeded, warning, failed, pending."
    ),
    "checks": "Every check the monitor carries, enabled or not.",
    "crawler_headers": "Headers sent by crawling checks (broken links, mixed content, sitemap).",
    "crawler_settings": "Crawler options; `headers` as name/value pairs.",
    "send_report_to_emails": "Addresses that receive the periodic report.",
    "include_check_types_in_report": "Check types the report covers.",
    "badge_id": "The id of the monitor's public status badge.",
    "marked_for_deletion_at": "Set while a deletion is pending.",
    "created_at": "When the monitor was created (UTC).",
    "updated_at": "When the monitor was last changed (UTC).",
    "ai_check_settings": "Settings of the AI check (ai monitors only).",
}
for _check_type, _key in SETTINGS_KEYS.items():
    MONITOR_FIELD_DOCS[_key] = f"Settings of the {_check_type.value} check; omitted keys keep their defaults."


def describe_fields(schema: dict[str, Any]) -> None:
    """Give each documented monitor field its description (request and response alike)."""
    for name, prop in schema.get("properties", {}).items():
        if name in MONITOR_FIELD_DOCS and isinstance(prop, dict):
            prop.setdefault("description", MONITOR_FIELD_DOCS[name])


MONITOR_EXAMPLE: dict[str, Any] = {
    "url": "https://example.com",
    "type": "http",
    "team_id": 1,
    "checks": ["uptime", "performance", "certificate_health"],
    "tags": ["production"],
    "uptime_check_settings": {"check_interval_in_seconds": 60},
}


class MonitorBody(BaseModel):
    model_config = {"json_schema_extra": describe_fields}

    id: int
    team_id: int
    type: MonitorType
    url: str
    uses_https: bool
    sort_url: str
    label: str
    group_name: str
    tags: list[str]
    description: str | None
    notes: str | None
    latest_run_date: str | None
    summarized_check_result: str | None
    checks: list[CheckBody]
    uptime_check_settings: dict[str, Any]
    certificate_health_check_settings: dict[str, Any]
    broken_links_check_settings: dict[str, Any]
    dns_check_settings: dict[str, Any]
    lighthouse_check_settings: dict[str, Any]
    application_health_check_settings: dict[str, Any]
    domain_check_settings: dict[str, Any]
    performance_check_settings: dict[str, Any]
    sitemap_check_settings: dict[str, Any]
    ports_check_settings: dict[str, Any]
    dns_blocklist_check_settings: dict[str, Any]
    ai_check_settings: dict[str, Any] | None
    crawler_headers: list[NameValueBody]
    send_report_to_emails: list[str]
    include_check_types_in_report: list[str]
    badge_id: str
    marked_for_deletion_at: str | None
    created_at: str
    updated_at: str


class PageLink(BaseModel):
    url: str | None
    label: str
    active: bool


class PageLinks(BaseModel):
    first: str
    last: str
    prev: str | None
    next: str | None


class PageMeta(BaseModel):
    current_page: int
    from_: int | None = Field(alias="from")
    last_page: int
    links: list[PageLink]
    path: str
    per_page: int
    to: int | None
    total: int


class MonitorPageBody(BaseModel):
    data: list[MonitorBody]
    links: PageLinks
    meta: PageMeta


class CheckSummaryBody(BaseModel):
    result: str | None
    summary: str | None


class TeamBody(BaseModel):
    id: int
    name: str
    role: str


class MeBody(BaseModel):
    id: int
    name: str
    email: str
    photo_url: str
    teams: list[TeamBody]


class CheckRunBody(BaseModel):
    id: int
    check_id: int
    check_type: CheckType
    result: str
    summary: str | None
    started_at: str = Field(description="ISO-8601, e.g. 2026-03-17T00:30:00+00:00")
    ended_at: str = Field(description="ISO-8601")


class CheckRunPageBody(BaseModel):
    data: list[CheckRunBody]
    links: PageLinks
    meta: PageMeta


class UptimeBody(BaseModel):
    datetime: str = Field(description="Start of the period, UTC, `Y-m-d H:i:s`")
    uptime_percentage: float


class UptimeListBody(RootModel[list[UptimeBody]]):
    pass


class DowntimeBody(BaseModel):
    id: int
    started_at: str
    ended_at: str | None = Field(description="null while the downtime is ongoing")
    notes_html: str | None
    notes_markdown: str | None


class DowntimePageBody(BaseModel):
    data: list[DowntimeBody]
    links: PageLinks
    meta: PageMeta


class CurlTimesBody(BaseModel):
    namelookup_time: float | None
    connect_time: float | None
    appconnect_time: float | None
    starttransfer_time: float | None
    pretransfer_time: float | None
    redirect_time: float | None
    total_time: float | None
    header_size: int
    size_download: int
    speed_download: int


class HttpMetricBody(BaseModel):
    dns_time_in_seconds: float | None
    tcp_time_in_seconds: float | None
    ssl_handshake_time_in_seconds: float | None
    remote_server_processing_time_in_seconds: float | None
    download_time_in_seconds: float | None
    total_time_in_seconds: float | None
    curl: CurlTimesBody
    date: str


class UptimeShareBody(BaseModel):
    uptime_percentage: float
    downtime_percentage: float
    uptime_seconds: int
    downtime_seconds: int


class PingMetricBody(UptimeShareBody):
    minimum_time_in_ms: float | None
    maximum_time_in_ms: float | None
    average_time_in_ms: float | None
    packet_loss_percentage: float
    date: str


class TcpMetricBody(UptimeShareBody):
    time_to_connect_in_ms: float | None
    date: str


class HttpMetricsBody(BaseModel):
    data: list[HttpMetricBody]


class PingMetricsBody(BaseModel):
    data: list[PingMetricBody]


class TcpMetricsBody(BaseModel):
    data: list[TcpMetricBody]


class SnoozeRequestBody(BaseModel):
    minutes: int = Field(ge=1, le=525_600)


class RequestRunBody(BaseModel):
    httpClientHeaders: list[NameValueBody] = Field(default_factory=list)  # noqa: N815 - the API's spelling


class WhitelistBody(BaseModel):
    whitelistUrl: str  # noqa: N815 - the API's own spelling


def _partial_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    schema.pop("required", None)
    return schema


# The control character rule of services.validation, written out for clients to read.
ONE_LINE = r"^[^\u0000-\u001f\u007f-\u009f]*$"
FREE_TEXT = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


def monitor_request_schema(*, for_update: bool) -> dict[str, Any]:
    """JSON schema of the create (or update) body, settings objects included."""
    one_line = {"type": "string", "maxLength": 255, "pattern": ONE_LINE}
    properties: dict[str, Any] = {
        "url": {**one_line, "maxLength": 2048},
        "checks": {"type": "array", "items": {"type": "string", "enum": [t.value for t in CheckType]}},
        "group_name": {**one_line, "type": ["string", "null"]},
        "friendly_name": {**one_line, "type": ["string", "null"]},
        "tags": {"type": "array", "items": one_line, "maxItems": 50},
        "notes": {"type": ["string", "null"], "maxLength": 10_000, "pattern": FREE_TEXT},
        "description": {"type": ["string", "null"], "maxLength": 10_000, "pattern": FREE_TEXT},
        "crawler_settings": {
            "type": "object",
            "properties": {"headers": {"type": "array", "items": NameValueBody.model_json_schema()}},
        },
        "send_report_to_emails": {"type": "array", "items": {"type": "string", "pattern": ONE_LINE}},
        "include_check_types_in_report": {
            "type": "array",
            "items": {"type": "string", "enum": [t.value for t in CheckType]},
        },
        "uptime_check_settings": {
            "anyOf": [_partial_schema(model) for model in dict.fromkeys(UPTIME_SETTINGS.values())]
        },
    }
    for check_type, key in SETTINGS_KEYS.items():
        if check_type is not CheckType.UPTIME:
            properties[key] = _partial_schema(settings_model_for(check_type, MonitorType.HTTP))
    if not for_update:
        properties["team_id"] = {"type": "integer"}
        properties["type"] = {"type": "string", "enum": [t.value for t in MonitorType]}
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if not for_update:
        schema["required"] = ["url", "team_id", "type"]
    describe_fields(schema)
    example = dict(MONITOR_EXAMPLE)
    if for_update:
        for key in ("type", "team_id"):
            example.pop(key)
    schema["example"] = example
    return schema


def monitor_links(name: str) -> dict[str, Any]:
    """OpenAPI links from a monitor in a response to what a client does with it next;
    schemathesis's stateful tests follow them. `name` is the router's (monitors or sites).
    Left out, as schemathesis would take their rightful 404s for lost monitors: whitelisting
    a broken link (ping and tcp monitors have none) and the lookup by url (it cannot tell
    that a monitor deleted by id is gone by url too)."""
    by_id = {"monitor_id": "$response.body#/id"}
    first_check = {**by_id, "check_type": "$response.body#/checks/0/type"}
    check_id = {"check_id": "$response.body#/checks/0/id"}
    return {
        "GetMonitor": {"operationId": f"get{name}", "parameters": by_id},
        "UpdateMonitor": {"operationId": f"update{name}", "parameters": by_id},
        "DeleteMonitor": {"operationId": f"delete{name}", "parameters": by_id},
        "GetCheckSummary": {"operationId": f"get{name}CheckSummary", "parameters": first_check},
        "ListCheckRuns": {"operationId": f"list{name}CheckRuns", "parameters": first_check},
        "ListDowntime": {"operationId": f"list{name}Downtime", "parameters": by_id},
        "EnableCheck": {"operationId": "enableCheck", "parameters": check_id},
        "DisableCheck": {"operationId": "disableCheck", "parameters": check_id},
        "SnoozeCheck": {"operationId": "snoozeCheck", "parameters": check_id},
        "UnsnoozeCheck": {"operationId": "unsnoozeCheck", "parameters": check_id},
    }


def json_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """A request body for `openapi_extra`, with an example: the schema's own, or one made
    from its defaults, enums and types (so every request in /docs can be tried at once)."""
    flat = inlined(schema)
    example = flat.pop("example", None)
    body = {"schema": flat, "example": example if example is not None else example_of(flat)}
    return {"requestBody": {"required": required, "content": {"application/json": body}}}


_PLACEHOLDERS: dict[str, Any] = {"string": "string", "integer": 1, "number": 1, "boolean": True}
_FORMATS = {"date-time": "2026-01-01 00:00:00", "uri": "https://example.com", "email": "ops@example.com"}


def example_of(schema: Any, depth: int = 0) -> Any:
    """A value that the schema accepts, built from its defaults, enums, formats and types."""
    if not isinstance(schema, dict) or depth > 6:
        return None
    for key in ("example", "default"):
        if key in schema and schema[key] is not None:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key, []) if isinstance(o, dict) and o.get("type") != "null"]
        if options:
            return example_of(options[0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = schema.get("required") or list(properties)
        return {name: example_of(properties[name], depth + 1) for name in required if name in properties}
    if kind == "array":
        item = example_of(schema.get("items", {}), depth + 1)
        return [] if item is None else [item]
    if kind == "string":
        return _FORMATS.get(schema.get("format", ""), "string")
    return _PLACEHOLDERS.get(kind or "")


def inlined(schema: Any, defs: dict[str, Any] | None = None) -> Any:
    """`schema` with pydantic's `#/$defs/...` references replaced by their definitions.

    In an OpenAPI description `#` is the whole document, where no `$defs` live: left in,
    the references resolve nowhere and tools (schemathesis among them) cannot build a
    body at all. None of these models refers to itself, so inlining ends.
    """
    if isinstance(schema, list):
        return [inlined(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    defs = {**(defs or {}), **schema.get("$defs", {})}
    result = {key: inlined(value, defs) for key, value in schema.items() if key != "$defs"}
    ref = result.pop("$ref", None)
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**inlined(defs[ref.removeprefix("#/$defs/")], defs), **result}
    if ref is not None:
        result["$ref"] = ref
    return result


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or wrong token"},
    404: {"model": ErrorBody, "description": "Not found, or another team's"},
    429: {"model": ErrorBody, "description": "Too many requests"},
}
WITH_422: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    422: {"model": ValidationErrorBody, "description": "Invalid data"},
}

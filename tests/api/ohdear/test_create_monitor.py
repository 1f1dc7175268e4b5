"""POST /api/monitors: defaults, custom settings per type, and the spec's errors."""

from __future__ import annotations

import re

import pytest

from tests.api.ohdear.conftest import Caller, Cast
from tests.api.ohdear.seed_shapes import (
    CHECK_KEYS,
    HTTP_UPTIME_DEFAULTS,
    MONITOR_KEYS,
    OTHER_DEFAULTS,
    PING_UPTIME_DEFAULTS,
    TCP_UPTIME_DEFAULTS,
    assert_contains,
)

STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def create(caller: Caller, **body: object) -> dict:
    response = caller.post("/api/monitors", json={"team_id": caller.team_id, **body})
    assert response.status_code == 201, response.text
    return response.json()


def test_http_monitor_has_every_seed_field_with_defaults(alice: Caller) -> None:
    monitor = create(alice, url="https://www.example.com/", type="http")

    assert list(monitor) == MONITOR_KEYS
    assert monitor["team_id"] == alice.team_id
    assert monitor["uses_https"] is True
    assert monitor["sort_url"] == "example.com"
    assert monitor["label"] == "example.com"
    assert monitor["group_name"] == "" and monitor["tags"] == []
    assert monitor["summarized_check_result"] == "pending"
    assert monitor["latest_run_date"] is None
    assert STAMP.match(monitor["created_at"]) and STAMP.match(monitor["updated_at"])
    assert re.fullmatch(r"[0-9a-f]{26}", monitor["badge_id"])
    assert_contains(monitor["uptime_check_settings"], HTTP_UPTIME_DEFAULTS)
    for key, defaults in OTHER_DEFAULTS.items():
        assert_contains(monitor[key], defaults)
    assert monitor["ai_check_settings"] is None
    assert monitor["crawler_headers"] == [] and monitor["send_report_to_emails"] == []
    secret = monitor["application_health_check_settings"]["secret"]
    assert isinstance(secret, str) and len(secret) == 16


def test_http_monitor_lists_every_check_and_enables_the_defaults(alice: Caller) -> None:
    monitor = create(alice, url="https://checks.example.com", type="http")

    checks = {check["type"]: check for check in monitor["checks"]}
    assert list(checks) == [
        "uptime", "performance", "certificate_health", "broken_links", "mixed_content",
        "lighthouse", "cron", "application_health", "sitemap", "dns", "domain", "ports",
        "dns_blocklist",
    ]  # fmt: skip
    enabled = {name for name, check in checks.items() if check["enabled"]}
    assert enabled == {"uptime", "performance", "certificate_health", "broken_links"}
    for check in monitor["checks"]:
        assert list(check)[: len(CHECK_KEYS)] == CHECK_KEYS
        assert check["latest_run_result"] == "pending"
        assert check["summary"] == ("Pending" if check["enabled"] else "Disabled")
    assert checks["uptime"]["label"] == "Uptime"
    assert checks["cron"]["label"] == "Scheduled tasks"
    assert checks["uptime"]["settings"] == monitor["uptime_check_settings"]
    assert checks["performance"]["settings"] == monitor["performance_check_settings"]
    assert checks["cron"]["settings"] == []
    assert "average_response_time_in_ms" in checks["performance"]


def test_checks_on_create_enable_exactly_those(alice: Caller) -> None:
    monitor = create(alice, url="https://mybrandnewsite.tld", type="http", checks=["uptime", "mixed_content"])

    enabled = {check["type"] for check in monitor["checks"] if check["enabled"]}
    assert enabled == {"uptime", "mixed_content"}


def test_full_custom_payload_of_the_seed(alice: Caller) -> None:
    monitor = create(
        alice,
        url="https://ohdear.app/docs",
        type="http",
        checks=["uptime", "performance", "broken_links", "sitemap", "ports"],
        group_name="Internal",
        friendly_name="Documentation",
        tags=["internal", "production", "docs"],
        notes="Internal notes for our team members",
        description="Oh Dear documentation",
        uptime_check_settings={
            "expected_final_redirect_url": "https://redirect-to-this-url.com",
            "http_verb": "post",
            "timeout": 7,
            "payload": [{"name": "payload-name-1", "value": "payload-value-1"}],
            "valid_status_codes": ["2*", "301"],
            "look_for_string": None,
            "expected_response_headers": [
                {"name": "my-response-header", "condition": "equals", "value": "my-response-value"}
            ],
            "http_client_headers": [{"name": "my-header", "value": "my-value"}],
        },
        performance_check_settings={"threshold_in_ms": 1200, "change_percentage": 30},
        crawler_settings={"headers": [{"name": "my-broken-links-header", "value": "v"}]},
        sitemap_check_settings={"path": "/sitemap.xml", "speed": "slow"},
        application_health_check_settings={"result_url": "https://mybrandnewsite.tld/health"},
        certificate_health_check_settings={"expires_soon_threshold_in_days": 14},
        ports_check_settings={"expected_open_ports": [443], "timeout_per_port_ms": 800},
        send_report_to_emails=["ops@example.test"],
        include_check_types_in_report=["uptime", "performance"],
    )

    assert monitor["label"] == "Documentation"
    assert monitor["group_name"] == "Internal"
    assert monitor["tags"] == ["docs", "internal", "production"]
    assert monitor["notes"] == "Internal notes for our team members"
    assert monitor["description"] == "Oh Dear documentation"
    uptime = monitor["uptime_check_settings"]
    assert uptime["http_verb"] == "post" and uptime["timeout"] == 7
    assert uptime["valid_status_codes"] == ["2*", "301"]
    assert uptime["look_for_string"] == ""
    assert uptime["payload"] == [{"name": "payload-name-1", "value": "payload-value-1"}]
    assert uptime["expected_response_headers"][0]["condition"] == "equals"
    assert uptime["max_redirect_count"] == 5  # not sent, so the default
    assert monitor["performance_check_settings"] == {"threshold_in_ms": 1200, "change_percentage": 30}
    assert monitor["crawler_headers"] == [{"name": "my-broken-links-header", "value": "v"}]
    assert monitor["sitemap_check_settings"]["speed"] == "slow"
    health = monitor["application_health_check_settings"]
    assert health["result_url"] == "https://mybrandnewsite.tld/health" and len(health["secret"]) == 16
    assert monitor["ports_check_settings"]["expected_open_ports"] == [443]
    assert monitor["ports_check_settings"]["expected_closed_ports"] == [22, 3306]
    assert monitor["send_report_to_emails"] == ["ops@example.test"]
    assert monitor["include_check_types_in_report"] == ["uptime", "performance"]


def test_a_sent_application_health_secret_is_kept(alice: Caller) -> None:
    monitor = create(
        alice, url="https://secret.example", type="http",
        application_health_check_settings={"secret": "my-own-secret"},
    )  # fmt: skip
    assert monitor["application_health_check_settings"]["secret"] == "my-own-secret"


def test_ping_monitor_with_custom_settings(alice: Caller) -> None:
    monitor = create(
        alice, url="spatie.be", type="ping",
        uptime_check_settings={"count": 3, "acceptable_packet_loss_percentage": 20},
    )  # fmt: skip

    assert monitor["type"] == "ping" and monitor["uses_https"] is False
    assert monitor["sort_url"] == "spatie.be"
    assert_contains(
        monitor["uptime_check_settings"],
        {**PING_UPTIME_DEFAULTS, "count": 3, "acceptable_packet_loss_percentage": 20},
    )
    assert monitor["uptime_check_settings"]["timeout_in_seconds"] == 1
    assert monitor["uptime_check_settings"]["interval_in_seconds"] == 1
    checks = {check["type"]: check["enabled"] for check in monitor["checks"]}
    assert checks["uptime"] and checks["performance"]
    assert not checks["certificate_health"] and not checks["dns"] and not checks["domain"]
    assert "broken_links" not in checks
    assert monitor["broken_links_check_settings"]["check_include_external_links"] is False


def test_tcp_monitor_with_custom_settings(alice: Caller) -> None:
    monitor = create(
        alice, url="smtp.example.com:587", type="tcp",
        uptime_check_settings={"timeout_in_ms": 2500, "look_for_string_in_welcome_message": "ESMTP"},
    )  # fmt: skip

    uptime = monitor["uptime_check_settings"]
    assert_contains(
        uptime, {**TCP_UPTIME_DEFAULTS, "timeout_in_ms": 2500, "look_for_string_in_welcome_message": "ESMTP"}
    )
    assert uptime["look_for_string_in_send_string_response"] == ""
    assert monitor["sort_url"] == "smtp.example.com:587"


def test_team_id_as_a_string_is_accepted(alice: Caller) -> None:
    response = alice.post(
        "/api/monitors", json={"url": "https://str.example", "team_id": str(alice.team_id), "type": "http"}
    )
    assert response.status_code == 201


def test_missing_url_and_team_give_the_seed_messages(alice: Caller) -> None:
    response = alice.post("/api/monitors", json={"type": "http"})

    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "The given data was invalid."
    assert body["errors"]["url"] == ["The url field is required."]
    assert body["errors"]["team_id"] == ["The team id field is required."]


def test_bad_url_and_foreign_team_give_the_seed_messages(cast: Cast) -> None:
    response = cast.alice.post(
        "/api/monitors", json={"url": "example.com", "team_id": cast.eve.team_id, "type": "http"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == {
        "url": ['You should enter a url that starts with either "http://" or "https://".'],
        "team_id": ["You do not belong to that team."],
    }


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        pytest.param(
            {"type": "ftp", "url": "https://a.example"}, "type", "The selected type is invalid.", id="type"
        ),
        pytest.param(
            {"type": "ping", "url": "not a host!"},
            "url",
            "The url field must be a valid host name or IP address.",
            id="ping-host",
        ),
        pytest.param(
            {"type": "tcp", "url": "db.example"},
            "url",
            "The url field must be a host and a port between 1 and 65535, like example.com:3306.",
            id="tcp-no-port",
        ),
        pytest.param(
            {"type": "tcp", "url": "db.example:70000"},
            "url",
            "The url field must be a host and a port between 1 and 65535, like example.com:3306.",
            id="tcp-port-range",
        ),
        pytest.param(
            {"type": "http", "url": "https://a.example", "checks": ["uptime", "nope"]},
            "checks.1",
            "The selected checks.1 is invalid.",
            id="check-type",
        ),
        pytest.param(
            {"type": "ping", "url": "a.example", "checks": ["broken_links"]},
            "checks.0",
            "The selected checks.0 is invalid.",
            id="check-not-on-type",
        ),
        pytest.param(
            {"type": "http", "url": "https://a.example", "uptime_check_settings": {"timeout": "soon"}},
            "uptime_check_settings.timeout",
            "The uptime check settings.timeout field must be an integer.",
            id="timeout-type",
        ),
        pytest.param(
            {"type": "http", "url": "https://a.example", "uptime_check_settings": {"timeout": 0}},
            "uptime_check_settings.timeout",
            "The uptime check settings.timeout field must be at least 1.",
            id="timeout-min",
        ),
        pytest.param(
            {
                "type": "http",
                "url": "https://a.example",
                "uptime_check_settings": {"valid_status_codes": ["2xx"]},
            },
            "uptime_check_settings.valid_status_codes",
            "The uptime check settings.valid status codes field must be status codes like 200 "
            "or patterns like 2*.",
            id="status-pattern",
        ),
        pytest.param(
            {"type": "http", "url": "https://a.example", "uptime_check_settings": {"http_verb": "fetch"}},
            "uptime_check_settings.http_verb",
            "The selected uptime check settings.http verb is invalid.",
            id="verb",
        ),
        pytest.param(
            {
                "type": "http",
                "url": "https://a.example",
                "ports_check_settings": {"expected_open_ports": [0]},
            },
            "ports_check_settings.expected_open_ports",
            "The ports check settings.expected open ports field must contain ports between 1 and 65535.",
            id="port-range",
        ),
        pytest.param(
            {
                "type": "http",
                "url": "https://a.example",
                "ports_check_settings": {"expected_open_ports": list(range(1, 22))},
            },
            "ports_check_settings.expected_open_ports",
            "The ports check settings.expected open ports field must not have more than 20 items.",
            id="port-count",
        ),
        pytest.param(
            {
                "type": "http",
                "url": "https://a.example",
                "ports_check_settings": {"timeout_per_port_ms": 400},
            },
            "ports_check_settings.timeout_per_port_ms",
            "The ports check settings.timeout per port ms field must be at least 500.",
            id="port-timeout-min",
        ),
        pytest.param(
            {
                "type": "http",
                "url": "https://a.example",
                "ports_check_settings": {"timeout_per_port_ms": 10001},
            },
            "ports_check_settings.timeout_per_port_ms",
            "The ports check settings.timeout per port ms field must not be greater than 10000.",
            id="port-timeout-max",
        ),
        pytest.param(
            {"type": "http", "url": "https://a.example", "performance_check_settings": "fast"},
            "performance_check_settings",
            "The performance check settings field must be an array.",
            id="settings-not-object",
        ),
        pytest.param(
            {"type": "http", "url": "https://a.example", "send_report_to_emails": ["nope"]},
            "send_report_to_emails",
            "The send report to emails field must contain valid email addresses ('nope' is not one).",
            id="email",
        ),
    ],
)
def test_invalid_fields_get_laravel_messages(alice: Caller, body: dict, field: str, message: str) -> None:
    response = alice.post("/api/monitors", json={"team_id": alice.team_id, **body})

    assert response.status_code == 422, response.text
    assert response.json()["errors"][field] == [message]


def test_a_url_is_monitored_once_per_team(cast: Cast) -> None:
    create(cast.alice, url="https://twice.example", type="http")
    again = cast.bob.post(
        "/api/monitors", json={"url": "https://twice.example", "team_id": cast.bob.team_id, "type": "http"}
    )
    assert again.status_code == 422
    assert again.json()["errors"]["url"] == ["The url has already been taken."]
    elsewhere = cast.eve.post(
        "/api/monitors", json={"url": "https://twice.example", "team_id": cast.eve.team_id, "type": "http"}
    )
    assert elsewhere.status_code == 201


@pytest.mark.parametrize("body", ["[]", "not json", '"text"', "null"])
def test_a_body_that_is_not_an_object_is_a_422(alice: Caller, body: str) -> None:
    response = alice.client.post(
        "/api/monitors", content=body, headers={**alice.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["message"] == "The given data was invalid."


def test_a_plain_http_site_does_not_enable_certificate_health(alice: Caller) -> None:
    monitor = create(alice, url="http://plain.example", type="http")
    enabled = {check["type"] for check in monitor["checks"] if check["enabled"]}
    assert enabled == {"uptime", "performance", "broken_links"}
    assert monitor["uses_https"] is False


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("http", "http://169.254.169.254/latest/meta-data/"),
        ("http", "http://[fd00:ec2::254]/"),
        ("ping", "169.254.169.254"),
        ("tcp", "100.100.100.200:80"),
    ],
)
def test_cloud_metadata_addresses_are_refused_at_once(alice: Caller, kind: str, url: str) -> None:
    response = alice.post("/api/monitors", json={"team_id": alice.team_id, "type": kind, "url": url})
    assert response.status_code == 422
    [message] = response.json()["errors"]["url"]
    assert message.startswith("The url may not point here: ") and "address" in message


def test_an_internationalised_domain_is_accepted_in_its_ascii_form(alice: Caller) -> None:
    created = alice.post(
        "/api/monitors", json={"url": "https://bücher.example/", "type": "http", "team_id": alice.team_id}
    )
    assert created.status_code == 201, created.text
    assert created.json()["url"] == "https://xn--bcher-kva.example/"
    ping = alice.post(
        "/api/monitors", json={"url": "bücher.example", "type": "ping", "team_id": alice.team_id}
    )
    assert ping.status_code == 201 and ping.json()["url"] == "xn--bcher-kva.example"
    bad = alice.post(
        "/api/monitors", json={"url": "https://bü cher.example/", "type": "http", "team_id": alice.team_id}
    )
    assert bad.status_code == 422 and "url" in bad.json()["errors"]


def test_a_metadata_address_is_refused_in_a_sentence(alice: Caller) -> None:
    refused = alice.post(
        "/api/monitors", json={"url": "http://169.254.169.254/", "type": "http", "team_id": alice.team_id}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"]["url"] == [
        "The url may not point here: 169.254.169.254 is a cloud metadata address."
    ]

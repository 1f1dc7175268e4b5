"""User-typed rules in settings are refused at save time when they cannot run safely:
regexes RE2 cannot run in linear time, header names that are not tokens, header values
with line breaks or other control characters."""

from __future__ import annotations

import pytest

from tests.api.ohdear.conftest import Caller

NAME = "must be a header name of letters, digits and !#$%&'*+-.^_`|~ only."
VALUE = "must not contain control characters."
REGEX = "must be a valid regular expression (backreferences and lookaround are not supported): "


def regex_rule(pattern: str) -> dict[str, object]:
    rule = {"name": "X-Version", "condition": "matches_regex", "value": pattern}
    return {"uptime_check_settings": {"expected_response_headers": [rule]}}


def expected_header(name: str, value: str) -> dict[str, object]:
    return {"uptime_check_settings": {"expected_response_headers": [{"name": name, "value": value}]}}


def client_header(
    name: str, value: str, key: str = "uptime_check_settings", field: str = "http_client_headers"
) -> dict[str, object]:
    return {key: {field: [{"name": name, "value": value}]}}


UPTIME = "uptime check settings"
CASES = [
    pytest.param(
        regex_rule(r"^(\d)\1$"),
        "uptime_check_settings.expected_response_headers.0.value",
        f"The {UPTIME}.expected response headers.0.value field {REGEX}invalid escape sequence: \\1.",
        id="regex-backreference",
    ),
    pytest.param(
        regex_rule(r"^(?=v)v\d+$"),
        "uptime_check_settings.expected_response_headers.0.value",
        f"The {UPTIME}.expected response headers.0.value field {REGEX}invalid perl operator: (?=.",
        id="regex-lookahead",
    ),
    pytest.param(
        regex_rule("^(v"),
        "uptime_check_settings.expected_response_headers.0.value",
        f"The {UPTIME}.expected response headers.0.value field {REGEX}missing ): ^(v.",
        id="regex-unbalanced",
    ),
    pytest.param(
        expected_header("X Version", "1"),
        "uptime_check_settings.expected_response_headers.0.name",
        f"The {UPTIME}.expected response headers.0.name field {NAME}",
        id="expected-name-space",
    ),
    pytest.param(
        expected_header("X-Version", "1\r\nX-Other: 2"),
        "uptime_check_settings.expected_response_headers.0.value",
        f"The {UPTIME}.expected response headers.0.value field {VALUE}",
        id="expected-value-crlf",
    ),
    pytest.param(
        client_header("X-Token:", "t0k"),
        "uptime_check_settings.http_client_headers.0.name",
        f"The {UPTIME}.http client headers.0.name field {NAME}",
        id="client-name-colon",
    ),
    pytest.param(
        client_header("X-Token", "t0k\r\nX-Injected: yes"),
        "uptime_check_settings.http_client_headers.0.value",
        f"The {UPTIME}.http client headers.0.value field {VALUE}",
        id="client-value-crlf",
    ),
    pytest.param(
        client_header("X-Token", "t0k\nX-Injected: yes"),
        "uptime_check_settings.http_client_headers.0.value",
        f"The {UPTIME}.http client headers.0.value field {VALUE}",
        id="client-value-lf",
    ),
    pytest.param(
        client_header("X-Token", "t0k\r", "lighthouse_check_settings"),
        "lighthouse_check_settings.http_client_headers.0.value",
        f"The lighthouse check settings.http client headers.0.value field {VALUE}",
        id="lighthouse-value-cr",
    ),
    pytest.param(
        client_header("Bad(Name)", "1", "application_health_check_settings", "headers"),
        "application_health_check_settings.headers.0.name",
        f"The application health check settings.headers.0.name field {NAME}",
        id="health-name-parentheses",
    ),
]


@pytest.mark.parametrize(("settings", "field", "message"), CASES)
def test_unsafe_rules_are_a_422_on_create(alice: Caller, settings: dict, field: str, message: str) -> None:
    body = {"team_id": alice.team_id, "type": "http", "url": "https://rules.example", **settings}
    response = alice.post("/api/monitors", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["message"] == "The given data was invalid."
    assert response.json()["errors"] == {field: [message]}


def test_unsafe_rules_are_a_422_on_update_and_change_nothing(alice: Caller) -> None:
    created = alice.post(
        "/api/monitors", json={"team_id": alice.team_id, "type": "http", "url": "https://update.example"}
    ).json()
    path = f"/api/monitors/{created['id']}"

    uptime = {
        "expected_response_headers": [{"name": "X-Version", "condition": "matches_regex", "value": r"(a)\1"}],
        "http_client_headers": [{"name": "X-Token", "value": "a\r\nb"}],
    }
    response = alice.put(path, json={"uptime_check_settings": uptime})

    assert response.status_code == 422, response.text
    assert set(response.json()["errors"]) == {
        "uptime_check_settings.expected_response_headers.0.value",
        "uptime_check_settings.http_client_headers.0.value",
    }
    uptime = alice.get(path).json()["uptime_check_settings"]
    assert uptime["expected_response_headers"] == [] and uptime["http_client_headers"] == []


def test_header_names_are_stored_without_surrounding_spaces(alice: Caller) -> None:
    body = {
        "team_id": alice.team_id,
        "type": "http",
        "url": "https://spaces.example",
        **client_header(" X-Token ", "a\tb"),
    }
    response = alice.post("/api/monitors", json=body)

    assert response.status_code == 201, response.text
    headers = response.json()["uptime_check_settings"]["http_client_headers"]
    assert headers == [{"name": "X-Token", "value": "a\tb"}]

"""Values no database takes, sent by a client: integers beyond 64 bits and control
characters. Each is a 200 (pagination), a 404 (ids) or a 422, never a 500, on SQLite and
PostgreSQL alike; a refused write stores nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.ohdear.conftest import Caller

INT64_MAX = 2**63 - 1
HUGE = "100000000000000000"
CONTROL = "must not contain control characters."


def make(caller: Caller, url: str, **body: object) -> dict:
    response = caller.post(
        "/api/monitors", json={"url": url, "team_id": caller.team_id, "type": "http", **body}
    )
    assert response.status_code == 201, response.text
    return response.json()


def listings(monitor_id: int) -> list[str]:
    return [
        "/api/monitors",
        "/api/sites",
        f"/api/monitors/{monitor_id}/checks/uptime/runs",
        f"/api/sites/{monitor_id}/downtime",
    ]


def monitor_count(caller: Caller) -> int:
    total: int = caller.get("/api/monitors").json()["meta"]["total"]
    return total


# -- integers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"page[number]": HUGE},
        {"page": HUGE},
        {"page[number]": str(INT64_MAX)},
        {"page[number]": HUGE, "page[size]": "1000"},
        {"page[number]": str(INT64_MAX), "page[size]": "1"},
    ],
    ids=["number", "page", "int64-max", "with-size-1000", "int64-max-size-1"],
)
def test_a_page_far_past_the_last_is_an_empty_page(alice: Caller, params: dict[str, str]) -> None:
    monitor = make(alice, "https://far-pages.example")
    for path in listings(monitor["id"]):
        response = alice.get(path, params=params)

        assert response.status_code == 200, f"{path}: {response.text}"
        body = response.json()
        assert body["data"] == [] and body["links"]["next"] is None
        meta = body["meta"]
        assert (meta["from"], meta["to"]) == (None, None)
        # Clamped, if at all, to a page whose offset a database takes.
        assert 1 < meta["current_page"] <= int(params.get("page[number]") or params["page"])
        assert (meta["current_page"] - 1) * meta["per_page"] <= INT64_MAX


@pytest.mark.parametrize(
    "value", [str(2**63), "9" * 30, "9" * 5000, "1_000", "²", "١٢", "+-2", "0", "-5", ""]
)
def test_a_page_that_is_not_a_64_bit_integer_is_the_first(alice: Caller, value: str) -> None:
    monitor = make(alice, "https://first-page.example")
    for path in listings(monitor["id"]):
        response = alice.get(path, params={"page[number]": value, "page[size]": value})

        assert response.status_code == 200, f"{path}: {response.text}"
        meta = response.json()["meta"]
        assert (meta["current_page"], meta["per_page"]) == (1, 200)


def test_a_huge_page_size_is_capped(alice: Caller) -> None:
    monitor = make(alice, "https://capped.example")
    for path in listings(monitor["id"]):
        response = alice.get(path, params={"page[size]": HUGE})
        assert response.status_code == 200, path
        assert response.json()["meta"]["per_page"] == 1000


def test_a_team_filter_beyond_64_bits_is_a_422(alice: Caller) -> None:
    for value in (str(2**63), "9" * 5000, "²"):
        response = alice.get("/api/monitors", params={"filter[team_id]": value})
        assert response.status_code == 422, value
        assert response.json()["errors"] == {
            "filter.team_id": ["The filter.team id field must be an integer."]
        }
    assert alice.get("/api/monitors", params={"filter[team_id]": str(INT64_MAX)}).json()["data"] == []


def test_a_team_id_beyond_any_team_is_a_422(alice: Caller) -> None:
    for team_id in (2**31, INT64_MAX, 2**63, 10**30, -(10**30)):
        response = alice.post(
            "/api/monitors", json={"url": "https://t.example", "team_id": team_id, "type": "http"}
        )
        assert response.status_code == 422, team_id
        assert response.json()["errors"]["team_id"] == ["You do not belong to that team."]
    assert monitor_count(alice) == 0


@pytest.mark.parametrize("number", [2**31, INT64_MAX, 2**63, 10**30])
def test_ids_beyond_the_database_are_not_found(alice: Caller, number: int) -> None:
    for method, path in [
        ("GET", f"/api/monitors/{number}"),
        ("PUT", f"/api/sites/{number}"),
        ("DELETE", f"/api/monitors/{number}"),
        ("GET", f"/api/monitors/{number}/checks/uptime/runs"),
        ("GET", f"/api/monitors/{number}/downtime"),
        ("POST", f"/api/checks/{number}/enable"),
        ("DELETE", f"/api/downtime/{number}"),
    ]:
        response = alice.client.request(method, path, headers=alice.headers, json={})
        assert response.status_code == 404, f"{method} {path}"


@pytest.mark.parametrize("minutes", ["²", "١٢", "9" * 5000, "1_0", str(2**63)])
def test_snooze_minutes_that_are_no_integer_are_a_422(alice: Caller, minutes: str) -> None:
    uptime = next(c for c in make(alice, "https://snooze-digits.example")["checks"] if c["type"] == "uptime")
    response = alice.post(f"/api/checks/{uptime['id']}/snooze", json={"minutes": minutes})
    assert response.status_code == 422
    assert response.json()["errors"] == {"minutes": ["The minutes field must be an integer."]}


def test_an_integer_in_a_settings_field_is_kept_in_range(alice: Caller) -> None:
    for value in (2**63, 10**30):
        response = alice.post(
            "/api/monitors",
            json={
                "url": "https://lighthouse.example",
                "team_id": alice.team_id,
                "type": "http",
                "lighthouse_check_settings": {"notification_settings": {"seo_score": value}},
            },
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == {
            "lighthouse_check_settings.notification_settings.seo_score": [
                "The lighthouse check settings.notification settings.seo score field must not be greater "
                "than 600000."
            ]
        }
    assert monitor_count(alice) == 0


# -- control characters ------------------------------------------------------------------


def nul_in(field: str) -> tuple[dict[str, object], str, str]:
    """A body with a NUL in `field`, the error's key and its message."""
    return {field: "a\x00b"}, field, f"The {field.replace('_', ' ')} field {CONTROL}"


NUL_CASES = [
    pytest.param({"url": "https://nul\x00.example"}, "url", f"The url field {CONTROL}", id="url"),
    pytest.param(*nul_in("friendly_name"), id="friendly_name"),
    pytest.param(*nul_in("group_name"), id="group_name"),
    pytest.param(*nul_in("description"), id="description"),
    pytest.param(*nul_in("notes"), id="notes"),
    pytest.param({"tags": ["ok", "b\x00d"]}, "tags.1", f"The tags.1 field {CONTROL}", id="tags"),
    pytest.param(
        {"send_report_to_emails": ["ops\x00@example.test"]},
        "send_report_to_emails.0",
        f"The send report to emails.0 field {CONTROL}",
        id="emails",
    ),
    pytest.param(
        {"crawler_settings": {"headers": [{"name": "X-A", "value": "v\x00"}]}},
        "crawler_settings.headers.0.value",
        f"The crawler settings.headers.0.value field {CONTROL}",
        id="crawler-header",
    ),
    pytest.param(
        {"uptime_check_settings": {"look_for_string": "Wel\x00come"}},
        "uptime_check_settings.look_for_string",
        f"The uptime check settings.look for string field {CONTROL}",
        id="settings-string",
    ),
    pytest.param(
        {"broken_links_check_settings": {"whitelisted_urls": ["https://a.example/\x00"]}},
        "broken_links_check_settings.whitelisted_urls.0",
        f"The broken links check settings.whitelisted urls.0 field {CONTROL}",
        id="settings-list",
    ),
]


@pytest.mark.parametrize(("body", "field", "message"), NUL_CASES)
def test_a_nul_byte_anywhere_is_a_422_and_nothing_is_stored(
    alice: Caller, body: dict[str, object], field: str, message: str
) -> None:
    payload = {"url": "https://nul-create.example", "team_id": alice.team_id, "type": "http", **body}
    response = alice.post("/api/monitors", json=payload)

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == {field: [message]}
    assert monitor_count(alice) == 0


@pytest.mark.parametrize(("body", "field", "message"), NUL_CASES)
def test_a_nul_byte_in_an_update_is_a_422_and_changes_nothing(
    alice: Caller, body: dict[str, object], field: str, message: str
) -> None:
    created = make(alice, "https://nul-update.example", friendly_name="Before", notes="kept")
    response = alice.put(f"/api/monitors/{created['id']}", json={"friendly_name": "After", **body})

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == {field: [message]}
    unchanged = alice.get(f"/api/monitors/{created['id']}").json()
    assert unchanged == created


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("friendly_name", "line\nbreak"),
        ("friendly_name", "carriage\rreturn"),
        ("group_name", "tab\tbed"),
        ("group_name", "\x1b[31mred"),
        ("url", "https://crlf.example/\r\nX-Injected: 1"),
        ("notes", "escape \x1b"),
        ("description", "delete \x7f"),
        ("description", "c1 \x85"),
    ],
)
def test_control_characters_are_refused(alice: Caller, field: str, text: str) -> None:
    response = alice.post(
        "/api/monitors",
        json={"url": "https://control.example", "team_id": alice.team_id, "type": "http", field: text},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == {field: [f"The {field.replace('_', ' ')} field {CONTROL}"]}


def test_notes_description_and_settings_text_keep_tabs_and_line_breaks(alice: Caller) -> None:
    text = "First line\r\n\tindented\nlast"
    monitor = make(
        alice,
        "smtp.example:25",
        type="tcp",
        notes=text,
        description=text,
        uptime_check_settings={"tcp_send_string": "EHLO lookout\r\n"},
    )
    assert monitor["notes"] == text and monitor["description"] == text
    assert monitor["uptime_check_settings"]["tcp_send_string"] == "EHLO lookout\r\n"


def test_a_whitelisted_url_with_control_characters_is_a_422(alice: Caller) -> None:
    created = make(alice, "https://whitelist-nul.example")
    response = alice.post(
        f"/api/monitors/{created['id']}/add-to-broken-links-whitelist",
        json={"whitelistUrl": "https://a.example/\x00"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"whitelistUrl": [f"The whitelist url field {CONTROL}"]}
    settings = alice.get(f"/api/monitors/{created['id']}").json()["broken_links_check_settings"]
    assert settings["whitelisted_urls"] == []


def test_a_url_with_a_nul_byte_is_never_found(alice: Caller) -> None:
    make(alice, "https://found.example")
    response = alice.get("/api/monitors/url/" + quote("https://found.example\x00", safe=""))
    assert response.status_code == 404


def test_request_run_headers_with_control_characters_are_a_422(alice: Caller) -> None:
    uptime = next(c for c in make(alice, "https://run-headers.example")["checks"] if c["type"] == "uptime")
    response = alice.post(
        f"/api/checks/{uptime['id']}/request-run",
        json={"httpClientHeaders": [{"name": "X-A", "value": "a\r\nX-B: b"}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "httpClientHeaders.0.value": [
            "The httpClientHeaders.0.value field must not contain control characters."
        ]
    }


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_body_that_is_not_utf8_is_a_422(alice: Caller, method: str) -> None:
    created = make(alice, "https://not-utf8.example")
    path = "/api/monitors" if method == "POST" else f"/api/monitors/{created['id']}"
    headers = {**alice.headers, "Content-Type": "application/json"}
    response = alice.client.request(method, path, content=b'{"notes": "\xff\xfe"}', headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == {"body": ["The request body must be valid JSON."]}
    assert alice.get(f"/api/monitors/{created['id']}").json() == created

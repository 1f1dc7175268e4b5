"""What users type into HTTP uptime settings: regexes run in linear time, headers never inject."""

from __future__ import annotations

import time

import pytest

from lookout.checks.base import CheckContext, Target
from lookout.checks.registry import CHECKS
from lookout.checks.uptime import assertions
from lookout.model.check_settings import HeaderField, HttpUptimeSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome
from tests.servers.http import RunningServer
from tests.servers.recording import serve_recording


async def run(url: str, settings: HttpUptimeSettings, ctx: CheckContext) -> CheckResult:
    target = Target(monitor_id=1, monitor_type=MonitorType.HTTP, url=url)
    return await CHECKS[CheckType.UPTIME].run(target, settings, ctx)


def regex_rule(name: str, pattern: str) -> HttpUptimeSettings:
    return HttpUptimeSettings(
        expected_response_headers=[{"name": name, "condition": "matches_regex", "value": pattern}]
    )


# The signal interrupts a backtracking match, so a regression fails here instead of hanging.
@pytest.mark.timeout(10, method="signal")
async def test_a_catastrophic_regex_against_a_long_header_finishes_at_once(
    ctx: CheckContext, http_server: RunningServer
) -> None:
    settings = regex_rule("X-Long", "^(a+)+$")
    started = time.perf_counter()
    result = await run(http_server.url("/long-header?n=30000"), settings, ctx)
    elapsed = time.perf_counter() - started

    assert elapsed < 0.5
    assert result.outcome is Outcome.FAILED
    assert result.summary.startswith("Down: header x-long expected to match '^(a+)+$', got 'aaa")
    matching = await run(http_server.url("/long-header?n=30000"), regex_rule("X-Long", "^(a+)+!$"), ctx)
    assert matching.summary == "Up"


async def test_the_regex_is_compiled_with_the_settings_not_per_run(
    ctx: CheckContext, http_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = regex_rule("X-Count", r"^\d+$")
    assert settings.expected_response_headers[0].regex is not None

    def compile_again(pattern: str) -> None:
        raise AssertionError(f"{pattern!r} compiled during a run")

    monkeypatch.setattr(assertions, "compile_user_regex", compile_again)
    for _ in range(2):
        assert (await run(http_server.url("/headers"), settings, ctx)).summary == "Up"


VALUE = "the value of header X-Foo holds a control character"


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("X-Foo", "a\r\nX-Injected: yes", VALUE),
        ("X-Foo", "a\nX-Injected: yes", VALUE),
        ("X-Foo", "a\x00b", VALUE),
        ("X-Injected: yes\r\nX-Foo", "a", "'X-Injected: yes\\r\\nX-Foo' is not a valid header name"),
    ],
)
async def test_a_header_that_would_break_the_request_is_never_sent(
    ctx: CheckContext, name: str, value: str, problem: str
) -> None:
    # Settings saved through the API are refused at once; these got past the model somehow.
    header = HeaderField.model_construct(name=name, value=value)
    settings = HttpUptimeSettings.model_construct(http_client_headers=[header])
    async with serve_recording() as server:
        result = await run(server.url("/"), settings, ctx)

    assert result.outcome is Outcome.FAILED
    assert result.summary == f"Down: request not sent: {problem}"
    assert result.details["error_kind"] == "other"
    assert server.received == []


async def test_a_header_value_beyond_ascii_is_sent_as_utf8(ctx: CheckContext) -> None:
    settings = HttpUptimeSettings(http_client_headers=[{"name": "X-City", "value": "Zürich\tCH"}])
    async with serve_recording() as server:
        result = await run(server.url("/"), settings, ctx)

    assert result.summary == "Up"
    [head] = server.received
    assert b"\r\nX-City: Z\xc3\xbcrich\tCH\r\n" in head

from typing import Any

import pytest

from lookout.checks.base import CheckContext, Target
from lookout.checks.registry import CHECKS
from lookout.model.check_settings import HttpUptimeSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.guard import PRIVATE_HINT, TargetGuard
from tests.servers.fixtures import SITE
from tests.servers.http import RunningServer
from tests.servers.tcp import closed_port


async def run(url: str, ctx: CheckContext, connect_ip: str | None = None, **settings: Any) -> CheckResult:
    target = Target(monitor_id=1, monitor_type=MonitorType.HTTP, url=url, connect_ip=connect_ip)
    return await CHECKS[CheckType.UPTIME].run(target, HttpUptimeSettings(**settings), ctx)


async def test_up(ctx: CheckContext, http_server: RunningServer) -> None:
    result = await run(http_server.url("/ok"), ctx, look_for_string="Welcome")
    assert (result.outcome, result.summary) == (Outcome.SUCCEEDED, "Up")
    assert result.details["status_code"] == 200
    assert result.details["final_url"] == http_server.url("/ok")
    assert result.details["redirect_count"] == 0
    assert result.timings.total_ms is not None and result.timings.connect_ms is not None
    assert result.location == "test"
    assert result.started_at <= result.ended_at


SUMMARIES = [
    ("/status/503", {}, "Down: expected status 2*, got 503"),
    ("/status/404", {"valid_status_codes": ["2*", "301"]}, "Down: expected status 2* or 301, got 404"),
    ("/ok", {"look_for_string": "Goodbye"}, "Down: 'Goodbye' not found in the response"),
    ("/error-page", {"absent_string": "Error"}, "Down: 'Error' found in the response"),
    ("/loop", {"max_redirect_count": 5}, "Down: too many redirects (more than 5)"),
    ("/hang", {"timeout": 1}, "Down: timed out after 1 s"),
    (
        "/headers",
        {"expected_response_headers": [{"name": "X-Foo", "condition": "equals", "value": "b"}]},
        "Down: header x-foo expected to equal 'b', got 'a'",
    ),
    (
        "/headers",
        {"expected_response_headers": [{"name": "x-count", "condition": "matches regex", "value": "^7"}]},
        "Down: header x-count expected to match '^7', got '42'",
    ),
    (
        "/headers",
        {"expected_response_headers": [{"name": "x-missing", "condition": "contains", "value": "z"}]},
        "Down: header x-missing expected to contain 'z', but it is missing",
    ),
]


@pytest.mark.parametrize(("path", "settings", "summary"), SUMMARIES)
async def test_down_summaries(
    ctx: CheckContext, http_server: RunningServer, path: str, settings: dict[str, Any], summary: str
) -> None:
    result = await run(http_server.url(path), ctx, **settings)
    assert result.outcome is Outcome.FAILED
    assert result.summary == summary


async def test_passing_assertions_together(ctx: CheckContext, http_server: RunningServer) -> None:
    result = await run(
        http_server.url("/headers"),
        ctx,
        valid_status_codes=["200"],
        look_for_string="headers",
        absent_string="Error",
        expected_response_headers=[
            {"name": "x-foo", "condition": "equals", "value": "a"},
            {"name": "x-foo", "condition": "not_equals", "value": "b"},
            {"name": "x-count", "condition": "contains", "value": "4"},
            {"name": "x-count", "condition": "not_contains", "value": "9"},
            {"name": "x-absent", "condition": "not_contains", "value": "9"},
            {"name": "x-count", "condition": "matches_regex", "value": r"^\d+$"},
        ],
    )
    assert result.summary == "Up"


async def test_redirects_and_expected_final_url(ctx: CheckContext, http_server: RunningServer) -> None:
    result = await run(
        http_server.url("/redirect/1"), ctx, expected_final_redirect_url=http_server.url("/ok")
    )
    assert result.summary == "Up"
    assert result.details["redirect_count"] == 2

    wrong = http_server.url("/elsewhere")
    result = await run(http_server.url("/redirect/1"), ctx, expected_final_redirect_url=wrong)
    assert result.summary == f"Down: ended at {http_server.url('/ok')} instead of {wrong}"


async def test_redirect_status_counts_when_not_following(
    ctx: CheckContext, http_server: RunningServer
) -> None:
    result = await run(http_server.url("/loop"), ctx, max_redirect_count=0, valid_status_codes=["30*"])
    assert result.summary == "Up"
    assert result.details["status_code"] == 302


async def test_verb_payload_and_client_headers_are_sent(
    ctx: CheckContext, http_server: RunningServer
) -> None:
    result = await run(
        http_server.url("/echo"),
        ctx,
        http_verb="PUT",
        payload=[{"name": "field", "value": "v1"}],
        http_client_headers=[{"name": "X-Token", "value": "t0k"}],
        look_for_string='"method": "PUT"',
    )
    assert result.summary == "Up"
    result = await run(
        http_server.url("/echo"),
        ctx,
        http_verb="put",
        payload=[{"name": "field", "value": "v1"}],
        http_client_headers=[{"name": "X-Token", "value": "t0k"}],
        look_for_string='"field": "v1"',
        absent_string='"X-Token": "other"',
    )
    assert result.summary == "Up"


async def test_connection_refused(ctx: CheckContext) -> None:
    result = await run(f"http://127.0.0.1:{closed_port()}/", ctx)
    assert (result.outcome, result.summary) == (Outcome.FAILED, "Down: connection refused")
    assert result.details["error_kind"] == "refused"


async def test_unresolvable_host(ctx: CheckContext) -> None:
    result = await run("http://nope.test/", ctx)
    assert result.summary == "Down: could not resolve nope.test (no such domain)"


async def test_certificate_problem(ctx: CheckContext, https_server: RunningServer) -> None:
    result = await run(https_server.url("/ok", host="localhost"), ctx)
    assert result.outcome is Outcome.FAILED
    assert result.summary.startswith("Down: certificate problem: ")
    assert (await run(https_server.url("/ok", host=SITE), ctx)).summary == "Up"


async def test_connect_ip_dials_that_address(ctx: CheckContext, http_server: RunningServer) -> None:
    url = f"http://unknown.test:{http_server.port}/ok"
    assert (await run(url, ctx, connect_ip="127.0.0.1")).summary == "Up"


async def test_guard_refuses_private_targets(ctx: CheckContext, http_server: RunningServer) -> None:
    strict = CheckContext(
        resolver=ctx.resolver,
        guard=TargetGuard(ctx.resolver, allow_private=False),
        clock=ctx.clock,
        http_client=ctx.http_client,
    )
    result = await run(http_server.url("/ok"), strict)
    assert (result.outcome, result.summary) == (
        Outcome.FAILED,
        "Down: target refused: 127.0.0.1 is a loopback address" + PRIVATE_HINT,
    )
    result = await run("http://site.test/", ctx, connect_ip="169.254.169.254")
    assert result.summary == "Down: target refused: 169.254.169.254 is a cloud metadata address"


async def test_ai_monitors_use_the_http_variant(ctx: CheckContext, http_server: RunningServer) -> None:
    target = Target(monitor_id=2, monitor_type=MonitorType.AI, url=http_server.url("/status/500"))
    result = await CHECKS[CheckType.UPTIME].run(target, HttpUptimeSettings(), ctx)
    assert result.summary == "Down: expected status 2*, got 500"

"""The application health check against a loopback app publishing Oh Dear-style results."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from lookout.checks.application_health import (
    ApplicationHealthCheck,
    BadResults,
    parse_finished_at,
    parse_results,
)
from lookout.checks.base import CheckContext, Target
from lookout.model.check_settings import ApplicationHealthSettings
from lookout.model.check_type import MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.guard import TargetGuard
from tests.servers.app_health import SECRET, RunningApp, serve_app_health


@pytest.fixture(scope="module")
def app() -> Iterator[RunningApp]:
    with serve_app_health() as running:
        yield running


async def run(app: RunningApp, path: str, ctx: CheckContext, **settings: Any) -> CheckResult:
    values: dict[str, Any] = {"result_url": f"{app.url}{path}", "secret": SECRET, **settings}
    target = Target(monitor_id=1, monitor_type=MonitorType.HTTP, url=app.url)
    return await ApplicationHealthCheck().run(target, ApplicationHealthSettings.model_validate(values), ctx)


async def test_all_ok(app: RunningApp, ctx: CheckContext) -> None:
    result = await run(app, "/health/ok", ctx, headers=[{"name": "X-Env", "value": "production"}])
    assert (result.outcome, result.summary) == (Outcome.SUCCEEDED, "All 3 health checks are fine")
    assert [r["name"] for r in result.details["results"]] == ["Database", "UsedDiskSpace", "Queue"]
    assert result.details["results"][1] == {
        "name": "UsedDiskSpace",
        "label": "Used DiskSpace",
        "status": "ok",
        "message": "UsedDiskSpace is ok",
        "short_summary": "ok",
        "meta": {"value": 42},
    }
    assert app.last_headers["oh-dear-health-check-secret"] == SECRET
    assert app.last_headers["x-env"] == "production"
    assert SECRET not in repr(result.details) and SECRET not in result.summary


@pytest.mark.parametrize(
    ("path", "outcome", "summary"),
    [
        ("/health/warning", Outcome.WARNING, "1 warning: Used DiskSpace"),
        ("/health/failed", Outcome.FAILED, "1 failing: Used DiskSpace"),
        ("/health/crashed", Outcome.FAILED, "1 failing: Horizon"),
        ("/health/stale", Outcome.FAILED, "Results are stale: they finished 3 hours ago"),
        ("/health/bad-json", Outcome.FAILED, "Bad results: the answer is not valid JSON"),
        ("/health/500", Outcome.FAILED, "The result URL answered HTTP 500"),
    ],
)
async def test_problems(
    app: RunningApp, ctx: CheckContext, path: str, outcome: Outcome, summary: str
) -> None:
    result = await run(app, path, ctx)
    assert (result.outcome, result.summary) == (outcome, summary)


async def test_a_wrong_secret_is_a_401(app: RunningApp, ctx: CheckContext) -> None:
    result = await run(app, "/health/ok", ctx, secret="not-the-secret")
    assert (result.outcome, result.summary) == (
        Outcome.FAILED,
        "The result URL answered HTTP 401 (is the secret right?)",
    )
    assert result.details["status_code"] == 401 and "results" not in result.details


async def test_lenient_dates_statuses_and_missing_meta(app: RunningApp, ctx: CheckContext) -> None:
    result = await run(app, "/health/iso", ctx)
    assert result.outcome is Outcome.SUCCEEDED, result.summary
    cache, debug = result.details["results"]
    assert cache == {
        "name": "Cache",
        "label": "Cache",
        "status": "ok",
        "message": "",
        "short_summary": "",
        "meta": {},
    }
    assert debug["status"] == "ok" and debug["meta"] == {}


async def test_no_result_url_and_a_refused_target(app: RunningApp, ctx: CheckContext) -> None:
    target = Target(monitor_id=1, monitor_type=MonitorType.HTTP, url=app.url)
    unset = await ApplicationHealthCheck().run(target, ApplicationHealthSettings(), ctx)
    assert (unset.outcome, unset.summary) == (Outcome.FAILED, "No result URL (http or https) is configured")
    strict = dataclasses.replace(ctx, guard=TargetGuard(ctx.resolver, allow_private=False))
    refused = await run(app, "/health/ok", strict)
    assert refused.outcome is Outcome.FAILED and "loopback address" in refused.summary


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1609459200, datetime(2021, 1, 1, tzinfo=UTC)),
        ("1609459200", datetime(2021, 1, 1, tzinfo=UTC)),
        ("2021-01-01 00:00:00", datetime(2021, 1, 1, tzinfo=UTC)),
        ("2021-01-01T01:00:00+01:00", datetime(2021, 1, 1, tzinfo=UTC)),
        ("2021-01-01T00:00:00.000000Z", datetime(2021, 1, 1, tzinfo=UTC)),
    ],
)
def test_finished_at_forms(value: Any, expected: datetime) -> None:
    assert parse_finished_at(value) == expected


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"checkResults": []},
        {"finishedAt": True, "checkResults": []},
        {"finishedAt": 1e300, "checkResults": []},
        {"finishedAt": 1, "checkResults": {}},
        {"finishedAt": "yesterday", "checkResults": []},
    ],
)
def test_documents_that_are_not_results(document: Any) -> None:
    with pytest.raises(BadResults):
        parse_results(document)


def test_entries_are_bounded_and_bad_ones_left_out() -> None:
    entries: list[Any] = [
        {"name": f"c{i}", "status": "ok", "meta": {str(k): k for k in range(100)}} for i in range(60)
    ]
    entries[0] = "not an object"
    entries[1] = {"name": "odd", "status": "purple"}
    _, results, problems = parse_results({"finishedAt": 1, "checkResults": entries})
    assert len(results) == 48 and all(len(r["meta"]) == 20 for r in results)
    assert problems == [
        "only the first 50 of 60 results were read",
        "result 0 has no name",
        "result 'odd' has an unknown status 'purple'",
    ]

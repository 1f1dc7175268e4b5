"""Uptime of an HTTP(S) monitor: one request, judged against the monitor's settings."""

from __future__ import annotations

from lookout.checks.base import CheckContext, Target
from lookout.checks.results import down, finish
from lookout.checks.uptime.assertions import check_status, problems, status_matches
from lookout.checks.uptime.details import HttpUptimeDetails
from lookout.model.check_settings import HttpUptimeSettings
from lookout.model.result import CheckResult, Outcome
from lookout.net.http import HttpRequest, HttpResponse, TransportError


def build_request(target: Target, settings: HttpUptimeSettings) -> HttpRequest:
    return HttpRequest(
        url=target.url,
        method=settings.http_verb.value.upper(),
        headers=[(header.name, header.value) for header in settings.http_client_headers],
        form=[(field.name, field.value) for field in settings.payload],
        timeout_s=settings.timeout,
        max_redirects=settings.max_redirect_count,
        connect_ip=target.connect_ip,
    )


def _details(response: HttpResponse) -> HttpUptimeDetails:
    return {
        "status_code": response.status,
        "final_url": response.final_url,
        "redirect_count": response.redirect_count,
        "remote_ip": response.remote_ip,
        "body_truncated": response.truncated,
    }


async def check_http(target: Target, settings: HttpUptimeSettings, ctx: CheckContext) -> CheckResult:
    """The client guards every hop (connect_ip, host, redirect targets) before dialling it.

    With a connect_ip the host name is not resolved at all: an IP-level check (DNSPod
    monitors one IP of a record) must not fail because the name's DNS is broken.
    """
    started_at = ctx.clock()
    client = ctx.http_client(ctx.guard)
    try:
        response = await client.fetch(build_request(target, settings))
    except TransportError as exc:
        failure: HttpUptimeDetails = {
            "error_kind": exc.kind.value,
            "url": exc.url,
            "redirect_count": exc.redirect_count,
        }
        return down(ctx, started_at, exc.message, timings=exc.timings, details=failure)
    details = _details(response)
    found = problems(response, settings)
    warned = _warning_status(response, settings)
    if warned is not None:
        # A status the settings call a warning (a D-Monitor's 4xx): the server answered,
        # so it is not down; the other rules still fail the run.
        found = [problem for problem in found if problem != warned]
    if found:
        details["problems"] = found
        return down(ctx, started_at, found[0], timings=response.timings, details=details)
    if warned is not None:
        details["problems"] = [warned]
        summary = f"HTTP {response.status}"
        return finish(ctx, started_at, Outcome.WARNING, summary, timings=response.timings, details=details)
    return finish(ctx, started_at, Outcome.SUCCEEDED, "Up", timings=response.timings, details=details)


def _warning_status(response: HttpResponse, settings: HttpUptimeSettings) -> str | None:
    """The status problem when the status is one the settings count as a warning."""
    if not any(status_matches(response.status, pattern) for pattern in settings.warning_status_codes):
        return None
    return check_status(response, settings)

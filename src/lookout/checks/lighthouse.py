"""Lighthouse: a headless Chromium audits the monitor's page for performance,
accessibility, best practices and SEO (net/lighthouse.py runs it, through the guard proxy).

A run fails when a score falls below its minimum or a timing rises above its maximum
(`notification_settings`; without them a score below 50, Lighthouse's "poor", fails), and
when Lighthouse could not load the page (it answered 500, it never finished loading). Its
details are the A14 report summary: the four scores, the timings in ms, the layout shift,
and the issues. The full JSON report goes with the run (`CheckResult.report`), deflated,
and is kept for the check's last few runs. A machine without Node.js, the lighthouse
package or Chromium gives errored-or-timed-out runs that say what is missing.
"""

from __future__ import annotations

import asyncio
import builtins
import zlib
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import orjson

from lookout.checks.base import Check, CheckContext, Pool, Target
from lookout.checks.results import finish
from lookout.errors import LookoutError
from lookout.model.check_settings import LighthouseSettings
from lookout.model.check_settings.others import DeviceEmulation
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.guard import TargetRefused
from lookout.net.lighthouse import LighthouseError

# Category id in Lighthouse's report -> the A14 field and the name a person reads.
SCORES = {
    "performance": ("performance_score", "Performance"),
    "accessibility": ("accessibility_score", "Accessibility"),
    "best-practices": ("best_practices_score", "Best practices"),
    "seo": ("seo_score", "SEO"),
}
# Audit id -> the A14 timing field (numericValue in ms) and its name.
TIMINGS = {
    "first-contentful-paint": ("first_contentful_paint_in_ms", "First contentful paint"),
    "speed-index": ("speed_index_in_ms", "Speed index"),
    "largest-contentful-paint": ("largest_contentful_paint_in_ms", "Largest contentful paint"),
    "interactive": ("time_to_interactive_in_ms", "Time to interactive"),
    "total-blocking-time": ("total_blocking_time_in_ms", "Total blocking time"),
}
# The fields of an A14 report summary, in the order Oh Dear lists them.
REPORT_FIELDS = (
    *(field for field, _ in SCORES.values()),
    "progressive_web_app_score",
    *(field for field, _ in TIMINGS.values()),
    "cumulative_layout_shift",
    "performed_on_checker_server",
)
_NAMES = {field: name for field, name in (*SCORES.values(), *TIMINGS.values())}
NOT_INSTALLED = "Lighthouse cannot run here: it needs Node.js, the lighthouse npm package and Chromium"


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """The A14 report fields read from Lighthouse's JSON report (None where it has none)."""
    categories = _mapping(report.get("categories"))
    audits = _mapping(report.get("audits"))
    summary: dict[str, Any] = {}
    for category, (field, _) in SCORES.items():
        score = _mapping(categories.get(category)).get("score")
        summary[field] = round(score * 100) if isinstance(score, int | float) else None
    summary["progressive_web_app_score"] = None  # Lighthouse 12 has no PWA category
    for audit, (field, _) in TIMINGS.items():
        value = _mapping(audits.get(audit)).get("numericValue")
        summary[field] = round(value) if isinstance(value, int | float) else None
    shift = _mapping(audits.get("cumulative-layout-shift")).get("numericValue")
    summary["cumulative_layout_shift"] = round(shift, 4) if isinstance(shift, int | float) else None
    return summary


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def issues_of(summary: dict[str, Any], minimums: dict[str, int], maximums: dict[str, int]) -> list[str]:
    """What a person is told is wrong: each score below its minimum, each timing above its maximum."""
    issues = []
    for field, minimum in minimums.items():
        score = summary.get(field)
        if score is not None and score < minimum:
            issues.append(f"{_NAMES[field]} score {score} is below {minimum}")
    for field, maximum in maximums.items():
        value = summary.get(field)
        if value is not None and value > maximum:
            issues.append(f"{_NAMES[field]} {value} ms is above {maximum} ms")
    return issues


def _scores_line(summary: dict[str, Any]) -> str:
    parts = [f"{name} {summary[field]}" for field, name in SCORES.values() if summary[field] is not None]
    return ", ".join(parts) or "No scores"


def _deflated(report: dict[str, Any]) -> bytes:
    return zlib.compress(orjson.dumps(report), 6)


class LighthouseCheck(Check[LighthouseSettings]):
    type: ClassVar[CheckType] = CheckType.LIGHTHOUSE
    pool: ClassVar[Pool] = Pool.BROWSER

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[LighthouseSettings]:
        return LighthouseSettings

    def time_budget(self, settings: LighthouseSettings) -> float:
        return 600 + 30  # the audit's own timeout is the operator's, at most 600 s

    async def run(self, target: Target, settings: LighthouseSettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        details: dict[str, Any] = {
            "device_emulation": settings.device_emulation.value,
            "performed_on_checker_server": ctx.location,
            "issues": [],
        }
        host = urlsplit(target.url).hostname or ""
        try:
            await ctx.guard.check(host)
        except TargetRefused as exc:
            return _failed(ctx, started_at, details, f"target refused: {exc.reason}")
        except LookoutError as exc:  # ResolveError
            return _failed(ctx, started_at, details, str(exc))
        if ctx.lighthouse is None:
            return _errored(ctx, started_at, details, NOT_INSTALLED)
        headers = [(header.name, header.value) for header in settings.http_client_headers]
        desktop = settings.device_emulation is DeviceEmulation.DESKTOP
        try:
            audit = await ctx.lighthouse.audit(target.url, ctx.guard, desktop=desktop, headers=headers)
        except LighthouseError as exc:
            return _errored(ctx, started_at, details, f"Lighthouse could not run: {exc.message}")
        report = audit.report
        details.update(summarize(report))
        details["lighthouse_version"] = str(report.get("lighthouseVersion", ""))[:32]
        details["blocked_requests"] = [{"host": r.host, "reason": r.reason} for r in audit.refusals]
        deflated = await asyncio.to_thread(_deflated, report)
        runtime_error = report.get("runtimeError")
        if isinstance(runtime_error, dict):
            message = str(runtime_error.get("message") or runtime_error.get("code") or "unknown error")
            reason = f"Lighthouse could not audit the page: {message[:900]}"
            return _failed(ctx, started_at, details, reason, deflated)
        if all(details[field] is None for field, _ in SCORES.values()):
            return _errored(ctx, started_at, details, "Lighthouse gave no scores")
        minimums, maximums = settings.thresholds()
        issues = issues_of(details, minimums, maximums)
        details["issues"] = issues
        if issues:
            more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
            return _failed(ctx, started_at, details, f"{issues[0]}{more}", deflated, keep_issues=True)
        summary = _scores_line(details)
        return finish(ctx, started_at, Outcome.SUCCEEDED, summary, details=details, report=deflated)


def _failed(
    ctx: CheckContext,
    started_at: datetime,
    details: dict[str, Any],
    reason: str,
    report: bytes | None = None,
    *,
    keep_issues: bool = False,
) -> CheckResult:
    if not keep_issues:
        details["issues"] = [reason]
    return finish(ctx, started_at, Outcome.FAILED, reason[:1024], details=details, report=report)


def _errored(ctx: CheckContext, started_at: datetime, details: dict[str, Any], reason: str) -> CheckResult:
    details["issues"] = [reason]
    return finish(ctx, started_at, Outcome.ERRORED, reason[:1024], details=details)

"""Application health: read the JSON an app publishes about its own health checks.

Lookout sends `GET result_url` with the `oh-dear-health-check-secret` header (and the
configured headers); the app answers `{"finishedAt": ..., "checkResults": [...]}` (Oh
Dear's format, A13). Validation is lenient where real apps are: `finishedAt` as a Unix
timestamp, an ISO date or `Y-m-d H:i:s`; a missing label, message, summary or meta. The
run fails on a failed or crashed health check, on results older than an hour, on a
non-2xx answer or on a body that is not that JSON; it warns on a warning. Snoozed health
checks (read through `ctx.health_snoozes`) still fail the run; when every result that
fails (or warns) it is snoozed, the details say until when (`silenced_until`) and
notifications are held.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from lookout.checks.base import Check, CheckContext, FindingsSpec, Pool, Target
from lookout.checks.results import finish
from lookout.model.check_settings import ApplicationHealthSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.events import SILENCED_UNTIL
from lookout.model.findings import DiffKind
from lookout.model.result import CheckResult, Finding, Outcome
from lookout.net.http import HttpRequest, TransportError

SECRET_HEADER = "oh-dear-health-check-secret"
STALE_AFTER = timedelta(hours=1)
BODY_LIMIT = 512 * 1024
TIMEOUT_S = 10.0
MAX_RESULTS = 50
MAX_META_KEYS = 20
MAX_META_BYTES = 4096
STATUSES = ("ok", "warning", "failed", "crashed", "skipped")
_FAILING = ("failed", "crashed")


class BadResults(ValueError):  # noqa: N818  (a reason, not an error of ours)
    """The body is not health check results; the message says why."""


def parse_finished_at(value: Any) -> datetime:
    """A Unix timestamp (number or digits), an ISO date or `Y-m-d H:i:s` (UTC when naive)."""
    if isinstance(value, bool):
        raise BadResults("finishedAt is not a date")
    if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
        value = float(value.strip())
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise BadResults("finishedAt is out of range") from None
    if isinstance(value, str) and len(value) <= 64:
        text = value.strip()
        if text[-1:] in ("z", "Z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise BadResults(f"finishedAt {value[:40]!r} is not a date") from None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    if value is None:
        raise BadResults("finishedAt is missing")
    raise BadResults("finishedAt is not a date")


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text[:limit]


def _meta(value: Any) -> dict[str, Any]:
    """At most 20 keys and about 4 KiB; anything else (a list, null) is no meta."""
    if not isinstance(value, Mapping):
        return {}
    meta: dict[str, Any] = {}
    size = 0
    for key, item in list(value.items())[:MAX_META_KEYS]:
        encoded = json.dumps(item, default=str)
        size += len(encoded) + len(str(key))
        if size > MAX_META_BYTES:
            break
        meta[str(key)[:255]] = json.loads(encoded)
    return meta


def parse_results(document: Any) -> tuple[datetime, list[dict[str, Any]], list[str]]:
    """(finishedAt, health check results, problems with entries that were left out)."""
    if not isinstance(document, Mapping):
        raise BadResults("the answer is not a JSON object")
    finished_at = parse_finished_at(document.get("finishedAt"))
    entries = document.get("checkResults")
    if not isinstance(entries, list):
        raise BadResults("checkResults is missing or not a list")
    problems: list[str] = []
    if len(entries) > MAX_RESULTS:
        problems.append(f"only the first {MAX_RESULTS} of {len(entries)} results were read")
    results: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(entries[:MAX_RESULTS]):
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name.strip():
            problems.append(f"result {index} has no name")
            continue
        assert isinstance(entry, Mapping)
        status = str(entry.get("status", "")).strip().lower()
        if status not in STATUSES:
            problems.append(f"result {name[:60]!r} has an unknown status {str(entry.get('status'))[:20]!r}")
            continue
        name = name.strip()[:255]
        results[name] = {
            "name": name,
            "label": _text(entry.get("label"), 255) or name,
            "status": status,
            "message": _text(entry.get("notificationMessage"), 2000),
            "short_summary": _text(entry.get("shortSummary"), 255),
            "meta": _meta(entry.get("meta")),
        }
    return finished_at, list(results.values()), problems


def judge(
    results: list[dict[str, Any]], problems: list[str], finished_at: datetime, now: datetime
) -> tuple[Outcome, str]:
    age = now - finished_at
    if age > STALE_AFTER:
        minutes = int(age.total_seconds() // 60)
        return Outcome.FAILED, f"Results are stale: they finished {_ago(minutes)}"
    failing = [r["label"] for r in results if r["status"] in _FAILING]
    warning = [r["label"] for r in results if r["status"] == "warning"]
    if failing:
        return Outcome.FAILED, f"{len(failing)} failing: {', '.join(failing)}"[:1024]
    if warning:
        return Outcome.WARNING, f"{len(warning)} warning: {', '.join(warning)}"[:1024]
    if problems:
        return Outcome.WARNING, f"Some results could not be read: {problems[0]}"[:1024]
    if not results:
        return Outcome.WARNING, "The app reported no health checks"
    return Outcome.SUCCEEDED, f"All {len(results)} health checks are fine"


def _ago(minutes: int) -> str:
    if minutes < 120:
        return f"{minutes} minutes ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} hours ago"
    return f"{minutes // (24 * 60)} days ago"


class ApplicationHealthCheck(Check[ApplicationHealthSettings]):
    type: ClassVar[CheckType] = CheckType.APPLICATION_HEALTH
    pool: ClassVar[Pool] = Pool.FAST
    # A health check that starts failing is news even while another keeps the check down.
    findings: ClassVar[FindingsSpec | None] = FindingsSpec("failing health check", frozenset({DiffKind.NEW}))

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[ApplicationHealthSettings]:
        return ApplicationHealthSettings

    def time_budget(self, settings: ApplicationHealthSettings) -> float:
        return TIMEOUT_S + 5

    async def run(
        self, target: Target, settings: ApplicationHealthSettings, ctx: CheckContext
    ) -> CheckResult:
        started_at = ctx.clock()
        url = settings.result_url
        if not url or urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).hostname:
            return _failed(ctx, started_at, "No result URL (http or https) is configured")
        request = HttpRequest(
            url=url,
            headers=[
                ("Accept", "application/json"),
                *((header.name, header.value) for header in settings.headers),
                (SECRET_HEADER, settings.secret),
            ],
            timeout_s=TIMEOUT_S,
            max_redirects=3,
            body_limit=BODY_LIMIT,
        )
        try:
            response = await ctx.http_client(ctx.guard).fetch(request)
        except TransportError as exc:
            return _failed(
                ctx, started_at, f"Could not fetch the results: {exc.message}", timings=exc.timings
            )
        details: dict[str, Any] = {"status_code": response.status}
        if not 200 <= response.status < 300:
            hint = " (is the secret right?)" if response.status in (401, 403) else ""
            return _failed(
                ctx,
                started_at,
                f"The result URL answered HTTP {response.status}{hint}",
                details,
                response.timings,
            )
        if response.truncated:
            message = f"The answer is larger than {BODY_LIMIT // 1024} KiB"
            return _failed(ctx, started_at, message, details, response.timings)
        try:
            finished_at, results, problems = parse_results(json.loads(response.body))
        except ValueError as exc:  # BadResults, or JSON that does not parse
            reason = str(exc) if isinstance(exc, BadResults) else "the answer is not valid JSON"
            return _failed(ctx, started_at, f"Bad results: {reason}", details, response.timings)
        now = ctx.clock()
        outcome, summary = judge(results, problems, finished_at, now)
        details.update(finished_at=finished_at.isoformat(), results=results, problems=problems)
        snoozed = await _snoozed(ctx, target.monitor_id, results, outcome, finished_at, now)
        if snoozed and all(name in snoozed for name in _deciding(results, outcome)):
            details[SILENCED_UNTIL] = min(snoozed.values()).isoformat()
        # Each failing result not snoozed is a finding: one failing while the check is already
        # down is news, and so is a snoozed one still failing when its snooze ends.
        findings = tuple(
            Finding(f"result:{r['name']}", {"name": r["name"], "status": r["status"]})
            for r in results
            if r["status"] in _FAILING and r["name"] not in snoozed
        )
        return finish(
            ctx, started_at, outcome, summary, timings=response.timings, details=details, findings=findings
        )


def _deciding(results: list[dict[str, Any]], outcome: Outcome) -> list[str]:
    """The names of the results that make the run fail (or warn)."""
    if outcome is Outcome.FAILED:
        return [r["name"] for r in results if r["status"] in _FAILING]
    if outcome is Outcome.WARNING:
        return [r["name"] for r in results if r["status"] == "warning"]
    return []


async def _snoozed(
    ctx: CheckContext,
    monitor_id: int,
    results: list[dict[str, Any]],
    outcome: Outcome,
    finished_at: datetime,
    now: datetime,
) -> dict[str, datetime]:
    """Name -> snooze end of the snoozed results among those that make the run fail (or
    warn). A snooze silences notifications, never the check; a failure that is not about
    named results (stale results, a bad answer) is never silenced."""
    names = _deciding(results, outcome)
    if ctx.health_snoozes is None or not names or now - finished_at > STALE_AFTER:
        return {}
    return dict(await ctx.health_snoozes.snoozed_until(monitor_id, names, now))


def _failed(
    ctx: CheckContext,
    started_at: datetime,
    summary: str,
    details: dict[str, Any] | None = None,
    timings: Any = None,
) -> CheckResult:
    details = dict(details or {})
    details["problems"] = [summary]
    return finish(ctx, started_at, Outcome.FAILED, summary[:1024], details=details, timings=timings)

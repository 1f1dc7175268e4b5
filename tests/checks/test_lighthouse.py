"""The Lighthouse check: real audits by Lighthouse and Chromium of a loopback site, through
the guard proxy, judged against the scores and timings a user sets.

Every audit's proxy dials through a seam that only ever opens loopback sockets, so the
metadata image on /good could not be fetched even if the guard were wrong; the test
asserts the guard refused it and the seam never saw it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from pydantic import ValidationError

from lookout.checks.base import CheckContext, Target
from lookout.checks.lighthouse import NOT_INSTALLED, LighthouseCheck, issues_of, summarize
from lookout.model.check_settings import LighthouseSettings
from lookout.model.check_type import MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.browser_trust import certificates
from lookout.net.guard import TargetGuard
from lookout.net.lighthouse import Audit, LighthouseRunner
from tests.conftest import missing
from tests.servers.audit_site import AuditSite, audit_site
from tests.servers.tls import server_context

SCORE_FIELDS = ("performance_score", "accessibility_score", "best_practices_score", "seo_score")
TIMING_FIELDS = (
    "first_contentful_paint_in_ms",
    "speed_index_in_ms",
    "largest_contentful_paint_in_ms",
    "time_to_interactive_in_ms",
    "total_blocking_time_in_ms",
)


@pytest.fixture(scope="module")
def site() -> Iterator[AuditSite]:
    with audit_site() as running:
        yield running


@dataclasses.dataclass
class Dialled:
    addresses: list[tuple[str, int]] = dataclasses.field(default_factory=list)

    async def loopback_only(
        self, address: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.addresses.append((address, port))
        if address != "127.0.0.1":
            raise ConnectionRefusedError(f"the test never dials {address}")
        return await asyncio.open_connection(address, port)


def runner(tmp_path: Path, dialled: Dialled, timeout_s: float = 90) -> LighthouseRunner:
    found = LighthouseRunner.find(timeout_s=timeout_s)
    if isinstance(found, str):
        missing(f"{found} (make lighthouse; apt-get install chromium)")
        raise AssertionError("unreachable")
    return dataclasses.replace(found, connect=dialled.loopback_only, profile_root=str(tmp_path))


class RecordingGuard(TargetGuard):
    """The test's guard, remembering every host it was asked about."""

    def __init__(self, guard: TargetGuard) -> None:
        super().__init__(guard.resolver, allow_private=guard.allow_private)
        self.hosts: set[str] = set()

    async def check(self, host: str) -> list[str]:
        self.hosts.add(host)
        return await super().check(host)


async def audit(
    ctx: CheckContext, site: AuditSite, path: str, lighthouse: LighthouseRunner | None, **settings: Any
) -> CheckResult:
    target = Target(monitor_id=1, monitor_type=MonitorType.HTTP, url=f"{site.url}{path}")
    context = dataclasses.replace(ctx, lighthouse=lighthouse)
    return await LighthouseCheck().run(target, LighthouseSettings.model_validate(settings), context)


def report_of(result: CheckResult) -> dict[str, Any]:
    assert result.report is not None
    report: dict[str, Any] = json.loads(zlib.decompress(result.report))
    return report


async def test_a_good_page_succeeds_with_its_scores_and_the_metadata_image_refused(
    ctx: CheckContext, site: AuditSite, tmp_path: Path
) -> None:
    dialled = Dialled()
    guard = RecordingGuard(ctx.guard)
    result = await audit(
        dataclasses.replace(ctx, guard=guard),
        site,
        "/good",
        runner(tmp_path, dialled),
        http_client_headers=[{"name": "X-Audit", "value": "lookout"}],
    )
    assert result.outcome is Outcome.SUCCEEDED, result.summary
    details = result.details
    assert all(isinstance(details[name], int) and 0 <= details[name] <= 100 for name in SCORE_FIELDS)
    assert details["accessibility_score"] >= 90 and details["seo_score"] >= 90
    assert result.summary == (
        f"Performance {details['performance_score']}, Accessibility {details['accessibility_score']}, "
        f"Best practices {details['best_practices_score']}, SEO {details['seo_score']}"
    )
    assert all(isinstance(details[name], int) and details[name] >= 0 for name in TIMING_FIELDS)
    assert isinstance(details["cumulative_layout_shift"], float | int)
    assert details["progressive_web_app_score"] is None and details["issues"] == []
    assert (details["device_emulation"], details["performed_on_checker_server"]) == ("desktop", "test")
    assert details["lighthouse_version"].startswith("12.")
    # The browser asked for the image on the metadata address; the guard said no, no socket.
    (blocked,) = details["blocked_requests"]
    assert blocked["host"] == "169.254.169.254" and "metadata" in blocked["reason"]
    assert dialled.addresses and {address for address, _ in dialled.addresses} == {"127.0.0.1"}
    # Nothing but the page's own requests went out: none of the browser's (sign-in, updates).
    assert guard.hosts == {"127.0.0.1", "169.254.169.254"}
    # The user's header reached the page; the report is Lighthouse's, for this page.
    assert ("/good", "lookout") in site.requests
    report = report_of(result)
    assert report["finalDisplayedUrl"] == f"{site.url}/good"
    assert report["configSettings"]["formFactor"] == "desktop"
    assert round(report["categories"]["seo"]["score"] * 100) == details["seo_score"]
    assert "final-screenshot" not in report["audits"]  # screenshots are skipped


async def test_a_score_below_the_users_minimum_fails_with_the_issue(
    ctx: CheckContext, site: AuditSite, tmp_path: Path
) -> None:
    result = await audit(
        ctx,
        site,
        "/poor",
        runner(tmp_path, Dialled()),
        device_emulation="mobile",
        notification_settings={"accessibility_score": 100, "first_contentful_paint_in_ms": 600_000},
    )
    assert result.outcome is Outcome.FAILED
    score = result.details["accessibility_score"]
    assert score < 100
    assert result.details["issues"] == [f"Accessibility score {score} is below 100"]
    assert result.summary == f"Accessibility score {score} is below 100"
    assert report_of(result)["configSettings"]["formFactor"] == "mobile"


async def test_a_page_lighthouse_cannot_load_fails_and_keeps_the_report(
    ctx: CheckContext, site: AuditSite, tmp_path: Path
) -> None:
    result = await audit(ctx, site, "/error", runner(tmp_path, Dialled()))
    assert result.outcome is Outcome.FAILED
    assert result.summary.startswith("Lighthouse could not audit the page: ")
    assert "(Status code: 500)" in result.summary and result.details["issues"] == [result.summary]
    assert report_of(result)["runtimeError"]["code"] == "ERRORED_DOCUMENT_REQUEST"
    assert "errorStack" not in report_of(result)["runtimeError"]  # this machine's paths


async def test_an_audit_past_its_timeout_is_errored_and_leaves_no_browser(
    ctx: CheckContext, site: AuditSite, tmp_path: Path
) -> None:
    result = await audit(ctx, site, "/hang", runner(tmp_path, Dialled(), timeout_s=6))
    assert result.outcome is Outcome.ERRORED
    assert result.summary == "Lighthouse could not run: the audit took longer than 6 s"
    assert result.report is None
    # Chromium, its helpers and Lighthouse were killed as a group: none names our profile.
    assert _audit_processes(tmp_path) == []
    assert os.listdir(tmp_path) == []  # the profile is gone too


AUDIT_IN_A_CHILD = """
import asyncio, sys
from lookout.net.guard import TargetGuard
from lookout.net.lighthouse import LighthouseRunner
from lookout.net.resolve import Resolver

async def main() -> None:
    runner = LighthouseRunner.find(timeout_s=300)
    runner = type(runner)(runner.node, runner.cli, runner.chromium, 300, profile_root=sys.argv[2])
    await runner.audit(sys.argv[1], TargetGuard(Resolver(), allow_private=True), desktop=True)

asyncio.run(main())
"""


async def test_a_browser_dies_with_the_process_that_started_it(site: AuditSite, tmp_path: Path) -> None:
    """Killed outright (SIGKILL, the OOM killer), the process cannot kill the audit's process
    groups; the kernel kills its browser and Lighthouse for it (setpriv --pdeathsig)."""
    runner(tmp_path, Dialled())  # skips (or fails in CI) where Lighthouse cannot run
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", AUDIT_IN_A_CHILD, f"{site.url}/hang", str(tmp_path)
    )
    try:
        for _ in range(600):  # until Lighthouse has asked the page
            if "/hang" in site.paths() or child.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert child.returncode is None and _audit_processes(tmp_path)
    finally:
        child.kill()
        await child.wait()
    for _ in range(100):
        if not _audit_processes(tmp_path):
            break
        await asyncio.sleep(0.05)
    assert _audit_processes(tmp_path) == []


def _audit_processes(root: Path) -> list[str]:
    return [pid for pid in os.listdir("/proc") if pid.isdigit() and _mentions(pid, str(root))]


def _mentions(pid: str, text: str) -> bool:
    try:
        return text.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


async def test_an_https_page_is_audited_through_the_tunnel_trusting_the_operators_roots(
    ctx: CheckContext, test_ca: trustme.CA, ca_file: str, tmp_path: Path
) -> None:
    """The browser reaches an https page through the proxy's CONNECT tunnel and verifies
    it with LOOKOUT_CA_BUNDLE's roots (an NSS database of its own); without them the same
    page fails on its certificate."""
    if shutil.which("certutil") is None:
        missing("certutil (libnss3-tools) is not installed")
    dialled = Dialled()
    with audit_site(tls=server_context(test_ca, "127.0.0.1")) as tls_site:
        trusting = dataclasses.replace(runner(tmp_path, dialled), ca_file=ca_file)
        result = await audit(ctx, tls_site, "/plain", trusting)
        assert result.outcome is Outcome.SUCCEEDED, result.summary
        assert report_of(result)["finalDisplayedUrl"] == f"{tls_site.url}/plain"
        assert "/plain" in tls_site.paths() and {a for a, _ in dialled.addresses} == {"127.0.0.1"}

        untrusting = await audit(ctx, tls_site, "/plain", runner(tmp_path, Dialled()))
    assert untrusting.outcome is Outcome.FAILED
    assert "ERR_CERT_AUTHORITY_INVALID" in untrusting.summary


def test_a_bundle_splits_into_its_certificates() -> None:
    one = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
    two = "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----"
    bundle = f"# roots\n{one}\nsome words\n{two}\n"
    assert certificates(bundle) == [f"{one}\n", f"{two}\n"]
    assert certificates("no certificates") == []


async def test_without_lighthouse_installed_a_run_is_errored_saying_so(
    ctx: CheckContext, site: AuditSite
) -> None:
    result = await audit(ctx, site, "/good", None)
    assert (result.outcome, result.summary) == (Outcome.ERRORED, NOT_INSTALLED)


async def test_a_refused_target_fails_before_any_browser_starts(
    ctx: CheckContext, site: AuditSite, tmp_path: Path
) -> None:
    strict = dataclasses.replace(ctx, guard=TargetGuard(ctx.resolver, allow_private=False))
    never = LighthouseRunner(node="/nonexistent/node", cli="/nonexistent/cli.js", chromium="/nonexistent")
    result = await audit(strict, site, "/good", never)
    assert result.outcome is Outcome.FAILED
    assert result.summary.startswith("target refused: 127.0.0.1 is a loopback address")
    assert result.report is None


@dataclasses.dataclass
class CannedRunner:
    """Answers every audit with one report: for the judging of reports no page gives."""

    report: dict[str, Any]

    async def audit(self, url: str, guard: TargetGuard, **_: Any) -> Audit:
        return Audit(self.report, ())


async def test_a_report_without_scores_is_errored(ctx: CheckContext, site: AuditSite) -> None:
    canned = CannedRunner({"lighthouseVersion": "12.8.2", "categories": {"seo": {"score": None}}})
    result = await audit(ctx, site, "/good", canned)  # type: ignore[arg-type]
    assert (result.outcome, result.summary) == (Outcome.ERRORED, "Lighthouse gave no scores")
    assert result.report is None


# -- the pure parts -------------------------------------------------------------------


def _report(scores: dict[str, float | None], timings: dict[str, float]) -> dict[str, Any]:
    return {
        "categories": {name: {"score": score} for name, score in scores.items()},
        "audits": {name: {"numericValue": value} for name, value in timings.items()},
    }


def test_summarize_reads_scores_as_percent_and_timings_as_whole_ms() -> None:
    report = _report(
        {"performance": 0.873, "accessibility": 1, "best-practices": None},
        {"first-contentful-paint": 812.6, "interactive": 2000.4, "cumulative-layout-shift": 0.123456},
    )
    summary = summarize(report)
    assert summary["performance_score"] == 87 and summary["accessibility_score"] == 100
    assert summary["best_practices_score"] is None and summary["seo_score"] is None
    assert summary["first_contentful_paint_in_ms"] == 813 and summary["time_to_interactive_in_ms"] == 2000
    assert summary["speed_index_in_ms"] is None and summary["cumulative_layout_shift"] == 0.1235
    assert summarize({"categories": "nonsense", "audits": None}) == summarize({})


@pytest.mark.parametrize(
    ("summary", "minimums", "maximums", "issues"),
    [
        ({"performance_score": 49}, {"performance_score": 50}, {}, ["Performance score 49 is below 50"]),
        ({"performance_score": 50}, {"performance_score": 50}, {}, []),
        ({"performance_score": None}, {"performance_score": 50}, {}, []),
        ({"seo_score": 0}, {"performance_score": 50}, {}, []),
        (
            {"speed_index_in_ms": 3001, "total_blocking_time_in_ms": 300},
            {},
            {"speed_index_in_ms": 3000, "total_blocking_time_in_ms": 300},
            ["Speed index 3001 ms is above 3000 ms"],
        ),
        (
            {"seo_score": 10, "largest_contentful_paint_in_ms": 9000},
            {"seo_score": 90},
            {"largest_contentful_paint_in_ms": 2500},
            ["SEO score 10 is below 90", "Largest contentful paint 9000 ms is above 2500 ms"],
        ),
    ],
)
def test_issues_are_scores_below_minimum_and_timings_above_maximum(
    summary: dict[str, Any], minimums: dict[str, int], maximums: dict[str, int], issues: list[str]
) -> None:
    assert issues_of(summary, minimums, maximums) == issues


def test_thresholds_default_to_lighthouses_poor_and_follow_the_users_settings() -> None:
    assert LighthouseSettings().thresholds() == (dict.fromkeys(SCORE_FIELDS, 50), {})
    custom = LighthouseSettings(notification_settings={"seo_score": 80, "speed_index_in_ms": 4000})
    assert custom.thresholds() == ({"seo_score": 80}, {"speed_index_in_ms": 4000})
    assert LighthouseSettings(notification_settings={}).thresholds() == ({}, {})


@pytest.mark.parametrize(
    ("notification_settings", "message"),
    [
        ({"performance_score": 101}, "must give performance_score as a score from 0 to 100"),
        ({"speed_index_in_ms": 0}, "must give speed_index_in_ms in milliseconds from 1 to 600000"),
        ({"score": 50}, "must only name performance_score"),
        ({"seo_score": 600_001}, "less than or equal to 600000"),
        ({"seo_score": -1}, "greater than or equal to 0"),
    ],
)
def test_thresholds_out_of_range_or_unknown_are_refused(
    notification_settings: dict[str, int], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        LighthouseSettings(notification_settings=notification_settings)

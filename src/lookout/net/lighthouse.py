"""Lighthouse audits of a page: Debian's Chromium driven by the `lighthouse` npm package.

Each audit starts its own Chromium, with a fresh profile in a temporary directory (no cookie,
cache or storage of one team's site is seen by another's audit) and the guard proxy as its
only way out (net/browser_proxy.py). Lighthouse's CLI then connects to that browser
(`--port`) instead of launching one: chrome-launcher starts Chromium in its own process
group, which a timeout could not kill. Both processes run in a process group of their own
and the group is killed when the audit ends, whatever the reason, so no browser outlives
its audit.

The report is Lighthouse's JSON (at most REPORT_LIMIT bytes) without its stack traces;
screenshots are skipped (they are most of a report's size and nothing reads them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lookout.net.browser_proxy import Connect, GuardProxy, Refusal, dial
from lookout.net.browser_trust import home_trusting
from lookout.net.guard import TargetGuard

REPORT_LIMIT = 32 * 1024 * 1024
BROWSER_START_TIMEOUT_S = 30.0
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
SKIPPED_AUDITS = ("full-page-screenshot", "screenshot-thumbnails", "final-screenshot")
_STDERR_KEPT = 2000
_STDERR_READ = 64 * 1024
# The npm package's CLI where `make` installs it (tools/lighthouse), from a source checkout.
_PROJECT_CLI = Path(__file__).resolve().parents[3] / "tools/lighthouse/node_modules/lighthouse/cli/index.js"
_DISABLED_FEATURES = (
    "Translate",
    "OptimizationHints",
    "OptimizationGuideModelDownloading",
    "MediaRouter",
    "DialMediaRouteProvider",
    "InterestFeedContentSuggestions",
    "CertificateTransparencyComponentUpdater",
    "AutofillServerCommunication",
    "PrivacySandboxSettings4",
    "NetworkTimeServiceQuerying",
)
# A process group is killed when an audit ends, but not when this process is killed outright
# (SIGKILL, the OOM killer): util-linux's setpriv has the kernel kill the browser then too.
_SETPRIV = shutil.which("setpriv")
_DIES_WITH_US = (_SETPRIV, "--pdeathsig", "KILL", "--") if _SETPRIV else ()
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class LighthouseError(Exception):
    """The audit could not be made (no browser, a crash, a timeout); `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Audit:
    report: dict[str, Any]
    refusals: tuple[Refusal, ...]


@dataclass(frozen=True, slots=True)
class LighthouseRunner:
    """How to start an audit: node and Lighthouse's CLI script, and Chromium."""

    node: str
    cli: str
    chromium: str
    timeout_s: float = 120.0
    connect: Connect = field(default=dial)
    # Where each audit's browser profile is made (a fresh directory each time); None: TMPDIR.
    profile_root: str | None = None
    # Roots the browser trusts beyond the public ones (LOOKOUT_CA_BUNDLE; net/browser_trust.py).
    ca_file: str | None = None

    @classmethod
    def find(
        cls,
        cli: str | None = None,
        chromium: str | None = None,
        timeout_s: float = 120.0,
        ca_file: str | None = None,
    ) -> LighthouseRunner | str:
        """A runner from the settings, or the installed tools found on this machine; a string
        saying what is missing when one is not found."""
        node = shutil.which("node")
        cli_path = cli or (str(_PROJECT_CLI) if _PROJECT_CLI.is_file() else shutil.which("lighthouse"))
        browser = chromium or os.environ.get("CHROME_PATH") or _first_found(_CHROMIUM_NAMES)
        if node is None:
            return "Node.js is not installed"
        if cli_path is None:
            return "the lighthouse npm package is not installed (LOOKOUT_LIGHTHOUSE_CLI)"
        if browser is None:
            return "Chromium is not installed (LOOKOUT_CHROMIUM_PATH)"
        return cls(node=node, cli=cli_path, chromium=browser, timeout_s=timeout_s, ca_file=ca_file)

    async def audit(
        self, url: str, guard: TargetGuard, *, desktop: bool, headers: Sequence[tuple[str, str]] = ()
    ) -> Audit:
        """Audit `url`; raises LighthouseError when no report could be made."""
        async with GuardProxy(guard, connect=self.connect) as proxy:
            with tempfile.TemporaryDirectory(prefix="lookout-lighthouse-", dir=self.profile_root) as work:
                try:
                    async with asyncio.timeout(self.timeout_s):
                        raw = await self._audit(url, proxy.url, Path(work), desktop, headers)
                except TimeoutError:
                    raise LighthouseError(f"the audit took longer than {self.timeout_s:g} s") from None
            refusals = tuple(proxy.refusals)
        # Megabytes of JSON: parsed off the event loop.
        return Audit(await asyncio.to_thread(_parse, raw), refusals)

    async def _audit(
        self, url: str, proxy_url: str, work: Path, desktop: bool, headers: Sequence[tuple[str, str]]
    ) -> bytes:
        profile, report = work / "profile", work / "report.json"
        home = await home_trusting(self.ca_file) if self.ca_file else None
        env = {**os.environ, "HOME": home} if home else None
        browser = await _start(self._browser_command(proxy_url, profile), quiet=True, env=env)
        try:
            port = await _devtools_port(browser, profile)
            lighthouse = await _start(self._lighthouse_command(url, port, desktop, headers, report))
            try:
                await _finished(lighthouse, report)
            finally:
                await _stop(lighthouse)
        finally:
            await _stop(browser)
        return await asyncio.to_thread(_read_report, report)

    def _browser_command(self, proxy_url: str, profile: Path) -> list[str]:
        command = [
            self.chromium,
            "--headless=new",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--proxy-server={proxy_url}",
            "--proxy-bypass-list=<-loopback>",  # loopback too goes through the guard
            "--disable-quic",  # QUIC is UDP, which an HTTP proxy does not carry
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            # No traffic of the browser's own (updates, translation, hints, sync, reports):
            # the page's requests are the only ones, and the audit measures only them.
            f"--disable-features={','.join(_DISABLED_FEATURES)}",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-component-extensions-with-background-pages",
            "--disable-client-side-phishing-detection",
            "--disable-domain-reliability",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--metrics-recording-only",
            "--no-pings",
            # Sign-in, component updates and Google APIs the browser would call on its own
            # point at a name that never resolves (the proxy answers .invalid at once).
            "--gaia-url=https://lookout-browser-service.invalid",
            "--google-apis-url=https://lookout-browser-service.invalid",
            "--component-updater=url-source=https://lookout-browser-service.invalid",
            # A headless tab is never in front: without these its timers and renderer would
            # be throttled as a background tab's, and the timings would be wrong.
            "--disable-background-timer-throttling",
            "--disable-backgrounding-occluded-windows",
            "--disable-renderer-backgrounding",
            "--disable-ipc-flooding-protection",
            "--disable-hang-monitor",
            "--password-store=basic",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
        ]
        if os.geteuid() == 0:  # Chromium's sandbox refuses to start as root
            command.append("--no-sandbox")
        return [*command, "about:blank"]

    def _lighthouse_command(
        self, url: str, port: int, desktop: bool, headers: Sequence[tuple[str, str]], report: Path
    ) -> list[str]:
        command = [
            self.node,
            self.cli,
            url,
            f"--port={port}",
            "--hostname=127.0.0.1",
            "--output=json",
            # A file, not stdout: Node cuts a pipe's output at 64 KiB when Lighthouse exits 1
            # (a page it could not load), and that report is the one saying why.
            f"--output-path={report}",
            "--quiet",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--skip-audits={','.join(SKIPPED_AUDITS)}",
            f"--max-wait-for-load={int(max(self.timeout_s - 30, 5) * 1000)}",
        ]
        if desktop:
            command.append("--preset=desktop")
        if headers:
            command.append(f"--extra-headers={json.dumps(dict(headers))}")
        return command


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        report = json.loads(raw)
    except ValueError:
        raise LighthouseError("Lighthouse printed no JSON report") from None
    if not isinstance(report, dict) or not isinstance(report.get("categories"), dict):
        raise LighthouseError("Lighthouse printed no JSON report")
    # Lighthouse's stack traces name this machine's paths; the team reading the report has
    # no use for them.
    runtime_error = report.get("runtimeError")
    if isinstance(runtime_error, dict):
        runtime_error.pop("errorStack", None)
    audits = report.get("audits")
    for audit in audits.values() if isinstance(audits, dict) else ():
        if isinstance(audit, dict):
            audit.pop("errorStack", None)
    return report


def _first_found(names: Sequence[str]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


async def _start(
    command: list[str], *, quiet: bool = False, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """Start `command`, its errors piped to us (`quiet`: thrown away)."""
    try:
        return await asyncio.create_subprocess_exec(
            *_DIES_WITH_US,
            *command,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL if quiet else asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, killed as one (Chromium's helpers too)
        )
    except OSError as exc:
        raise LighthouseError(f"could not start {Path(command[0]).name}: {exc.strerror}") from None


async def _devtools_port(browser: asyncio.subprocess.Process, profile: Path) -> int:
    """The port Chromium's DevTools listen on, from the file it writes in its profile."""
    port_file = profile / "DevToolsActivePort"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BROWSER_START_TIMEOUT_S
    while loop.time() < deadline:
        if browser.returncode is not None:
            raise LighthouseError(f"Chromium exited at start with code {browser.returncode}")
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(port_file.read_text().splitlines()[0])
        await asyncio.sleep(0.05)
    raise LighthouseError("Chromium did not start its DevTools")


async def _finished(lighthouse: asyncio.subprocess.Process, report: Path) -> None:
    """Wait for Lighthouse to exit; raise with its last words when it wrote no report."""
    assert lighthouse.stderr is not None
    errors = await _tail(lighthouse.stderr)
    code = await lighthouse.wait()
    # A page that could not be audited (it answered 500, it never loaded) still gets a
    # report, with its `runtimeError`, and exit code 1: the caller reads it.
    if code != 0 and not await asyncio.to_thread(report.exists):
        text = errors.decode("utf-8", "replace").strip()
        last = text.splitlines()[-1][:_STDERR_KEPT] if text else "no message"
        raise LighthouseError(f"Lighthouse exited with code {code}: {last}")


async def _tail(stream: asyncio.StreamReader) -> bytes:
    """The last _STDERR_READ bytes of a stream, read to its end."""
    kept = b""
    while chunk := await stream.read(_STDERR_READ):
        kept = (kept + chunk)[-_STDERR_READ:]
    return kept


def _read_report(report: Path) -> bytes:
    try:
        if report.stat().st_size > REPORT_LIMIT:
            raise LighthouseError(f"Lighthouse's report is larger than {REPORT_LIMIT // (1024 * 1024)} MiB")
        return report.read_bytes()
    except FileNotFoundError:
        raise LighthouseError("Lighthouse wrote no report") from None


async def _stop(process: asyncio.subprocess.Process) -> None:
    """Kill the process's whole group (a browser's renderers and helpers too) and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        await asyncio.shield(process.wait())

"""The ports check: TCP connects to the ports that should be open and to those that should
be closed, all at once, each within `timeout_per_port_ms`.

A port is open when a connection is accepted; refused and silent (filtered) ports are both
closed to the world. Every open port is a finding, so a port that opens or closes between
runs is a `changed` event; a port in the wrong state fails the run.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from typing import ClassVar, Literal, TypedDict

from lookout.checks.base import Check, CheckContext, FindingsSpec, Target
from lookout.checks.results import down, finish
from lookout.errors import LookoutError
from lookout.model.check_settings.others import PortsSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.monitor import target_host
from lookout.model.result import CheckResult, Finding, Outcome, Timings
from lookout.net.guard import TargetRefused
from lookout.net.tcp import TcpConnection, TcpError

PortState = Literal["open", "closed", "filtered"]
# Resolving the host and the guard's look at it, on top of the slowest port.
_RESOLVE_BUDGET_S = 5.0


class PortsDetails(TypedDict):
    """A run's details: the A14 ports history item without its id and date."""

    scanned_host: str
    resolved_ip: str | None
    open_ports: list[int]
    closed_ports: list[int]
    filtered_ports: list[int]
    issues: list[str]
    scan_time_ms: int


async def probe(ip: str, port: int, timeout_s: float) -> PortState:
    """One TCP connect: accepted, refused, or no answer (or any other failure) in time."""
    try:
        connection = await TcpConnection.open(ip, port, timeout_s)
    except TcpError as exc:
        return "closed" if exc.refused else "filtered"
    await connection.close()
    return "open"


def port_issues(settings: PortsSettings, states: dict[int, PortState]) -> list[str]:
    issues = [
        f"Port {port} should be open but is {states[port]}"
        for port in settings.expected_open_ports
        if states[port] != "open"
    ]
    issues += [
        f"Port {port} should be closed but is open"
        for port in settings.expected_closed_ports
        if states[port] == "open" and port not in settings.expected_open_ports
    ]
    return issues


class PortsCheck(Check[PortsSettings]):
    type: ClassVar[CheckType] = CheckType.PORTS
    details = PortsDetails
    findings = FindingsSpec("open port")

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[PortsSettings]:
        return PortsSettings

    def time_budget(self, settings: PortsSettings) -> float:
        # The ports are scanned at once, so the whole scan takes about one port's timeout.
        return settings.timeout_per_port_ms / 1000 + _RESOLVE_BUDGET_S

    def failure_threshold(self, settings: PortsSettings) -> int:
        return settings.failure_threshold

    async def run(self, target: Target, settings: PortsSettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        started = time.perf_counter()
        host = target_host(target.url, target.monitor_type)
        details: PortsDetails = {
            "scanned_host": host,
            "resolved_ip": None,
            "open_ports": [],
            "closed_ports": [],
            "filtered_ports": [],
            "issues": [],
            "scan_time_ms": 0,
        }
        try:
            addresses = await ctx.guard.check(target.connect_ip or host)
        except TargetRefused as exc:
            details["issues"] = [f"target refused: {exc.reason}"]
            return down(ctx, started_at, f"target refused: {exc.reason}", details=details)
        except LookoutError as exc:  # ResolveError
            details["issues"] = [str(exc)]
            return down(ctx, started_at, str(exc), details=details)
        ip = addresses[0]
        details["resolved_ip"] = ip
        ports = sorted({*settings.expected_open_ports, *settings.expected_closed_ports})
        timeout_s = settings.timeout_per_port_ms / 1000
        found = await asyncio.gather(*(probe(ip, port, timeout_s) for port in ports))
        states = dict(zip(ports, found, strict=True))
        lists = {"open": details["open_ports"], "closed": details["closed_ports"]}
        for port, state in states.items():
            lists.get(state, details["filtered_ports"]).append(port)
        issues = port_issues(settings, states)
        elapsed_ms = (time.perf_counter() - started) * 1000
        details["issues"] = issues
        details["scan_time_ms"] = round(elapsed_ms)
        findings = tuple(Finding(f"port {port}", {"port": port}) for port in details["open_ports"])
        timings = Timings(total_ms=round(elapsed_ms, 3))
        if issues:
            summary = "; ".join(issues[:3]) + (f" (+{len(issues) - 3} more)" if len(issues) > 3 else "")
            return down(ctx, started_at, summary, details=details, findings=findings, timings=timings)
        open_count = len(details["open_ports"])
        summary = f"{open_count} open, {len(ports) - open_count} closed, as expected"
        return finish(
            ctx, started_at, Outcome.SUCCEEDED, summary, details=details, findings=findings, timings=timings
        )

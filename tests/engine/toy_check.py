"""A toy check type, registered in one place: this module plus one registry line in the test.

It reads an inventory over TCP — one `key value` line per item — and reports each item as
a finding. An item whose value is `stale` makes the run a warning. It runs in the crawl
pool, so the test also shows that a check's declared pool is where it runs.
"""

from __future__ import annotations

import asyncio
import builtins
from typing import ClassVar, TypedDict

from pydantic import Field

from lookout.checks.base import Check, CheckContext, FindingsSpec, Pool, Target
from lookout.checks.results import down, finish
from lookout.model.check_settings import ScheduledSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.monitor import split_host_port
from lookout.model.result import CheckResult, Finding, Outcome
from lookout.net.guard import TargetRefused
from lookout.net.resolve import ResolveError


class InventorySettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=10, ge=1)
    timeout_in_ms: int = Field(default=1000, ge=10)


class InventoryDetails(TypedDict):
    items: int


class InventoryCheck(Check[InventorySettings]):
    type: ClassVar[CheckType] = CheckType.PORTS  # any type this process does not implement yet
    pool = Pool.CRAWL
    details = InventoryDetails
    findings = FindingsSpec(noun="item")

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[InventorySettings]:
        return InventorySettings

    def time_budget(self, settings: InventorySettings) -> float:
        return settings.timeout_in_ms / 1000

    async def run(self, target: Target, settings: InventorySettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        host, port = split_host_port(target.url) or ("", 0)
        try:
            (address, *_) = await ctx.guard.check(host)
            reader, writer = await asyncio.open_connection(address, port)
        except (TargetRefused, ResolveError, OSError) as exc:
            return down(ctx, started_at, str(exc))
        try:
            body = await asyncio.wait_for(reader.read(65_536), settings.timeout_in_ms / 1000)
        finally:
            writer.close()
        items = dict(line.split(" ", 1) for line in body.decode().splitlines() if " " in line)
        found = tuple(Finding(key, {"value": value}) for key, value in items.items())
        stale = sorted(key for key, value in items.items() if value == "stale")
        outcome = Outcome.WARNING if stale else Outcome.SUCCEEDED
        summary = f"Stale: {', '.join(stale)}" if stale else f"{len(items)} items"
        return finish(ctx, started_at, outcome, summary, details={"items": len(items)}, findings=found)

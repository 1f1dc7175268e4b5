"""The uptime check: one entry in CHECKS, one variant per monitor type.

Uptime's settings shape depends on the monitor type, so `UptimeCheck` looks the variant up
in `VARIANTS` and hands it settings of the model that variant expects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from lookout.checks.base import CheckContext, Target
from lookout.checks.uptime.http import check_http
from lookout.checks.uptime.ping import check_ping
from lookout.checks.uptime.tcp import check_tcp
from lookout.model.check_settings import (
    HttpUptimeSettings,
    PingUptimeSettings,
    SettingsModel,
    TcpUptimeSettings,
)
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult

S = TypeVar("S", bound=SettingsModel)


@dataclass(frozen=True, slots=True)
class Variant(Generic[S]):
    settings_model: type[S]
    run: Callable[[Target, S, CheckContext], Awaitable[CheckResult]]

    async def __call__(self, target: Target, settings: SettingsModel, ctx: CheckContext) -> CheckResult:
        if not isinstance(settings, self.settings_model):
            settings = self.settings_model.model_validate(settings.model_dump())
        return await self.run(target, settings, ctx)


AnyVariant = Variant[HttpUptimeSettings] | Variant[PingUptimeSettings] | Variant[TcpUptimeSettings]

VARIANTS: dict[MonitorType, AnyVariant] = {
    MonitorType.HTTP: Variant(HttpUptimeSettings, check_http),
    MonitorType.AI: Variant(HttpUptimeSettings, check_http),
    MonitorType.PING: Variant(PingUptimeSettings, check_ping),
    MonitorType.TCP: Variant(TcpUptimeSettings, check_tcp),
}

assert set(VARIANTS) == set(MonitorType), "a monitor type has no uptime variant"


class UptimeCheck:
    type: ClassVar[CheckType] = CheckType.UPTIME

    async def run(self, target: Target, settings: SettingsModel, ctx: CheckContext) -> CheckResult:
        return await VARIANTS[target.monitor_type](target, settings, ctx)

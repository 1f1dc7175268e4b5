"""The uptime check: one check type, one variant per monitor type.

Uptime's settings shape depends on the monitor type, so `UptimeCheck` looks the variant up
in `VARIANTS`; each variant knows its settings model and its own time budget.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from lookout.checks.base import Check, CheckContext, Target
from lookout.checks.uptime.details import UptimeDetails
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

V = TypeVar("V", bound=SettingsModel)


@dataclass(frozen=True, slots=True)
class Variant(Generic[V]):
    settings_model: type[V]
    run: Callable[[Target, V, CheckContext], Awaitable[CheckResult]]
    budget: Callable[[V], float]

    async def __call__(self, target: Target, settings: SettingsModel, ctx: CheckContext) -> CheckResult:
        if not isinstance(settings, self.settings_model):
            settings = self.settings_model.model_validate(settings.model_dump())
        return await self.run(target, settings, ctx)


def _http_budget(settings: HttpUptimeSettings) -> float:
    return float(settings.timeout)


def _ping_budget(settings: PingUptimeSettings) -> float:
    # Every packet may wait for its reply, one interval apart.
    return float(settings.timeout_in_seconds + settings.count * settings.interval_in_seconds)


def _tcp_budget(settings: TcpUptimeSettings) -> float:
    return settings.timeout_in_ms / 1000


AnyVariant = Variant[HttpUptimeSettings] | Variant[PingUptimeSettings] | Variant[TcpUptimeSettings]

VARIANTS: dict[MonitorType, AnyVariant] = {
    MonitorType.HTTP: Variant(HttpUptimeSettings, check_http, _http_budget),
    MonitorType.AI: Variant(HttpUptimeSettings, check_http, _http_budget),
    MonitorType.PING: Variant(PingUptimeSettings, check_ping, _ping_budget),
    MonitorType.TCP: Variant(TcpUptimeSettings, check_tcp, _tcp_budget),
}

assert set(VARIANTS) == set(MonitorType), "a monitor type has no uptime variant"
_BY_MODEL: dict[type[SettingsModel], AnyVariant] = {
    variant.settings_model: variant for variant in VARIANTS.values()
}


class UptimeCheck(Check[Any]):
    type: ClassVar[CheckType] = CheckType.UPTIME
    records_uptime = True
    records_downtime = True
    portable = True
    details = UptimeDetails

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[SettingsModel]:
        return VARIANTS[monitor_type].settings_model

    def time_budget(self, settings: Any) -> float:
        variant: Any = _BY_MODEL[type(settings)]
        return float(variant.budget(settings))

    def failure_threshold(self, settings: Any) -> int:
        return int(settings.failed_notification_threshold)

    async def run(self, target: Target, settings: Any, ctx: CheckContext) -> CheckResult:
        return await VARIANTS[target.monitor_type](target, settings, ctx)

"""The services one running Lookout offers its APIs; built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from lookout.services.checks import CheckService
from lookout.services.history import HistoryService
from lookout.services.monitors import MonitorService
from lookout.services.tokens import TokenService


@dataclass(frozen=True, slots=True)
class Services:
    tokens: TokenService
    monitors: MonitorService
    checks: CheckService
    history: HistoryService

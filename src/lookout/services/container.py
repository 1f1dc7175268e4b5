"""The services one running Lookout offers its APIs; built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from lookout.services.app_health import AppHealthService
from lookout.services.certificates import CertificateService
from lookout.services.checks import CheckService
from lookout.services.cron import CronService
from lookout.services.domain_registrations import DomainRegistrationService
from lookout.services.history import HistoryService
from lookout.services.maintenance import MaintenanceService
from lookout.services.monitors import MonitorService
from lookout.services.network_history import NetworkHistoryService
from lookout.services.notifications import NotificationService
from lookout.services.pings import PingRecorder
from lookout.services.site_health import SiteHealthService
from lookout.services.tags import TagService
from lookout.services.tokens import TokenService


@dataclass(frozen=True, slots=True)
class Services:
    tokens: TokenService
    monitors: MonitorService
    checks: CheckService
    history: HistoryService
    network_history: NetworkHistoryService
    maintenance: MaintenanceService
    tags: TagService
    certificates: CertificateService
    domain_registrations: DomainRegistrationService
    app_health: AppHealthService
    cron: CronService
    pings: PingRecorder
    site_health: SiteHealthService
    notifications: NotificationService

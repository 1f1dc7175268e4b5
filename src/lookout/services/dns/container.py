"""The DNS services one running Lookout offers, built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from lookout.failover.base import DnsProvider
from lookout.failover.providers.rfc2136 import Rfc2136Provider, UpdateServer
from lookout.services.dns.d_monitors import DMonitorService
from lookout.services.dns.domains import DomainService
from lookout.services.dns.publish import Publisher
from lookout.services.dns.records import RecordService
from lookout.settings import Settings


@dataclass(frozen=True, slots=True)
class DnsServices:
    domains: DomainService
    records: RecordService
    d_monitors: DMonitorService
    publisher: Publisher


def build_dns_services(
    sessions: sessionmaker[Session],
    provider: DnsProvider | None = None,
    *,
    allow_private_targets: bool = False,
    max_monitors: int = 100,
    dmonitor_interval: int | None = None,
) -> DnsServices:
    """`provider` mirrors every record change (RFC 2136); None: the record table is the DNS."""
    publisher = Publisher(sessions, provider)
    return DnsServices(
        domains=DomainService(sessions, publisher),
        records=RecordService(sessions, publisher),
        d_monitors=DMonitorService(
            sessions,
            allow_private_targets=allow_private_targets,
            max_monitors=max_monitors,
            interval_override=dmonitor_interval,
            publisher=publisher,
        ),
        publisher=publisher,
    )


def dns_services_from_settings(sessions: sessionmaker[Session], settings: Settings) -> DnsServices:
    """With LOOKOUT_DNS_UPDATE_SERVER set, every record change is also published there."""
    provider: DnsProvider | None = None
    if settings.dns_update_server:
        secret = settings.dns_tsig_secret.get_secret_value() if settings.dns_tsig_secret else ""
        server = UpdateServer.parse(
            settings.dns_update_server, settings.dns_tsig_key_name or "", settings.dns_tsig_algorithm, secret
        )
        provider = Rfc2136Provider(server)
    return build_dns_services(
        sessions,
        provider,
        allow_private_targets=settings.allow_private_targets,
        max_monitors=settings.max_monitors_per_team or 100,
        dmonitor_interval=settings.dmonitor_interval_seconds,
    )

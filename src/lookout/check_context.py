"""The seams every check runs with, built from the settings: by the engine's process, by
its check processes (`engine/check_processes.py`, which import this and not the web app:
about 60 MB less each) and by `lookout crawl`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from lookout.checks.base import CheckContext
from lookout.checks.dns_blocklist import load_blocklists
from lookout.net import rdap, whois
from lookout.net.chat import ChatClient
from lookout.net.curl import CurlDriver
from lookout.net.dns import DnsClient
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient
from lookout.net.lighthouse import LighthouseRunner
from lookout.net.rdap import RdapClient
from lookout.net.resolve import Resolver
from lookout.net.tls import TlsInspector
from lookout.net.trust import trust_bundle
from lookout.net.whois import WhoisClient
from lookout.settings import Settings

log = logging.getLogger(__name__)


def precise_utcnow() -> datetime:
    """The engine's clock. Not `utcnow`, which drops microseconds for the API's timestamps: a
    check due at 12.7 s would wait for 13 s and start up to a second late."""
    return datetime.now(UTC)


def build_check_context(settings: Settings) -> CheckContext:
    """The seams every check runs with; call inside the running loop (the curl driver binds to it)."""
    resolver = Resolver.from_setting(settings.dns_resolvers)
    guard = TargetGuard(resolver, allow_private=settings.allow_private_targets)
    driver = CurlDriver()
    extra_roots = str(settings.ca_bundle) if settings.ca_bundle else None
    http_roots = trust_bundle(extra_roots, settings.data_dir) if extra_roots else None
    blocklists_file = settings.dns_blocklists_file
    ai = None
    if settings.ai_url:
        # The operator's endpoint: a model on the LAN is allowed, metadata addresses never.
        ai = ChatClient(
            base_url=settings.ai_url,
            model=settings.ai_model,
            timeout_s=settings.ai_timeout_seconds,
            http=HttpClient(TargetGuard(resolver, allow_private=True), driver=driver, ca_file=http_roots),
            api_key=settings.ai_api_key.get_secret_value() if settings.ai_api_key else None,
        )
    lighthouse = LighthouseRunner.find(
        settings.lighthouse_cli, settings.chromium_path, settings.lighthouse_timeout_seconds, extra_roots
    )
    if isinstance(lighthouse, str):
        log.info("lighthouse checks cannot run here: %s", lighthouse)
    return CheckContext(
        resolver=resolver,
        guard=guard,
        clock=precise_utcnow,
        location=settings.location,
        http_client=lambda target_guard: HttpClient(target_guard, driver=driver, ca_file=http_roots),
        dns=DnsClient.from_setting(settings.dns_resolvers, guard=guard),
        tls=TlsInspector(guard, ca_file=extra_roots),
        dns_authoritative_port=settings.dns_authoritative_port,
        dns_blocklists=load_blocklists(blocklists_file) if blocklists_file else None,
        rdap=RdapClient(
            guard,
            http_client=lambda target_guard: HttpClient(target_guard, driver=driver, ca_file=http_roots),
            bootstrap_url=settings.rdap_bootstrap_url,
            servers=rdap.parse_servers(settings.rdap_servers),
            cache_file=settings.data_dir / "rdap-dns.json",
        ),
        whois=WhoisClient(
            guard,
            servers=whois.parse_servers(settings.whois_servers),
            referral_server=whois.parse_server(settings.whois_referral_server),
        ),
        ai=ai,
        lighthouse=None if isinstance(lighthouse, str) else lighthouse,
    )

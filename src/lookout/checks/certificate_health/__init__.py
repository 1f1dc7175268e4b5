"""Certificate health: one real TLS handshake, the presented chain judged (A11).

The handshake goes through the context's TLS inspector (SNI is the monitor's host, the
address may be pinned with `Target.connect_ip`); `rules` judges the chain. The leaf is the
run's finding, keyed by its SHA-1 fingerprint: the engine's findings diff says when it is
new (a `changed` state change: the certificate was replaced) and keeps every certificate
seen with first and last seen, which the detected-certificates API lists.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import ClassVar
from urllib.parse import urlsplit

from lookout.checks.base import Check, CheckContext, FindingsSpec, Target
from lookout.checks.certificate_health.details import CertificateHealthDetails
from lookout.checks.certificate_health.rules import CertCheck, facts, judge, unreachable
from lookout.checks.results import down, finish
from lookout.model.check_settings import CertificateHealthSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.findings import DiffKind
from lookout.model.monitor import split_host_port
from lookout.model.result import CheckResult, Finding, Outcome, Timings
from lookout.net.tls import TlsError, TlsErrorKind, TlsInspection, TlsInspector

HANDSHAKE_TIMEOUT_S = 10.0
HTTPS_PORT = 443


def endpoint(target: Target) -> tuple[str, int]:
    """The host and port whose certificate is checked: an http monitor's URL (443 unless
    the URL names a port; an http:// URL's site is looked at over https), a tcp monitor's
    own port (IMAPS, SMTPS, ...), port 443 of a ping monitor's host."""
    if target.monitor_type in (MonitorType.HTTP, MonitorType.AI):
        parts = urlsplit(target.url)
        try:
            port = parts.port
        except ValueError:
            port = None
        https = parts.scheme.lower() == "https"
        return parts.hostname or "", port if port is not None and https else HTTPS_PORT
    if target.monitor_type is MonitorType.TCP:
        pair = split_host_port(target.url)
        if pair is not None:
            return pair
    return target.url.strip().strip("[]"), HTTPS_PORT


def failed_stage(error: TlsError) -> CertCheck:
    """Which step of getting a certificate failed, from the inspector's error."""
    message = error.message
    if error.kind is TlsErrorKind.DNS:
        # A lookup that timed out or found no nameserver says nothing about the host.
        if "no such domain" in message or "no A or AAAA" in message or "not a host name" in message:
            return CertCheck.HOST_DOES_NOT_EXIST
        return CertCheck.COULD_NOT_CONNECT
    if error.kind is TlsErrorKind.TIMEOUT and "handshake" in message:
        return CertCheck.COULD_NOT_DOWNLOAD
    if error.kind is TlsErrorKind.HANDSHAKE:
        if "did not answer with TLS" in message or "presented no certificate" in message:
            return CertCheck.NO_CERTIFICATE
        return CertCheck.COULD_NOT_DOWNLOAD
    return CertCheck.COULD_NOT_CONNECT  # refused, timed out connecting, blocked by the guard


class CertificateHealthCheck(Check[CertificateHealthSettings]):
    type: ClassVar[CheckType] = CheckType.CERTIFICATE_HEALTH
    details = CertificateHealthDetails
    # A new leaf is news (the certificate changed); the first run's is the baseline.
    findings = FindingsSpec(noun="certificate", events_on=frozenset({DiffKind.NEW}))

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[CertificateHealthSettings]:
        return CertificateHealthSettings

    def time_budget(self, settings: CertificateHealthSettings) -> float:
        return HANDSHAKE_TIMEOUT_S + 5

    async def run(
        self, target: Target, settings: CertificateHealthSettings, ctx: CheckContext
    ) -> CheckResult:
        started = ctx.clock()
        host, port = endpoint(target)
        inspector = ctx.tls or TlsInspector(ctx.guard)
        try:
            seen = await inspector.inspect(
                host, port, connect_ip=target.connect_ip, timeout_s=HANDSHAKE_TIMEOUT_S
            )
        except TlsError as exc:
            details = CertificateHealthDetails(
                host=host,
                port=port,
                address=target.connect_ip,
                protocol=None,
                cipher=None,
                certificate_fingerprint=None,
                certificate_checks=unreachable(failed_stage(exc)),
                verify_error=None,
                error=exc.message,
            )
            # No certificate seen: findings None, so the last one is not called replaced.
            return down(ctx, started, exc.message, details=details)
        return self._judged(seen, settings, ctx, started)

    @staticmethod
    def _judged(
        seen: TlsInspection, settings: CertificateHealthSettings, ctx: CheckContext, started: datetime
    ) -> CheckResult:
        now = ctx.clock()
        verdict = judge(
            seen.chain,
            seen.host,
            now,
            chains_to_root=seen.chains_to_root,
            verify_error=seen.verify_error,
            expires_soon_days=settings.expires_soon_threshold_in_days,
        )
        certificate = facts(seen.chain, seen.host, chains_to_root=seen.chains_to_root)
        details = CertificateHealthDetails(
            host=seen.host,
            port=seen.port,
            address=seen.address,
            protocol=seen.protocol,
            cipher=seen.cipher,
            certificate_fingerprint=certificate["fingerprint"],
            certificate_checks=verdict.checks,
            verify_error=seen.verify_error,
            error=None,
        )
        timings = Timings(
            connect_ms=seen.connect_ms, tls_ms=seen.tls_ms, total_ms=round(seen.connect_ms + seen.tls_ms, 3)
        )
        finding = Finding(certificate["fingerprint"], dict(certificate))
        if verdict.outcome is Outcome.FAILED:
            return down(ctx, started, verdict.summary, details=details, timings=timings, findings=(finding,))
        return finish(
            ctx,
            started,
            verdict.outcome,
            verdict.summary,
            details=details,
            timings=timings,
            findings=(finding,),
        )

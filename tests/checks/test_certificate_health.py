"""Certificate health against real loopback TLS servers presenting certificates made with
cryptography: each problem with the outcome and the checks list a person would expect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lookout.checks.base import CheckContext, Target
from lookout.checks.certificate_health import CertificateHealthCheck, endpoint
from lookout.checks.certificate_health.rules import covers
from lookout.checks.registry import CHECKS
from lookout.engine.facade import Engine, EngineSettings
from lookout.model.check_settings import CertificateHealthSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from lookout.net.tls import TlsInspector
from lookout.store import packed_json
from lookout.store.db import epoch_millis
from lookout.store.tables import CheckRun, Finding, StateChange
from tests.engine.seed import add_monitor
from tests.engine.test_engine import FastClock, factory, until  # noqa: F401  (fixture)
from tests.servers.fixtures import SITE
from tests.servers.tcp import closed_port
from tests.servers.tls import (
    Issued,
    Listener,
    chain_context,
    issue,
    load_chain,
    resign_with_sha1,
    serve_reply,
    serve_tls,
    write_certificates,
)

CHECK = CertificateHealthCheck()
ALL_TYPES = [
    "notFound",
    "expiresSoon",
    "coversWrongDomain",
    "doesNotConnectWithRootCertificate",
    "notYetActive",
    "isSelfSigned",
    "usesInvalidHash",
    "hasExpired",
    "hasChanged",
    "lifetimeTooLong",
    "couldNotConnectToHost",
    "hostDoesNotExist",
    "noCertificateInstalled",
    "couldNotDownloadCertificate",
]


@dataclass(frozen=True, slots=True)
class Pki:
    """A root (trusted through `ca_file`, as LOOKOUT_CA_BUNDLE would) and an RSA intermediate."""

    root: Issued
    intermediate: Issued
    ca_file: str

    def leaf(self, *names: str, **kwargs: Any) -> Issued:
        return issue("leaf", *(names or (SITE,)), issuer=self.intermediate, **kwargs)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    # Long-lived, as real roots and intermediates are: an expired leaf's chain can still be
    # followed at a moment the leaf was valid.
    now = datetime.now(UTC)
    ages = {"not_before": now - timedelta(days=1000), "not_after": now + timedelta(days=2000)}
    root = issue("Lookout Test Root", ca=True, rsa_key=True, **ages)
    intermediate = issue("Lookout Test Intermediate", issuer=root, ca=True, rsa_key=True, **ages)
    ca_file = write_certificates([root.cert], tmp_path_factory.mktemp("pki") / "root.pem")
    return Pki(root, intermediate, ca_file)


@pytest.fixture
def cert_ctx(resolver: Resolver, guard: TargetGuard, pki: Pki) -> CheckContext:
    return CheckContext(
        resolver=resolver,
        guard=guard,
        clock=lambda: datetime.now(UTC),
        location="test",
        tls=TlsInspector(guard, ca_file=pki.ca_file),
    )


def target(port: int, host: str = SITE, connect_ip: str | None = None) -> Target:
    return Target(1, MonitorType.HTTP, f"https://{host}:{port}/", connect_ip=connect_ip)


async def run_against(
    ctx: CheckContext,
    leaf: Issued,
    *intermediates: x509.Certificate,
    settings: CertificateHealthSettings | None = None,
    host: str = SITE,
) -> CheckResult:
    async with serve_tls(chain_context(leaf, *intermediates)) as server:
        return await CHECK.run(target(server.port, host), settings or CertificateHealthSettings(), ctx)


def passed(result: CheckResult) -> dict[str, bool]:
    return {item["type"]: item["passed"] for item in result.details["certificate_checks"]}


def _facts(result: CheckResult) -> dict[str, object]:
    """The leaf's facts: the payload of the run's one finding."""
    assert result.findings is not None and len(result.findings) == 1
    return dict(result.findings[0].payload)


def failing(result: CheckResult) -> set[str]:
    return {kind for kind, ok in passed(result).items() if not ok}


def sha1(cert: x509.Certificate) -> str:
    digest = hashes.Hash(hashes.SHA1())
    digest.update(cert.public_bytes(Encoding.DER))
    return digest.finalize().hex()


# --- a good certificate ----------------------------------------------------------------------


async def test_a_valid_certificate_passes_every_check(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf(SITE, "www.site.test")
    result = await run_against(cert_ctx, leaf, pki.intermediate.cert)
    assert result.outcome is Outcome.SUCCEEDED, result.summary
    assert result.summary.startswith("Valid until ") and "expires in 364 days" in result.summary
    assert [item["type"] for item in result.details["certificate_checks"]] == ALL_TYPES
    assert failing(result) == set()
    labels = {item["type"]: item["label"] for item in result.details["certificate_checks"]}
    assert labels["doesNotConnectWithRootCertificate"] == "Connects with a known root certificate"
    assert labels["hasChanged"] == "Unchanged since last checked"
    # The facts are the run's finding; the details name it and do not repeat it.
    assert result.findings is not None and len(result.findings) == 1
    certificate = result.findings[0].payload
    assert result.details["certificate_fingerprint"] == result.findings[0].key == certificate["fingerprint"]
    assert "certificate" not in result.details
    # Stored, the details of an hourly run take about 100 bytes (packed_json format 2).
    assert len(packed_json.pack(result.details)) < 150
    assert certificate["issuer"] == "Lookout Test Intermediate"
    assert certificate["domain"] == "leaf"
    assert certificate["additional_domains"] == [SITE, "www.site.test"]
    assert certificate["chain_issuers"] == ["Lookout Test Intermediate", "Lookout Test Root"]
    assert certificate["signature_algorithm"] == "sha256WithRSAEncryption"
    assert certificate["fingerprint"] == sha1(leaf.cert)
    # The leaf is the run's finding, keyed by its fingerprint; its payload is the same facts.
    assert result.findings is not None and [f.key for f in result.findings] == [sha1(leaf.cert)]
    assert dict(result.findings[0].payload) == dict(certificate)
    assert result.timings.tls_ms is not None and result.timings.tls_ms > 0
    assert result.details["host"] == SITE and result.details["address"] == "127.0.0.1"


async def test_the_same_certificate_twice_is_the_same_finding(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf()
    async with serve_tls(chain_context(leaf, pki.intermediate.cert)) as server:
        first = await CHECK.run(target(server.port), CertificateHealthSettings(), cert_ctx)
        second = await CHECK.run(target(server.port), CertificateHealthSettings(), cert_ctx)
    assert first.findings == second.findings  # stable payload: no "changed" without a change


async def test_connect_ip_dials_that_address_with_the_host_as_sni(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf("not.in.dns.test")
    async with serve_tls(chain_context(leaf, pki.intermediate.cert)) as server:
        result = await CHECK.run(
            target(server.port, "not.in.dns.test", connect_ip="127.0.0.1"),
            CertificateHealthSettings(),
            cert_ctx,
        )
    assert result.outcome is Outcome.SUCCEEDED, result.summary
    assert server.server_names == ["not.in.dns.test"]


# --- warnings ----------------------------------------------------------------------------------


async def test_a_certificate_expiring_in_five_days_is_a_warning(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf(not_after=datetime.now(UTC) + timedelta(days=5))
    result = await run_against(cert_ctx, leaf, pki.intermediate.cert)
    assert result.outcome is Outcome.WARNING
    assert result.summary.startswith("Expires in 4 days (")
    assert failing(result) == {"expiresSoon"}


async def test_the_expires_soon_threshold_is_the_settings(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf(not_after=datetime.now(UTC) + timedelta(days=5))
    result = await run_against(
        cert_ctx,
        leaf,
        pki.intermediate.cert,
        settings=CertificateHealthSettings(expires_soon_threshold_in_days=3),
    )
    assert result.outcome is Outcome.SUCCEEDED, result.summary
    later = pki.leaf(not_after=datetime.now(UTC) + timedelta(days=20))
    warned = await run_against(
        cert_ctx,
        later,
        pki.intermediate.cert,
        settings=CertificateHealthSettings(expires_soon_threshold_in_days=30),
    )
    assert warned.outcome is Outcome.WARNING and failing(warned) == {"expiresSoon"}


async def test_a_certificate_valid_for_too_long_is_a_warning(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf(not_after=datetime.now(UTC) + timedelta(days=825))
    result = await run_against(cert_ctx, leaf, pki.intermediate.cert)
    assert result.outcome is Outcome.WARNING
    assert result.summary == "Valid for 826 days, longer than the 398 days browsers accept"
    assert failing(result) == {"lifetimeTooLong"}


# --- failures --------------------------------------------------------------------------------


async def test_an_expired_certificate_fails(cert_ctx: CheckContext, pki: Pki) -> None:
    now = datetime.now(UTC)
    leaf = pki.leaf(not_before=now - timedelta(days=90), not_after=now - timedelta(days=3))
    result = await run_against(cert_ctx, leaf, pki.intermediate.cert)
    assert result.outcome is Outcome.FAILED
    assert result.summary.startswith("Down: certificate expired 3 days ago (")
    # Its chain still leads to the root: only the dates are wrong.
    assert failing(result) == {"hasExpired", "expiresSoon"}


async def test_a_certificate_not_yet_valid_fails(cert_ctx: CheckContext, pki: Pki) -> None:
    now = datetime.now(UTC)
    leaf = pki.leaf(not_before=now + timedelta(days=2), not_after=now + timedelta(days=90))
    result = await run_against(cert_ctx, leaf, pki.intermediate.cert)
    assert result.outcome is Outcome.FAILED
    assert result.summary.startswith("Down: certificate is not valid until ")
    assert failing(result) == {"notYetActive"}


async def test_a_certificate_for_another_host_fails(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf("other.test", "*.other.test")
    result = await run_against(cert_ctx, leaf, pki.intermediate.cert)
    assert result.outcome is Outcome.FAILED
    assert result.summary == f"Down: certificate does not cover {SITE} (it is for other.test, *.other.test)"
    assert failing(result) == {"coversWrongDomain"}
    assert _facts(result)["covers_domain"] is False


async def test_a_wildcard_covers_one_label(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf("*.site.test")
    async with serve_tls(chain_context(leaf, pki.intermediate.cert)) as server:
        good = await CHECK.run(
            target(server.port, "www.site.test", "127.0.0.1"), CertificateHealthSettings(), cert_ctx
        )
        deep = await CHECK.run(
            target(server.port, "a.b.site.test", "127.0.0.1"), CertificateHealthSettings(), cert_ctx
        )
        bare = await CHECK.run(target(server.port, SITE), CertificateHealthSettings(), cert_ctx)
    assert good.outcome is Outcome.SUCCEEDED, good.summary
    assert failing(deep) == {"coversWrongDomain"} and failing(bare) == {"coversWrongDomain"}


def test_name_matching_rules() -> None:
    assert covers(["*.example.com"], "www.example.com")
    assert not covers(["*.example.com"], "example.com")
    assert not covers(["*.example.com"], "a.b.example.com")
    assert not covers(["*.com"], "example.com")  # a wildcard never spans a whole suffix
    assert covers(["WWW.Example.COM."], "www.example.com")
    assert covers(["127.0.0.1"], "127.0.0.1") and not covers(["127.0.0.1"], "127.0.0.2")
    assert not covers(["127.0.0.1"], "localhost") and not covers([], "example.com")


async def test_a_self_signed_certificate_fails(cert_ctx: CheckContext) -> None:
    leaf = issue(SITE, SITE)
    result = await run_against(cert_ctx, leaf)
    assert result.outcome is Outcome.FAILED
    assert result.summary == "Down: certificate is self-signed and 1 more problem"
    assert failing(result) == {"isSelfSigned", "doesNotConnectWithRootCertificate"}


async def test_a_sha1_signed_certificate_fails(cert_ctx: CheckContext, pki: Pki) -> None:
    leaf = pki.leaf()
    weak = Issued(resign_with_sha1(leaf.cert, pki.intermediate), leaf.key)
    result = await run_against(cert_ctx, weak, pki.intermediate.cert)
    assert result.outcome is Outcome.FAILED
    assert result.summary.startswith("Down: the certificate (SHA-1) is signed with a weak hash")
    # A SHA-1 signature leads to no root a browser would accept either.
    assert failing(result) == {"usesInvalidHash", "doesNotConnectWithRootCertificate"}
    assert _facts(result)["signature_algorithm"] == "sha1WithRSAEncryption"


async def test_a_missing_intermediate_fails_the_root_check(cert_ctx: CheckContext, pki: Pki) -> None:
    result = await run_against(cert_ctx, pki.leaf())  # the leaf alone, signed by the intermediate
    assert result.outcome is Outcome.FAILED
    assert result.summary == (
        "Down: the chain does not lead to a known root certificate "
        "(unknown issuer (the chain is incomplete or its root is not trusted))"
    )
    assert failing(result) == {"doesNotConnectWithRootCertificate"}
    assert _facts(result)["chain_issuers"] == ["Lookout Test Intermediate"]


async def test_an_expired_intermediate_under_a_valid_leaf_fails_the_root_check(
    cert_ctx: CheckContext, pki: Pki
) -> None:
    now = datetime.now(UTC)
    stale = issue(
        "Stale Intermediate",
        issuer=pki.root,
        ca=True,
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=1),
    )
    leaf = issue("leaf", SITE, issuer=stale, not_before=now - timedelta(days=10))
    result = await run_against(cert_ctx, leaf, stale.cert)
    assert result.outcome is Outcome.FAILED
    assert failing(result) == {"doesNotConnectWithRootCertificate"}


async def test_an_unknown_root_fails_the_root_check(resolver: Resolver, guard: TargetGuard, pki: Pki) -> None:
    untrusting = CheckContext(
        resolver=resolver, guard=guard, clock=lambda: datetime.now(UTC), tls=TlsInspector(guard)
    )
    result = await run_against(untrusting, pki.leaf(), pki.intermediate.cert)
    assert failing(result) == {"doesNotConnectWithRootCertificate"}


# --- no certificate to look at ---------------------------------------------------------------


async def test_a_host_that_does_not_exist(cert_ctx: CheckContext) -> None:
    result = await CHECK.run(target(443, "nowhere.test"), CertificateHealthSettings(), cert_ctx)
    assert result.outcome is Outcome.FAILED
    assert result.summary == "Down: could not resolve nowhere.test (no such domain)"
    assert passed(result) == {"notFound": False, "hostDoesNotExist": False}
    assert result.findings is None  # nothing seen, so nothing earlier is called replaced
    assert result.details["certificate_fingerprint"] is None


async def test_a_closed_port_could_not_connect(cert_ctx: CheckContext) -> None:
    result = await CHECK.run(target(closed_port()), CertificateHealthSettings(), cert_ctx)
    assert result.outcome is Outcome.FAILED
    assert result.summary == "Down: connection refused"
    assert passed(result) == {"notFound": False, "hostDoesNotExist": True, "couldNotConnectToHost": False}
    assert result.findings is None


async def test_a_server_without_tls_has_no_certificate(cert_ctx: CheckContext) -> None:
    async with serve_reply(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as port:
        result = await CHECK.run(target(port), CertificateHealthSettings(), cert_ctx)
    assert result.outcome is Outcome.FAILED
    assert passed(result) == {
        "notFound": False,
        "hostDoesNotExist": True,
        "couldNotConnectToHost": True,
        "noCertificateInstalled": False,
    }


async def test_a_silent_server_times_out_within_the_budget(
    cert_ctx: CheckContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lookout.checks.certificate_health.HANDSHAKE_TIMEOUT_S", 0.3)
    async with serve_tls(None) as server:
        result = await CHECK.run(target(server.port), CertificateHealthSettings(), cert_ctx)
    assert result.outcome is Outcome.FAILED
    assert "timed out waiting for the TLS handshake" in result.summary
    assert failing(result) == {"notFound", "couldNotDownloadCertificate"}


# --- where the certificate is looked for --------------------------------------------------------


@pytest.mark.parametrize(
    ("monitor_type", "url", "expected"),
    [
        (MonitorType.HTTP, "https://example.com/path", ("example.com", 443)),
        (MonitorType.HTTP, "https://example.com:8443/", ("example.com", 8443)),
        (MonitorType.HTTP, "http://example.com:8080/", ("example.com", 443)),
        (MonitorType.TCP, "mail.example.com:993", ("mail.example.com", 993)),
        (MonitorType.PING, "example.com", ("example.com", 443)),
    ],
)
def test_the_endpoint_of_each_monitor_type(
    monitor_type: MonitorType, url: str, expected: tuple[str, int]
) -> None:
    assert endpoint(Target(1, monitor_type, url)) == expected


def test_registered_hourly_with_certificate_findings() -> None:
    check = CHECKS[CheckType.CERTIFICATE_HEALTH]
    assert isinstance(check, CertificateHealthCheck)
    assert check.interval(CertificateHealthSettings()) == 3600
    assert check.findings is not None and check.findings.noun == "certificate"


# --- a replaced certificate, through the engine -------------------------------------------------


@pytest.fixture
async def swapping_server(pki: Pki) -> AsyncIterator[tuple[Listener, Any]]:
    context = chain_context(pki.leaf("127.0.0.1"), pki.intermediate.cert)
    async with serve_tls(context) as server:
        yield server, context


async def test_a_replaced_certificate_is_a_changed_event(
    factory: sessionmaker[Session],  # noqa: F811
    swapping_server: tuple[Listener, Any],
    pki: Pki,
    tmp_path: Path,
) -> None:
    server, context = swapping_server
    ids = add_monitor(
        factory,
        f"https://127.0.0.1:{server.port}/",
        monitor_type="http",
        checks={"certificate_health": {"check_interval_in_seconds": 86_400}},
    )
    check_id = ids["certificate_health"]
    resolver = Resolver()
    guard = TargetGuard(resolver, allow_private=True)
    ctx = CheckContext(
        resolver=resolver, guard=guard, clock=FastClock(), tls=TlsInspector(guard, ca_file=pki.ca_file)
    )
    eng = Engine(factory, ctx, EngineSettings(tick_interval=0.02, flush_interval=0.02, claim_ttl=60))
    await eng.start()
    try:
        await until(factory, lambda s: len(_runs(s, check_id)) == 1)
        replacement = pki.leaf("127.0.0.1")
        load_chain(context, replacement, pki.intermediate.cert)
        assert await eng.request_run(check_id)
        await until(factory, lambda s: len(_runs(s, check_id)) == 2)
    finally:
        await eng.stop()
    with factory() as session:
        runs = _runs(session, check_id)
        assert [run.result for run in runs] == ["succeeded", "succeeded"]
        first, second = (run.details["certificate_fingerprint"] for run in runs)
        assert first != second and second == sha1(replacement.cert)
        findings = {f.key: f for f in session.scalars(select(Finding).where(Finding.check_id == check_id))}
        assert set(findings) == {first, second}
        resolved = findings[first].resolved_at  # to the microsecond; a run keeps milliseconds
        assert resolved is not None and epoch_millis(resolved) == epoch_millis(runs[1].started_at)
        assert findings[second].resolved_at is None
        changes = session.execute(
            select(StateChange.kind, StateChange.reason, StateChange.details).where(
                StateChange.check_id == check_id
            )
        ).all()
        assert [(c.kind, c.reason) for c in changes] == [("changed", "1 new certificate, 1 fixed")]
        assert changes[0].details["new"] == [second] and changes[0].details["resolved"] == [first]


def _runs(session: Session, check_id: int) -> list[CheckRun]:
    query = select(CheckRun).where(CheckRun.check_id == check_id).order_by(CheckRun.started_at)
    return list(session.scalars(query))

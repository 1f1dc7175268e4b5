"""Judging a presented certificate chain: pure functions, no I/O.

Every check of Oh Dear's certificate health (A11) is here with its `type` and `label`; a run
lists them with `passed`, and the first failing one in the order a person would fix them
becomes the run's summary.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from lookout.checks.certificate_health.details import CertificateCheckItem, CertificateFacts
from lookout.model.result import Outcome

DEFAULT_EXPIRES_SOON_DAYS = 14
# The CA/Browser Forum's limit for certificates issued since September 2020; Apple and Chrome
# refuse publicly trusted leaves that are valid for longer.
MAX_LIFETIME = timedelta(days=398)


class CertCheck(StrEnum):
    NOT_FOUND = "notFound"
    EXPIRES_SOON = "expiresSoon"
    COVERS_WRONG_DOMAIN = "coversWrongDomain"
    NO_KNOWN_ROOT = "doesNotConnectWithRootCertificate"
    NOT_YET_ACTIVE = "notYetActive"
    SELF_SIGNED = "isSelfSigned"
    INVALID_HASH = "usesInvalidHash"
    EXPIRED = "hasExpired"
    CHANGED = "hasChanged"
    LIFETIME_TOO_LONG = "lifetimeTooLong"
    COULD_NOT_CONNECT = "couldNotConnectToHost"
    HOST_DOES_NOT_EXIST = "hostDoesNotExist"
    NO_CERTIFICATE = "noCertificateInstalled"
    COULD_NOT_DOWNLOAD = "couldNotDownloadCertificate"


LABELS: dict[CertCheck, str] = {
    CertCheck.NOT_FOUND: "Certificate is present",
    CertCheck.EXPIRES_SOON: "Will not expire soon",
    CertCheck.COVERS_WRONG_DOMAIN: "Covers the right domain",
    CertCheck.NO_KNOWN_ROOT: "Connects with a known root certificate",
    CertCheck.NOT_YET_ACTIVE: "Is currently active",
    CertCheck.SELF_SIGNED: "Is not self-signed",
    CertCheck.INVALID_HASH: "Uses a valid hashing algorithm",
    CertCheck.EXPIRED: "Has not expired",
    CertCheck.CHANGED: "Unchanged since last checked",
    CertCheck.LIFETIME_TOO_LONG: "Certificate is not valid for too long",
    CertCheck.COULD_NOT_CONNECT: "Could not connect to host",
    CertCheck.HOST_DOES_NOT_EXIST: "Host does not exist",
    CertCheck.NO_CERTIFICATE: "No certificate installed",
    CertCheck.COULD_NOT_DOWNLOAD: "Could not download certificate",
}
assert set(LABELS) == set(CertCheck)

# The reachability stages, in the order they happen: each passed before the next was tried.
STAGES = (
    CertCheck.HOST_DOES_NOT_EXIST,
    CertCheck.COULD_NOT_CONNECT,
    CertCheck.NO_CERTIFICATE,
    CertCheck.COULD_NOT_DOWNLOAD,
)
# Failing any of these fails the run; the order is the order of the summary.
FAILURES = (
    CertCheck.EXPIRED,
    CertCheck.NOT_YET_ACTIVE,
    CertCheck.COVERS_WRONG_DOMAIN,
    CertCheck.SELF_SIGNED,
    CertCheck.INVALID_HASH,
    CertCheck.NO_KNOWN_ROOT,
)
WARNINGS = (CertCheck.EXPIRES_SOON, CertCheck.LIFETIME_TOO_LONG)
_WEAK_HASHES = (hashes.SHA1, hashes.MD5)


def item(check: CertCheck, passed: bool) -> CertificateCheckItem:
    return CertificateCheckItem(type=check.value, label=LABELS[check], passed=passed)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    summary: str
    """The reason (for a failure, `down` prefixes it) or the whole summary otherwise."""
    checks: list[CertificateCheckItem]


def unreachable(failed_stage: CertCheck) -> list[CertificateCheckItem]:
    """The checks of a run that got no certificate: the stages that passed, then the one that
    failed. Nothing is said about a certificate nobody saw."""
    stages = [item(CertCheck.NOT_FOUND, False)]
    for stage in STAGES:
        stages.append(item(stage, stage is not failed_stage))
        if stage is failed_stage:
            break
    return stages


def judge(
    chain: tuple[x509.Certificate, ...],
    host: str,
    now: datetime,
    *,
    chains_to_root: bool,
    verify_error: str | None,
    expires_soon_days: int | None,
) -> Verdict:
    """Every check of the chain the server presented for `host` (IDNA, lower case), at `now`."""
    leaf = chain[0]
    threshold = timedelta(days=expires_soon_days or DEFAULT_EXPIRES_SOON_DAYS)
    not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    names = alt_names(leaf)
    weak = weak_signature(chain)
    lifetime = not_after - not_before
    passed: dict[CertCheck, bool] = {
        CertCheck.NOT_FOUND: True,
        CertCheck.EXPIRES_SOON: not_after - now > threshold,
        CertCheck.COVERS_WRONG_DOMAIN: covers(names, host),
        CertCheck.NO_KNOWN_ROOT: chains_to_root,
        CertCheck.NOT_YET_ACTIVE: not_before <= now,
        CertCheck.SELF_SIGNED: not is_self_signed(leaf),
        CertCheck.INVALID_HASH: weak is None,
        CertCheck.EXPIRED: now <= not_after,
        # Judged where runs are compared (the findings diff); a run alone cannot tell.
        CertCheck.CHANGED: True,
        CertCheck.LIFETIME_TOO_LONG: lifetime <= MAX_LIFETIME,
    }
    for stage in STAGES:
        passed[stage] = True
    checks = [item(check, passed[check]) for check in CertCheck]
    reasons: dict[CertCheck, Callable[[], str]] = {
        CertCheck.EXPIRED: lambda: f"certificate expired {_ago(now - not_after)} ({_day(not_after)})",
        CertCheck.NOT_YET_ACTIVE: lambda: f"certificate is not valid until {_day(not_before)}",
        CertCheck.COVERS_WRONG_DOMAIN: lambda: f"certificate does not cover {host} ({_for_names(names)})",
        CertCheck.SELF_SIGNED: lambda: "certificate is self-signed",
        CertCheck.INVALID_HASH: lambda: f"{weak} is signed with a weak hash, which browsers refuse",
        CertCheck.NO_KNOWN_ROOT: lambda: (
            "the chain does not lead to a known root certificate"
            + (f" ({verify_error})" if verify_error else "")
        ),
        CertCheck.EXPIRES_SOON: lambda: f"Expires in {_days(not_after - now)} ({_day(not_after)})",
        CertCheck.LIFETIME_TOO_LONG: lambda: (
            f"Valid for {lifetime.days} days, longer than the {MAX_LIFETIME.days} days browsers accept"
        ),
    }
    failing = [check for check in FAILURES if not passed[check]]
    if failing:
        more = (
            f" and {len(failing) - 1} more problem{'s' if len(failing) > 2 else ''}"
            if len(failing) > 1
            else ""
        )
        return Verdict(Outcome.FAILED, reasons[failing[0]]() + more, checks)
    warning = [check for check in WARNINGS if not passed[check]]
    if warning:
        return Verdict(Outcome.WARNING, reasons[warning[0]](), checks)
    return Verdict(
        Outcome.SUCCEEDED, f"Valid until {_day(not_after)}, expires in {_days(not_after - now)}", checks
    )


def facts(chain: tuple[x509.Certificate, ...], host: str, *, chains_to_root: bool) -> CertificateFacts:
    """What the leaf says about itself (the payload of its finding: stable while it stays)."""
    leaf = chain[0]
    der = leaf.public_bytes(Encoding.DER)
    names = alt_names(leaf)
    common_name = _attribute(leaf.subject, NameOID.COMMON_NAME)
    domain = common_name or (names[0] if names else "")
    return CertificateFacts(
        issuer=_attribute(leaf.issuer, NameOID.COMMON_NAME)
        or _attribute(leaf.issuer, NameOID.ORGANIZATION_NAME)
        or leaf.issuer.rfc4514_string()[:255],
        domain=domain[:255],
        additional_domains=[name for name in names if name != domain][:100],
        valid_from=leaf.not_valid_before_utc.isoformat(),
        valid_until=leaf.not_valid_after_utc.isoformat(),
        signature_algorithm=_signature_algorithm(leaf),
        fingerprint=_hex_digest(hashes.SHA1(), der),
        fingerprint_sha256=_hex_digest(hashes.SHA256(), der),
        serial_number=format(leaf.serial_number, "x"),
        chain_issuers=[issuer_line(cert) for cert in chain[:10]],
        chains_to_root=chains_to_root,
        covers_domain=covers(names, host),
    )


def alt_names(cert: x509.Certificate) -> list[str]:
    """The DNS names and IP addresses of the subjectAltName, as written."""
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    dns_names: list[str] = extension.get_values_for_type(x509.DNSName)
    return dns_names + [str(ip) for ip in extension.get_values_for_type(x509.IPAddress)]


def covers(names: list[str], host: str) -> bool:
    """RFC 6125: the exact name, or a wildcard standing for the whole left-most label only
    (`*.example.com` covers `www.example.com`, not `example.com` nor `a.b.example.com`).
    An IP address must be listed as an IP address."""
    try:
        wanted = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return any(_ip(name) == wanted for name in names)
    host = host.rstrip(".").lower()
    parent = host.partition(".")[2]
    for name in (name.rstrip(".").lower() for name in names):
        if name == host or (name.startswith("*.") and parent and "." in parent and name[2:] == parent):
            return True
    return False


def is_self_signed(cert: x509.Certificate) -> bool:
    """Issued by itself: its issuer is its subject and its own key verifies its signature."""
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    except UnsupportedAlgorithm:
        return True  # the names say so; the signature cannot be checked here
    return True


def weak_signature(chain: tuple[x509.Certificate, ...]) -> str | None:
    """Which presented certificate is signed with SHA-1 or MD5 ("the certificate", "an
    intermediate certificate"); a self-signed root's own signature does not count."""
    for index, cert in enumerate(chain):
        if index > 0 and cert.issuer == cert.subject:
            continue
        try:
            algorithm = cert.signature_hash_algorithm
        except UnsupportedAlgorithm:
            continue
        if isinstance(algorithm, _WEAK_HASHES):
            which = "the certificate" if index == 0 else "an intermediate certificate"
            return f"{which} ({algorithm.name.upper().replace('SHA', 'SHA-')})"
    return None


def issuer_line(cert: x509.Certificate) -> str:
    """ "US, Google Trust Services, WE1": the issuer's country, organisation and common name."""
    parts = [
        _attribute(cert.issuer, oid)
        for oid in (NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME)
    ]
    return ", ".join(part for part in parts if part)[:255]


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    value = values[0].value if values else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _signature_algorithm(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    name: str = getattr(oid, "_name", "") or oid.dotted_string
    return name if name != "Unknown OID" else oid.dotted_string


def _hex_digest(algorithm: hashes.HashAlgorithm, data: bytes) -> str:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize().hex()


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _days(span: timedelta) -> str:
    days = span.days
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = max(0, int(span.total_seconds() // 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _ago(span: timedelta) -> str:
    return f"{_days(span)} ago"


def _for_names(names: list[str]) -> str:
    if not names:
        return "it names no host"
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"it is for {listed}"

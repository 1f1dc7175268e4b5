"""TLS inspection: one handshake that accepts any certificate, then our own verdict on it.

The handshake trusts nothing, so an expired, self-signed or misnamed certificate is still
read. The chain the server presented is then verified with cryptography's X.509 verifier
against the system roots (plus an optional CA file), and a failure is put in a person's
words. Every address passes the target guard before it is dialled.
"""

from __future__ import annotations

import _ssl
import asyncio
import ipaddress
import os
import re
import ssl
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    Subject,
    VerificationError,
)

from lookout.net.guard import TargetGuard, TargetRefused
from lookout.net.resolve import ResolveError

# How long a polite close (close_notify both ways) may take before the socket is dropped.
_SHUTDOWN_TIMEOUT_S = 2.0
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_HASHED_NAME = re.compile(r"^[0-9a-f]{8}\.\d+$")  # how OpenSSL names the files in a CA directory


class TlsErrorKind(StrEnum):
    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    HANDSHAKE = "handshake"
    BLOCKED = "blocked"


class TlsError(Exception):
    """No certificate to inspect: `message` says why in a person's words."""

    def __init__(self, kind: TlsErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class TlsInspection:
    host: str
    """The name sent as SNI and verified against (no SNI for an IP address)."""
    address: str
    """The IP address actually dialled."""
    port: int
    chain: tuple[x509.Certificate, ...]
    """As the server presented it, leaf first."""
    verified: bool
    """The chain leads to a trusted root and the leaf is valid now and names `host`."""
    verify_error: str | None
    protocol: str | None
    cipher: str | None
    connect_ms: float
    tls_ms: float
    chains_to_root: bool = False
    """The chain leads to a trusted root, whatever the leaf's dates and names (`verified`
    also wants those right): what "connects with a known root certificate" means."""


@dataclass(frozen=True, slots=True)
class _Session:
    address: str
    der_chain: list[bytes]
    protocol: str | None
    cipher: str | None
    connect_ms: float
    tls_ms: float


@dataclass(slots=True)
class _Progress:
    doing: str
    """What we were doing, for the message when time runs out."""


@dataclass(frozen=True, slots=True)
class _Roots:
    store: Store | None
    """None when there is not a single trusted certificate."""
    ders: frozenset[bytes]
    subjects: frozenset[x509.Name]


class _Ignore(asyncio.Protocol):
    """Nothing is read after the handshake; whatever the server sends is dropped."""


class TlsInspector:
    """Build one and share it: the trusted roots are read once, on the first inspection."""

    def __init__(self, guard: TargetGuard, *, ca_file: str | None = None, timeout_s: float = 10.0) -> None:
        self.guard = guard
        self._ca_file = ca_file
        self._timeout_s = timeout_s
        self._context = _client_context()
        self._roots: _Roots | None = None

    async def inspect(
        self, host: str, port: int = 443, *, connect_ip: str | None = None, timeout_s: float | None = None
    ) -> TlsInspection:
        """What the server at `host` presents; raises TlsError only when there is no handshake."""
        name = _host_name(host)
        budget = self._timeout_s if timeout_s is None else timeout_s
        progress = _Progress(f"resolving {name}")
        try:
            async with asyncio.timeout(budget):
                addresses = await self._allowed(connect_ip or name)
                session = await self._handshake(name, port, addresses, progress)
        except TimeoutError:
            raise TlsError(TlsErrorKind.TIMEOUT, f"timed out {progress.doing} after {budget:g} s") from None
        chain = _parse_chain(session.der_chain)
        roots = await self._trusted_roots()
        verified, verify_error = _verify(name, chain, roots)
        return TlsInspection(
            host=name,
            address=session.address,
            port=port,
            chain=chain,
            verified=verified,
            verify_error=verify_error,
            protocol=session.protocol,
            cipher=session.cipher,
            connect_ms=session.connect_ms,
            tls_ms=session.tls_ms,
            chains_to_root=verified or _chains_to_root(chain, roots),
        )

    async def _allowed(self, target: str) -> list[str]:
        try:
            return await self.guard.check(target)
        except ResolveError as exc:
            raise TlsError(TlsErrorKind.DNS, str(exc)) from None
        except TargetRefused as exc:
            raise TlsError(TlsErrorKind.BLOCKED, f"target refused: {exc.reason}") from None

    async def _handshake(self, name: str, port: int, addresses: list[str], progress: _Progress) -> _Session:
        loop = asyncio.get_running_loop()
        refusal: TlsError | None = None
        # Try each address in turn while connecting fails, as a browser would.
        for address in addresses:
            progress.doing = f"connecting to {address} port {port}"
            started = time.perf_counter()
            try:
                raw, protocol = await loop.create_connection(_Ignore, address, port)
            except TimeoutError:
                raise
            except OSError as exc:
                refusal = TlsError(TlsErrorKind.REFUSED, _connect_failure(exc))
                continue
            connect_ms = _ms_since(started)
            progress.doing = "waiting for the TLS handshake"
            started = time.perf_counter()
            try:
                tls = await loop.start_tls(
                    raw,
                    protocol,
                    self._context,
                    server_hostname=None if _is_ip(name) else name,
                    ssl_shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
                )
            except TimeoutError:
                raw.abort()
                raise
            except OSError as exc:  # ssl.SSLError among them
                raw.abort()
                raise TlsError(TlsErrorKind.HANDSHAKE, _handshake_failure(exc)) from None
            except ValueError as exc:  # a server_hostname the ssl module will not send
                raw.abort()
                raise TlsError(TlsErrorKind.HANDSHAKE, f"TLS handshake failed: {exc}") from None
            except BaseException:
                raw.abort()
                raise
            if tls is None:  # the typeshed allows it; start_tls returns a transport or raises
                raw.abort()
                raise TlsError(TlsErrorKind.HANDSHAKE, "TLS handshake failed: the connection closed")
            # Everything is read before the next await, so a timeout cannot leave it open.
            try:
                tls_ms = _ms_since(started)
                ssl_object = tls.get_extra_info("ssl_object")
                if not isinstance(ssl_object, ssl.SSLObject):
                    raise TlsError(TlsErrorKind.HANDSHAKE, "TLS handshake failed: no TLS session")
                cipher = ssl_object.cipher()
                return _Session(
                    address=address,
                    der_chain=_peer_chain(ssl_object),
                    protocol=ssl_object.version(),
                    cipher=cipher[0] if cipher else None,
                    connect_ms=connect_ms,
                    tls_ms=tls_ms,
                )
            finally:
                tls.close()  # close_notify; asyncio drops the socket after _SHUTDOWN_TIMEOUT_S at most
        assert refusal is not None, "the guard returned no address"  # guard.check never does
        raise refusal

    async def _trusted_roots(self) -> _Roots:
        if self._roots is None:
            # Two first inspections at once may both read the files; either result will do.
            self._roots = await asyncio.to_thread(_load_roots, self._ca_file)
        return self._roots


def _host_name(host: str) -> str:
    """The name for the guard, SNI and verification: lower case, ASCII (IDNA), no final dot."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            name = ""
    if not name or name.startswith("."):
        raise TlsError(TlsErrorKind.DNS, f"{host!r} is not a host name")
    return name


def _client_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Nothing secret crosses this connection, so also talk to servers a browser would refuse
    # (old protocol versions, weak keys): the check reports those from what we read here.
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def _peer_chain(ssl_object: ssl.SSLObject) -> list[bytes]:
    """DER certificates as presented, leaf first; just the leaf when Python cannot tell more."""
    # Public on SSLObject (as DER bytes) from Python 3.13; private on _sslobj (as
    # _ssl.Certificate) in 3.10 to 3.12.
    getter = getattr(ssl_object, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(ssl_object, "_sslobj", None), "get_unverified_chain", None)
    if getter is not None:
        chain = getter() or []
        ders = [cert if isinstance(cert, bytes) else cert.public_bytes(_ssl.ENCODING_DER) for cert in chain]
        if ders:
            return ders
    leaf = ssl_object.getpeercert(binary_form=True)
    return [leaf] if leaf else []


def _parse_chain(ders: list[bytes]) -> tuple[x509.Certificate, ...]:
    chain: list[x509.Certificate] = []
    for der in ders:
        try:
            chain.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            if not chain:
                raise TlsError(
                    TlsErrorKind.HANDSHAKE, f"the server's certificate could not be read: {exc}"
                ) from None
            break  # what follows an unreadable intermediate cannot be chained through it
    if not chain:
        raise TlsError(TlsErrorKind.HANDSHAKE, "the server presented no certificate")
    return tuple(chain)


# --- trusted roots ---------------------------------------------------------------------------


def _load_roots(ca_file: str | None) -> _Roots:
    """The system's roots (certifi's when the system has none) and `ca_file`, read once."""
    blobs: list[bytes] = []
    paths = ssl.get_default_verify_paths()
    if paths.cafile:
        blobs.append(Path(paths.cafile).read_bytes())
    elif paths.capath:
        directory = Path(paths.capath)
        blobs.extend(
            path.read_bytes()
            for path in sorted(directory.iterdir())
            if _HASHED_NAME.match(path.name) and path.is_file()
        )
    else:
        try:
            import certifi
        except ImportError:
            pass
        else:
            blobs.append(Path(certifi.where()).read_bytes())
    system = _certificates(blobs)
    extra: list[x509.Certificate] = []
    if ca_file:
        extra = _certificates([Path(ca_file).read_bytes()])
        if not extra:
            raise ValueError(f"no certificates could be read from the CA file {ca_file}")
    unique = {cert.public_bytes(Encoding.DER): cert for cert in [*system, *extra]}
    certs = list(unique.values())
    return _Roots(
        store=Store(certs) if certs else None,
        ders=frozenset(unique),
        subjects=frozenset(cert.subject for cert in certs),
    )


def _certificates(blobs: list[bytes]) -> list[x509.Certificate]:
    """Every certificate in PEM bundles, skipping the few cryptography refuses to read."""
    certs: list[x509.Certificate] = []
    # Some system bundles still carry roots with a negative serial number; cryptography
    # warns about each, and they cannot be helped here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for blob in blobs:
            for block in _PEM_BLOCK.findall(blob):
                try:
                    certs.append(x509.load_pem_x509_certificate(block))
                except ValueError:
                    continue
    return certs


# --- verification ----------------------------------------------------------------------------


def _server_auth_usage(policy: Policy, cert: x509.Certificate, usage: x509.ExtendedKeyUsage | None) -> None:
    if not _for_servers(cert):
        raise ValueError("the certificate is not for TLS servers (extended key usage)")


# The Web PKI profile, except that a leaf may mark its subjectAltName or extended key usage
# critical and may omit the authority key identifier: browsers and OpenSSL accept those, and
# private CAs (trustme among them) issue them. The name and the server-auth usage still count.
_EE_POLICY = (
    ExtensionPolicy.webpki_defaults_ee()
    .require_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _server_auth_usage)
    .may_be_present(x509.AuthorityKeyIdentifier, Criticality.AGNOSTIC, None)
)
_CA_POLICY = ExtensionPolicy.webpki_defaults_ca()


def _verify(host: str, chain: tuple[x509.Certificate, ...], roots: _Roots) -> tuple[bool, str | None]:
    now = datetime.now(UTC)
    if roots.store is None:
        return False, _describe(chain, host, now, roots, "no trusted root certificates are configured")
    try:
        subject: Subject = x509.IPAddress(ipaddress.ip_address(host)) if _is_ip(host) else x509.DNSName(host)
    except ValueError:
        return False, f"cannot verify a certificate for the name {host!r}"
    verifier = (
        PolicyBuilder()
        .store(roots.store)
        .time(now)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
        .build_server_verifier(subject)
    )
    try:
        verifier.verify(chain[0], list(chain[1:]))
    except (VerificationError, ValueError, UnsupportedAlgorithm) as exc:
        return False, _describe(chain, host, now, roots, str(exc))
    return True, None


def _chains_to_root(chain: tuple[x509.Certificate, ...], roots: _Roots) -> bool:
    """Whether the chain leads to a trusted root when the leaf's own dates and names are set
    aside: verified now if the leaf is valid now (else at the nearest moment it and the
    presented intermediates were), for a name it carries. An expired intermediate under a
    valid leaf breaks the chain, and so does a weak signature algorithm: a SHA-1 chain leads
    nowhere a browser would follow."""
    if roots.store is None:
        return False
    leaf = chain[0]
    subject = _own_subject(leaf)
    if subject is None:
        return False
    now = datetime.now(UTC)
    moment = now
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        # The moment nearest now when the leaf and the presented intermediates were all valid.
        start = max(cert.not_valid_before_utc for cert in chain)
        end = min(cert.not_valid_after_utc for cert in chain)
        if start > end:
            start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
        moment = min(max(now, start), end)
    verifier = (
        PolicyBuilder()
        .store(roots.store)
        .time(moment)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
        .build_server_verifier(subject)
    )
    try:
        verifier.verify(leaf, list(chain[1:]))
    except (VerificationError, ValueError, UnsupportedAlgorithm):
        return False
    return True


def _own_subject(cert: x509.Certificate) -> Subject | None:
    """A name the certificate is for (a wildcard's label filled in), or None if it has none."""
    try:
        alt_names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    for dns_name in alt_names.get_values_for_type(x509.DNSName):
        name = dns_name.rstrip(".").lower()
        if name.startswith("*."):
            name = "x" + name[1:]
        try:
            return x509.DNSName(name)
        except ValueError:
            continue
    ips = alt_names.get_values_for_type(x509.IPAddress)
    if ips:
        return x509.IPAddress(ips[0])
    return None


_VERIFIER_NOISE = re.compile(
    r"^validation failed: (candidates exhausted: )?|\s*\(encountered processing .*\)$"
)
_WEAK_HASHES = (hashes.SHA1, hashes.MD5)


def _describe(
    chain: tuple[x509.Certificate, ...], host: str, now: datetime, roots: _Roots, detail: str
) -> str:
    """Why the chain failed, in a person's words: the first of these that holds, in the order
    a person would fix them; otherwise the verifier's own words."""
    leaf, rest = chain[0], chain[1:]

    def trusted(cert: x509.Certificate) -> bool:
        return cert.public_bytes(Encoding.DER) in roots.ders

    if leaf.not_valid_after_utc < now:
        return "certificate has expired"
    if leaf.not_valid_before_utc > now:
        return "certificate is not yet valid"
    names = _subject_alt_names(leaf)
    if not names:
        return "hostname mismatch (the certificate names no host)"
    if not _names_host(names, host):
        listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return f"hostname mismatch (the certificate is for {listed})"
    if not _for_servers(leaf):
        return "certificate is not for TLS servers (its extended key usage)"
    if leaf.issuer == leaf.subject and not trusted(leaf):
        return "self-signed certificate"
    for index, cert in enumerate(chain):
        weak = _weak_signature(cert)
        if weak and cert.issuer != cert.subject:
            which = "certificate" if index == 0 else "an intermediate certificate"
            return f"{which} is signed with {weak}, which is no longer trusted"
    for cert in rest:
        if cert.issuer != cert.subject and not trusted(cert):
            if cert.not_valid_after_utc < now:
                return "an intermediate certificate has expired"
            if cert.not_valid_before_utc > now:
                return "an intermediate certificate is not yet valid"
    top = chain[-1]
    if top.issuer == top.subject and not trusted(top):
        return "self-signed certificate in the chain (its root is not trusted)"
    if top.issuer not in roots.subjects:
        return "unknown issuer (the chain is incomplete or its root is not trusted)"
    return f"certificate rejected: {_VERIFIER_NOISE.sub('', detail)}"


def _subject_alt_names(cert: x509.Certificate) -> list[str]:
    try:
        alt_names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    dns_names: list[str] = alt_names.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in alt_names.get_values_for_type(x509.IPAddress)]
    return dns_names + ips


def _for_servers(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return True
    return ExtendedKeyUsageOID.SERVER_AUTH in usage or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usage


def _names_host(names: list[str], host: str) -> bool:
    """RFC 6125 matching: exact, or a wildcard for the whole left-most label."""
    if _is_ip(host):
        wanted = ipaddress.ip_address(host)
        return any(_is_ip(name) and ipaddress.ip_address(name) == wanted for name in names)
    parent = host.partition(".")[2]
    for name in (name.rstrip(".").lower() for name in names):
        if name == host or (name.startswith("*.") and parent and name[2:] == parent):
            return True
    return False


def _weak_signature(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    return algorithm.name.upper().replace("SHA", "SHA-") if isinstance(algorithm, _WEAK_HASHES) else None


# --- failures in a person's words -----------------------------------------------------------

_NOT_TLS = "the server did not answer with TLS (is this port speaking TLS?)"
_SSL_REASONS = {
    "WRONG_VERSION_NUMBER": _NOT_TLS,
    "PACKET_LENGTH_TOO_LONG": _NOT_TLS,
    "RECORD_LAYER_FAILURE": _NOT_TLS,
    "UNKNOWN_PROTOCOL": _NOT_TLS,
    "HTTP_REQUEST": _NOT_TLS,
    "TLSV1_ALERT_PROTOCOL_VERSION": "the server supports no TLS version we offer",
    "UNSUPPORTED_PROTOCOL": "the server supports no TLS version we offer",
    "NO_PROTOCOLS_AVAILABLE": "the server supports no TLS version we offer",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server refused the handshake (no cipher or protocol in common)",
    "NO_SHARED_CIPHER": "the server refused the handshake (no cipher or protocol in common)",
    "TLSV1_UNRECOGNIZED_NAME": "the server does not know this host name",
    "TLSV1_ALERT_UNRECOGNIZED_NAME": "the server does not know this host name",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server requires a client certificate",
    "UNEXPECTED_EOF_WHILE_READING": "the server closed the connection during the handshake",
}


def _handshake_failure(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or ""
        words = _SSL_REASONS.get(reason) or (reason.replace("_", " ").lower() or str(exc))
    elif isinstance(exc, ConnectionError):
        words = "the server closed the connection during the handshake"
    else:
        words = (exc.strerror or str(exc) or type(exc).__name__).lower()
    return f"TLS handshake failed: {words}"


def _connect_failure(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc))
    return f"could not connect: {reason.lower()}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)

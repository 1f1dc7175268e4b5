"""Publishing to an authoritative server (BIND, Knot, PowerDNS) with RFC 2136 dynamic
updates signed with TSIG, and reading the answer back from it.

One change set is one UPDATE message, which the server applies atomically. The TSIG secret
is held as bytes inside dnspython's keyring and never appears in a message or log line.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update

from lookout.failover.base import ChangeSet, DnsProviderError, RecordSet, normalise_name

log = logging.getLogger(__name__)

ALGORITHMS = {
    "hmac-md5": dns.tsig.HMAC_MD5,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}


@dataclass(frozen=True, slots=True)
class UpdateServer:
    host: str
    port: int
    key_name: str
    algorithm: str
    secret: bytes

    def __repr__(self) -> str:  # the secret stays out of reprs and tracebacks
        return f"UpdateServer({self.host}:{self.port}, key {self.key_name}, {self.algorithm})"

    @classmethod
    def parse(cls, server: str, key_name: str, algorithm: str, secret_b64: str) -> UpdateServer:
        host, sep, port_text = server.strip().rpartition(":")
        if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError("the DNS update server is host:port")
        algorithm = algorithm.strip().lower()
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unknown TSIG algorithm {algorithm}; one of {', '.join(ALGORITHMS)}")
        if not key_name.strip():
            raise ValueError("a TSIG key name is needed")
        try:
            secret = base64.b64decode(secret_b64, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the TSIG secret must be base64") from None
        if not secret:
            raise ValueError("the TSIG secret is empty")
        return cls(host.strip("[]"), int(port_text), key_name.strip(), algorithm, secret)


def _wire_text(rtype: str, value: str) -> str:
    if rtype in ("CNAME", "NS"):
        return normalise_name(value) + "."
    if rtype == "MX":
        preference, _, exchange = value.partition(" ")
        return f"{preference} {normalise_name(exchange)}."
    if rtype == "TXT" and not value.startswith('"'):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        # A TXT string holds at most 255 bytes; longer text is split into several strings.
        chunks = [escaped[i : i + 255] for i in range(0, len(escaped), 255)] or [""]
        return " ".join(f'"{chunk}"' for chunk in chunks)
    return value


def _value_of(rdata: dns.rdata.Rdata) -> str:
    if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT):
        return b"".join(rdata.strings).decode("utf-8", "replace")
    return str(rdata.to_text())


class Rfc2136Provider:
    name = "rfc2136"

    def __init__(self, server: UpdateServer, timeout: float = 5.0) -> None:
        self._server = server
        self._timeout = timeout
        self._keyring = {
            dns.name.from_text(server.key_name): dns.tsig.Key(
                server.key_name, server.secret, ALGORITHMS[server.algorithm]
            )
        }

    async def apply(self, change: ChangeSet) -> None:
        zone = dns.name.from_text(change.zone)
        key_name = dns.name.from_text(self._server.key_name)
        update = dns.update.UpdateMessage(zone, keyring=self._keyring, keyname=key_name)
        for record_set in change.sets:
            name = dns.name.from_text(record_set.name).relativize(zone)
            if not record_set.values:
                update.delete(name, record_set.type)
                continue
            rdatas = [
                dns.rdata.from_text(dns.rdataclass.IN, record_set.type, _wire_text(record_set.type, value))
                for value in record_set.values
            ]
            update.replace(name, record_set.ttl, *rdatas)
        response = await self._send(update)
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            raise DnsProviderError(
                f"{self._server.host}:{self._server.port} refused the update: {dns.rcode.to_text(rcode)}"
            )
        log.info("published %d record set(s) of %s to %s", len(change.sets), change.zone, self._server)

    async def read(self, zone: str, name: str, rtype: str) -> RecordSet | None:
        query = dns.message.make_query(normalise_name(name) + ".", rtype.upper())
        response = await self._send(query)
        rcode = response.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return None
        if rcode != dns.rcode.NOERROR:
            raise DnsProviderError(
                f"{self._server.host}:{self._server.port} answered {dns.rcode.to_text(rcode)}"
            )
        wanted = dns.rdatatype.from_text(rtype.upper())
        for rrset in response.answer:
            if rrset.rdtype == wanted and normalise_name(rrset.name.to_text()) == normalise_name(name):
                return RecordSet.of(name, rtype, rrset.ttl, [_value_of(rdata) for rdata in rrset])
        return None

    async def _send(self, message: dns.message.Message) -> dns.message.Message:
        try:
            return await dns.asyncquery.tcp(
                message, self._server.host, timeout=self._timeout, port=self._server.port
            )
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsProviderError(f"{self._server.host}:{self._server.port}: {type(exc).__name__}") from None

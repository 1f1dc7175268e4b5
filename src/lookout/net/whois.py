"""WHOIS over port 43: the fallback for top-level domains without RDAP.

The server of a top-level domain comes from a per-TLD override or else from IANA's WHOIS
server (its `whois:` line), remembered for a day. Answers are free text; `parse_whois`
reads the lines registries commonly use for dates, statuses, the registrar and name
servers. Every server is dialled through the target guard and answers are bounded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from lookout.errors import LookoutError
from lookout.model.monitor import split_host_port
from lookout.net.guard import TargetGuard, TargetRefused
from lookout.net.resolve import ResolveError
from lookout.net.tcp import TcpConnection, TcpError

IANA_WHOIS = ("whois.iana.org", 43)
RESPONSE_LIMIT = 64 * 1024
REFERRAL_TTL_S = 24 * 3600


class WhoisError(LookoutError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WhoisUnsupportedError(WhoisError):
    """No WHOIS server is known for the top-level domain."""


class WhoisNotFoundError(WhoisError):
    """The registry's WHOIS server does not know the domain."""


@dataclass(frozen=True, slots=True)
class WhoisRecord:
    domain: str
    server: str
    expires_at: datetime | None = None
    registered_at: datetime | None = None
    last_changed_at: datetime | None = None
    statuses: tuple[str, ...] = ()
    registrar: str | None = None
    nameservers: tuple[str, ...] = ()
    text: str = ""


def parse_server(value: str) -> tuple[str, int]:
    pair = split_host_port(value.strip())
    host, port = pair if pair else (value.strip().strip("[]"), 43)
    if not host:
        raise ValueError(f"WHOIS server {value!r} has no host")
    return host, port


def parse_servers(setting: str | None) -> dict[str, tuple[str, int]]:
    """`"io=whois.nic.io, test=127.0.0.1:4343"` as tld -> (host, port)."""
    servers: dict[str, tuple[str, int]] = {}
    for item in (part.strip() for part in (setting or "").split(",")):
        if not item:
            continue
        tld, sep, server = item.partition("=")
        tld = tld.strip().strip(".").lower()
        if not sep or not tld:
            raise ValueError(f"WHOIS server {item!r} is not tld=host[:port]")
        servers[tld] = parse_server(server)
    return servers


# Line keys (lower case, before the first colon) and what they hold.
_EXPIRY = re.compile(r"expir|paid-till|renewal date|valid until|free-date")
_CREATED = re.compile(r"creat|^registered( on| date)?$|registration (date|time)")
_CHANGED = re.compile(r"updated?( date| on)?$|last[- ]update|^changed$|modified|last changed")
_STATUS = re.compile(r"^(domain )?status$|^state$")
_REGISTRAR = re.compile(r"^(sponsoring )?registrar( name)?$")
_NAMESERVER = re.compile(r"^(name ?servers?|nserver|dns)$")
_NOT_FOUND = re.compile(
    r"no match|not found|no entries found|no data found|no object found|status:\s*(free|available)"
    r"|is available for registration|object does not exist|domain not registered",
    re.IGNORECASE,
)
_TRAILING_ZONE = re.compile(r"\s*(\(?(utc|gmt|z)([+-]\d{1,2}(:?\d\d)?)?\)?)$", re.IGNORECASE)
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%Y%m%d",
    "%a %b %d %H:%M:%S %Y",
    "%b %d %Y",
    "%d %b %Y",
    "%B %d %Y",
)


def parse_date(value: str) -> datetime | None:
    """A date as WHOIS servers write them; naive ones are taken as UTC."""
    text = value.strip()
    if not text or len(text) > 64:
        return None
    iso = text[:-1] + "+00:00" if text[-1:] in ("z", "Z") else text
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        text = _TRAILING_ZONE.sub("", text).replace(",", "").replace("T", " ", 1)
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_whois(domain: str, server: str, text: str) -> WhoisRecord:
    """What the answer says about `domain`; raises WhoisNotFoundError when it says it is free."""
    expires: datetime | None = None
    created: datetime | None = None
    changed: datetime | None = None
    statuses: list[str] = []
    registrar: str | None = None
    nameservers: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("%", "#", ">>>")) or ":" not in line:
            continue
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if not value or len(key) > 60:
            continue
        if _EXPIRY.search(key):
            expires = expires or parse_date(value)
        elif _CREATED.search(key):
            created = created or parse_date(value)
        elif _CHANGED.search(key):
            changed = changed or parse_date(value)
        elif _STATUS.search(key):
            status = value.split()[0]
            if status not in statuses and len(statuses) < 50:
                statuses.append(status[:64])
        elif _REGISTRAR.search(key):
            registrar = registrar or value[:255]
        elif _NAMESERVER.search(key):
            name = value.split()[0].rstrip(".").lower()
            if name not in nameservers and len(nameservers) < 50:
                nameservers.append(name[:253])
    if expires is None and created is None and _NOT_FOUND.search(text):
        raise WhoisNotFoundError(f"{domain} is not registered (WHOIS: no match)")
    return WhoisRecord(
        domain, server, expires, created, changed, tuple(statuses), registrar, tuple(nameservers), text
    )


def referral(text: str) -> str | None:
    """The `whois:` (or `refer:`) server named in an answer of IANA's WHOIS server."""
    for raw in text.splitlines():
        key, sep, value = raw.partition(":")
        if sep and key.strip().lower() in ("whois", "refer") and value.strip():
            return value.strip().split()[0][:253]
    return None


class WhoisClient:
    """Share one per process: it remembers which server answers for which TLD."""

    def __init__(
        self,
        guard: TargetGuard,
        *,
        servers: Mapping[str, tuple[str, int]] | None = None,
        referral_server: tuple[str, int] = IANA_WHOIS,
        timeout_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._guard = guard
        self._servers = {tld.lower(): server for tld, server in (servers or {}).items()}
        self._referral_server = referral_server
        self._timeout_s = timeout_s
        self._monotonic = monotonic
        self._referrals: dict[str, tuple[tuple[str, int] | None, float]] = {}

    async def server_for(self, tld: str) -> tuple[str, int] | None:
        tld = tld.strip(".").lower()
        if tld in self._servers:
            return self._servers[tld]
        known = self._referrals.get(tld)
        if known is not None and self._monotonic() - known[1] < REFERRAL_TTL_S:
            return known[0]
        answer = await self.query(self._referral_server, tld)
        name = referral(answer)
        server = (name, 43) if name else None
        if len(self._referrals) > 2000:
            self._referrals.clear()
        self._referrals[tld] = (server, self._monotonic())
        return server

    async def lookup(self, domain: str) -> WhoisRecord:
        tld = domain.rsplit(".", 1)[-1]
        server = await self.server_for(tld)
        if server is None:
            raise WhoisUnsupportedError(f"no WHOIS server is known for .{tld}")
        text = await self.query(server, domain)
        return parse_whois(domain, f"{server[0]}:{server[1]}", text)

    async def query(self, server: tuple[str, int], question: str) -> str:
        """The server's whole answer to one line (at most RESPONSE_LIMIT bytes)."""
        host, port = server
        try:
            addresses = await self._guard.check(host)
        except (ResolveError, TargetRefused) as exc:
            raise WhoisError(f"WHOIS server {host}: {exc}") from None
        deadline = time.perf_counter() + self._timeout_s
        try:
            connection = await TcpConnection.open(addresses[0], port, self._timeout_s)
        except TcpError as exc:
            raise WhoisError(f"WHOIS server {host}: {exc.message}") from None
        async with connection:
            try:
                await connection.send(question.encode("idna") + b"\r\n")
            except (UnicodeError, ConnectionError, OSError) as exc:
                raise WhoisError(f"WHOIS server {host}: {exc}") from None
            data = await _read_all(connection, deadline)
        if not data:
            raise WhoisError(f"WHOIS server {host} sent no answer")
        return data.decode("utf-8", errors="replace")


async def _read_all(connection: TcpConnection, deadline: float) -> bytes:
    """Until the server closes (WHOIS has no other end of answer), time runs out or the limit."""
    # A needle that never comes: read_until then reads to the end, the deadline or its limit.
    data = await connection.read_until(b"\x00\xff\x00", deadline - time.perf_counter())
    return data[:RESPONSE_LIMIT]

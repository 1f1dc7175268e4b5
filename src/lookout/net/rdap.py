"""RDAP client: who registered a domain, when it expires, and its registry statuses.

The RDAP server of a top-level domain comes from IANA's bootstrap file (`dns.json`,
RFC 9224), fetched once and kept in memory (and on disk, when given a file) for a day; a
per-TLD override names servers directly (tests, registries missing from the file). Every
request goes through the HTTP client, so the target guard sees each host and redirect, and
response bodies are bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from lookout.errors import LookoutError
from lookout.net.guard import TargetGuard
from lookout.net.http import HttpClient, HttpRequest, HttpResponse, TransportError

log = logging.getLogger(__name__)

IANA_BOOTSTRAP_URL = "https://data.iana.org/rdap/dns.json"
BOOTSTRAP_TTL_S = 24 * 3600
BOOTSTRAP_BODY_LIMIT = 2 << 20
RESPONSE_BODY_LIMIT = 512 << 10
_ACCEPT = "application/rdap+json, application/json;q=0.9"

HttpClientFactory = Callable[[TargetGuard], HttpClient]


class RdapError(LookoutError):
    """The lookup did not work; `message` says why in a person's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RdapUnsupportedError(RdapError):
    """No RDAP server is known for the domain's top-level domain."""


class RdapNotFoundError(RdapError):
    """The registry's RDAP server does not know the domain (HTTP 404)."""


@dataclass(frozen=True, slots=True)
class RdapRecord:
    domain: str
    server: str
    expires_at: datetime | None = None
    registered_at: datetime | None = None
    last_changed_at: datetime | None = None
    last_updated_in_rdap_db_at: datetime | None = None
    statuses: tuple[str, ...] = ()
    registrar: str | None = None
    nameservers: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


def parse_servers(setting: str | None) -> dict[str, str]:
    """`"test=http://127.0.0.1:8080/rdap/, example=https://rdap.example/"` as tld -> base URL."""
    servers: dict[str, str] = {}
    for item in (part.strip() for part in (setting or "").split(",")):
        if not item:
            continue
        tld, sep, url = item.partition("=")
        tld, url = tld.strip().strip(".").lower(), url.strip()
        if not sep or not tld or urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"RDAP server {item!r} is not tld=http(s)://url")
        servers[tld] = url
    return servers


def bootstrap_services(document: Any) -> dict[str, list[str]]:
    """tld -> base URLs (https first) from an RFC 9224 bootstrap document."""
    services: dict[str, list[str]] = {}
    entries = document.get("services") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("no services list")
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) >= 2):
            continue
        tlds, urls = entry[0], entry[1]
        if not (isinstance(tlds, list) and isinstance(urls, list)):
            continue
        usable = [u for u in urls if isinstance(u, str) and urlsplit(u).scheme in ("http", "https")]
        usable.sort(key=lambda u: not u.startswith("https:"))
        for tld in tlds:
            if isinstance(tld, str) and usable:
                services[tld.strip(".").lower()] = usable
    return services


def epp_status(value: str) -> str:
    """An RDAP status ("client hold") in the EPP spelling people know ("clientHold")."""
    words = value.strip().split()
    if len(words) <= 1:
        return value.strip()
    return words[0].lower() + "".join(word[:1].upper() + word[1:].lower() for word in words[1:])


def parse_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


_EVENTS = {
    "expiration": "expires_at",
    "registration": "registered_at",
    "last changed": "last_changed_at",
    "last update of rdap database": "last_updated_in_rdap_db_at",
}


def _registrar(entities: Any) -> str | None:
    if not isinstance(entities, list):
        return None
    for entity in entities:
        if not isinstance(entity, dict) or "registrar" not in (entity.get("roles") or []):
            continue
        vcard = entity.get("vcardArray")
        if isinstance(vcard, list) and len(vcard) == 2 and isinstance(vcard[1], list):
            for prop in vcard[1]:
                if isinstance(prop, list) and len(prop) >= 4 and prop[0] == "fn" and isinstance(prop[3], str):
                    return prop[3][:255]
        handle = entity.get("handle")
        if isinstance(handle, str):
            return handle[:255]
    return None


def parse_domain(domain: str, server: str, document: Any) -> RdapRecord:
    """The parts of an RDAP domain object (RFC 9083) the domain check uses."""
    if not isinstance(document, dict):
        raise RdapError("the RDAP answer is not a JSON object")
    dates: dict[str, datetime | None] = {}
    for event in document.get("events") or []:
        if not isinstance(event, dict):
            continue
        action = str(event.get("eventAction", "")).strip().lower()
        name = _EVENTS.get(action)
        if name is not None and dates.get(name) is None:
            dates[name] = parse_date(event.get("eventDate"))
    statuses = tuple(
        epp_status(status) for status in (document.get("status") or []) if isinstance(status, str)
    )[:50]
    nameservers = tuple(
        str(ns["ldhName"]).rstrip(".").lower()[:253]
        for ns in (document.get("nameservers") or [])
        if isinstance(ns, dict) and isinstance(ns.get("ldhName"), str)
    )[:50]
    return RdapRecord(
        domain=domain,
        server=server,
        statuses=statuses,
        registrar=_registrar(document.get("entities")),
        nameservers=nameservers,
        raw=document,
        **dates,
    )


class RdapClient:
    """Looks domains up over RDAP; build one per process and share it (it caches the bootstrap)."""

    def __init__(
        self,
        guard: TargetGuard,
        *,
        http_client: HttpClientFactory = HttpClient,
        bootstrap_url: str = IANA_BOOTSTRAP_URL,
        servers: Mapping[str, str] | None = None,
        cache_file: Path | None = None,
        ttl_s: float = BOOTSTRAP_TTL_S,
        timeout_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._guard = guard
        self._http_client = http_client
        self.bootstrap_url = bootstrap_url
        self._servers = {tld.lower(): url for tld, url in (servers or {}).items()}
        self._cache_file = cache_file
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._monotonic = monotonic
        self._bootstrap: dict[str, list[str]] | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()
        self.bootstrap_fetches = 0

    async def server_for(self, tld: str) -> str | None:
        """The base URL of `tld`'s RDAP server; None when it has none. Raises RdapError when
        the bootstrap file cannot be had (and no copy of it is kept)."""
        tld = tld.strip(".").lower()
        if tld in self._servers:
            return self._servers[tld]
        services = await self._services()
        urls = services.get(tld)
        return urls[0] if urls else None

    async def lookup(self, domain: str) -> RdapRecord:
        tld = domain.rsplit(".", 1)[-1]
        base = await self.server_for(tld)
        if base is None:
            raise RdapUnsupportedError(f"no RDAP server is known for .{tld}")
        url = base.rstrip("/") + "/domain/" + quote(domain, safe="")
        response = await self._get(url, RESPONSE_BODY_LIMIT)
        if response.status == 404:
            raise RdapNotFoundError(f"{domain} is not registered (RDAP answered 404)")
        if not 200 <= response.status < 300:
            raise RdapError(f"the RDAP server answered HTTP {response.status}")
        if response.truncated:
            raise RdapError(f"the RDAP answer is larger than {RESPONSE_BODY_LIMIT // 1024} KiB")
        try:
            document = json.loads(response.body)
        except ValueError:
            raise RdapError("the RDAP answer is not JSON") from None
        return parse_domain(domain, base, document)

    async def _get(self, url: str, limit: int) -> HttpResponse:
        client = self._http_client(self._guard)
        request = HttpRequest(
            url=url,
            headers=[("Accept", _ACCEPT)],
            timeout_s=self._timeout_s,
            max_redirects=3,
            body_limit=limit,
        )
        try:
            return await client.fetch(request)
        except TransportError as exc:
            raise RdapError(f"RDAP request failed: {exc.message}") from None

    async def _services(self) -> dict[str, list[str]]:
        if self._bootstrap is not None and self._monotonic() - self._loaded_at < self._ttl_s:
            return self._bootstrap
        async with self._lock:
            if self._bootstrap is not None and self._monotonic() - self._loaded_at < self._ttl_s:
                return self._bootstrap
            if self._bootstrap is None:
                on_disk = await asyncio.to_thread(self._read_disk)
                if on_disk is not None:
                    self._bootstrap, self._loaded_at = on_disk
                    if self._monotonic() - self._loaded_at < self._ttl_s:
                        return self._bootstrap
            try:
                fetched = await self._fetch_bootstrap()
            except RdapError:
                if self._bootstrap is not None:  # a stale copy beats none; retry in a while
                    log.warning("RDAP bootstrap refresh failed; keeping the copy we have")
                    self._loaded_at = self._monotonic() - self._ttl_s + 600
                    return self._bootstrap
                raise
            self._bootstrap, self._loaded_at = fetched, self._monotonic()
            return fetched

    async def _fetch_bootstrap(self) -> dict[str, list[str]]:
        response = await self._get(self.bootstrap_url, BOOTSTRAP_BODY_LIMIT)
        if not 200 <= response.status < 300 or response.truncated:
            raise RdapError(f"could not load the RDAP bootstrap file (HTTP {response.status})")
        try:
            document = json.loads(response.body)
            services = bootstrap_services(document)
        except ValueError:
            raise RdapError("the RDAP bootstrap file is not valid") from None
        self.bootstrap_fetches += 1
        if self._cache_file is not None:
            await asyncio.to_thread(self._write_disk, response.body)
        return services

    def _read_disk(self) -> tuple[dict[str, list[str]], float] | None:
        """The cached file and when it was loaded, on this client's monotonic clock."""
        if self._cache_file is None:
            return None
        try:
            age = max(0.0, time.time() - self._cache_file.stat().st_mtime)
            if self._cache_file.stat().st_size > BOOTSTRAP_BODY_LIMIT:
                return None
            services = bootstrap_services(json.loads(self._cache_file.read_bytes()))
        except (OSError, ValueError):
            return None
        return services, self._monotonic() - age

    def _write_disk(self, body: bytes) -> None:
        assert self._cache_file is not None
        with contextlib.suppress(OSError):
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self._cache_file.with_suffix(".partial")
            partial.write_bytes(body)
            partial.replace(self._cache_file)

"""DNS blocklists (DNSBLs) as data: a zone to ask and what its answers mean.

The built-in list ships as `checks/data/dns_blocklists.toml`; an operator replaces it with
`LOOKOUT_DNS_BLOCKLISTS_FILE`. Both are read by `parse_blocklists`, so a bad file fails at
start-up with a line a person can act on, never in a check.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# A zone is a DNS name of letters, digits, hyphens and dots (no wildcards, no trailing dot).
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_ZONE = re.compile(rf"^(?=.{{1,200}}$){_LABEL}(\.{_LABEL})+$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MAX_BLOCKLISTS = 200


class BlocklistFileError(ValueError):
    """The blocklist data cannot be used; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Blocklist:
    key: str
    """What `enabled_blocklists` names it by: "spamhaus-zen"."""
    name: str
    """What people call it: "Spamhaus ZEN"."""
    zone: str
    """The zone the reversed address is asked under: "zen.spamhaus.org"."""
    ipv4: bool = True
    ipv6: bool = False
    return_codes: Mapping[str, str] = field(default_factory=dict)
    """Answer address -> meaning ("127.0.0.2" -> "SBL: spam source"). An answer not listed
    here still lists the address, with a generic reason; 127.255.255.x answers are the
    list refusing the query (a public resolver, or too many queries), not a listing."""
    timeout_s: float = 3.0
    """How long one query to this list may take."""


def parse_blocklists(data: Mapping[str, Any]) -> tuple[Blocklist, ...]:
    """`{"blocklists": [{key, name, zone, ipv4, ipv6, return_codes}, ...]}` (TOML or JSON)."""
    entries = data.get("blocklists")
    if not isinstance(entries, list) or not entries:
        raise BlocklistFileError("expected a non-empty list `blocklists`")
    if len(entries) > MAX_BLOCKLISTS:
        raise BlocklistFileError(f"at most {MAX_BLOCKLISTS} blocklists")
    seen: set[str] = set()
    parsed: list[Blocklist] = []
    for index, entry in enumerate(entries):
        where = f"blocklists[{index}]"
        if not isinstance(entry, Mapping):
            raise BlocklistFileError(f"{where} is not a table")
        key, name, zone = entry.get("key"), entry.get("name"), entry.get("zone")
        if not isinstance(key, str) or not _KEY.match(key):
            raise BlocklistFileError(f"{where}.key must be lower-case letters, digits, '-', '_' or '.'")
        if key in seen:
            raise BlocklistFileError(f"{where}.key {key!r} appears twice")
        seen.add(key)
        if not isinstance(name, str) or not 0 < len(name) <= 100:
            raise BlocklistFileError(f"{where}.name must be a string of 1 to 100 characters")
        if not isinstance(zone, str) or not _ZONE.match(zone.lower().rstrip(".")):
            raise BlocklistFileError(f"{where}.zone must be a domain name")
        ipv4, ipv6 = entry.get("ipv4", True), entry.get("ipv6", False)
        if not isinstance(ipv4, bool) or not isinstance(ipv6, bool) or not (ipv4 or ipv6):
            raise BlocklistFileError(f"{where}: ipv4/ipv6 must be booleans, at least one true")
        codes = entry.get("return_codes", {})
        if not isinstance(codes, Mapping):
            raise BlocklistFileError(f"{where}.return_codes must be a table of address = meaning")
        meanings: dict[str, str] = {}
        for code, meaning in codes.items():
            try:
                address = ipaddress.IPv4Address(code)
            except ValueError:
                raise BlocklistFileError(f"{where}.return_codes: {code!r} is not an IPv4 address") from None
            if not isinstance(meaning, str) or len(meaning) > 300:
                raise BlocklistFileError(f"{where}.return_codes[{code!r}] must be a short string")
            meanings[str(address)] = meaning
        timeout_ms = entry.get("timeout_ms", 3000)
        if not isinstance(timeout_ms, int) or isinstance(timeout_ms, bool) or not 100 <= timeout_ms <= 10_000:
            raise BlocklistFileError(f"{where}.timeout_ms must be an integer from 100 to 10000")
        parsed.append(Blocklist(key, name, zone.lower().rstrip("."), ipv4, ipv6, meanings, timeout_ms / 1000))
    return tuple(parsed)

"""What a DNS back end offers failover: replace record sets, and read one back.

A change is a whole RRset (every value of one name and type, with its TTL), never an edit
of one value: applying the same change twice leaves the same answer, so the executor can
retry a change it is not sure was applied, and read it back to know. An empty value set
removes the name's records of that type.

Names are absolute without the trailing dot (`www.example.com`); the zone is the domain
the record belongs to (`example.com`), and every name lies in it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

SUPPORTED_TYPES = frozenset({"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SRV", "CAA"})


class DnsProviderError(Exception):
    """A provider could not apply or read a change (refused, unreachable, bad signature)."""


def normalise_name(name: str) -> str:
    return name.strip().rstrip(".").lower()


def normalise_value(rtype: str, value: str) -> str:
    """One spelling per value, so sets read back from any back end compare equal: IPs in
    their compressed form, host names lower case without the root dot."""
    value = value.strip()
    if rtype in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    if rtype in ("CNAME", "NS"):
        return normalise_name(value)
    if rtype == "MX":
        preference, _, exchange = value.partition(" ")
        return f"{preference} {normalise_name(exchange)}" if exchange else value
    return value


@dataclass(frozen=True, slots=True)
class RecordSet:
    """Every value of one name and type. `values` are sorted, so equal sets compare equal."""

    name: str
    type: str
    ttl: int
    values: tuple[str, ...]

    @classmethod
    def of(cls, name: str, rtype: str, ttl: int, values: Sequence[str]) -> RecordSet:
        rtype = rtype.upper()
        normal = {normalise_value(rtype, value) for value in values}
        return cls(normalise_name(name), rtype, ttl, tuple(sorted(normal)))

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.type)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """RRsets of one zone to publish as one update (all applied, or none where the back end
    can promise it: RFC 2136 updates are atomic)."""

    zone: str
    sets: tuple[RecordSet, ...]

    def __post_init__(self) -> None:
        zone = normalise_name(self.zone)
        object.__setattr__(self, "zone", zone)
        for record_set in self.sets:
            if record_set.type not in SUPPORTED_TYPES:
                raise ValueError(f"record type {record_set.type} is not supported")
            if record_set.name != zone and not record_set.name.endswith("." + zone):
                raise ValueError(f"{record_set.name} is not in zone {zone}")
            if record_set.ttl < 1:
                raise ValueError("a TTL is at least 1 second")
        keys = [record_set.key for record_set in self.sets]
        if len(keys) != len(set(keys)):
            raise ValueError("a change set names each RRset once")


class DnsProvider(Protocol):
    """A DNS back end failover publishes to."""

    name: str

    async def apply(self, change: ChangeSet) -> None:
        """Make each RRset of the change the name's whole answer for its type.

        Raises DnsProviderError when the back end refuses or cannot be reached."""
        ...

    async def read(self, zone: str, name: str, rtype: str) -> RecordSet | None:
        """What the back end answers now for the name and type; None when it has none."""
        ...

"""The DNS blocklist check: the host's addresses looked up in DNS blocklists (DNSBLs).

Each address is reversed under each list's zone (1.2.3.4 -> 4.3.2.1.zen.spamhaus.org;
IPv6 nibble by nibble) and asked for an A record through the operator's resolvers: an
answer in 127.0.0.0/8 lists the address (the list's return codes say why), NXDOMAIN does
not. A listing is a finding and fails the run; a list that does not answer in its timeout
or refuses the query (127.255.255.x) is reported, not counted as a listing.
"""

from __future__ import annotations

import asyncio
import builtins
import ipaddress
import json
import time
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import ClassVar, TypedDict

from lookout.checks.base import Check, CheckContext, FindingsSpec, Target
from lookout.checks.results import down, finish
from lookout.errors import LookoutError
from lookout.model.check_settings.others import DnsBlocklistSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.dns_blocklists import Blocklist, BlocklistFileError, parse_blocklists
from lookout.model.monitor import target_host
from lookout.model.result import CheckResult, Finding, Outcome, Timings
from lookout.net.dns import DnsClient, DnsQueryError

MAX_ADDRESSES = 8  # of each family: a name with more is a CDN, and its first ones say enough
_CONCURRENT_QUERIES = 32
_REFUSED = ipaddress.ip_network("127.255.255.0/24")
_LISTED = ipaddress.ip_network("127.0.0.0/8")
_REASON_LENGTH = 300


class BlocklistResult(TypedDict):
    provider: str
    provider_key: str
    ip: str
    listed: bool
    query_target: str
    return_code: str | None
    reason: str | None
    timed_out: bool
    error: str | None


class DnsBlocklistDetails(TypedDict):
    """A run's details: the A14 blocklist history item without its id and date."""

    checked_domain: str
    resolved_ips: list[str]
    blocklist_results: list[BlocklistResult]
    issues: list[str]


def builtin_blocklists() -> tuple[Blocklist, ...]:
    data = resources.files("lookout.checks").joinpath("data/dns_blocklists.toml").read_text("utf-8")
    return parse_blocklists(tomllib.loads(data))


def load_blocklists(path: Path) -> tuple[Blocklist, ...]:
    """An operator's replacement list (TOML, or JSON when the name ends in .json)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise BlocklistFileError(f"{path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise BlocklistFileError(f"{path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise BlocklistFileError(f"{path}: expected a table with a `blocklists` list")
    try:
        return parse_blocklists(data)
    except BlocklistFileError as exc:
        raise BlocklistFileError(f"{path}: {exc}") from None


def query_name(address: str, zone: str) -> str:
    """The name a DNSBL is asked: the address reversed (nibbles for IPv6) under the zone."""
    pointer = ipaddress.ip_address(address).reverse_pointer
    reversed_part = pointer.rsplit(".", 2)[0]  # drop in-addr.arpa / ip6.arpa
    return f"{reversed_part}.{zone}"


def selected(
    blocklists: Sequence[Blocklist], settings: DnsBlocklistSettings
) -> tuple[list[Blocklist], list[str]]:
    """The lists this monitor asks, and the names in `enabled_blocklists` that match none."""
    if settings.use_all_blocklists:
        return list(blocklists), []
    wanted = {name.strip().lower() for name in settings.enabled_blocklists}
    chosen = [b for b in blocklists if b.key in wanted or b.name.lower() in wanted or b.zone in wanted]
    known = {b.key for b in chosen} | {b.name.lower() for b in chosen} | {b.zone for b in chosen}
    unknown = sorted(name[:100] for name in wanted - known)
    return chosen, unknown


async def look_up(dns: DnsClient, blocklist: Blocklist, address: str) -> BlocklistResult:
    target = query_name(address, blocklist.zone)
    result: BlocklistResult = {
        "provider": blocklist.name,
        "provider_key": blocklist.key,
        "ip": address,
        "listed": False,
        "query_target": target,
        "return_code": None,
        "reason": None,
        "timed_out": False,
        "error": None,
    }
    try:
        answer = await dns.query(target, "A", timeout_s=blocklist.timeout_s)
    except DnsQueryError as exc:
        result["timed_out"] = exc.kind == "timeout"
        result["error"] = exc.message
        return result
    if answer.rcode != "NOERROR" and answer.rcode != "NXDOMAIN":
        result["error"] = f"the blocklist answered {answer.rcode}"
        return result
    codes = [code for code in answer.records if _is_ipv4(code)]
    if not codes:
        return result
    refused = [code for code in codes if ipaddress.IPv4Address(code) in _REFUSED]
    if refused:
        result["return_code"] = refused[0]
        result["error"] = f"the blocklist refused the query ({refused[0]}): ask through your own resolver"
        return result
    listed = [code for code in codes if ipaddress.IPv4Address(code) in _LISTED]
    if not listed:
        result["error"] = f"unexpected answer {codes[0]}"
        return result
    result["listed"] = True
    result["return_code"] = listed[0]
    meanings = [blocklist.return_codes.get(code) for code in listed]
    known = [meaning for meaning in meanings if meaning]
    result["reason"] = "; ".join(known)[:_REASON_LENGTH] if known else f"listed ({listed[0]})"
    if not known:
        result["reason"] = await _txt_reason(dns, target, blocklist) or result["reason"]
    return result


async def _txt_reason(dns: DnsClient, target: str, blocklist: Blocklist) -> str | None:
    """Many lists explain a listing in a TXT record at the same name."""
    try:
        answer = await dns.query(target, "TXT", timeout_s=blocklist.timeout_s)
    except DnsQueryError:
        return None
    text = " ".join(record.strip('"') for record in answer.records)
    return text[:_REASON_LENGTH] or None


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _addresses(resolved: list[str]) -> list[str]:
    v4 = [a for a in resolved if ":" not in a][:MAX_ADDRESSES]
    v6 = [a for a in resolved if ":" in a][:MAX_ADDRESSES]
    return v4 + v6


class DnsBlocklistCheck(Check[DnsBlocklistSettings]):
    type: ClassVar[CheckType] = CheckType.DNS_BLOCKLIST
    details = DnsBlocklistDetails
    findings = FindingsSpec("blocklist listing")

    def __init__(self) -> None:
        self._builtin: tuple[Blocklist, ...] | None = None

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[DnsBlocklistSettings]:
        return DnsBlocklistSettings

    def time_budget(self, settings: DnsBlocklistSettings) -> float:
        # Lists are asked at once: the slowest list's timeout twice (A, then TXT), and the
        # host's resolution.
        return 30.0

    def blocklists(self, ctx: CheckContext) -> tuple[Blocklist, ...]:
        if ctx.dns_blocklists is not None:
            return ctx.dns_blocklists
        if self._builtin is None:
            self._builtin = builtin_blocklists()
        return self._builtin

    async def run(self, target: Target, settings: DnsBlocklistSettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        started = time.perf_counter()
        host = target_host(target.url, target.monitor_type)
        details: DnsBlocklistDetails = {
            "checked_domain": host,
            "resolved_ips": [],
            "blocklist_results": [],
            "issues": [],
        }
        if ctx.dns is None:
            return finish(ctx, started_at, Outcome.ERRORED, "No DNS client is configured", details=details)
        chosen, unknown = selected(self.blocklists(ctx), settings)
        details["issues"] = [f"Unknown blocklist {name!r}" for name in unknown]
        try:
            resolved = await ctx.resolver.resolve(target.connect_ip or host)
        except LookoutError as exc:  # ResolveError
            details["issues"].append(str(exc))
            return down(ctx, started_at, str(exc), details=details)
        addresses = _addresses(resolved)
        details["resolved_ips"] = addresses
        dns = ctx.dns
        room = asyncio.Semaphore(_CONCURRENT_QUERIES)

        async def bounded(blocklist: Blocklist, address: str) -> BlocklistResult:
            async with room:
                return await look_up(dns, blocklist, address)

        pairs = [
            (blocklist, address)
            for address in addresses
            for blocklist in chosen
            if (blocklist.ipv6 if ":" in address else blocklist.ipv4)
        ]
        results = list(await asyncio.gather(*(bounded(b, a) for b, a in pairs)))
        details["blocklist_results"] = results
        for result in results:
            if result["error"]:
                details["issues"].append(f"{result['provider']} ({result['ip']}): {result['error']}")
        listed = [r for r in results if r["listed"]]
        findings = tuple(
            Finding(
                f"{r['provider_key']} {r['ip']}",
                {
                    "provider": r["provider"],
                    "ip": r["ip"],
                    "return_code": r["return_code"],
                    "reason": r["reason"],
                },
            )
            for r in listed
        )
        timings = Timings(total_ms=round((time.perf_counter() - started) * 1000, 3))
        if listed:
            named = ", ".join(f"{r['ip']} on {r['provider']}" for r in listed[:3])
            more = f" (+{len(listed) - 3} more)" if len(listed) > 3 else ""
            return down(
                ctx, started_at, f"listed: {named}{more}", details=details, findings=findings, timings=timings
            )
        if pairs and all(r["error"] for r in results):
            # Nothing was looked at: earlier listings are neither confirmed nor cleared.
            summary = f"No blocklist answered: {results[0]['error']}"
            return finish(ctx, started_at, Outcome.WARNING, summary[:300], details=details, timings=timings)
        if not pairs:
            summary = "No blocklist to ask" if not chosen else "No address of a family the lists accept"
        else:
            summary = f"Not listed on {len(chosen)} blocklist{'s' if len(chosen) != 1 else ''}"
        return finish(
            ctx, started_at, Outcome.SUCCEEDED, summary, details=details, findings=findings, timings=timings
        )

"""The DNS check: the record sets of the monitored host, asked of its zone's own nameservers.

For each name (the host, the `extra_cnames`, and with `monitor_main_domain` the registrable
domain) the check finds the zone (walking up SOA queries through the operator's
resolvers), the zone's NS records, and asks those nameservers directly, without recursion,
for every record type not in `ignored_record_types`. With `check_nameservers_in_sync`
every nameserver is asked every question and any difference — in the zone's SOA serial or
in a record set — is an issue (a warning).

Each record set is a finding (TTL left out: it is not the content). The writer diffs them
against the last run: a changed, new or vanished record set is a `changed` event and makes
the run a warning (`FindingsSpec.warns_on`), with the before and after in the run's
details, which the DNS history reads as a diff. A host that does not exist, or has no
records at all, fails the run.
"""

from __future__ import annotations

import asyncio
import builtins
import ipaddress
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, TypedDict

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from publicsuffixlist import PublicSuffixList

from lookout.checks.base import Check, CheckContext, FindingsSpec, Target
from lookout.checks.results import down, finish
from lookout.errors import LookoutError
from lookout.model.check_settings.others import DnsSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.findings import DiffKind
from lookout.model.monitor import is_hostname_or_ip, target_host
from lookout.model.result import CheckResult, Finding, Outcome, Timings
from lookout.net.dns import DnsAnswer, DnsClient, DnsQueryError

RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "SOA", "TXT", "CAA", "SRV")
MAX_NAMESERVERS = 8
MAX_ZONE_WALK = 10  # labels walked up looking for a zone's SOA
MAX_ISSUES = 100
MAX_RAW_LINES = 1000  # per nameserver
_QUERY_TIMEOUT_S = 3.0
_CONCURRENT_QUERIES = 24
_RESOLVER = "resolver"


class DnsDetails(TypedDict):
    """A run's details: the A14 DNS history item without its id, diff and date."""

    authoritative_nameservers: list[str]
    # {host, ttl, class: "IN", type, and the value's keys}: "class" is why these are dicts.
    dns_records: list[dict[str, Any]]
    raw_dns_records: dict[str, list[str]]
    issues: list[str]


@cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def main_domain(host: str) -> str | None:
    """The registrable domain of `host` (www.example.co.uk -> example.co.uk)."""
    suffix: str | None = _public_suffixes().privatesuffix(host.lower().rstrip("."))
    return suffix


def record_fields(rdtype: str, text: str) -> dict[str, Any]:
    """One record's value in the A14 shape (PHP's dns_get_record keys); {"value": text} for
    anything it cannot read."""
    try:
        rdata: Any = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)
    except (dns.exception.DNSException, ValueError):
        return {"value": text}
    if rdtype == "A":
        return {"ip": rdata.address}
    if rdtype == "AAAA":
        return {"ipv6": rdata.address}
    if rdtype in ("CNAME", "NS"):
        return {"target": _bare(rdata.target)}
    if rdtype == "MX":
        return {"pri": rdata.preference, "target": _bare(rdata.exchange)}
    if rdtype == "TXT":
        return {"txt": "".join(part.decode("utf-8", "replace") for part in rdata.strings)}
    if rdtype == "SOA":
        return {
            "mname": _bare(rdata.mname),
            "rname": _bare(rdata.rname),
            "serial": rdata.serial,
            "refresh": rdata.refresh,
            "retry": rdata.retry,
            "expire": rdata.expire,
            "minimum-ttl": rdata.minimum,
        }
    if rdtype == "CAA":
        return {
            "flags": rdata.flags,
            "tag": rdata.tag.decode("ascii", "replace"),
            "value": rdata.value.decode("utf-8", "replace"),
        }
    if rdtype == "SRV":
        return {
            "pri": rdata.priority,
            "weight": rdata.weight,
            "port": rdata.port,
            "target": _bare(rdata.target),
        }
    return {"value": text}


def _bare(name: Any) -> str:
    return str(name.to_text()).rstrip(".")


def soa_serial(records: Sequence[str]) -> int | None:
    for text in records:
        fields = record_fields("SOA", text)
        if "serial" in fields:
            return int(fields["serial"])
    return None


def describe_changes(changes: Sequence[Mapping[str, Any]]) -> str:
    """The writer's `findings_changes` of a DNS run as lines a person reads:
    "- A example.com 192.0.2.1" / "+ A example.com 192.0.2.2"."""
    lines: list[str] = []
    for change in changes:
        before, after = change.get("before") or {}, change.get("after") or {}
        payload = after or before
        label = f"{payload.get('type', '?')} {payload.get('host', change.get('key', '?'))}"
        old, new = list(before.get("records", [])), list(after.get("records", []))
        lines += [f"- {label} {record}" for record in old if record not in new]
        lines += [f"+ {label} {record}" for record in new if record not in old]
    return "\n".join(lines) if lines else "No changes"


@dataclass(frozen=True, slots=True)
class Nameserver:
    name: str
    address: tuple[str, int] | None  # None: the operator's resolvers


@dataclass(slots=True)
class _Asker:
    """Queries with shared concurrency; a nameserver that timed out once is not asked again,
    so one dead server costs one timeout, not one per question."""

    client: DnsClient
    room: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(_CONCURRENT_QUERIES))
    dead: dict[str, str] = field(default_factory=dict)
    asked: int = 0

    async def ask(self, server: Nameserver, name: str, rdtype: str) -> DnsAnswer | DnsQueryError:
        if server.name in self.dead:
            return DnsQueryError("timeout", self.dead[server.name])
        async with self.room:
            self.asked += 1
            try:
                return await self.client.query(
                    name,
                    rdtype,
                    nameserver=server.address,
                    recursion=server.address is None,
                    timeout_s=_QUERY_TIMEOUT_S,
                )
            except DnsQueryError as exc:
                if exc.kind in ("timeout", "refused", "network", "blocked"):
                    self.dead.setdefault(server.name, exc.message)
                return exc
            except ValueError as exc:  # a name dnspython will not send
                return DnsQueryError("bad_response", str(exc))


@dataclass(slots=True)
class _Zone:
    apex: str
    nameservers: list[Nameserver]
    issues: list[str]


async def _find_apex(asker: _Asker, name: str) -> tuple[str | None, bool]:
    """The zone `name` lives in, by walking up SOA queries; and whether `name` does not exist."""
    resolver = Nameserver(_RESOLVER, None)
    labels = name.rstrip(".").split(".")
    cname = await asker.ask(resolver, name, "CNAME")
    # A name with a CNAME is never a zone's apex (the SOA answer would be its target's).
    start = 1 if isinstance(cname, DnsAnswer) and cname.records else 0
    for index in range(start, min(len(labels) - 1, MAX_ZONE_WALK)):
        candidate = ".".join(labels[index:])
        answer = await asker.ask(resolver, candidate, "SOA")
        if isinstance(answer, DnsQueryError):
            return None, False
        if index == 0 and answer.rcode == "NXDOMAIN":
            return None, True
        if answer.rcode == "NOERROR" and answer.records:
            return candidate, False
    return None, False


async def _zone(asker: _Asker, ctx: CheckContext, apex: str) -> _Zone:
    issues: list[str] = []
    answer = await asker.ask(Nameserver(_RESOLVER, None), apex, "NS")
    names = (
        sorted(record.rstrip(".").lower() for record in answer.records)
        if isinstance(answer, DnsAnswer)
        else []
    )
    servers: list[Nameserver] = []
    for ns_name in names[:MAX_NAMESERVERS]:
        try:
            addresses = await ctx.guard.check(ns_name)
        except LookoutError as exc:  # ResolveError, TargetRefused
            issues.append(f"Nameserver {ns_name} cannot be asked: {exc}")
            continue
        servers.append(Nameserver(ns_name, (addresses[0], ctx.dns_authoritative_port)))
    if not servers:
        issues.append(f"No authoritative nameserver of {apex} could be asked; the resolver answered instead")
        servers = [Nameserver(_RESOLVER, None)]
    return _Zone(apex, servers, issues)


def _names(host: str, settings: DnsSettings) -> tuple[list[str], list[str]]:
    names = [host.lower().rstrip(".")]
    issues: list[str] = []
    for extra in settings.extra_cnames:
        candidate = extra.strip().lower().rstrip(".")
        if not candidate:
            continue
        if len(candidate) > 253 or not is_hostname_or_ip(candidate) or _is_ip(candidate):
            issues.append(f"Extra name {candidate[:80]!r} is not a host name")
        elif candidate not in names:
            names.append(candidate)
    if settings.monitor_main_domain:
        domain = main_domain(host)
        if domain and domain not in names:
            names.append(domain)
    return names, issues


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def _short(records: Sequence[str]) -> str:
    text = ", ".join(records) or "nothing"
    return text if len(text) <= 120 else text[:117] + "..."


class DnsCheck(Check[DnsSettings]):
    type: ClassVar[CheckType] = CheckType.DNS
    details = DnsDetails
    findings = FindingsSpec("DNS record set", warns_on=frozenset(DiffKind))

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[DnsSettings]:
        return DnsSettings

    def time_budget(self, settings: DnsSettings) -> float:
        return 60.0

    async def run(self, target: Target, settings: DnsSettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        started = time.perf_counter()
        host = target_host(target.url, target.monitor_type)
        details: DnsDetails = {
            "authoritative_nameservers": [],
            "dns_records": [],
            "raw_dns_records": {},
            "issues": [],
        }
        if ctx.dns is None:
            return finish(ctx, started_at, Outcome.ERRORED, "No DNS client is configured", details=details)
        if not host or _is_ip(host):
            summary = "The monitor's host is an IP address: it has no DNS records"
            return finish(ctx, started_at, Outcome.SUCCEEDED, summary, details=details)
        names, issues = _names(host, settings)
        types = [t for t in RECORD_TYPES if t not in settings.ignored_record_types]
        asker = _Asker(ctx.dns)
        run = _Run(asker, ctx, settings, types, details, issues)
        outcome = await run.look(names, host)
        details["issues"] = issues[:MAX_ISSUES]
        timings = Timings(total_ms=round((time.perf_counter() - started) * 1000, 3))
        if outcome is not None:
            return down(ctx, started_at, outcome, details=details, timings=timings)
        findings = tuple(run.findings)
        if issues:
            summary = issues[0] + (f" (+{len(issues) - 1} more)" if len(issues) > 1 else "")
            return finish(
                ctx,
                started_at,
                Outcome.WARNING,
                summary[:500],
                details=details,
                findings=findings,
                timings=timings,
            )
        count = len(details["dns_records"])
        sets = len(findings)
        summary = f"{count} record{'s' if count != 1 else ''} in {sets} record set{'s' if sets != 1 else ''}"
        return finish(
            ctx, started_at, Outcome.SUCCEEDED, summary, details=details, findings=findings, timings=timings
        )


class _Run:
    """One run's questions and what it gathers from the answers."""

    def __init__(
        self,
        asker: _Asker,
        ctx: CheckContext,
        settings: DnsSettings,
        types: list[str],
        details: DnsDetails,
        issues: list[str],
    ) -> None:
        self.asker = asker
        self.ctx = ctx
        self.settings = settings
        self.types = types
        self.details = details
        self.issues = issues
        self.findings: list[Finding] = []
        self.zones: dict[str, _Zone] = {}

    async def look(self, names: list[str], host: str) -> str | None:
        """Ask about every name; the reason the run fails, or None."""
        located = await asyncio.gather(*(_find_apex(self.asker, name) for name in names))
        for name, (apex, missing) in zip(names, located, strict=True):
            if missing:
                if name == host:
                    return f"{host} does not exist (NXDOMAIN)"
                self.issues.append(f"{name} does not exist (NXDOMAIN)")
                continue
            if apex is None:
                if name == host:
                    return f"{host} could not be resolved: no nameserver answered for its zone"
                self.issues.append(f"The zone of {name} could not be found")
                continue
            if apex not in self.zones:
                self.zones[apex] = await _zone(self.asker, self.ctx, apex)
                self.issues.extend(self.zones[apex].issues)
            await self._ask_name(name, self.zones[apex])
        if self.settings.check_nameservers_in_sync:
            await self._compare_serials()
        ns_names = {
            ns.name for zone in self.zones.values() for ns in zone.nameservers if ns.address is not None
        }
        self.details["authoritative_nameservers"] = sorted(ns_names)
        for ns_name, reason in sorted(self.asker.dead.items()):
            if ns_name != _RESOLVER:
                self.issues.append(f"Nameserver {ns_name} did not answer: {reason}")
        if not any(record["host"] == host for record in self.details["dns_records"]):
            return f"{host} has no DNS records"
        return None

    async def _ask_name(self, name: str, zone: _Zone) -> None:
        by_type: dict[str, list[tuple[Nameserver, DnsAnswer]]] = {}
        if self.settings.check_nameservers_in_sync:
            servers = zone.nameservers
            questions = [(rdtype, server) for rdtype in self.types for server in servers]
            answers = await asyncio.gather(
                *(self.asker.ask(server, name, rdtype) for rdtype, server in questions)
            )
            for (rdtype, server), answer in zip(questions, answers, strict=True):
                if isinstance(answer, DnsAnswer):
                    by_type.setdefault(rdtype, []).append((server, answer))
        else:
            # Out of the sync check, the first nameserver that answers is enough.
            firsts = await asyncio.gather(*(self._first_answer(name, rdtype, zone) for rdtype in self.types))
            for rdtype, found in zip(self.types, firsts, strict=True):
                if found is not None:
                    by_type[rdtype] = [found]
        for answered in by_type.values():
            for server, answer in answered:
                self._raw(server, answer)
        for rdtype in self.types:
            answered = by_type.get(rdtype, [])
            if not answered:
                continue
            _, first = answered[0]
            if first.records:
                self._record_set(name, rdtype, first)
            if self.settings.check_nameservers_in_sync:
                self._compare(name, rdtype, answered)

    async def _first_answer(self, name: str, rdtype: str, zone: _Zone) -> tuple[Nameserver, DnsAnswer] | None:
        for server in zone.nameservers:
            answer = await self.asker.ask(server, name, rdtype)
            if isinstance(answer, DnsAnswer):
                return server, answer
        return None

    def _record_set(self, name: str, rdtype: str, answer: DnsAnswer) -> None:
        records = sorted(answer.records)
        self.findings.append(Finding(f"{name} {rdtype}", {"host": name, "type": rdtype, "records": records}))
        for text in records:
            record: dict[str, Any] = {"host": name, "ttl": answer.ttl, "class": "IN", "type": rdtype}
            record.update(record_fields(rdtype, text))
            self.details["dns_records"].append(record)

    def _raw(self, server: Nameserver, answer: DnsAnswer) -> None:
        lines = self.details["raw_dns_records"].setdefault(server.name, [])
        for text in answer.records:
            if len(lines) < MAX_RAW_LINES:
                lines.append(f"{answer.name} {answer.ttl} IN {answer.rdtype} {text}")

    def _compare(self, name: str, rdtype: str, answered: list[tuple[Nameserver, DnsAnswer]]) -> None:
        seen = {(answer.rcode, tuple(sorted(answer.records))) for _, answer in answered}
        if len(seen) < 2:
            return
        said = "; ".join(
            f"{server.name}: {_short(answer.records) if answer.rcode == 'NOERROR' else answer.rcode}"
            for server, answer in answered
        )
        self.issues.append(f"Nameservers disagree on {rdtype} {name} ({said})")

    async def _compare_serials(self) -> None:
        for zone in self.zones.values():
            servers = [ns for ns in zone.nameservers if ns.address is not None]
            if len(servers) < 2:
                continue
            answers = await asyncio.gather(*(self.asker.ask(ns, zone.apex, "SOA") for ns in servers))
            serials = {
                ns.name: soa_serial(answer.records)
                for ns, answer in zip(servers, answers, strict=True)
                if isinstance(answer, DnsAnswer)
            }
            if len(set(serials.values())) > 1:
                said = ", ".join(f"{ns} has {serial}" for ns, serial in sorted(serials.items()))
                self.issues.append(f"Nameservers of {zone.apex} are out of sync: SOA serials differ ({said})")

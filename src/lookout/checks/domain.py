"""Domain registration: expiry date and registry statuses over RDAP, WHOIS as a fallback.

The registrable domain of the monitor's host (www.shop.example.co.uk -> example.co.uk) is
found with the public suffix list bundled in `publicsuffixlist` (no network). A domain
that expires within the threshold warns; an expired or unregistered one, or one with a
status that takes it off the internet (clientHold, serverHold, redemptionPeriod,
pendingDelete), fails. When neither RDAP nor WHOIS knows the TLD the run says why in
`not_supported_reason` and does not fail.
"""

from __future__ import annotations

import builtins
import ipaddress
import json
from datetime import datetime, timedelta
from functools import cache
from typing import Any, ClassVar

from publicsuffixlist import PublicSuffixList

from lookout.checks.base import Check, CheckContext, Pool, Target
from lookout.checks.results import finish
from lookout.model.check_settings import DomainSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.monitor import target_host
from lookout.model.result import CheckResult, Outcome
from lookout.net.rdap import RdapError, RdapNotFoundError, RdapRecord, RdapUnsupportedError
from lookout.net.whois import WhoisError, WhoisNotFoundError, WhoisRecord, WhoisUnsupportedError

DEFAULT_THRESHOLD_DAYS = 10  # Oh Dear warns 10 days ahead unless told otherwise
FAILING_STATUSES = {s.lower(): s for s in ("clientHold", "serverHold", "redemptionPeriod", "pendingDelete")}
_RAW_LIMIT = 64 * 1024
_RAW_KEPT = ("objectClassName", "handle", "ldhName", "unicodeName", "status", "events", "secureDNS", "port43")


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList(only_icann=True)


def registrable_domain(host: str) -> str | None:
    """The domain a registry holds for `host`, in ASCII; None for an IP address, a bare
    public suffix or a name that is not a domain."""
    name = host.strip().rstrip(".").lower()
    if not name or len(name) > 253:
        return None
    try:
        ipaddress.ip_address(name.strip("[]"))
        return None
    except ValueError:
        pass
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if "." not in name:
        return None
    found: str | None = _suffixes().privatesuffix(name)
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _bounded_raw(document: Any) -> dict[str, Any]:
    """The registry's answer as kept with the result: whole when small, else its core."""
    if not isinstance(document, dict):
        return {}
    if len(json.dumps(document, default=str)) <= _RAW_LIMIT:
        return document
    kept = {key: document[key] for key in _RAW_KEPT if key in document}
    kept["nameservers"] = [
        {"ldhName": ns.get("ldhName")} for ns in document.get("nameservers") or [] if isinstance(ns, dict)
    ][:50]
    kept["lookout_truncated"] = True
    return kept if len(json.dumps(kept, default=str)) <= _RAW_LIMIT else {"lookout_truncated": True}


def _details(record: RdapRecord | WhoisRecord, source: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "domain": record.domain,
        "source": source,
        "server": record.server,
        "expires_at": _iso(record.expires_at),
        "registered_at": _iso(record.registered_at),
        "last_changed_at": _iso(record.last_changed_at),
        "last_updated_in_rdap_db_at": None,
        "domain_statuses": list(record.statuses),
        "registrar": record.registrar,
        "nameservers": list(record.nameservers),
        "not_supported_reason": None,
    }
    if isinstance(record, RdapRecord):
        details["last_updated_in_rdap_db_at"] = _iso(record.last_updated_in_rdap_db_at)
        details["response"] = _bounded_raw(record.raw)
    else:
        details["response"] = {"whois": record.text[:_RAW_LIMIT]}
    return details


def judge(
    record: RdapRecord | WhoisRecord, now: datetime, threshold_days: int
) -> tuple[Outcome, str, list[str]]:
    """(outcome, summary, problems) of what the registry says."""
    problems: list[str] = []
    failing = [FAILING_STATUSES[s.lower()] for s in record.statuses if s.lower() in FAILING_STATUSES]
    if failing:
        problems.append(f"The domain has the registry status {', '.join(failing)}")
    expires = record.expires_at
    warning = False
    if expires is None:
        problems.append("The registry does not say when the domain expires")
    elif expires <= now:
        problems.append(f"The domain expired on {expires:%Y-%m-%d}")
    elif expires - now <= timedelta(days=threshold_days):
        warning = True
    if failing or (expires is not None and expires <= now):
        return Outcome.FAILED, problems[0], problems
    if expires is None:
        return Outcome.WARNING, problems[0], problems
    days = (expires - now).days
    when = f"in {days} day{'s' if days != 1 else ''}" if days >= 1 else "within a day"
    if warning:
        problems.append(f"The domain expires {when}")
        return Outcome.WARNING, f"Expires {when} ({expires:%Y-%m-%d})", problems
    return Outcome.SUCCEEDED, f"Expires {when} ({expires:%Y-%m-%d})", problems


class DomainCheck(Check[DomainSettings]):
    type: ClassVar[CheckType] = CheckType.DOMAIN
    pool: ClassVar[Pool] = Pool.FAST

    def settings_model(self, monitor_type: MonitorType) -> builtins.type[DomainSettings]:
        return DomainSettings

    def time_budget(self, settings: DomainSettings) -> float:
        return 45.0

    async def run(self, target: Target, settings: DomainSettings, ctx: CheckContext) -> CheckResult:
        started_at = ctx.clock()
        host = target_host(target.url, target.monitor_type)
        domain = registrable_domain(host)
        if domain is None:
            return _not_supported(ctx, started_at, host, f"{host or 'the target'} has no registrable domain")
        attempts: list[str] = []
        unsupported = 0
        record: RdapRecord | WhoisRecord | None = None
        source = ""
        if ctx.rdap is None:
            unsupported += 1
            attempts.append("RDAP: not configured")
        else:
            try:
                record, source = await ctx.rdap.lookup(domain), "rdap"
            except RdapNotFoundError as exc:
                return _unregistered(ctx, started_at, domain, exc.message)
            except RdapUnsupportedError as exc:
                unsupported += 1
                attempts.append(f"RDAP: {exc.message}")
            except RdapError as exc:
                attempts.append(f"RDAP: {exc.message}")
        if record is None:
            if ctx.whois is None:
                unsupported += 1
                attempts.append("WHOIS: not configured")
            else:
                try:
                    record, source = await ctx.whois.lookup(domain), "whois"
                except WhoisNotFoundError as exc:
                    return _unregistered(ctx, started_at, domain, exc.message)
                except WhoisUnsupportedError as exc:
                    unsupported += 1
                    attempts.append(f"WHOIS: {exc.message}")
                except WhoisError as exc:
                    attempts.append(f"WHOIS: {exc.message}")
        if record is None:
            reason = "; ".join(attempts)
            if unsupported == 2:
                return _not_supported(ctx, started_at, domain, reason)
            return finish(
                ctx,
                started_at,
                Outcome.ERRORED,
                f"Could not look up {domain}: {reason}"[:1024],
                details={"domain": domain, "source": None, "problems": attempts},
            )
        details = _details(record, source)
        threshold = settings.expires_soon_threshold_in_days or DEFAULT_THRESHOLD_DAYS
        outcome, summary, problems = judge(record, ctx.clock(), threshold)
        details["problems"] = problems
        details["expires_soon_threshold_in_days"] = threshold
        return finish(ctx, started_at, outcome, summary, details=details)


def _not_supported(ctx: CheckContext, started_at: datetime, domain: str, reason: str) -> CheckResult:
    details = {"domain": domain, "source": None, "not_supported_reason": reason[:255]}
    return finish(ctx, started_at, Outcome.SUCCEEDED, f"Not supported: {reason}"[:1024], details=details)


def _unregistered(ctx: CheckContext, started_at: datetime, domain: str, message: str) -> CheckResult:
    details = {"domain": domain, "source": None, "problems": [message]}
    return finish(ctx, started_at, Outcome.FAILED, message, details=details)

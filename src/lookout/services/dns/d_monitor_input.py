"""Monitor.Create / Monitor.Modify parameters, checked in the order of DNSPod's codes.

Pure: every rule is on the text alone (plus the record it watches and whether private
addresses are allowed), so each refusal is testable without a server. The first failing
rule's reason is raised; the API maps it to the action's code.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from lookout.services.dns import rules
from lookout.services.dns.errors import DnsRefused

INTERVALS = (60, 180, 360)
MODES = ("pass", "pause", "pause2", "auto")
NOTICE_TARGETS = frozenset({"me", "share"})
MAX_BACKUPS = 5
# DNSPod's point codes and Lookout's own location name; every one maps to a configured
# location (all to the local one in the embedded default).
POINTS = {
    "ctc": "China Telecom",
    "cuc": "China Unicom",
    "cmc": "China Mobile",
    "ctc-2": "Shenzhen Telecom",
    "cuc-2": "Shanghai Unicom",
    "cmc-2": "Shenzhen Mobile",
    "ctc-4": "Hangzhou, Telecom, CN",
    "usa-1": "HE, CA, US",
    "hk-1": "PCCW, HK",
    "local": "Lookout local location",
}
MAX_POINTS = 3


@dataclass(frozen=True, slots=True)
class MonitorInput:
    """The parameters as sent (text); None where the client did not send one."""

    host: str | None = None
    port: str | None = None
    monitor_type: str | None = None
    monitor_path: str | None = None
    monitor_interval: str | None = None
    points: str | None = None
    bak_ip: str | None = None
    keep_ttl: str | None = None
    sms_notice: str | None = None
    email_notice: str | None = None
    less_notice: str | None = None
    callback_url: str | None = None
    callback_key: str | None = None


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    host: str
    port: int
    monitor_type: str
    monitor_path: str
    monitor_interval: int
    points: str
    bak_ip: str
    keep_ttl: bool
    sms_notice: str
    email_notice: str
    less_notice: bool
    callback_url: str
    callback_key: str


def _required(value: str | None, previous: str | None, reason: str) -> str:
    if value is None or not value.strip():
        if previous is not None:
            return previous
        raise DnsRefused(reason)
    return value.strip()


def host(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    try:
        return rules.host_name(text)
    except ValueError:
        raise DnsRefused("host") from None


def port(text: str) -> int:
    try:
        return rules.int_in(text, 1, 65535)
    except ValueError:
        raise DnsRefused("port") from None


def monitor_type(text: str) -> str:
    value = text.lower()
    if value not in ("http", "https"):
        raise DnsRefused("monitor_type")
    return value


def monitor_path(text: str) -> str:
    if (
        not text.startswith("/")
        or len(text) > 1024
        or not text.isascii()
        or any(c <= " " or c == "\x7f" for c in text)
    ):
        raise DnsRefused("monitor_path")
    if "#" in text:
        raise DnsRefused("monitor_path")
    return text


def interval(text: str) -> int:
    try:
        value = rules.int_in(text, 1, 86_400)
    except ValueError:
        raise DnsRefused("monitor_interval") from None
    if value not in INTERVALS:
        raise DnsRefused("monitor_interval")
    return value


def points(text: str, max_points: int = MAX_POINTS) -> str:
    codes = [code.strip().lower() for code in text.split(",") if code.strip()]
    if (
        not codes
        or len(text) > 255
        or any(code not in POINTS for code in codes)
        or len(set(codes)) != len(codes)
    ):
        raise DnsRefused("points")
    if len(codes) > max_points:
        raise DnsRefused("too_many_points")
    return ",".join(codes)


def address_refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> bool:
    """Addresses a backup may never be: metadata, unspecified, multicast, and private ones
    unless the operator allows private targets."""
    if address.is_unspecified or address.is_multicast or address.is_link_local or address.is_reserved:
        return True
    private = address.is_private or address.is_loopback
    return private and not allow_private


def bak_ip(text: str, record_type: str, record_value: str, allow_private: bool) -> str:
    value = text.strip().lower()
    if value in MODES:
        return value
    entries = [entry.strip() for entry in text.split(",")]
    if not entries or len(entries) > MAX_BACKUPS or any(not entry or len(entry) > 253 for entry in entries):
        raise DnsRefused("bak_ip")
    normal: list[str] = []
    for entry in entries:
        try:
            address = ipaddress.ip_address(entry)
        except ValueError:
            address = None
        if record_type == "CNAME":
            if address is not None:
                raise DnsRefused("bak_ip")
            try:
                normal.append(rules.host_name(entry))
            except ValueError:
                raise DnsRefused("bak_url") from None
            continue
        if address is None:
            looks_like_a_name = any(ch.isalpha() for ch in entry) and all(
                ch.isalnum() or ch in ".-:/" for ch in entry
            )
            raise DnsRefused("bak_url" if looks_like_a_name else "bak_ip")
        if (record_type == "A") != (address.version == 4):
            raise DnsRefused("bak_ip")
        if address_refused(address, allow_private) or str(address) == record_value or str(address) in normal:
            raise DnsRefused("bak_ip_refused")
        normal.append(str(address))
    return ",".join(normal)


def notice(text: str, reason: str) -> str:
    targets = [part.strip().lower() for part in text.split(",") if part.strip()]
    if len(text) > 32 or any(target not in NOTICE_TARGETS for target in targets):
        raise DnsRefused(reason)
    return ",".join(sorted(set(targets), key=["me", "share"].index))


def yes_no(text: str | None, previous: bool) -> bool:
    if text is None or not text.strip():
        return previous
    return text.strip().lower() in ("yes", "y", "1", "true", "on")


def callback_url(text: str, allow_private: bool) -> str:
    value = text.strip()
    if not value:
        return ""
    if len(value) > 1024 or any(ord(ch) <= 32 or ord(ch) == 127 for ch in value):
        raise DnsRefused("callback_url")
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise DnsRefused("callback_url") from None
    if parts.scheme not in ("http", "https") or not hostname or parts.username or parts.password:
        raise DnsRefused("callback_url")
    try:
        literal = ipaddress.ip_address(hostname)
    except ValueError:
        literal = None
    if literal is not None:
        if address_refused(literal, allow_private):
            raise DnsRefused("callback_url")
    else:
        try:
            rules.host_name(hostname)
        except ValueError:
            if hostname != "localhost" or not allow_private:
                raise DnsRefused("callback_url") from None
    return value


def settings(
    raw: MonitorInput,
    record_type: str,
    record_value: str,
    *,
    allow_private: bool,
    previous: MonitorSettings | None = None,
    max_points: int = MAX_POINTS,
) -> MonitorSettings:
    """Checked in the order of the codes 8..19 and 22 (domain, record, duplicate and quota
    are the service's, against the store)."""
    prev = previous
    checked_host = host(_required(raw.host, prev.host if prev else None, "host"))
    checked_port = port(_required(raw.port, str(prev.port) if prev else None, "port"))
    checked_type = monitor_type(
        _required(raw.monitor_type, prev.monitor_type if prev else None, "monitor_type")
    )
    checked_path = monitor_path(
        _required(raw.monitor_path, prev.monitor_path if prev else None, "monitor_path")
    )
    checked_interval = interval(
        _required(raw.monitor_interval, str(prev.monitor_interval) if prev else None, "monitor_interval")
    )
    checked_points = points(_required(raw.points, prev.points if prev else None, "points"), max_points)
    checked_bak = bak_ip(
        _required(raw.bak_ip, prev.bak_ip if prev else None, "bak_ip"),
        record_type,
        record_value,
        allow_private,
    )
    sms = notice(
        raw.sms_notice if raw.sms_notice is not None else (prev.sms_notice if prev else ""), "sms_notice"
    )
    email = notice(
        raw.email_notice if raw.email_notice is not None else (prev.email_notice if prev else "me"),
        "email_notice",
    )
    url = callback_url(
        raw.callback_url if raw.callback_url is not None else (prev.callback_url if prev else ""),
        allow_private,
    )
    key = raw.callback_key if raw.callback_key is not None else (prev.callback_key if prev else "")
    if len(key) > 255 or any(ord(ch) < 32 for ch in key):
        raise DnsRefused("callback_url")
    return MonitorSettings(
        host=checked_host,
        port=checked_port,
        monitor_type=checked_type,
        monitor_path=checked_path,
        monitor_interval=checked_interval,
        points=checked_points,
        bak_ip=checked_bak,
        keep_ttl=yes_no(raw.keep_ttl, prev.keep_ttl if prev else False),
        sms_notice=sms,
        email_notice=email,
        less_notice=yes_no(raw.less_notice, prev.less_notice if prev else False),
        callback_url=url,
        callback_key=key.strip(),
    )

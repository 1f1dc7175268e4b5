"""Settings of every check type other than uptime, with the spec's defaults."""

from __future__ import annotations

import secrets
import string
from datetime import timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator

from lookout.model.check_settings.base import HeaderField, ScheduledSettings, SettingsModel
from lookout.model.monitor import is_hostname_or_ip

_SECRET_ALPHABET = string.ascii_letters + string.digits


def generate_secret() -> str:
    """A 16-character secret, the shape Oh Dear generates for application health."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(16))


class PerformanceSettings(SettingsModel):
    """Judged from the uptime request; it has no schedule of its own."""

    threshold_in_ms: int = Field(default=3500, ge=1, le=600_000)
    change_percentage: int = Field(default=50, ge=1, le=10_000)


class CertificateHealthSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=3600, ge=5, le=86_400)
    expires_soon_threshold_in_days: int | None = Field(default=None, ge=1, le=365)


class LinkType(StrEnum):
    LINK = "link"
    IMAGE = "image"
    SCRIPT = "script"
    STYLESHEET = "stylesheet"
    OG_IMAGE = "og:image"


class CrawlerSpeed(StrEnum):
    """How hard the crawler presses on a site (A5: slowest 1 request at a time 1 s apart ...
    fastest 4 at a time 100 ms apart); `unlimited` is for crawling one's own site."""

    SLOWEST = "slowest"
    SLOW = "slow"
    DEFAULT = "default"
    FAST = "fast"
    FASTEST = "fastest"
    UNLIMITED = "unlimited"


class BrokenLinksSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=86_400, ge=60, le=604_800)
    whitelisted_urls: list[str] = Field(default_factory=list, max_length=1000)
    check_include_external_links: bool = False
    types: list[LinkType] = Field(default_factory=lambda: list(LinkType), max_length=5)
    do_not_crawl_urls: list[str] = Field(default_factory=list, max_length=1000)
    force_crawl_urls: list[str] = Field(default_factory=list, max_length=1000)
    new_links_only: bool = False
    crawler_speed: CrawlerSpeed = CrawlerSpeed.DEFAULT


class MixedContentSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=86_400, ge=60, le=604_800)
    crawler_speed: CrawlerSpeed = CrawlerSpeed.DEFAULT


class Continent(StrEnum):
    EUROPE = "europe"
    NORTH_AMERICA = "north-america"
    ASIA = "asia"


class DeviceEmulation(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"


# A Lighthouse run fails when a score is below its minimum or a timing above its maximum.
# Without notification_settings every score's minimum is 50: Lighthouse itself calls 0-49 poor.
LIGHTHOUSE_MIN_SCORES = ("performance_score", "accessibility_score", "best_practices_score", "seo_score")
LIGHTHOUSE_MAX_TIMINGS = (
    "first_contentful_paint_in_ms",
    "speed_index_in_ms",
    "largest_contentful_paint_in_ms",
    "time_to_interactive_in_ms",
    "total_blocking_time_in_ms",
)
LIGHTHOUSE_DEFAULT_MIN_SCORE = 50


class LighthouseSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=86_400, ge=300, le=604_800)
    # Lookout audits from its own location; the continent is kept for Oh Dear's clients.
    continent: Continent = Continent.EUROPE
    device_emulation: DeviceEmulation = DeviceEmulation.DESKTOP
    notification_settings: dict[str, Annotated[int, Field(ge=0, le=600_000)]] | None = None
    http_client_headers: list[HeaderField] = Field(default_factory=list, max_length=10)

    @field_validator("notification_settings")
    @classmethod
    def _thresholds(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is None:
            return None
        for name, limit in value.items():
            if name in LIGHTHOUSE_MIN_SCORES:
                if limit > 100:
                    raise ValueError(f"must give {name} as a score from 0 to 100")
            elif name in LIGHTHOUSE_MAX_TIMINGS:
                if limit < 1:
                    raise ValueError(f"must give {name} in milliseconds from 1 to 600000")
            else:
                known = ", ".join((*LIGHTHOUSE_MIN_SCORES, *LIGHTHOUSE_MAX_TIMINGS))
                raise ValueError(f"must only name {known}")
        return value

    def thresholds(self) -> tuple[dict[str, int], dict[str, int]]:
        """(minimum of each score, maximum of each timing) a run must keep."""
        if self.notification_settings is None:
            return dict.fromkeys(LIGHTHOUSE_MIN_SCORES, LIGHTHOUSE_DEFAULT_MIN_SCORE), {}
        settings = self.notification_settings
        minimums = {name: limit for name, limit in settings.items() if name in LIGHTHOUSE_MIN_SCORES}
        maximums = {name: limit for name, limit in settings.items() if name in LIGHTHOUSE_MAX_TIMINGS}
        return minimums, maximums


class CronSettings(SettingsModel):
    """Cron checks are passive: pings arrive, a sweep judges missed deadlines."""


class ApplicationHealthSettings(ScheduledSettings):
    result_url: str | None = Field(default=None, max_length=2048)
    secret: str = Field(default_factory=generate_secret, min_length=1, max_length=255)
    headers: list[HeaderField] = Field(default_factory=list, max_length=10)


class SitemapSpeed(StrEnum):
    SLOWEST = "slowest"
    SLOW = "slow"
    DEFAULT = "default"
    FAST = "fast"
    FASTEST = "fastest"
    UNLIMITED = "unlimited"


class SitemapSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=86_400, ge=300, le=604_800)
    path: str = Field(default="sitemap.xml", min_length=1, max_length=1024)
    speed: SitemapSpeed = SitemapSpeed.DEFAULT


class DnsSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=3600, ge=60, le=86_400)
    extra_cnames: list[str] = Field(default_factory=list, max_length=50)
    monitor_main_domain: bool = False
    ignored_record_types: list[str] = Field(default_factory=lambda: ["SOA"], max_length=20)
    check_nameservers_in_sync: bool = True

    @field_validator("ignored_record_types")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        if any(not (0 < len(item) <= 10 and item.isascii() and item.isalnum()) for item in value):
            raise ValueError("must contain DNS record types such as SOA or TXT")
        return [item.upper() for item in value]

    @field_validator("extra_cnames")
    @classmethod
    def _host_names(cls, value: list[str]) -> list[str]:
        names = [item.strip() for item in value]
        if any(len(name) > 253 or not is_hostname_or_ip(name) for name in names):
            raise ValueError("must contain host names")
        return names


class DomainSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=86_400, ge=3600, le=604_800)
    not_supported_reason: str | None = None
    expires_soon_threshold_in_days: int | None = Field(default=None, ge=1, le=365)


Port = int


def _check_ports(value: list[int]) -> list[int]:
    for port in value:
        if not 1 <= port <= 65535:
            raise ValueError("must contain ports between 1 and 65535")
    return value


class PortsSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=3600, ge=60, le=86_400)
    expected_open_ports: list[int] = Field(default_factory=lambda: [80, 443], max_length=20)
    expected_closed_ports: list[int] = Field(default_factory=lambda: [22, 3306], max_length=20)
    timeout_per_port_ms: int = Field(default=3000, ge=500, le=10_000)
    failure_threshold: int = Field(default=2, ge=1, le=60)

    _ports_in_range = field_validator("expected_open_ports", "expected_closed_ports")(_check_ports)


class DnsBlocklistSettings(ScheduledSettings):
    check_interval_in_seconds: int = Field(default=3600, ge=60, le=86_400)
    use_all_blocklists: bool = True
    enabled_blocklists: list[str] = Field(default_factory=list, max_length=100)

    @field_validator("enabled_blocklists")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if any(len(item) > 100 or not item.isprintable() for item in value):
            raise ValueError("must contain blocklist names of at most 100 characters")
        return value


class TimeUnit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


_SECONDS_PER = {TimeUnit.MINUTES: 60, TimeUnit.HOURS: 3600, TimeUnit.DAYS: 86_400}


class HtmlStrippingLevel(StrEnum):
    BASIC = "basic"
    AGGRESSIVE = "aggressive"
    NONE = "none"


class AiSettings(SettingsModel):
    location: str = Field(default="paris", max_length=255)
    prompt: str = Field(default="", max_length=10_000)
    frequency_unit: TimeUnit = TimeUnit.HOURS
    frequency_value: int = Field(default=1, ge=1, le=1000)
    suppress_repeated_success_notifications: bool = True
    throttle_failed_interval_unit: TimeUnit = TimeUnit.HOURS
    throttle_failed_interval_value: int = Field(default=1, ge=1, le=1000)
    html_stripping_level: HtmlStrippingLevel = HtmlStrippingLevel.BASIC

    @property
    def check_interval_in_seconds(self) -> int:
        return _SECONDS_PER[self.frequency_unit] * self.frequency_value

    def reminder_every(self) -> timedelta:
        """Oh Dear's throttle of a failing AI check: told again once per interval while it
        still fails (the instance's 24 hours would hide a new answer for a day)."""
        seconds = _SECONDS_PER[self.throttle_failed_interval_unit] * self.throttle_failed_interval_value
        return timedelta(seconds=seconds)

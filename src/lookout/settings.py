"""Process settings: `LOOKOUT_*` environment variables over an optional TOML file."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

# A location's name: it goes into the shared queue's Redis keys and into every run it makes.
LOCATION_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the file named by LOOKOUT_CONFIG, if any; environment variables win over it."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("LOOKOUT_CONFIG")
        if not path:
            return {}
        try:
            with Path(path).open("rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise SettingsError(f"LOOKOUT_CONFIG={path}: {exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"LOOKOUT_CONFIG={path} is not valid TOML: {exc}") from None
        values = {key.lower(): value for key, value in data.items()}
        unknown = sorted(set(values) - set(self.settings_cls.model_fields))
        if unknown:
            raise SettingsError(f"LOOKOUT_CONFIG={path}: unknown setting(s) {', '.join(unknown)}")
        return values


class SettingsError(ValueError):
    """A setting that cannot be used, in one line a person can act on."""


# LOOKOUT_* variables that are not server settings: the CLI's client side and the tests.
NOT_SERVER_SETTINGS = {"LOOKOUT_CONFIG", "LOOKOUT_URL", "LOOKOUT_TOKEN"}


def unknown_environment_settings(environ: dict[str, str] | None = None) -> list[str]:
    """LOOKOUT_* variables that name no setting (a typo silently ignored otherwise)."""
    environ = dict(os.environ) if environ is None else environ
    known = {f"LOOKOUT_{name.upper()}" for name in Settings.model_fields} | NOT_SERVER_SETTINGS
    ours = (key for key in environ if key.startswith("LOOKOUT_") and not key.startswith("LOOKOUT_TEST_"))
    return sorted(key for key in ours if key not in known)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOOKOUT_", extra="ignore")

    data_dir: Path = Path("./lookout-data")
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Let monitors (and callbacks, webhooks) target private and loopback addresses.
    # Cloud metadata addresses are refused whatever this says.
    allow_private_targets: bool = False
    # host:port of resolvers the checks use instead of the system's.
    dns_resolvers: str | None = None
    # The port the DNS check asks a zone's own nameservers (from its NS records) on.
    dns_authoritative_port: int = Field(default=53, ge=1, le=65535)
    # A TOML (or .json) file of DNS blocklists replacing the built-in list (same format as
    # src/lookout/checks/data/dns_blocklists.toml).
    dns_blocklists_file: Path | None = None
    # Domain check: RDAP servers come from IANA's bootstrap file (cached for a day, on disk
    # under data_dir too); `tld=url,...` names servers directly (tests, missing registries).
    rdap_bootstrap_url: str = "https://data.iana.org/rdap/dns.json"
    rdap_servers: str | None = None
    # WHOIS for TLDs without RDAP: `tld=host[:port],...`, else the server this one names.
    whois_servers: str | None = None
    whois_referral_server: str = "whois.iana.org:43"
    # A PEM file of extra trusted root certificates (a private CA), added to the system's.
    ca_bundle: Path | None = None
    # How many checks of each pool may run at once: crawls (broken links, mixed content,
    # sitemaps) and headless browsers (Lighthouse) each have their own slots.
    engine_crawl_concurrency: int = Field(default=20, ge=1, le=1000)
    # One at a time by default: audits side by side on the same cores slow each other's
    # pages down, and Lighthouse's timings and performance score with them.
    engine_browser_concurrency: int = Field(default=1, ge=1, le=100)
    # The most of each pool's slots one team's checks may hold while other teams' checks
    # wait (a team alone may use them all).
    engine_team_share: float = Field(default=0.5, gt=0, le=1)
    # Monitors a team may have; none means no limit.
    max_monitors_per_team: int | None = Field(default=None, ge=1)
    # Requests per minute per token on the Oh Dear API.
    rate_limit_per_minute: int = Field(default=500, ge=1)
    # Requests per minute per client address from callers without a valid token (their 401s).
    rate_limit_unauthenticated_per_minute: int = Field(default=60, ge=1)
    # Request bodies above this are refused with 413 (1 MiB, nginx's default).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    # Shared state between processes (rate limit counters, the shared queue); without it each
    # process counts alone.
    redis_url: str | None = None
    # Where the scheduler puts jobs: "memory" (this process runs them) or "redis" (Redis
    # Streams at redis_url, taken by this process and by `lookout worker` processes).
    queue: Literal["memory", "redis"] = "memory"
    # This process runs checks (false: `lookout serve` only schedules, and workers run them;
    # needs the redis queue).
    run_checks: bool = True
    public_url: str | None = None
    # Notifications: this process sends what the outbox holds (safe in several processes).
    run_outbox: bool = True
    # SMTP for mail destinations; smtp_tls: starttls, tls or none (unset: STARTTLS when offered).
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = Field(default=None, repr=False)
    smtp_from: str = "lookout@localhost"
    smtp_tls: Literal["starttls", "tls", "none"] | None = None
    # Remind that a check is still down every this many hours (0: never).
    notification_reminder_hours: float = Field(default=24, ge=0, le=24 * 365)
    # Messages per destination and minute before the rest are folded into one summary.
    notification_rate_per_minute: int = Field(default=10, ge=1, le=10_000)
    # How long a process holds a message it is delivering; after a crash another process (or
    # this one restarted) delivers it once this has passed. Keep it well above the slowest
    # channel's timeout (webhook 3 s, Apprise 20 s), or a slow send may be sent twice.
    notification_claim_seconds: int = Field(default=120, ge=10, le=3600)
    # The AI check's model: an OpenAI-compatible chat completions API (OpenAI, a local Ollama
    # or vLLM at its /v1) that the operator chooses; unset, AI checks say it is missing.
    ai_url: str | None = Field(default=None, max_length=2048)
    ai_api_key: SecretStr | None = None
    ai_model: str = Field(default="gpt-4o-mini", min_length=1, max_length=255)
    ai_timeout_seconds: float = Field(default=60, ge=1, le=600)
    # The Lighthouse check: the CLI script of the lighthouse npm package and Chromium; unset,
    # the ones `make` installed (tools/lighthouse) or found on the PATH.
    lighthouse_cli: str | None = Field(default=None, max_length=4096)
    chromium_path: str | None = Field(default=None, max_length=4096)
    lighthouse_timeout_seconds: float = Field(default=120, ge=30, le=600)
    # Run the checks in this process (`lookout serve`); off for an API-only process.
    run_engine: bool = True
    # Processes that answer the API beside the engine's (`workers.py`); 0: the API runs in
    # the engine's process. At tens of thousands of monitors the engine keeps one core busy,
    # and API requests in its process wait for it. "auto": `workers.api_workers_for`.
    api_workers: Annotated[int, Field(ge=0, le=64)] | Literal["auto"] = "auto"
    # Processes that only run checks for the engine (`engine/check_processes.py`); 0: the
    # engine's process runs them. Uptime checks go there; the engine keeps the rest.
    # "auto": `workers.check_processes_for` (one from 50,000 monitors on 2 or more cores).
    check_processes: Annotated[int, Field(ge=0, le=64)] | Literal["auto"] = "auto"
    # The name this process's checks report as their location.
    location: str = Field(default="local", pattern=LOCATION_NAME)
    # Other locations, comma-separated, where `lookout worker --location NAME` processes run
    # checks (needs LOOKOUT_QUEUE=redis): a check whose settings name one of them (Oh Dear's
    # `location`, "paris" by default) is sent there; any other runs at `location`.
    locations: str = Field(default="", max_length=4096)
    # How many single-request checks (uptime, DNS, ports, ...) may run at once in this process.
    engine_concurrency: int = Field(default=500, ge=1, le=10_000)
    # Check runs that were not a success are deleted after this many days; minute rollups
    # are kept for 48 hours, hourly rollups for `hourly_rollup_days`, daily ones for good.
    run_retention_days: int = Field(default=14, ge=1, le=3650)
    # After this many days a day's hourly uptime rollups are added up into one (the uptime
    # and metrics endpoints answer older periods by the day).
    hourly_rollup_days: int = Field(default=31, ge=2, le=3650)
    # The last successful runs kept per check (older successes are replaced, ring-fashion).
    runs_kept_per_check: int = Field(default=100, ge=1, le=100_000)
    # critical, error, warning, info or debug; check runs are logged at debug.
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    # DNS failover publishes every record change with RFC 2136 dynamic updates signed with
    # TSIG to this authoritative server (host:port); without it Lookout's own record table is
    # the only DNS (the `records` provider). The secret is base64 and is never logged.
    dns_update_server: str | None = None
    dns_tsig_key_name: str | None = None
    dns_tsig_algorithm: str = "hmac-sha256"
    dns_tsig_secret: SecretStr | None = None
    # DNS failover runs in this process (safe in several: state changes are claimed).
    run_failover: bool = True
    # How often failover looks for state changes (and a fifth as often at every D-Monitor
    # that is down or switched); also the gap between the probes that confirm a recovery.
    failover_poll_seconds: float = Field(default=1.0, ge=0.01, le=60)
    # Every D-Monitor's check runs this often instead of its monitor_interval: for tests and
    # benchmarks on a fast clock; unset in production.
    dmonitor_interval_seconds: int | None = Field(default=None, ge=5, le=3600)
    # text (readable lines) or json (one object per line).
    log_format: Literal["text", "json"] = "text"
    # Where each D-Monitor point is checked from: `ctc=beijing,cuc=shanghai`; a point not
    # named is checked from this process's location (all of them in the embedded default).
    dmonitor_points: str | None = Field(default=None, max_length=4096)
    # uvicorn's line per HTTP request.
    access_log: bool = True
    # When set, GET /metrics needs `Authorization: Bearer <this>`.
    metrics_token: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @field_validator("database_url")
    @classmethod
    def _plain_postgres_uses_psycopg(cls, value: str | None) -> str | None:
        if value and value.startswith(("postgres://", "postgresql://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @model_validator(mode="after")
    def _queue_has_what_it_needs(self) -> Settings:
        if self.queue == "redis" and not self.redis_url:
            raise ValueError("LOOKOUT_QUEUE=redis needs LOOKOUT_REDIS_URL")
        if not self.run_checks and self.queue != "redis":
            raise ValueError(
                "LOOKOUT_RUN_CHECKS=false needs LOOKOUT_QUEUE=redis: workers take the checks from there"
            )
        if self.other_locations and self.queue != "redis":
            raise ValueError(
                "LOOKOUT_LOCATIONS needs LOOKOUT_QUEUE=redis: their workers take their checks there"
            )
        return self

    @field_validator("ai_url")
    @classmethod
    def _ai_url_is_http(cls, value: str | None) -> str | None:
        parts = urlsplit(value or "")
        if value and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError("an http(s) URL, like https://api.openai.com/v1")
        if parts.username or parts.password:  # errors quote the URL, and teams read them
            raise ValueError("no credentials in the URL: put the key in LOOKOUT_AI_API_KEY")
        return value or None

    @field_validator("locations")
    @classmethod
    def _location_names(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        for name in names:
            if not re.fullmatch(LOCATION_NAME, name):
                raise ValueError(f"{name!r} is not a location name (letters, digits, '.', '_', '-')")
        return ",".join(names)

    @property
    def other_locations(self) -> frozenset[str]:
        """LOOKOUT_LOCATIONS as names, without this process's own location."""
        return frozenset(name for name in self.locations.split(",") if name) - {self.location}

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lookout.db').resolve()}"

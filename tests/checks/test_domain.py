"""The domain check against a loopback RDAP server and a loopback WHOIS server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lookout.checks.base import CheckContext, Target
from lookout.checks.domain import DomainCheck, registrable_domain
from lookout.model.check_settings import DomainSettings
from lookout.model.check_type import MonitorType
from lookout.model.result import CheckResult, Outcome
from lookout.net.guard import TargetGuard
from lookout.net.rdap import RdapClient, epp_status, parse_servers
from lookout.net.whois import WhoisClient, WhoisNotFoundError, parse_date, parse_whois
from tests.servers.rdap import RunningRdap, RunningWhois, rdap_domain, serve_rdap, serve_whois

NOW = datetime.now(UTC)
WHOIS_ANSWER = """\
% Loopback registry WHOIS server
Domain Name: ONLYWHOIS.WHOISONLY
Registrar: Example Registrar, Inc.
Creation Date: 2015-03-01T10:00:00Z
Updated Date: 02-Feb-2026
Registry Expiry Date: {expires}
Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited
Name Server: NS1.EXAMPLE.NET
Name Server: NS2.EXAMPLE.NET
>>> Last update of WHOIS database: 2026-11-30T04:00:00Z <<<
"""


@pytest.fixture(scope="module")
def rdap() -> Iterator[RunningRdap]:
    domains = {
        "fine.test": rdap_domain(
            "fine.test",
            expires=NOW + timedelta(days=200),
            registered=datetime(2010, 5, 1, tzinfo=UTC),
            statuses=["client transfer prohibited", "active"],
        ),
        "soon.test": rdap_domain("soon.test", expires=NOW + timedelta(days=10)),
        "held.test": rdap_domain("held.test", expires=NOW + timedelta(days=300), statuses=["client hold"]),
        "gone.test": rdap_domain("gone.test", expires=NOW - timedelta(days=3)),
        "pending.test": rdap_domain(
            "pending.test", expires=NOW + timedelta(days=30), statuses=["redemption period", "pending delete"]
        ),
    }
    with serve_rdap(domains, ["test"]) as server:
        yield server


@pytest.fixture(scope="module")
def whois() -> Iterator[RunningWhois]:
    answers = {
        "onlywhois.whoisonly": WHOIS_ANSWER.format(expires=(NOW + timedelta(days=90)).strftime("%Y-%m-%d")),
        # What IANA's server says of a TLD without a WHOIS server: no `whois:` line.
        "nowhere": "% IANA WHOIS server\ndomain:       NOWHERE\nstatus:       ACTIVE\n",
    }
    with serve_whois(answers) as server:
        yield server


def domain_ctx(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois, cache_file: Path | None = None
) -> CheckContext:
    return dataclasses.replace(
        ctx,
        rdap=RdapClient(
            ctx.guard, http_client=ctx.http_client, bootstrap_url=rdap.bootstrap_url, cache_file=cache_file
        ),
        whois=WhoisClient(
            ctx.guard,
            servers={"whoisonly": (whois.host, whois.port)},
            referral_server=(whois.host, whois.port),
        ),
    )


async def run(url: str, ctx: CheckContext, **settings: object) -> CheckResult:
    target = Target(monitor_id=1, monitor_type=MonitorType.HTTP, url=url)
    return await DomainCheck().run(target, DomainSettings.model_validate(settings), ctx)


async def test_a_registered_domain_far_from_expiry_succeeds(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois
) -> None:
    result = await run("https://www.shop.fine.test/path", domain_ctx(ctx, rdap, whois))
    assert result.outcome is Outcome.SUCCEEDED, result.summary
    assert result.summary.startswith("Expires in 199 days") or result.summary.startswith(
        "Expires in 200 days"
    )
    details = result.details
    assert details["domain"] == "fine.test" and details["source"] == "rdap"
    assert details["domain_statuses"] == ["clientTransferProhibited", "active"]
    assert details["registrar"] == "Loopback Registrar B.V."
    assert details["nameservers"] == ["ns1.loopback.test", "ns2.loopback.test"]
    assert details["registered_at"] == "2010-05-01T00:00:00+00:00"
    assert details["last_updated_in_rdap_db_at"].startswith("2026-11-29T10:00:00")
    assert details["response"]["ldhName"] == "FINE.TEST"
    assert "/rdap/domain/fine.test" in rdap.requests


async def test_a_domain_expiring_in_ten_days_warns(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois
) -> None:
    result = await run("https://soon.test/", domain_ctx(ctx, rdap, whois))
    assert result.outcome is Outcome.WARNING
    assert result.summary.startswith("Expires in 9 days")
    # A smaller threshold than the default (10 days) makes the same date fine.
    quiet = await run("https://soon.test/", domain_ctx(ctx, rdap, whois), expires_soon_threshold_in_days=5)
    assert quiet.outcome is Outcome.SUCCEEDED


@pytest.mark.parametrize(
    ("host", "summary"),
    [
        ("held.test", "The domain has the registry status clientHold"),
        ("pending.test", "The domain has the registry status redemptionPeriod, pendingDelete"),
        ("gone.test", f"The domain expired on {(NOW - timedelta(days=3)):%Y-%m-%d}"),
        ("unknown.test", "unknown.test is not registered (RDAP answered 404)"),
    ],
)
async def test_held_expired_and_unregistered_domains_fail(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois, host: str, summary: str
) -> None:
    result = await run(f"https://{host}/", domain_ctx(ctx, rdap, whois))
    assert (result.outcome, result.summary) == (Outcome.FAILED, summary)


async def test_a_tld_without_rdap_is_read_over_whois(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois
) -> None:
    result = await run("https://www.onlywhois.whoisonly/", domain_ctx(ctx, rdap, whois))
    assert result.outcome is Outcome.SUCCEEDED, result.summary
    details = result.details
    assert details["source"] == "whois" and details["domain"] == "onlywhois.whoisonly"
    assert details["expires_at"] == (NOW + timedelta(days=90)).strftime("%Y-%m-%dT00:00:00+00:00")
    assert details["registered_at"] == "2015-03-01T10:00:00+00:00"
    assert details["last_changed_at"] == "2026-02-02T00:00:00+00:00"
    assert details["domain_statuses"] == ["clientTransferProhibited"]
    assert details["nameservers"] == ["ns1.example.net", "ns2.example.net"]
    assert "onlywhois.whoisonly" in whois.questions


async def test_a_tld_with_neither_is_not_supported(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois
) -> None:
    result = await run("https://site.nowhere/", domain_ctx(ctx, rdap, whois))
    assert result.outcome is Outcome.SUCCEEDED
    reason = result.details["not_supported_reason"]
    assert (
        reason == "RDAP: no RDAP server is known for .nowhere; WHOIS: no WHOIS server is known for .nowhere"
    )
    assert result.summary == f"Not supported: {reason}"
    assert "nowhere" in whois.questions  # the referral server was asked


async def test_an_ip_address_has_no_domain(ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois) -> None:
    result = await run("https://127.0.0.1/", domain_ctx(ctx, rdap, whois))
    assert result.details["not_supported_reason"] == "127.0.0.1 has no registrable domain"


async def test_registries_on_refused_addresses_are_not_dialled(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois
) -> None:
    """The target guard sees the RDAP and WHOIS servers too: with private targets refused,
    the lookup errors (it does not claim the TLD is unsupported)."""
    strict = TargetGuard(ctx.resolver, allow_private=False)
    result = await run("https://fine.test/", domain_ctx(dataclasses.replace(ctx, guard=strict), rdap, whois))
    assert result.outcome is Outcome.ERRORED
    assert "loopback address" in result.summary and "not_supported_reason" not in result.details


async def test_the_bootstrap_file_is_fetched_once_and_kept_on_disk(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois, tmp_path: Path
) -> None:
    cache = tmp_path / "rdap-dns.json"
    checked = domain_ctx(ctx, rdap, whois, cache_file=cache)
    before = rdap.requests.count("/dns.json")
    await run("https://fine.test/", checked)
    await run("https://soon.test/", checked)
    assert rdap.requests.count("/dns.json") == before + 1
    assert cache.exists()
    # A new process reads the file instead of asking again.
    fresh = domain_ctx(ctx, rdap, whois, cache_file=cache)
    assert (await run("https://fine.test/", fresh)).outcome is Outcome.SUCCEEDED
    assert rdap.requests.count("/dns.json") == before + 1


async def test_a_per_tld_override_needs_no_bootstrap(
    ctx: CheckContext, rdap: RunningRdap, whois: RunningWhois
) -> None:
    client = RdapClient(
        ctx.guard,
        http_client=ctx.http_client,
        bootstrap_url="http://127.0.0.1:9/never",
        servers=parse_servers(f"test={rdap.base_url}"),
    )
    record = await client.lookup("fine.test")
    assert record.expires_at is not None and client.bootstrap_fetches == 0


def test_registrable_domains() -> None:
    assert registrable_domain("www.shop.example.co.uk") == "example.co.uk"
    assert registrable_domain("Example.COM.") == "example.com"
    assert registrable_domain("bücher.example") == "xn--bcher-kva.example"
    assert registrable_domain("co.uk") is None
    assert registrable_domain("localhost") is None
    assert registrable_domain("2001:db8::1") is None


def test_statuses_and_settings_parse() -> None:
    assert epp_status("client transfer prohibited") == "clientTransferProhibited"
    assert epp_status("serverHold") == "serverHold"
    with pytest.raises(ValueError):
        parse_servers("test=ftp://nope/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-05T10:00:00Z", datetime(2027, 1, 5, 10, tzinfo=UTC)),
        ("2027-01-05", datetime(2027, 1, 5, tzinfo=UTC)),
        ("05-Jan-2027", datetime(2027, 1, 5, tzinfo=UTC)),
        ("2027.01.05 10:00:00", datetime(2027, 1, 5, 10, tzinfo=UTC)),
        ("05.01.2027", datetime(2027, 1, 5, tzinfo=UTC)),
        ("2027-01-05 10:00:00 UTC", datetime(2027, 1, 5, 10, tzinfo=UTC)),
        ("2027-01-05T12:00:00+02:00", datetime(2027, 1, 5, 10, tzinfo=UTC)),
        ("soon", None),
    ],
)
def test_whois_dates(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_whois_lines_other_registries_use() -> None:
    record = parse_whois(
        "example.ru",
        "whois.tcinet.ru:43",
        "domain: EXAMPLE.RU\nstate: REGISTERED, DELEGATED\n"
        "created: 2004-01-30T21:00:00Z\npaid-till: 2027-01-31T21:00:00Z\nnserver: ns1.example.ru.\n",
    )
    assert record.expires_at == datetime(2027, 1, 31, 21, tzinfo=UTC)
    assert record.nameservers == ("ns1.example.ru",)
    with pytest.raises(WhoisNotFoundError):
        parse_whois("free.io", "whois.nic.io:43", "Domain not found.\n")

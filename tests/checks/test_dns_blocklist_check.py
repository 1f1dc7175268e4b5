"""The DNS blocklist check against a loopback DNSBL: a zone served over UDP and TCP that
answers 127.0.0.x for the reversed addresses it lists, as Spamhaus and the others do."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from lookout.checks.base import CheckContext, Target
from lookout.checks.dns_blocklist import DnsBlocklistCheck, builtin_blocklists, load_blocklists, query_name
from lookout.model.check_settings.others import DnsBlocklistSettings
from lookout.model.check_type import MonitorType
from lookout.model.dns_blocklists import Blocklist, BlocklistFileError
from lookout.model.result import Outcome
from lookout.net.dns import DnsClient
from lookout.net.guard import TargetGuard
from lookout.net.resolve import Resolver
from tests.servers.dns import ZoneServer, serve_zone

# mail.dnsbl.test has one IPv4 and one IPv6 address; list "one" lists the IPv4 address,
# list "two" (IPv4 and IPv6) lists nothing; list "odd" answers a code it does not document.
ZONE = """
@                 300 IN SOA ns.dnsbl.test. hostmaster.dnsbl.test. 1 3600 600 86400 60
@                 300 IN NS  ns.dnsbl.test.
mail              300 IN A    192.0.2.25
mail              300 IN AAAA 2001:db8::25
25.2.0.192.one    60  IN A    127.0.0.2
25.2.0.192.one    60  IN TXT  "Listed by list one"
25.2.0.192.odd    60  IN A    127.0.0.77
25.2.0.192.odd    60  IN TXT  "See https://odd.example/lookup"
25.2.0.192.busy   60  IN A    127.255.255.254
"""
ONE = Blocklist(
    "bl-one", "Blocklist One", "one.dnsbl.test", return_codes={"127.0.0.2": "Spam source (list one)"}
)
TWO = Blocklist("bl-two", "Blocklist Two", "two.dnsbl.test", ipv4=True, ipv6=True)
ODD = Blocklist("bl-odd", "Odd List", "odd.dnsbl.test")
BUSY = Blocklist("bl-busy", "Busy List", "busy.dnsbl.test", timeout_s=0.5)


@pytest_asyncio.fixture
async def dnsbl() -> AsyncIterator[ZoneServer]:
    async with serve_zone(ZONE, "dnsbl.test.") as server:
        yield server


def context(server: ZoneServer, blocklists: tuple[Blocklist, ...]) -> CheckContext:
    resolver = Resolver.from_setting(server.setting, timeout_s=2.0, hosts_file=None)
    guard = TargetGuard(resolver, allow_private=True)
    return CheckContext(
        resolver=resolver,
        guard=guard,
        clock=lambda: datetime.now(UTC),
        dns=DnsClient.from_setting(server.setting, guard=guard, timeout_s=2.0),
        dns_blocklists=blocklists,
    )


async def check(ctx: CheckContext, url: str = "https://mail.dnsbl.test/", **settings: Any) -> Any:
    return await DnsBlocklistCheck().run(
        Target(1, MonitorType.HTTP, url), DnsBlocklistSettings.model_validate(settings), ctx
    )


async def test_an_address_listed_on_one_blocklist_fails(dnsbl: ZoneServer) -> None:
    result = await check(context(dnsbl, (ONE, TWO)))
    assert result.outcome is Outcome.FAILED
    assert result.summary == "Down: listed: 192.0.2.25 on Blocklist One"
    details = result.details
    assert details["checked_domain"] == "mail.dnsbl.test"
    assert details["resolved_ips"] == ["192.0.2.25", "2001:db8::25"]
    by_target = {r["query_target"]: r for r in details["blocklist_results"]}
    nibbles = "5.2.0.0." + "0." * 20 + "8.b.d.0.1.0.0.2"
    assert set(by_target) == {
        "25.2.0.192.one.dnsbl.test",
        "25.2.0.192.two.dnsbl.test",
        f"{nibbles}.two.dnsbl.test",  # list one takes no IPv6
    }
    listed = by_target["25.2.0.192.one.dnsbl.test"]
    assert listed["listed"] and listed["return_code"] == "127.0.0.2"
    assert listed["reason"] == "Spam source (list one)" and not listed["timed_out"]
    assert not any(r["listed"] for t, r in by_target.items() if ".two." in t)
    assert [(f.key, f.payload["reason"]) for f in result.findings] == [
        ("bl-one 192.0.2.25", "Spam source (list one)")
    ]
    asked = {(q.name, q.rdtype) for q in dnsbl.received}
    assert (f"{nibbles}.two.dnsbl.test.", "A") in asked


async def test_only_the_enabled_blocklists_are_asked(dnsbl: ZoneServer) -> None:
    result = await check(
        context(dnsbl, (ONE, TWO)), use_all_blocklists=False, enabled_blocklists=["Blocklist Two", "nope"]
    )
    assert result.outcome is Outcome.SUCCEEDED
    assert result.summary == "Not listed on 1 blocklist"
    assert result.details["issues"] == ["Unknown blocklist 'nope'"]
    assert result.findings == ()
    assert not any(".one." in q.name for q in dnsbl.received)


async def test_an_undocumented_code_takes_its_reason_from_the_txt_record(dnsbl: ZoneServer) -> None:
    result = await check(context(dnsbl, (ODD,)))
    assert result.outcome is Outcome.FAILED
    (listed,) = [r for r in result.details["blocklist_results"] if r["listed"]]
    assert listed["return_code"] == "127.0.0.77" and listed["reason"] == "See https://odd.example/lookup"


async def test_a_refused_query_is_an_issue_not_a_listing(dnsbl: ZoneServer) -> None:
    result = await check(context(dnsbl, (BUSY, TWO)))
    assert result.outcome is Outcome.SUCCEEDED
    busy = next(r for r in result.details["blocklist_results"] if r["provider"] == "Busy List")
    assert not busy["listed"] and busy["return_code"] == "127.255.255.254"
    assert any("refused the query" in issue for issue in result.details["issues"])


@pytest.mark.looptime  # the lists' timeouts pass on the loop's fake clock
async def test_blocklists_that_do_not_answer_are_a_warning_not_a_clean_bill(dnsbl: ZoneServer) -> None:
    ctx = context(dnsbl, (BUSY,))
    await ctx.resolver.resolve("mail.dnsbl.test")  # resolved while the server still answers
    dnsbl.silence()
    loop = asyncio.get_running_loop()
    started = loop.time()
    result = await check(ctx, url="https://192.0.2.25/")
    assert loop.time() - started < 1.0  # the list's own 0.5 s timeout
    assert result.outcome is Outcome.WARNING and result.summary.startswith("No blocklist answered")
    assert result.details["blocklist_results"][0]["timed_out"] is True
    assert result.findings is None


async def test_an_unresolvable_host_is_down(dnsbl: ZoneServer) -> None:
    result = await check(context(dnsbl, (ONE,)), url="https://missing.dnsbl.test/")
    assert result.outcome is Outcome.FAILED and "no such domain" in result.summary


def test_reversed_names() -> None:
    assert query_name("192.0.2.1", "zen.spamhaus.org") == "1.2.0.192.zen.spamhaus.org"
    assert query_name("2001:db8::1", "x.test") == "1.0.0.0." + "0." * 20 + "8.b.d.0.1.0.0.2.x.test"


def test_the_builtin_list_and_an_operators_replacement(tmp_path: Path) -> None:
    builtin = {b.key: b for b in builtin_blocklists()}
    for key in ("spamhaus-zen", "spamcop", "barracuda", "uceprotect-1", "psbl", "mailspike"):
        assert key in builtin
    assert builtin["spamhaus-zen"].zone == "zen.spamhaus.org" and builtin["spamhaus-zen"].ipv6
    assert "SBL" in builtin["spamhaus-zen"].return_codes["127.0.0.2"]
    own = tmp_path / "lists.json"
    own.write_text(json.dumps({"blocklists": [{"key": "mine", "name": "Mine", "zone": "bl.example.net"}]}))
    assert load_blocklists(own) == (Blocklist("mine", "Mine", "bl.example.net"),)
    bad = tmp_path / "bad.toml"
    for text in ('[[blocklists]]\nkey = "x"\nname = "X"\nzone = "not a zone"\n', "blocklists = 1\n", "[["):
        bad.write_text(text)
        with pytest.raises(BlocklistFileError):
            load_blocklists(bad)

"""A D-Monitor's uptime check: it dials the record's IP (connect_ip) with the monitor's
host as Host header, a 4xx is a warning (DNSPod's Warn) and a 5xx or no answer is down;
the scheduler carries connect_ip to the runner. Oh Dear monitors keep their settings."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from lookout.checks.base import CheckContext, Target
from lookout.checks.registry import CHECKS
from lookout.engine.scheduler import Locations, job_for
from lookout.engine.settings_cache import SettingsCache
from lookout.model.check_settings import HttpUptimeSettings
from lookout.model.check_type import CheckType, MonitorType
from lookout.model.dmonitor_points import PointMap
from lookout.model.result import Outcome
from lookout.store.repositories.engine import DueCheck
from tests.servers.fixtures import ca_file, ctx, guard, http_server, resolver, test_ca  # noqa: F401
from tests.servers.http import RunningServer

DMONITOR = {"valid_status_codes": ["1*", "2*", "3*"], "warning_status_codes": ["4*"], "max_redirect_count": 0}


async def run(url: str, ctx: CheckContext, **settings: object) -> tuple[Outcome, str, dict[str, object]]:  # noqa: F811
    target = Target(1, MonitorType.HTTP, url, settings.pop("connect_ip", None))  # type: ignore[arg-type]
    result = await CHECKS[CheckType.UPTIME].run(target, HttpUptimeSettings(**settings), ctx)  # type: ignore[arg-type]
    return result.outcome, result.summary, dict(result.details)


async def test_the_check_dials_connect_ip_with_the_monitors_host(
    ctx: CheckContext,  # noqa: F811
    http_server: RunningServer,  # noqa: F811
) -> None:
    url = f"http://www.dmonitor.test:{http_server.port}/echo"
    outcome, _, details = await run(url, ctx, connect_ip="127.0.0.1", **DMONITOR)
    assert outcome is Outcome.SUCCEEDED and details["remote_ip"] == "127.0.0.1"


async def test_status_classes(ctx: CheckContext, http_server: RunningServer) -> None:  # noqa: F811
    assert (await run(http_server.url("/status/404"), ctx, **DMONITOR))[:2] == (Outcome.WARNING, "HTTP 404")
    assert (await run(http_server.url("/status/302"), ctx, **DMONITOR))[0] is Outcome.SUCCEEDED
    outcome, summary, _ = await run(http_server.url("/status/503"), ctx, **DMONITOR)
    assert outcome is Outcome.FAILED and "got 503" in summary
    # Other rules still fail a warned status; without warning codes a 404 is down as before.
    assert (await run(http_server.url("/status/404"), ctx, look_for_string="nope", **DMONITOR))[0] is (
        Outcome.FAILED
    )
    assert (await run(http_server.url("/status/404"), ctx))[0] is Outcome.FAILED


def test_settings_bounds_and_oh_dear_defaults_unchanged() -> None:
    plain = HttpUptimeSettings().model_dump(mode="json")
    assert "connect_ip" not in plain and "warning_status_codes" not in plain
    parsed = HttpUptimeSettings.model_validate(
        {"connect_ip": " 2001:db8:0::1", "warning_status_codes": [404]}
    )
    assert (parsed.connect_ip, parsed.warning_status_codes) == ("2001:db8::1", ["404"])
    for bad in (
        {"connect_ip": "www.example.com"},
        {"connect_ip": "1" * 100},
        {"warning_status_codes": ["4xx"]},
    ):
        with pytest.raises(ValidationError):
            HttpUptimeSettings.model_validate(bad)
    with pytest.raises(ValidationError):
        HttpUptimeSettings.model_validate({"warning_status_codes": ["4*"] * 51})


def test_the_scheduler_puts_connect_ip_in_the_job() -> None:
    cache = SettingsCache(CHECKS)
    settings = HttpUptimeSettings.model_validate({"connect_ip": "192.0.2.7", **DMONITOR}).model_dump(
        mode="json"
    )
    json.dumps(settings)  # stored as JSON
    due = DueCheck(1, 1, "uptime", "http", "http://www.example.test/", settings, datetime.now(UTC))
    job = job_for(due, Locations(), cache)
    assert job is not None and job.extra == {"connect_ip": "192.0.2.7"} and job.host == "192.0.2.7"
    plain = DueCheck(2, 2, "uptime", "http", "http://www.example.test/", {}, datetime.now(UTC))
    job = job_for(plain, Locations(), cache)
    assert job is not None and job.extra == {} and job.host == "www.example.test"


def test_a_dmonitors_failure_is_confirmed_at_one_of_its_points_locations() -> None:
    """Only a point's location gives the failover a verdict: a confirmation elsewhere (the
    first other location by name, as for any check) left a point without one, and two
    points of two was never a majority."""
    cache = SettingsCache(CHECKS)
    where = Locations(
        "beijing",
        frozenset({"amsterdam", "tokyo", "shanghai"}),
        PointMap.from_setting("beijing", "cuc=shanghai,cmc=tokyo"),
    )

    def confirmed_at(points: str | None, location: str = "paris") -> str | None:
        raw = {**DMONITOR, "connect_ip": "192.0.2.7", "location": location}
        if points is not None:
            raw["dmonitor_points"] = points
        settings = HttpUptimeSettings.model_validate(raw).model_dump(mode="json")
        due = DueCheck(
            1, 1, "uptime", "http", "http://www.example.test/", settings, datetime.now(UTC), 1, True
        )
        job = job_for(due, where, cache)
        return None if job is None else job.location

    assert confirmed_at("ctc,cmc") == "tokyo"  # not amsterdam, the first by name
    assert confirmed_at("cmc,cuc") == "tokyo"  # the points' order
    assert confirmed_at("ctc,cuc,cmc") == "shanghai"
    assert confirmed_at("cuc,cmc", location="shanghai") == "tokyo"  # never the primary itself
    assert confirmed_at("cuc,ctc", location="shanghai") == "beijing"  # ctc: this location
    assert confirmed_at("ctc") == "amsterdam"  # no point elsewhere: the first other by name
    assert confirmed_at(None) == "amsterdam"  # an Oh Dear monitor, as before
    # A point's location without workers is not in the scheduler's routes: it is skipped.
    where = replace(where, others=frozenset({"amsterdam", "shanghai"}))
    assert confirmed_at("ctc,cmc") == "amsterdam"
    assert confirmed_at("ctc,cmc,cuc") == "shanghai"

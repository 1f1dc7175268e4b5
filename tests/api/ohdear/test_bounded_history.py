"""Storage bounded per check answers like storage that keeps everything.

A simulated month of an http monitor (uptime every 5 minutes, performance judged from it,
outages and slow spells) is recorded twice through the engine's writer: once keeping every
run, once as `lookout serve` keeps them (the last 100 successes per check, other runs 14
days, minute rollups 48 hours) with its sweeps run at the month's end. The uptime and
metrics endpoints answer the same for every period, the minute metrics equal what the raw
runs say, and the runs endpoint lists exactly the kept runs, in the same shape.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lookout.app import Store, build_services, create_app, open_store
from lookout.engine.database import Database
from lookout.engine.persist import Finished
from lookout.engine.queue.base import Job
from lookout.engine.sweeps import RetentionSweep
from lookout.model.result import CheckResult, Outcome, Timings
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.repositories import runs as runs_repo
from tests.engine.seed import persist

INTERVAL = timedelta(minutes=5)
DAYS = 30
# The month ends at the start of the current hour, a little in the past (the API clamps
# future ends to now).
END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
START = END - timedelta(days=DAYS)


@dataclass(frozen=True)
class Run:
    started_at: datetime
    outcome: Outcome
    timings: Timings


def simulated_month() -> list[Run]:
    rng = random.Random(20261130)
    outages = [  # (start, minutes) of confirmed outages and single blips
        (START + timedelta(days=3, hours=10), 60),
        (START + timedelta(days=12, hours=2, minutes=5), 5),
        (START + timedelta(days=20, hours=23), 180),
        (END - timedelta(hours=30), 25),
        (END - timedelta(hours=3), 5),
    ]
    runs = []
    at = START
    while at < END:
        down = any(begin <= at < begin + timedelta(minutes=length) for begin, length in outages)
        slow = 1.0 + (9.0 if START + timedelta(days=15) <= at < START + timedelta(days=15, hours=6) else 0)
        if down:
            runs.append(Run(at, Outcome.FAILED, Timings()))
        else:
            dns, connect, tls = rng.uniform(1, 5), rng.uniform(5, 20), rng.uniform(10, 30)
            first, download = rng.uniform(20, 200) * slow, rng.uniform(1, 10)
            total = dns + connect + tls + first + download
            runs.append(Run(at, Outcome.SUCCEEDED, Timings(dns, connect, tls, first, download, total)))
        at += INTERVAL
    return runs


def _record(store: Store, monitor: Any, runs: list[Run], kept: int) -> None:
    uptime_id = next(c.id for c in monitor.checks if c.type == "uptime")
    for day in range(DAYS):
        batch = [
            r for r in runs if START + timedelta(days=day) <= r.started_at < START + timedelta(days=day + 1)
        ]
        finished = [
            Finished(
                Job(
                    uptime_id,
                    monitor.monitor.id,
                    "uptime",
                    "http",
                    monitor.monitor.url,
                    {},
                    "local",
                    run.started_at,
                    interval_seconds=INTERVAL.total_seconds(),
                    threshold=2,
                ),
                CheckResult(
                    run.outcome,
                    "Up" if run.outcome.is_up else "Down: connection refused",
                    run.started_at,
                    run.started_at + timedelta(seconds=1),
                    timings=run.timings,
                    details={"status_code": 200} if run.outcome.is_up else {"error_kind": "refused"},
                ),
            )
            for run in batch
        ]
        with transaction(store.sessions) as session:
            persist(session, finished, batch[-1].started_at + timedelta(seconds=2), runs_kept=kept)


def _store(tmp_path: Path, name: str, runs: list[Run], *, bounded: bool) -> tuple[Store, str]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / name}", run_engine=False)
    store = open_store(settings)
    services = build_services(store)
    issued = services.tokens.create("month@example.test", "month")
    who = services.tokens.authenticate(issued.token)
    monitor = services.monitors.create(
        who,
        {
            "url": "https://month.example",
            "team_id": issued.team_id,
            "type": "http",
            "checks": ["uptime", "performance"],
        },
    )
    _record(store, monitor, runs, kept=100 if bounded else 10**9)
    if bounded:
        sweep = RetentionSweep(Database(store.sessions), lambda: END, retention_days=14)
        asyncio.run(sweep.sweep())
    return store, issued.token


@pytest.fixture(scope="module")
def month(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[Run], TestClient, TestClient, Store]]:
    runs = simulated_month()
    tmp = tmp_path_factory.mktemp("month")
    full, full_token = _store(tmp, "full.db", runs, bounded=False)
    kept, kept_token = _store(tmp, "kept.db", runs, bounded=True)
    settings = Settings(run_engine=False)
    with (
        TestClient(
            create_app(settings, full), headers={"Authorization": f"Bearer {full_token}"}
        ) as everything,
        TestClient(create_app(settings, kept), headers={"Authorization": f"Bearer {kept_token}"}) as bounded,
    ):
        yield runs, everything, bounded, full


def ymdhis(at: datetime) -> str:
    return at.strftime("%Y%m%d%H%M%S")


def windows(start: datetime, end: datetime, step: timedelta) -> Iterator[tuple[datetime, datetime]]:
    while start < end:
        yield start, min(start + step, end)
        start += step


def test_uptime_answers_the_same_for_every_split(month: Any) -> None:
    _, everything, bounded, _ = month
    for split, step in (
        ("hour", timedelta(days=10)),
        ("day", timedelta(days=DAYS)),
        ("month", timedelta(days=DAYS)),
    ):
        for start, end in windows(START, END, step):
            params = {"filter[started_at]": ymdhis(start), "filter[ended_at]": ymdhis(end), "split": split}
            want = everything.get("/api/monitors/1/uptime", params=params)
            assert want.status_code == 200, want.text
            assert want.json(), (split, start)
            assert bounded.get("/api/monitors/1/uptime", params=params).json() == want.json()


def test_metrics_answer_the_same_for_every_grouping(month: Any) -> None:
    _, everything, bounded, _ = month
    plans = [
        ("hour", timedelta(days=10)),
        ("day", timedelta(days=DAYS)),
        ("week", timedelta(days=DAYS)),
        ("month", timedelta(days=DAYS)),
    ]
    for group_by, step in plans:
        for start, end in windows(START, END, step):
            params = {
                "filter[start]": ymdhis(start),
                "filter[end]": ymdhis(end),
                "filter[group_by]": group_by,
            }
            want = everything.get("/api/monitors/1/http-uptime-metrics", params=params)
            assert want.status_code == 200, want.text
            assert bounded.get("/api/monitors/1/http-uptime-metrics", params=params).json() == want.json()
    # Minutes are kept 48 hours: the last two days answer the same, minute by minute.
    for start, end in windows(END - timedelta(hours=48), END, timedelta(minutes=480)):
        params = {"filter[start]": ymdhis(start), "filter[end]": ymdhis(end)}
        want = everything.get("/api/monitors/1/http-uptime-metrics", params=params).json()["data"]
        assert (
            want and bounded.get("/api/monitors/1/http-uptime-metrics", params=params).json()["data"] == want
        )
    # ...and older minutes are gone from the bounded store only.
    old = {
        "filter[start]": ymdhis(END - timedelta(days=5)),
        "filter[end]": ymdhis(END - timedelta(days=4, hours=20)),
    }
    assert everything.get("/api/monitors/1/http-uptime-metrics", params=old).json()["data"]
    assert bounded.get("/api/monitors/1/http-uptime-metrics", params=old).json()["data"] == []


def test_minute_metrics_are_what_the_raw_runs_say(month: Any) -> None:
    runs, _, _, full = month
    since = END - timedelta(hours=48)
    with full.sessions() as session:
        points = runs_repo.metrics(session, 1, since, END, "minute")
    raw = [run for run in runs if since <= run.started_at < END]
    assert [p.date for p in points] == [run.started_at for run in raw]
    for point, run in zip(points, raw, strict=True):
        failed = 0 if run.outcome.is_up else 1
        assert (point.runs, point.failed_runs) == (1, failed)
        assert point.up_seconds == 60.0 * (1 - failed)
        # Minute rollups keep whole microseconds (what libcurl measures in, too).
        assert point.average_total_ms == pytest.approx(run.timings.total_ms, abs=0.001)
        assert (
            point.minimum_total_ms == point.maximum_total_ms == pytest.approx(run.timings.total_ms, abs=0.001)
        )
        assert point.average_first_byte_ms == pytest.approx(run.timings.first_byte_ms, abs=0.001)


def _all_runs(client: TestClient, check_type: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(
            f"/api/monitors/1/checks/{check_type}/runs", params={"page[size]": 1000, "page[number]": page}
        ).json()
        out += body["data"]
        if page >= body["meta"]["last_page"]:
            return out
        page += 1


@pytest.mark.parametrize("check_type", ["uptime", "performance"])
def test_the_runs_endpoint_lists_exactly_the_kept_runs(month: Any, check_type: str) -> None:
    _, everything, bounded, _ = month
    every = _all_runs(everything, check_type)
    kept = _all_runs(bounded, check_type)
    assert len(every) > 8000 and len(kept) < 400
    successes = [run for run in every if run["result"] == "succeeded"]
    recent = ymdhis(END - timedelta(days=14))
    expected = [
        run
        for run in every
        if run in successes[:100] or (run["result"] != "succeeded" and ymdhis_of(run["started_at"]) >= recent)
    ]
    assert [set(run) for run in kept] == [set(run) for run in expected]  # the same shape
    assert [_without_id(run) for run in kept] == [_without_id(run) for run in expected]
    assert len({run["id"] for run in kept}) == len(kept)


def ymdhis_of(text: str) -> str:
    return text.replace("-", "").replace(":", "").replace(" ", "")


def _without_id(run: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in run.items() if key != "id"}

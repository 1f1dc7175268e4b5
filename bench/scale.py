"""The embedded default at scale: one `lookout serve` on SQLite checking N http monitors.

Measured from outside, as a user would see it:

- **Engine**: N http monitors (Oh Dear's default checks; uptime every `--interval` s)
  against loopback targets in their own processes, which count the requests they answer.
  After a warm-up of two intervals, for `--seconds`: checks per second done (and asked),
  the share of runs on time (started less than 1 s after the check's slot), p99 of the
  deviation of a check's interval, CPU per check (the serve process's user + system time
  over the checks the targets answered) and RSS.
- **API while the engine runs**: GET /api/monitors (pages of 50 and 200) and
  /api/monitors/{id} latencies, then monitor creation with 8 clients for a few seconds
  (and the cores the clients and the serve used meanwhile: they share the machine).
- **Storage** (`--days`, a fast clock): a separate store gets `--days` simulated days of
  minute-interval runs for `--storage-monitors` monitors through the engine's own writer,
  with the sweeps run every simulated hour; bytes per monitor after each day.
  `--hourly-days 1` shortens the hourly retention to see older days coarsened;
  `--certificates` adds an hourly certificate health run per monitor (on by default for https).

Prints a table and writes bench/results/scale.json (rows merged by scenario name).

    lookout bench scale --monitors 10000
    lookout bench scale --monitors 100000 --seconds 60
    lookout bench scale --monitors 100000 --api-workers 0   # one process, no API workers
    lookout bench scale --storage-only --days 7
    lookout bench scale --monitors 10000 --location-workers 1   # serve schedules, a worker runs
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis
from sqlalchemy import insert, select, update

from lookout.app import build_services, open_store
from lookout.engine.timing import next_slot, phase
from lookout.settings import Settings
from lookout.store.db import transaction
from lookout.store.tables import Check, CheckRun, Monitor

RESULTS = Path(__file__).parent / "results" / "scale.json"
HOSTS = 250  # 127.0.0.1-250: distinct hosts, as distinct sites would be
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Tables whose rows belong to a monitor or its checks (the storage scenario's per-monitor cost).
PER_MONITOR_TABLES = (
    "monitors",
    "checks",
    "check_runs",
    "check_states",
    "state_changes",
    "findings",
    "downtime_periods",
    "minute_rollups",
    "uptime_hours",
    "uptime_days",
)


# -- targets ---------------------------------------------------------------------------


def _serve(port_out: Any, hits: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(RESPONSE)
            await writer.drain()
            with hits.get_lock():
                hits.value += 1
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "0.0.0.0", 0, backlog=4096)
        port_out.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


class Targets:
    """Loopback HTTP servers in child processes that count the requests they answer."""

    def __init__(self, processes: int = 2) -> None:
        self.ports: list[int] = []
        self.hits: list[Any] = []
        self.procs: list[multiprocessing.Process] = []
        for _ in range(processes):
            parent, child = multiprocessing.Pipe()
            hits = multiprocessing.Value("q", 0)
            proc = multiprocessing.Process(target=_serve, args=(child, hits), daemon=True)
            proc.start()
            self.ports.append(parent.recv())
            self.hits.append(hits)
            self.procs.append(proc)

    def count(self) -> int:
        return sum(h.value for h in self.hits)

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()


# -- filling a store -------------------------------------------------------------------


def fill(settings: Settings, count: int, interval: int, ports: list[int]) -> tuple[str, int]:
    """One monitor through the service (Oh Dear's default http checks), copied `count - 1`
    times in bulk; every uptime check gets its slot on the schedule grid, so the engine
    starts in steady state rather than with a burst of never-run checks."""
    store = open_store(settings)
    services = build_services(store)
    issued = services.tokens.create("scale@example.test", "scale")
    who = services.tokens.authenticate(issued.token)
    first = services.monitors.create(
        who,
        {
            "url": f"http://127.0.0.1:{ports[0]}/ok",
            "team_id": issued.team_id,
            "type": "http",
            "uptime_check_settings": {"check_interval_in_seconds": interval, "timeout": 5},
        },
    )
    with transaction(store.sessions) as session:
        template = dict(
            session.execute(select(*Monitor.__table__.c).where(Monitor.id == first.monitor.id)).one()._mapping
        )
        checks = [
            dict(row._mapping)
            for row in session.execute(select(*Check.__table__.c).where(Check.monitor_id == first.monitor.id))
        ]
        for start in range(1, count, 10_000):
            rows = []
            for index in range(start, min(count, start + 10_000)):
                url = f"http://127.0.0.{index % HOSTS + 1}:{ports[index % len(ports)]}/ok"
                row = {**template, "url": url, "sort_url": url, "badge_id": f"{index:026x}"}
                row.pop("id")
                rows.append(row)
            session.execute(insert(Monitor), rows)
        ids = session.scalars(
            select(Monitor.id).where(Monitor.id != first.monitor.id).order_by(Monitor.id)
        ).all()
        for start in range(0, len(ids), 5_000):
            session.execute(
                insert(Check),
                [
                    {**{k: v for k, v in check.items() if k != "id"}, "monitor_id": monitor_id}
                    for monitor_id in ids[start : start + 5_000]
                    for check in checks
                ],
            )
        # Every enabled scheduled check (the daily crawls too) on its slot of its own grid,
        # as after months of running: a bulk insert would otherwise make 100,000 never-run
        # crawls due in the first second, which no instance that grew one monitor at a time sees.
        # The grid from now, after the inserts: from before them (about 55 s at 100,000), every
        # check was overdue by the time the serve started, a whole interval of backlog that a
        # 2-core machine could take minutes to clear (a restart that long, not a steady state).
        now = datetime.now(UTC)
        scheduled = session.execute(
            select(Check.id, Check.settings).where(Check.enabled.is_(True), Check.type != "performance")
        ).all()
        session.execute(
            update(Check),
            [
                {"id": cid, "next_run_at": next_slot(cid, _interval_of(settings, interval), now)}
                for cid, settings in scheduled
            ],
        )
    store.engine.dispose()
    return issued.token, issued.team_id


def _interval_of(settings: Any, default: int) -> int:
    seconds = settings.get("check_interval_in_seconds") if isinstance(settings, dict) else None
    return int(seconds or default)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- measuring -------------------------------------------------------------------------


REDIS_URL = os.environ.get("LOOKOUT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_cpu(url: str = REDIS_URL) -> float:
    """CPU seconds the Redis server has used (user + system)."""
    client = redis.Redis.from_url(url)
    info = client.info("cpu")
    client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def forget_keys(pattern: str, url: str = REDIS_URL) -> None:
    """Delete a benchmark's keys (`prefix*`) from Redis."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(pattern):
        client.delete(key)
    client.close()


def tree_cpu(process: psutil.Process) -> float:
    """User + system seconds of the serve and its API workers."""
    times = [p.cpu_times() for p in [process, *process.children(recursive=True)]]
    return sum(t.user + t.system for t in times)


def own_cpu(process: psutil.Process) -> float:
    """User + system seconds of the serve's own process (the engine's, with API workers)."""
    times = process.cpu_times()
    return times.user + times.system


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latencies(client: httpx.Client, paths: list[str]) -> dict[str, float]:
    samples = []
    for path in paths:
        began = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text[:200]
    return {"p50_ms": round(statistics.median(samples), 2), "p99_ms": round(percentile(samples, 0.99), 2)}


def creation_rate(base: str, token: str, team_id: int, seconds: float, clients: int = 8) -> float:
    made = [0] * clients
    stop = time.monotonic() + seconds

    def work(slot: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            n = 0
            while time.monotonic() < stop:
                body = {"url": f"https://new-{slot}-{n}.example", "team_id": team_id, "type": "http"}
                response = client.post("/api/monitors", json=body)
                assert response.status_code == 201, response.text[:200]
                made[slot] += 1
                n += 1

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(made) / (time.monotonic() - began)


def schedule_quality(db: Path, since: datetime, until: datetime, interval: int) -> dict[str, float]:
    """On-time share and interval deviation of the uptime runs started in [since, until)."""
    connection = sqlite3.connect(db)
    # Run times are epoch milliseconds since migration 0024 (DATETIME text before it).
    stored = connection.execute("SELECT typeof(started_at) FROM check_runs LIMIT 1").fetchone()
    as_text = stored is not None and stored[0] == "text"
    if not as_text:  # imported here, so that the bench still runs against older trees
        from lookout.store.db import epoch_millis, from_epoch_millis

    def bound(at: datetime) -> str | int:
        return at.replace(tzinfo=None).isoformat(" ") if as_text else epoch_millis(at)

    rows = connection.execute(
        "SELECT r.check_id, r.started_at FROM check_runs r JOIN checks c ON c.id = r.check_id"
        " WHERE c.type = 'uptime' AND r.started_at >= ? AND r.started_at < ?"
        " ORDER BY r.check_id, r.started_at",
        (bound(since), bound(until)),
    ).fetchall()
    connection.close()
    late, deviations = [], []
    previous: dict[int, datetime] = {}
    for check_id, value in rows:
        started = datetime.fromisoformat(value).replace(tzinfo=UTC) if as_text else from_epoch_millis(value)
        late.append(((started - EPOCH).total_seconds() - phase(check_id, interval)) % interval)
        if check_id in previous:
            deviations.append(abs((started - previous[check_id]).total_seconds() - interval))
        previous[check_id] = started
    on_time = sum(1 for seconds in late if seconds < 1.0) / max(len(late), 1)
    return {
        "runs_in_window": len(rows),
        "on_time_pct": round(100 * on_time, 2),
        "lateness_p99_s": round(percentile(late, 0.99), 3),
        "interval_dev_p99_s": round(percentile(deviations, 0.99), 3),
    }


def db_bytes(path: Path) -> int:
    """Bytes the database's live pages take (free pages and the WAL not counted)."""
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages, free, size = (
        connection.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("page_count", "freelist_count", "page_size")
    )
    connection.close()
    return int((pages - free) * size)


def table_bytes(path: Path) -> dict[str, int]:
    """Bytes each table takes with its indexes (SQLite's dbstat), largest first."""
    connection = sqlite3.connect(path)
    names = dict(
        connection.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")
    )
    sizes: dict[str, int] = {}
    for name, size in connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
        table = names.get(name, name)
        sizes[table] = sizes.get(table, 0) + int(size)
    connection.close()
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def engine_scenario(
    monitors: int,
    interval: int,
    seconds: float,
    api_requests: int,
    api_workers: int | None = None,
    check_processes: int | None = None,
    location_workers: int = 0,
) -> dict[str, Any]:
    from lookout.workers import api_workers_for

    workers = api_workers_for("auto" if api_workers is None else api_workers, monitors, os.cpu_count())
    try:
        from lookout.workers import check_processes_for
    except ImportError:  # a tree from before check processes
        processes = 0
    else:
        wanted = "auto" if check_processes is None else check_processes
        processes = check_processes_for(wanted, monitors, os.cpu_count())
    targets = Targets()
    data_dir = Path(tempfile.mkdtemp(prefix="lookout-scale-"))
    port = free_port()
    try:
        began = time.perf_counter()
        token, team_id = fill(Settings(data_dir=data_dir), monitors, interval, targets.ports)
        print(f"filled {monitors} monitors in {time.perf_counter() - began:.0f} s", flush=True)
        env = {
            **os.environ,
            "LOOKOUT_DATA_DIR": str(data_dir),
            "LOOKOUT_PORT": str(port),
            "LOOKOUT_ALLOW_PRIVATE_TARGETS": "true",
            "LOOKOUT_RATE_LIMIT_PER_MINUTE": "10000000",
            "LOOKOUT_LOG_LEVEL": "warning",
            "LOOKOUT_ENGINE_CONCURRENCY": "1000",
            # None: the product's default ("auto"), resolved as `lookout serve` does (`workers` above).
            "LOOKOUT_API_WORKERS": "auto" if api_workers is None else str(api_workers),
        }
        env.pop("LOOKOUT_DATABASE_URL", None)
        if check_processes is not None:  # else the product's default (and older trees run)
            env["LOOKOUT_CHECK_PROCESSES"] = str(check_processes)
        location = f"bench-{uuid.uuid4().hex[:8]}"
        if location_workers:  # serve schedules into Redis; `lookout worker` processes run
            env.update(
                LOOKOUT_QUEUE="redis",
                LOOKOUT_REDIS_URL=REDIS_URL,
                LOOKOUT_RUN_CHECKS="false",
                LOOKOUT_LOCATION=location,
            )
        server = subprocess.Popen(
            [sys.executable, "-m", "lookout", "serve"], env=env, stdout=subprocess.DEVNULL
        )
        runners = [
            subprocess.Popen([sys.executable, "-m", "lookout", "worker"], env=env, stdout=subprocess.DEVNULL)
            for _ in range(location_workers)
        ]
        process = psutil.Process(server.pid)
        everyone = [process, *(psutil.Process(runner.pid) for runner in runners)]
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
            ) as client:
                for _ in range(600):
                    try:
                        client.get("/api/me")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                # Two intervals: the first runs the backlog of a cold start (every check is
                # overdue after the fill), and a check run early waits at least half an
                # interval for its next slot, so the second is a lull before the steady state.
                time.sleep(2 * interval)
                redis0 = redis_cpu() if runners else 0.0
                hits0, cpu0, own0 = targets.count(), sum(map(tree_cpu, everyone)), own_cpu(process)
                since, wall0 = datetime.now(UTC), time.monotonic()
                time.sleep(seconds)
                hits1, cpu1, own1 = targets.count(), sum(map(tree_cpu, everyone)), own_cpu(process)
                until, wall = datetime.now(UTC), time.monotonic() - wall0
                redis_s = redis_cpu() - redis0 if runners else 0.0
                # With API workers and location workers: their memory too (the 1 GB aim is
                # for the whole serve).
                rss_mb = (
                    sum(p.memory_info().rss for each in everyone for p in [each, *each.children(True)])
                    / 2**20
                )
                cpu = cpu1 - cpu0
                checks = hits1 - hits0
                rng = random.Random(7)
                pages = max(1, monitors // 200)
                api = {
                    "list_50": latencies(
                        client,
                        [
                            f"/api/monitors?page[size]=50&page[number]={rng.randint(1, pages * 4)}"
                            for _ in range(api_requests)
                        ],
                    ),
                    "list_200": latencies(
                        client,
                        [f"/api/monitors?page[number]={rng.randint(1, pages)}" for _ in range(api_requests)],
                    ),
                    "get": latencies(
                        client, [f"/api/monitors/{rng.randint(1, monitors)}" for _ in range(api_requests * 3)]
                    ),
                }
                # The 8 clients share this machine's cores with what they measure: what
                # they and the serve used of them while creating says how far apart they are.
                client0, serve0, wall0 = time.process_time(), sum(map(tree_cpu, everyone)), time.monotonic()
                created_per_s = creation_rate(base, token, team_id, 10.0)
                creating_s = time.monotonic() - wall0
                client_cores = (time.process_time() - client0) / creating_s
                serve_cores = (sum(map(tree_cpu, everyone)) - serve0) / creating_s
        finally:
            for child in (server, *runners):
                child.terminate()
            for child in (server, *runners):
                try:
                    child.wait(60)
                except subprocess.TimeoutExpired:  # still draining long checks: the numbers are in
                    child.kill()
                    child.wait(60)
            if runners:
                forget_keys(f"lookout:queue:{location}:*")
        quality = schedule_quality(data_dir / "lookout.db", since, until, interval)
        return {
            "scenario": f"n{monitors}-{interval}s"
            + (f"-w{workers}" if workers else "")
            + (f"-c{processes}" if processes else "")
            + (f"-lw{location_workers}" if location_workers else ""),
            "monitors": monitors,
            "api_workers": workers,
            "check_processes": processes,
            "location_workers": location_workers,
            "interval_s": interval,
            "seconds": round(wall, 1),
            "checks_per_s": round(checks / wall, 1),
            "asked_per_s": round(monitors / interval, 1),
            **quality,
            "cpu_ms_per_check": round(1000 * cpu / max(checks, 1), 3),
            # The shared queue's Redis server, beside Lookout's processes (not in the above).
            "redis_cpu_ms_per_check": round(1000 * redis_s / max(checks, 1), 3),
            # The engine's own process (its interpreter lock's share): near 1 s a second, it is the ceiling.
            "engine_process_cpu_s_per_s": round((own1 - own0) / wall, 2),
            "rss_mb": round(rss_mb, 1),
            "db_bytes_per_monitor": db_bytes(data_dir / "lookout.db") // monitors,
            "list_50_p50_ms": api["list_50"]["p50_ms"],
            "list_200_p50_ms": api["list_200"]["p50_ms"],
            "get_p50_ms": api["get"]["p50_ms"],
            "get_p99_ms": api["get"]["p99_ms"],
            "creates_per_s": round(created_per_s, 1),
            "creating_client_cores": round(client_cores, 2),
            "creating_serve_cores": round(serve_cores, 2),
        }
    finally:
        targets.stop()


# -- storage on a fast clock -------------------------------------------------------------


# A steady site seen over the internet (no performance warnings): every phase jitters as
# measured ones do, timed to the microsecond as curl times (a bench whose phases were
# constants flattered the packed minutes and hours about twofold).
_PHASES_MS = ((1.5, 0.6), (12.0, 3.0), (25.0, 5.0), (70.0, 12.0), (8.0, 4.0))


def jittered_timings(rng: random.Random) -> Any:
    from lookout.model.result import Timings

    dns, connect, tls, first_byte, download = (
        round(max(0.02, rng.gauss(mean, sd)), 3) for mean, sd in _PHASES_MS
    )
    # curl's total is the phases' sum to within a few microseconds.
    total = round(dns + connect + tls + first_byte + download + rng.randint(0, 30) / 1000, 3)
    return Timings(dns, connect, tls, first_byte, download, total)


def certificate_run(at: datetime, index: int) -> Any:
    """An hourly certificate health run as the check records it now (the facts in its finding)."""
    from lookout.checks.certificate_health.rules import LABELS, item
    from lookout.model.result import CheckResult, Finding, Outcome, Timings

    fingerprint = f"{index:040x}"
    facts = {
        "issuer": "US, Let's Encrypt, R11",
        "domain": f"storage-{index}.example",
        "additional_domains": [f"storage-{index}.example", f"www.storage-{index}.example"],
        "valid_from": "2026-10-01T08:12:44+00:00",
        "valid_until": "2026-12-30T08:12:43+00:00",
        "signature_algorithm": "sha256WithRSAEncryption",
        "fingerprint": fingerprint,
        "fingerprint_sha256": fingerprint * 2,
        "serial_number": "04:a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90:a1",
        "chain_issuers": ["US, Let's Encrypt, R11", "US, Internet Security Research Group, ISRG Root X1"],
        "chains_to_root": True,
        "covers_domain": True,
    }
    details = {
        "host": facts["domain"],
        "port": 443,
        "address": "192.0.2.1",
        "protocol": "TLSv1.3",
        "cipher": "TLS_AES_256_GCM_SHA384",
        "certificate_fingerprint": fingerprint,
        "certificate_checks": [item(check, True) for check in LABELS],
        "verify_error": None,
        "error": None,
    }
    return CheckResult(
        Outcome.SUCCEEDED,
        "Certificate is healthy, valid until 2026-12-30",
        at,
        at,
        timings=Timings(connect_ms=12.0, tls_ms=25.0, total_ms=37.0),
        details=details,
        findings=(Finding(fingerprint, facts),),
    )


def storage_scenario(
    monitors: int, days: int, hourly_days: int | None = None, certificates: bool = False
) -> list[dict[str, Any]]:
    # Imported here so that --engine-only also runs against older trees (a before/after).
    from lookout.checks.registry import CHECKS
    from lookout.engine.database import Database
    from lookout.engine.persist import BatchPersister, Finished
    from lookout.engine.queue.base import Job
    from lookout.engine.settings_cache import SettingsCache
    from lookout.engine.sweeps import HOURLY_ROLLUP_DAYS, RetentionSweep
    from lookout.model.result import CheckResult, Outcome, Timings
    from lookout.store.repositories.engine import engine_store_for

    data_dir = Path(tempfile.mkdtemp(prefix="lookout-storage-"))
    settings = Settings(data_dir=data_dir, run_engine=False)
    token_store = open_store(settings)
    services = build_services(token_store)
    issued = services.tokens.create("storage@example.test", "storage")
    who = services.tokens.authenticate(issued.token)
    made = [
        services.monitors.create(
            who, {"url": f"https://storage-{i}.example", "team_id": issued.team_id, "type": "http"}
        )
        for i in range(monitors)
    ]
    uptime = [(m.monitor.id, next(c.id for c in m.checks if c.type == "uptime")) for m in made]
    certificate_checks = [
        (m.monitor.id, next(c.id for c in m.checks if c.type == "certificate_health")) for m in made
    ]
    store = engine_store_for("sqlite")
    persister = BatchPersister(store, CHECKS, SettingsCache(CHECKS))
    rng = random.Random(11)
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=days)
    clock = {"now": start}
    # The product's hourly retention unless asked for a shorter one (to see days past it
    # coarsened within a few simulated days).
    sweep = RetentionSweep(
        Database(token_store.sessions),
        lambda: clock["now"],
        hourly_rollup_days=hourly_days or HOURLY_ROLLUP_DAYS,
    )
    rows = []
    for day in range(days):
        for minute in range(0, 24 * 60, 10):  # batches of 10 minutes of runs
            finished = []
            for offset in range(10):
                at = start + timedelta(days=day, minutes=minute + offset)
                for monitor_id, check_id in uptime:
                    job = Job(check_id, monitor_id, "uptime", "http", "https://x/", {}, "local", at, 60.0, 2)
                    failed = rng.random() < 0.002
                    timings = jittered_timings(rng) if not failed else Timings()
                    outcome = Outcome.FAILED if failed else Outcome.SUCCEEDED
                    result = CheckResult(
                        outcome,
                        "Up" if not failed else "Down: timed out",
                        at,
                        at,
                        timings=timings,
                        details={
                            "status_code": 200,
                            "final_url": "https://x/",
                            "redirect_count": 0,
                            "remote_ip": "192.0.2.1",
                            "body_truncated": False,
                        },
                    )
                    finished.append(Finished(job, result))
                if certificates and (minute + offset) % 60 == 0:  # the hourly certificate check
                    for index, (monitor_id, check_id) in enumerate(certificate_checks):
                        job = Job(
                            check_id,
                            monitor_id,
                            "certificate_health",
                            "http",
                            "https://x/",
                            {},
                            "local",
                            at,
                            3600.0,
                            2,
                        )
                        finished.append(Finished(job, certificate_run(at, index)))
            clock["now"] = start + timedelta(days=day, minutes=minute + 10)
            with transaction(token_store.sessions) as session:
                persister.persist(session, finished, clock["now"])
            if minute % 60 == 50:
                asyncio.run(sweep.sweep())
        with token_store.sessions() as session:
            kept_runs = session.scalar(select(CheckRun.id).order_by(CheckRun.id.desc()).limit(1))
        size = db_bytes(data_dir / "lookout.db")
        by_table = table_bytes(data_dir / "lookout.db")
        rows.append(
            {
                "scenario": f"storage-{monitors}x{day + 1}d"
                + (f"-h{hourly_days}" if hourly_days else "")
                + ("-certificates" if certificates else ""),
                "monitors": monitors,
                "simulated_days": day + 1,
                "runs_written": (day + 1) * (1440 * 2 + (24 if certificates else 0)) * monitors,
                "last_run_id": kept_runs,
                "db_bytes_per_monitor": size // monitors,
                # Without the instance-wide pages (the schema, tables with no rows here) that
                # the scenario's few monitors share: what each further monitor costs.
                "per_monitor_tables_bytes": sum(by_table.get(name, 0) for name in PER_MONITOR_TABLES)
                // monitors,
                "bytes_per_monitor_by_table": {
                    name: size // monitors for name, size in by_table.items() if size // monitors >= 100
                },
            }
        )
        print_table(rows[-1:])
    # Every day is printed; the first three, each week and the last are kept.
    kept = (1, 2, 3, *range(7, days + 1, 7), days)
    return [row for row in rows if row["simulated_days"] in kept]


# -- output ------------------------------------------------------------------------------


def print_table(rows: list[dict[str, Any]]) -> None:
    keys = [key for key, value in rows[0].items() if not isinstance(value, dict)]
    widths = {k: max(len(k), *(len(str(r.get(k, ""))) for r in rows)) for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for row in rows:
        print("  ".join(str(row.get(k, "")).ljust(widths[k]) for k in keys), flush=True)
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dict):
                print(f"  {row['scenario']} {key}: {value}")


def write_results(rows: list[dict[str, Any]]) -> Path:
    previous: list[dict[str, Any]] = []
    if RESULTS.exists():
        previous = json.loads(RESULTS.read_text()).get("results", [])
    names = {row["scenario"] for row in rows}
    # Machines of the same kind differ by day (2x between two sessions here): say when.
    measured_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [{**row, "measured_at": row.get("measured_at", measured_at)} for row in rows]
    merged = [row for row in previous if row["scenario"] not in names] + rows
    meta = {
        "python": sys.version.split()[0],
        "cpus": multiprocessing.cpu_count(),
        "host": socket.gethostname(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"meta": meta, "results": merged}, indent=2) + "\n")
    return RESULTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One lookout serve on SQLite at scale.")
    parser.add_argument("--monitors", type=int, action="append", help="engine scenario(s); default 10000")
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=150, help="measured window (2+ intervals)")
    parser.add_argument("--api-requests", type=int, default=100)
    parser.add_argument("--days", type=int, default=3, help="simulated days for the storage scenario")
    parser.add_argument("--storage-monitors", type=int, default=100)
    parser.add_argument(
        "--hourly-days", type=int, help="days hourly rollups are kept in the storage scenario (default 31)"
    )
    parser.add_argument("--storage-only", action="store_true")
    parser.add_argument(
        "--certificates",
        action="store_true",
        help="the storage scenario also records an hourly certificate health run per monitor",
    )
    parser.add_argument("--engine-only", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--api-workers", type=int, help="LOOKOUT_API_WORKERS for the serve (default: auto, as lookout serve)"
    )
    parser.add_argument(
        "--location-workers",
        type=int,
        default=0,
        help="run the checks in this many `lookout worker` processes over Redis (LOOKOUT_QUEUE=redis)",
    )
    parser.add_argument(
        "--check-processes", type=int, help="LOOKOUT_CHECK_PROCESSES for the serve (default: the product's)"
    )
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    if not args.storage_only:
        for monitors in args.monitors or [10_000]:
            scenario = engine_scenario(
                monitors,
                args.interval,
                args.seconds,
                args.api_requests,
                args.api_workers,
                args.check_processes,
                args.location_workers,
            )
            rows.append(scenario)
            print_table(rows[-1:])
    if not args.engine_only:
        rows += storage_scenario(args.storage_monitors, args.days, args.hourly_days, args.certificates)
    print()
    engine_rows = [row for row in rows if not row["scenario"].startswith("storage")]
    if engine_rows:
        print_table(engine_rows)
    storage_rows = [row for row in rows if row["scenario"].startswith("storage")]
    if storage_rows:
        print_table(storage_rows)
    if not args.no_write:
        print(f"\nwrote {write_results(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""DNS failover end to end: a real BIND 9 fed by RFC 2136, loopback web servers, Lookout
in-process (engine + failover consumer on SQLite), everything set up with DNSPod form POSTs.

Outages: `--outages` D-Monitors (default 20), each watching its own web server on
127.0.1.N with a backup on 127.0.2.N, checked every `--interval` seconds (default 60, the
real interval; no time factor). Each outage stops its server at a random phase of the
interval and measures the time until BIND's answer for the name is the backup IP, then
starts the server again and measures the time until the answer is the original again.
The outages run at the same time (each on its own name and addresses), so 20 of them take
a few minutes rather than an hour. Each starts after its check's second run: the first
run is at creation, off the check's slot grid, and the next may be 1.5 intervals later.

Flap: one D-Monitor whose server drops every other connection for `--flap-minutes`
simulated minutes (default 30), then serves normally; its checks run every
`--flap-interval` seconds (default 5: a time factor of 60/5 = 12, so 30 simulated minutes
take 150 s). Counted: switches away and back (applied intents), and BIND answer changes.

    .venv/bin/python bench/failover.py [--outages 20] [--interval 60] [--flap-minutes 30]

Prints a table and writes bench/results/failover.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dns.message  # noqa: E402
import dns.query  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import select  # noqa: E402
from tests.failover.sites import Site, free_port  # noqa: E402
from tests.servers.bind import Bind, start_bind  # noqa: E402

from lookout.app import Store, build_services, create_app, open_store  # noqa: E402
from lookout.settings import Settings  # noqa: E402
from lookout.store.tables.failover import FailoverSwitch  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "failover.json"


def answer(bind: Bind, name: str) -> frozenset[str]:
    try:
        response = dns.query.tcp(
            dns.message.make_query(name + ".", "A"), bind.host, port=bind.port, timeout=2
        )
    except Exception:
        return frozenset()
    for rrset in response.answer:
        return frozenset(rdata.to_text() for rdata in rrset)
    return frozenset()


class Lookout:
    """One Lookout with its own SQLite database and BIND zone."""

    def __init__(self, workdir: Path, interval: int | None) -> None:
        self.bind = start_bind(workdir / "bind", zone=f"b{uuid.uuid4().hex[:8]}.test")
        self.settings = Settings(
            database_url=f"sqlite:///{workdir / 'lookout.db'}",
            allow_private_targets=True,
            run_outbox=False,
            dns_update_server=self.bind.server,
            dns_tsig_key_name=self.bind.key_name,
            dns_tsig_algorithm=self.bind.algorithm,
            dns_tsig_secret=self.bind.secret,
            dmonitor_interval_seconds=interval,
            log_level="warning",
        )
        self.store: Store = open_store(self.settings)
        issued = build_services(self.store).tokens.create("bench@example.test", "bench")
        self.token = issued.dnspod_token
        self.client = TestClient(create_app(self.settings, self.store))
        self.client.__enter__()
        self.lock = threading.Lock()
        self.domain_id = self.call("Domain.Create", domain=self.bind.zone)["domain"]["id"]

    def call(self, action: str, **params: Any) -> dict[str, Any]:
        data = {"login_token": self.token, "format": "json", **{k: str(v) for k, v in params.items()}}
        with self.lock:
            body: dict[str, Any] = self.client.post(f"/{action}", data=data).json()
        if body["status"]["code"] != "1":
            raise RuntimeError(f"{action}: {body['status']}")
        return body

    def d_monitor(self, sub: str, original: Site, backup: Site) -> str:
        record_id = self.call(
            "Record.Create",
            domain_id=self.domain_id,
            sub_domain=sub,
            record_type="A",
            record_line="默认",
            value=original.ip,
            ttl=600,
        )["record"]["id"]
        return str(
            self.call(
                "Monitor.Create",
                domain_id=self.domain_id,
                record_id=record_id,
                port=original.port,
                monitor_type="http",
                monitor_path="/",
                monitor_interval=60,
                points="ctc",
                bak_ip=backup.ip,
                host=f"{sub}.{self.bind.zone}",
                keep_ttl="no",
            )["monitor"]["monitor_id"]
        )

    def wait_checks(self, monitor_id: str, runs: int, timeout: float) -> None:
        """Until the monitor's check ran `runs` times: the first run is at creation, off the
        check's slot grid; from the second on it runs every interval."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            history = self.call("Monitor.Gethistory", monitor_id=monitor_id, hours=1)["monitor_history"]
            if len(history[0]["data"]["data"]) >= runs:
                return
            time.sleep(0.5)
        raise RuntimeError(f"monitor {monitor_id} did not run {runs} times")

    def switches(self, monitor_id: str) -> list[str]:
        with self.store.sessions() as session:
            return list(
                session.scalars(
                    select(FailoverSwitch.log)
                    .where(FailoverSwitch.d_monitor_id == int(monitor_id), FailoverSwitch.status == "applied")
                    .order_by(FailoverSwitch.id)
                )
            )

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.bind.stop()


def wait_answer(bind: Bind, name: str, wanted: frozenset[str], timeout: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if answer(bind, name) == wanted:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def outage(lookout: Lookout, index: int, interval: int, port: int, out: dict[str, Any]) -> None:
    original, backup = Site(f"127.0.1.{index + 1}", port), Site(f"127.0.2.{index + 1}", port)
    original.start()
    backup.start()
    sub = f"www{index + 1}"
    name = f"{sub}.{lookout.bind.zone}"
    try:
        monitor_id = lookout.d_monitor(sub, original, backup)
        lookout.wait_checks(monitor_id, 2, interval * 3 + 30)
        time.sleep(random.uniform(0, interval))  # a random phase of the check interval
        original.stop()
        away = wait_answer(lookout.bind, name, frozenset({backup.ip}), interval * 4 + 60)
        time.sleep(random.uniform(0, interval / 4))
        original.start()
        back = wait_answer(lookout.bind, name, frozenset({original.ip}), interval * 4 + 60)
        out.update(away_s=away, back_s=back, switches=lookout.switches(monitor_id))
    except Exception as exc:  # reported, not fatal to the other outages
        out.update(error=repr(exc))
    finally:
        original.stop()
        backup.stop()


def flap(lookout: Lookout, interval: int, minutes: float, port: int, out: dict[str, Any]) -> None:
    original, backup = Site("127.0.3.1", port), Site("127.0.3.2", port)
    original.start()
    backup.start()
    name = f"flap.{lookout.bind.zone}"
    try:
        monitor_id = lookout.d_monitor("flap", original, backup)
        lookout.wait_checks(monitor_id, 2, interval * 3 + 30)
        real_seconds = minutes * 60 * interval / 60
        original.flap = True
        changes, last = 0, answer(lookout.bind, name)
        started = time.monotonic()
        while time.monotonic() - started < real_seconds:
            now = answer(lookout.bind, name)
            if now != last:
                changes, last = changes + 1, now
            time.sleep(0.25)
        original.flap = False
        served = original.hits
        # After the flapping ends: give the way back time to happen (if it went away at all).
        settle = time.monotonic()
        while time.monotonic() - settle < interval * 3 + 30:
            now = answer(lookout.bind, name)
            if now != last:
                changes, last = changes + 1, now
            time.sleep(0.25)
        switches = lookout.switches(monitor_id)
        out.update(
            real_seconds=round(real_seconds, 1),
            simulated_minutes=minutes,
            requests_during_flap=served,
            answer_changes=changes,
            switches_away=sum(1 for line in switches if "switched to" in line),
            switches_back=sum(1 for line in switches if "up again" in line),
            switch_log=switches,
            final_answer=sorted(last),
        )
    except Exception as exc:
        out.update(error=repr(exc))
    finally:
        original.stop()
        backup.stop()


def stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median_s": None, "max_s": None, "min_s": None}
    return {
        "median_s": round(statistics.median(values), 2),
        "max_s": round(max(values), 2),
        "min_s": round(min(values), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--outages", type=int, default=20)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--flap-interval", type=int, default=5)
    parser.add_argument("--flap-minutes", type=float, default=30)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    random.seed(10)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "outages" / "bind").mkdir(parents=True)
        (work / "flap" / "bind").mkdir(parents=True)
        # The real interval: no override unless asked for a shorter one.
        outages_lookout = Lookout(work / "outages", None if args.interval == 60 else args.interval)
        flap_lookout = Lookout(work / "flap", args.flap_interval)
        port = free_port()
        results: list[dict[str, Any]] = [{} for _ in range(args.outages)]
        flapped: dict[str, Any] = {}
        threads = [
            threading.Thread(target=outage, args=(outages_lookout, i, args.interval, port, results[i]))
            for i in range(args.outages)
        ]
        threads.append(
            threading.Thread(
                target=flap, args=(flap_lookout, args.flap_interval, args.flap_minutes, port, flapped)
            )
        )
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        outages_lookout.close()
        flap_lookout.close()
    away = [r["away_s"] for r in results if r.get("away_s") is not None]
    back = [r["back_s"] for r in results if r.get("back_s") is not None]
    report = {
        "bench": "failover",
        "setup": {
            "dns": "BIND 9 (named) on loopback, RFC 2136 updates signed with TSIG (hmac-sha256)",
            "lookout": "in-process, SQLite, engine + failover consumer (poll 1 s), outbox off",
            "outage_interval_s": args.interval,
            "outage_time_factor": 60 / args.interval,
            "flap_interval_s": args.flap_interval,
            "flap_time_factor": 60 / args.flap_interval,
            "record_ttl": 600,
            "keep_ttl": "no (60 s during a switch)",
        },
        "outages": {
            "count": args.outages,
            "measured": len(away),
            "stop_to_answer_changed": stats(away),
            "return_to_answer_back": stats(back),
            "aim_s": args.interval + 10,
            "errors": [r["error"] for r in results if "error" in r],
            "missed": sum(1 for r in results if r.get("away_s") is None or r.get("back_s") is None),
        },
        "flap": flapped,
        "wall_seconds": round(wall, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    o = report["outages"]
    print(f"failover bench ({args.outages} outages at a {args.interval} s interval; wall {wall:.0f} s)")
    print(f"{'':32} {'median':>8} {'max':>8} {'min':>8}   aim")
    for label, key in (
        ("stop -> BIND answers backup", "stop_to_answer_changed"),
        ("return -> BIND answers original", "return_to_answer_back"),
    ):
        s = o[key]
        print(f"{label:32} {s['median_s']!s:>8} {s['max_s']!s:>8} {s['min_s']!s:>8}   <= {o['aim_s']} s")
    print(f"missed: {o['missed']}  errors: {o['errors']}")
    print(
        f"flap ({args.flap_minutes} simulated min, interval {args.flap_interval} s): "
        f"switches away {flapped.get('switches_away')}, back {flapped.get('switches_back')}, "
        f"BIND answer changes {flapped.get('answer_changes')}, error {flapped.get('error')}"
    )
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()

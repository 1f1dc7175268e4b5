"""Compact storage (migration 0021): hours packed a day to a row, run details deflated.

The byte formats round-trip; stored hourly rollups and JSON details convert on upgrade (and
back on downgrade) and read the same, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import zlib
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import sqlalchemy as sa
from alembic import command

from lookout.store import hour_blob, packed_json
from lookout.store.db import UtcDateTime, create_db_engine, make_session_factory
from lookout.store.entries import added_up
from lookout.store.migrate import alembic_config, upgrade_to_head
from lookout.store.repositories import runs as runs_repo
from tests.engine.seed import add_monitor


def _random_hour(rng: random.Random) -> hour_blob.Hour:
    runs = rng.choice([1, 12, 60, 61, 3600])
    failed, timed = rng.randint(0, runs), rng.randint(0, runs)
    up = rng.choice([0, hour_blob.HOUR_US, rng.randint(0, 2 * hour_blob.HOUR_US)])
    down = rng.choice([0, rng.randint(0, hour_blob.HOUR_US), -rng.randint(1, 9)])
    if timed == 0:
        return (runs, failed, 0, up, down, 0, None, None, 0, 0, 0, 0, 0)
    phases = [rng.choice([0, rng.randint(0, 10**10), -rng.randint(1, 500)]) for _ in range(5)]
    total = sum(phases) + rng.choice([0, 3, -7, rng.randint(-(10**9), 10**9)])
    low, high = sorted(rng.randint(-1000, 10**8) for _ in range(2))
    return (runs, failed, timed, up, down, total, low, high, *phases)  # type: ignore[return-value]


def test_every_hour_round_trips() -> None:
    rng = random.Random(21)
    hours = [(offset, _random_hour(rng)) for offset in range(24) for _ in range(30)]
    data = b"".join(hour_blob.encode(offset, hour) for offset, hour in hours)
    assert list(hour_blob.decode(20_000, data)) == [(20_000 * 24 + offset, hour) for offset, hour in hours]


def test_a_steady_hour_takes_about_thirty_bytes() -> None:
    # 60 runs of 120 ms (curl's total = its phases), up all hour.
    steady = (60, 0, 60, hour_blob.HOUR_US, 0, 7_200_000, 110_000, 131_000, 120_000, 600_000, 1_200_000)
    entry = hour_blob.encode(13, (*steady, 4_800_000, 480_000))
    assert len(entry) <= 31
    # Down all hour: the down time takes five bytes.
    assert len(hour_blob.encode(13, (60, 60, 0, 0, hour_blob.HOUR_US, 0, None, None, 0, 0, 0, 0, 0))) == 10


def test_entries_of_one_hour_merge() -> None:
    into: list[int | None] = [1, 0, 1, 60, 0, 100, 100, 100, 1, 2, 3, 4, 90]
    hour_blob.merge(into, (2, 1, 1, 30, 90, 50, 50, 50, 1, 1, 1, 1, 46))
    assert into == [3, 1, 2, 90, 90, 150, 50, 100, 2, 3, 4, 5, 136]
    hour_blob.merge(into, hour_blob.EMPTY)
    assert into == [3, 1, 2, 90, 90, 150, 50, 100, 2, 3, 4, 5, 136]


def test_a_coarsened_day_is_its_hours_added_up() -> None:
    rng = random.Random(5)
    hours = [(offset, _random_hour(rng)) for offset in range(24)]
    data = b"".join(hour_blob.encode(offset, hour) for offset, hour in hours)
    expected = list(hours[0][1])
    for _, hour in hours[1:]:
        hour_blob.merge(expected, hour)
    coarse = hour_blob.coarsen(20_000, data)
    assert coarse is not None and len(coarse) < len(data) / 10
    assert list(hour_blob.decode(20_000, coarse)) == [(20_000 * 24, tuple(expected))]
    assert hour_blob.coarsen(20_000, coarse) is None  # one entry already


def _merged(day: int, data: bytes) -> dict[int, list[int | None]]:
    return added_up(hour_blob.decode(day, data), hour_blob.merge)


def test_a_packed_day_reads_as_its_entries_did() -> None:
    rng = random.Random(13)
    packed = 0
    for _ in range(400):
        entries = [(rng.randrange(24), _random_hour(rng)) for _ in range(rng.randint(1, 40))]
        data = b"".join(hour_blob.encode(offset, hour) for offset, hour in entries)
        block = hour_blob.pack(20_000, data)
        if block is None:
            continue
        packed += 1
        assert len(block) < len(data)
        assert _merged(20_000, block) == _merged(20_000, data)
        assert hour_blob.pack(20_000, block) is None  # one block already
        # An hour folded in late is an ordinary entry after the block.
        late = hour_blob.encode(rng.randrange(24), _random_hour(rng))
        assert _merged(20_000, block + late) == _merged(20_000, data + late)
        # Past the hourly retention a packed day is coarsened like any other.
        assert hour_blob.coarsen(20_000, block) == hour_blob.coarsen(20_000, data)
    assert packed > 100


def test_a_jittered_day_packs_to_the_bits_its_spread_needs() -> None:
    # 60 runs an hour, every phase jittering as measured ones do (bench/scale.py).
    rng = random.Random(2)
    data = b""
    for offset in range(24):
        runs = [
            [round(max(20.0, rng.gauss(mean, sd))) for mean, sd in _JITTERED_PHASES_US] for _ in range(60)
        ]
        totals = [sum(phases) + rng.randint(0, 30) for phases in runs]
        sums = [sum(column) for column in zip(*runs, strict=True)]
        hour = (60, 0, 60, hour_blob.HOUR_US, 0, sum(totals), min(totals), max(totals), *sums)
        data += hour_blob.encode(offset, hour)  # type: ignore[arg-type]
    block = hour_blob.pack(20_000, data)
    assert block is not None
    assert len(data) > 24 * 29 and len(block) < 24 * 19
    assert _merged(20_000, block) == _merged(20_000, data)


_JITTERED_PHASES_US = ((1_500, 600), (12_000, 3_000), (25_000, 5_000), (70_000, 12_000), (8_000, 4_000))


@pytest.mark.parametrize(
    "details",
    [
        {"status_code": 200, "final_url": "https://x/", "redirect_count": 0, "remote_ip": "192.0.2.1"},
        {"total_ms": 124.68576593810182, "threshold_in_ms": 3500, "recent_average_ms": None},
        {"nested": {"a": [1, 2.5, None, "é\u0000"]}, "big": 2**63 - 1},
        {},
    ],
)
def test_details_pack_and_old_json_reads_the_same(details: dict[str, object]) -> None:
    packed = packed_json.pack(details)
    assert packed[:1] == b"\x01" and packed_json.unpack(packed) == details
    assert packed_json.unpack(orjson.dumps(details)) == details  # a row converted by 0021
    assert packed_json.unpack(orjson.dumps(details).decode()) == details


def test_http_details_take_a_fifth() -> None:
    details = {
        "status_code": 200,
        "final_url": "https://www.example.com/",
        "redirect_count": 0,
        "remote_ip": "93.184.216.34",
        "body_truncated": False,
    }
    assert len(packed_json.pack(details)) * 3 < len(orjson.dumps(details))


def test_certificate_details_pack_with_their_own_dictionary() -> None:
    from lookout.checks.certificate_health.rules import LABELS, item

    details = {
        "host": "www.example-shop.com",
        "port": 443,
        "address": "93.184.216.34",
        "protocol": "TLSv1.3",
        "cipher": "TLS_AES_256_GCM_SHA384",
        "certificate_fingerprint": "3f2a9c0d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        "certificate_checks": [item(check, check.value != "expiresSoon") for check in LABELS],
        "verify_error": None,
        "error": None,
    }
    packed = packed_json.pack(details)
    assert packed[:1] == b"\x02" and packed_json.unpack(packed) == details
    # 653 bytes with the dictionary of the frequent checks; the fingerprint is most of it.
    assert len(packed) < 110
    # A details dict of the old shape (the facts inline) packed under format 1 still reads.
    old = {**details, "certificate": {"issuer": "R11", "fingerprint": "ab"}}
    assert packed_json.unpack(b"\x01" + _deflate_format_1(old)) == old


def test_long_details_use_a_window_that_reaches_their_repeats() -> None:
    # A DNS run: each of four nameservers' raw lines repeat the others' (A14's raw records).
    records = [
        ("A", "93.184.216.34"),
        ("AAAA", "2606:2800:220:1:248:1893:25c8:1946"),
        ("MX", "10 mail1.example-shop.com."),
        ("NS", "ns1.dnsprovider.net."),
        ("TXT", '"v=spf1 include:_spf.google.com include:mailgun.org ~all"'),
        ("CAA", '0 issue "letsencrypt.org"'),
        ("SOA", "ns1.dnsprovider.net. hostmaster.example-shop.com. 2026113001 7200 3600 1209600 300"),
    ]
    details = {
        "authoritative_nameservers": [f"ns{i}.dnsprovider.net" for i in range(1, 5)],
        "dns_records": [
            {"host": "example-shop.com", "ttl": 3600, "class": "IN", "type": kind, "value": value}
            for kind, value in records
        ],
        "raw_dns_records": {
            f"ns{i}.dnsprovider.net": [f"example-shop.com. 3600 IN {kind} {value}" for kind, value in records]
            for i in range(1, 5)
        },
        "issues": [],
    }
    packed = packed_json.pack(details)
    assert packed[:1] == b"\x03" and packed_json.unpack(packed) == details
    # Format 1's 512-byte window cannot reach one nameserver's lines from the next one's.
    assert len(packed) * 2 < len(_deflate_format_1(details))


def _deflate_format_1(value: object) -> bytes:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, -9, 1, zlib.Z_DEFAULT_STRATEGY, packed_json._DICTIONARY_1)
    return squeeze.compress(orjson.dumps(value)) + squeeze.flush()


T0 = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
_OLD_ROLLUPS = sa.table(
    "uptime_rollups",
    *(sa.column(name, sa.Integer()) for name in ("check_id", "runs", "failed_runs", "timed_runs")),
    sa.column("bucket", sa.String()),
    sa.column("bucket_start", UtcDateTime()),
    *(sa.column(f"{name}_seconds", sa.Float()) for name in ("up", "down")),
    *(
        sa.column(f"{kind}_{name}_ms", sa.Float())
        for kind, name in [("sum", "total"), ("min", "total"), ("max", "total")]
        + [("sum", p) for p in ("dns", "connect", "tls", "first_byte", "download")]
    ),
)
_OLD_RUNS = sa.table(
    "check_runs",
    *(sa.column(name, sa.Integer()) for name in ("check_id", "monitor_id", "slot")),
    *(sa.column(name, sa.String()) for name in ("result", "summary", "location")),
    *(sa.column(name, UtcDateTime()) for name in ("started_at", "ended_at")),
    sa.column("total_ms", sa.Float()),
    sa.column("details", sa.JSON()),
)


def _hour(
    check_id: int, bucket: str, at: datetime, runs: int, down: float, total: float
) -> dict[str, object]:
    return {
        "check_id": check_id,
        "bucket": bucket,
        "bucket_start": at,
        "runs": runs,
        "failed_runs": 1 if down else 0,
        "timed_runs": runs,
        "up_seconds": 60.0 * runs - down,
        "down_seconds": down,
        "sum_total_ms": total,
        "min_total_ms": 100.125,
        "max_total_ms": 140.5,
        "sum_dns_ms": 1.5 * runs,
        "sum_connect_ms": 2.0 * runs,
        "sum_tls_ms": 0.0,
        "sum_first_byte_ms": total - 5.5 * runs,
        "sum_download_ms": 2.0 * runs,
    }


def test_the_migration_converts_hours_and_details_both_ways(empty_url: str) -> None:
    engine = create_db_engine(empty_url)
    config = alembic_config(engine)
    command.upgrade(config, "0020")
    ids = add_monitor(make_session_factory(engine), "https://old.example", "http", {"uptime": {}})
    uptime = ids["uptime"]
    details = {"status_code": 200, "final_url": "https://old.example/", "remote_ip": "192.0.2.7"}
    with engine.begin() as connection:
        connection.execute(
            sa.insert(_OLD_ROLLUPS),
            [
                _hour(uptime, "hour", T0, 60, 0.0, 7200.25),
                _hour(uptime, "hour", T0 + timedelta(hours=1), 30, 120.0, 3600.5),
                _hour(uptime, "day", T0.replace(hour=0), 90, 120.0, 10800.75),
                _hour(uptime, "hour", T0 + timedelta(hours=2), 60, 0.0, 7000.0),
                _hour(uptime, "day", T0.replace(hour=0) + timedelta(days=1), 60, 0.0, 7000.0),
            ],
        )
        connection.execute(
            sa.insert(_OLD_RUNS),
            {
                "check_id": uptime,
                "monitor_id": ids["monitor"],
                "slot": 0,
                "result": "succeeded",
                "summary": "Up",
                "location": "local",
                "started_at": T0,
                "ended_at": T0,
                "total_ms": 120.0,
                "details": details,
            },
        )
    engine.dispose()

    def read() -> tuple[object, ...]:
        factory = make_session_factory(engine)
        with factory() as session:
            end = T0 + timedelta(days=2)
            (run,), _ = runs_repo.runs_page(session, uptime)
            return (
                runs_repo.uptime_series(session, [uptime], T0 - timedelta(days=1), end, "hour"),
                runs_repo.uptime_series(session, [uptime], T0 - timedelta(days=1), end, "day"),
                runs_repo.metrics(session, uptime, T0 - timedelta(days=1), end, "hour"),
                runs_repo.metrics(session, uptime, T0 - timedelta(days=1), end, "day"),
                run.details,
            )

    upgrade_to_head(engine)
    hourly, daily, hour_points, day_points, stored = read()
    assert stored == details
    assert hourly == [
        (T0, 100.0),
        (T0 + timedelta(hours=1), pytest.approx(93.3333)),
        (T0 + timedelta(hours=2), 100.0),
    ]
    assert [(p.date, p.runs, p.down_seconds) for p in day_points] == [
        (T0.replace(hour=0), 90, 120.0),
        (T0.replace(hour=0) + timedelta(days=1), 60, 0.0),
    ]
    assert daily[0] == (T0.replace(hour=0), round(100 * 5280 / 5400, 4))
    first = hour_points[0]
    assert (first.runs, first.minimum_total_ms, first.maximum_total_ms) == (60, 100.125, 140.5)
    assert first.average_total_ms == pytest.approx(7200.25 / 60) and first.average_dns_ms == 1.5
    assert day_points[0].average_total_ms == pytest.approx(10800.75 / 90)

    command.downgrade(config, "0020")
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(_OLD_ROLLUPS.c.bucket, _OLD_ROLLUPS.c.runs, _OLD_ROLLUPS.c.sum_total_ms).order_by(
                _OLD_ROLLUPS.c.bucket, _OLD_ROLLUPS.c.bucket_start
            )
        ).all()
        assert [tuple(row) for row in rows] == [
            ("day", 90, pytest.approx(10800.75)),
            ("day", 60, 7000.0),
            ("hour", 60, 7200.25),
            ("hour", 30, 3600.5),
            ("hour", 60, 7000.0),
        ]
        assert connection.execute(sa.select(_OLD_RUNS.c.details)).scalar_one() == details
    engine.dispose()
    upgrade_to_head(engine)
    assert read() == (hourly, daily, hour_points, day_points, details)
    engine.dispose()

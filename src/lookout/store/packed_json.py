"""JSON kept deflated: the column type of `check_runs.details`.

A run's details are half of its row (an http uptime run's are about 110 bytes of JSON, a
performance run's about 115) and a check keeps a hundred successful runs. Raw deflate with
a preset dictionary of the keys checks write takes an http uptime run's details to about 20
bytes and a performance run's to about 50, in about 4 µs (a 512-byte window and the
smallest memory level: a default compressor allocates some 250 KB per call and costs 100 µs).

Stored values are bytes: `1` then deflate with dictionary 1, or JSON text as it was before
(a row converted by migration 0021 starts with `{`), so rows of either form read back as the
same dict. The dictionary of a format byte never changes: new keys need a new format byte.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

_FORMAT_1 = 1
# Keys and fragments checks write, most common last (deflate reaches the end soonest).
_DICTIONARY_1 = (
    b'"address":"packets_sent":"packets_received":"packet_loss_percentage":"min_rtt_ms":'
    b'"avg_rtt_ms":"max_rtt_ms":"port":"problems":[],"error_kind":"url":"https://'
    b'{"total_ms":,"threshold_in_ms":,"recent_average_ms":null,"change_percentage":null}'
    b'{"status_code":200,"final_url":"https://","redirect_count":0,"remote_ip":"","body_truncated":false}'
)


def pack(value: Any) -> bytes:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, -9, 1, zlib.Z_DEFAULT_STRATEGY, _DICTIONARY_1)
    return bytes((_FORMAT_1,)) + squeeze.compress(orjson.dumps(value)) + squeeze.flush()


def unpack(data: bytes | str) -> Any:
    if isinstance(data, str):
        return orjson.loads(data)
    if data[:1] == b"\x01":
        return orjson.loads(zlib.decompressobj(-9, _DICTIONARY_1).decompress(data[1:]))
    return orjson.loads(data)


class PackedJSON(TypeDecorator[Any]):
    """A JSON document stored deflated (see the module); reads rows of the old JSON text too."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else pack(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else unpack(value)

"""JSON kept deflated: the column type of `check_runs.details`.

A run's details are half of its row (an http uptime run's are about 110 bytes of JSON, a
performance run's about 115) and a check keeps a hundred successful runs. Raw deflate with
a preset dictionary of the keys checks write takes an http uptime run's details to about 20
bytes and a performance run's to about 50, in about 4 µs (a 512-byte window and the
smallest memory level: a default compressor allocates some 250 KB per call and costs 100 µs).

Stored values are bytes: a format byte then deflate with that format's dictionary, or JSON
text as it was before (a row converted by migration 0021 starts with `{`), so rows of any
form read back as the same dict. The dictionary of a format byte never changes: new keys
need a new format byte.

- Format 1, the keys of the frequent checks (uptime, performance, ping, tcp), 512-byte window.
- Format 2, a certificate health run's details (they hold `certificate_checks`): its keys and
  the fourteen checks as the check writes them, 2 KB window. An hourly check keeps a
  hundred runs; their details took 653 bytes under format 1 and take about 100 (20 µs).
- Format 3, any other document longer than format 1's window: dictionary 1 with a 32 KB
  window, so a repeat farther back than 512 bytes is matched too. A DNS run whose 14
  records came from 4 nameservers (each one's raw lines repeat the others') is 5,375 bytes
  of JSON: 1,929 under format 1, 559 under format 3 (about 50 µs).
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


_FORMAT_2 = 2
_DICTIONARY_2 = (
    b'{"host":"","port":443,"address":"","protocol":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384",'
    b'"certificate_fingerprint":"","certificate_checks":[{'
    b'"type":"notFound","label":"Certificate is present","passed":true},{'
    b'"type":"expiresSoon","label":"Will not expire soon","passed":true},{'
    b'"type":"coversWrongDomain","label":"Covers the right domain","passed":true},{'
    b'"type":"doesNotConnectWithRootCertificate",'
    b'"label":"Connects with a known root certificate","passed":true},{'
    b'"type":"notYetActive","label":"Is currently active","passed":true},{'
    b'"type":"isSelfSigned","label":"Is not self-signed","passed":true},{'
    b'"type":"usesInvalidHash","label":"Uses a valid hashing algorithm","passed":true},{'
    b'"type":"hasExpired","label":"Has not expired","passed":true},{'
    b'"type":"hasChanged","label":"Unchanged since last checked","passed":true},{'
    b'"type":"lifetimeTooLong","label":"Certificate is not valid for too long","passed":true},{'
    b'"type":"couldNotConnectToHost","label":"Could not connect to host","passed":true},{'
    b'"type":"hostDoesNotExist","label":"Host does not exist","passed":true},{'
    b'"type":"noCertificateInstalled","label":"No certificate installed","passed":true},{'
    b'"type":"couldNotDownloadCertificate","label":"Could not download certificate","passed":true}],'
    b'"verify_error":null,"error":null}'
)
_FORMAT_3 = 3
_FORMAT_1_WINDOW_BITS = 9
# (window bits, memory level, dictionary) of each format, raw deflate: the small window and
# memory level keep format 1, the writer's hot path, at about 4 µs a run.
_FORMATS = {
    _FORMAT_1: (-_FORMAT_1_WINDOW_BITS, 1, _DICTIONARY_1),
    _FORMAT_2: (-11, 1, _DICTIONARY_2),
    _FORMAT_3: (-15, 8, _DICTIONARY_1),
}


def pack(value: Any) -> bytes:
    text = orjson.dumps(value)
    if isinstance(value, dict) and "certificate_checks" in value:
        form = _FORMAT_2
    else:
        form = _FORMAT_3 if len(text) > 1 << _FORMAT_1_WINDOW_BITS else _FORMAT_1
    window, memory, dictionary = _FORMATS[form]
    squeeze = zlib.compressobj(6, zlib.DEFLATED, window, memory, zlib.Z_DEFAULT_STRATEGY, dictionary)
    return bytes((form,)) + squeeze.compress(text) + squeeze.flush()


def unpack(data: bytes | str) -> Any:
    if isinstance(data, str):
        return orjson.loads(data)
    form = _FORMATS.get(data[0]) if data else None
    if form is not None:
        window, _, dictionary = form
        return orjson.loads(zlib.decompressobj(window, dictionary).decompress(data[1:]))
    return orjson.loads(data)


class PackedJSON(TypeDecorator[Any]):
    """A JSON document stored deflated (see the module); reads rows of the old JSON text too."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else pack(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else unpack(value)

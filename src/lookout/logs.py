"""One logging set-up for every part of the process: readable lines, or JSON lines.

`LOOKOUT_LOG_LEVEL` sets the level of Lookout's own loggers (and uvicorn's), and
`LOOKOUT_LOG_FORMAT=json` turns each record into one JSON object with its `extra=` fields
(a state change carries monitor_id, check_id, kind, from_status, to_status, reason), so a log
shipper needs no parsing rules. Secrets never reach a record: settings are logged through
`describe_settings`, which leaves them out.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

LEVELS = {"critical", "error", "warning", "info", "debug"}
FORMATS = {"text", "json"}

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "info", fmt: str = "text") -> None:
    """Install one handler on the root logger, on stderr; safe to call twice."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries stay at warning unless asked for debug; our own loggers follow the level.
    for noisy in ("sqlalchemy", "alembic", "asyncio", "httpx", "httpcore", "aiosmtplib", "apprise"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # uvicorn installs its own handlers unless given a config; route them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uv = logging.getLogger(name)
        uv.handlers.clear()
        uv.propagate = True


SECRET_WORDS = ("password", "secret", "token", "key")


def describe_settings(values: dict[str, Any]) -> dict[str, Any]:
    """The settings worth logging at start: secrets out, credentials in URLs masked."""
    shown: dict[str, Any] = {}
    for name, value in values.items():
        if any(word in name for word in SECRET_WORDS):
            shown[name] = "***" if value else None
        elif isinstance(value, str) and "://" in value:
            shown[name] = masked_url(value)
        else:
            shown[name] = value
    return shown


def masked_url(url: str) -> str:
    """`scheme://user:password@host/db` as `scheme://***@host/db`; other URLs unchanged."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    return f"{scheme}://***@{rest.split('@', 1)[1]}"

"""ORM tables, one module per aggregate. Importing this package registers them all."""

from lookout.store.tables.identity import ApiToken, Membership, Team, User
from lookout.store.tables.monitor import Check, Monitor, MonitorTag, Tag
from lookout.store.tables.runs import (
    CheckRun,
    CheckState,
    DowntimePeriod,
    Finding,
    MinuteRollup,
    Snooze,
    StateChange,
    UptimeRollup,
)

__all__ = [
    "ApiToken",
    "Check",
    "CheckRun",
    "CheckState",
    "DowntimePeriod",
    "Finding",
    "Membership",
    "MinuteRollup",
    "Monitor",
    "MonitorTag",
    "Snooze",
    "StateChange",
    "Tag",
    "Team",
    "UptimeRollup",
    "User",
]

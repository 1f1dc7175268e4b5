"""ORM tables, one module per aggregate. Importing this package registers them all."""

from typing import cast

from sqlalchemy import Table

from lookout.store.tables.app_checks import (
    AppHealthCheck,
    AppHealthResult,
    AppHealthSnooze,
    DomainRegistration,
)
from lookout.store.tables.counts import TeamMonitorCount
from lookout.store.tables.cron import CronCheck, CronCheckSnooze
from lookout.store.tables.dns import DMonitor, DMonitorDown, DnsDomain, DnsRecord
from lookout.store.tables.failover import (
    FailoverCallback,
    FailoverCallbackAttempt,
    FailoverClaim,
    FailoverCursor,
    FailoverSwitch,
)
from lookout.store.tables.identity import ApiToken, Membership, Team, User
from lookout.store.tables.maintenance import (
    MaintenancePeriod,
    RecurringMaintenancePeriod,
    TagGroup,
    TagGroupTag,
)
from lookout.store.tables.monitor import Check, Monitor, MonitorTag, Tag
from lookout.store.tables.notifications import (
    MonitorNotificationLimit,
    NotificationDelivery,
    NotificationDestination,
    NotificationMessage,
)
from lookout.store.tables.reports import RunReport
from lookout.store.tables.runs import (
    CheckRun,
    CheckState,
    DowntimePeriod,
    Finding,
    MinuteRollup,
    Snooze,
    StateChange,
    UptimeDay,
    UptimeHour,
)

# Ids that leave the process are never handed out twice. SQLite otherwise gives the id of
# a deleted row (a monitor, a check, a run) to the next insert, and a run in flight for the
# deleted check would land in its successor's history; PostgreSQL sequences never go back.
KEEPS_ITS_IDS = (
    User,
    Team,
    ApiToken,
    Monitor,
    Check,
    Tag,
    CheckRun,
    StateChange,
    Finding,
    DowntimePeriod,
    Snooze,
    TagGroup,
    MaintenancePeriod,
    RecurringMaintenancePeriod,
    DnsDomain,
    DnsRecord,
    DMonitor,
    DMonitorDown,
    NotificationDestination,
    NotificationMessage,
    NotificationDelivery,
    AppHealthCheck,
    AppHealthResult,
    AppHealthSnooze,
    CronCheck,
    CronCheckSnooze,
)
for _table in KEEPS_ITS_IDS:
    cast(Table, _table.__table__).dialect_options["sqlite"]["autoincrement"] = True

__all__ = [
    "AppHealthCheck",
    "AppHealthResult",
    "AppHealthSnooze",
    "DomainRegistration",
    "ApiToken",
    "Check",
    "CheckRun",
    "CheckState",
    "CronCheck",
    "CronCheckSnooze",
    "DMonitor",
    "TeamMonitorCount",
    "DMonitorDown",
    "DnsDomain",
    "DnsRecord",
    "DowntimePeriod",
    "FailoverCallback",
    "FailoverCallbackAttempt",
    "FailoverClaim",
    "FailoverCursor",
    "FailoverSwitch",
    "Finding",
    "MaintenancePeriod",
    "Membership",
    "MinuteRollup",
    "Monitor",
    "MonitorNotificationLimit",
    "MonitorTag",
    "NotificationDelivery",
    "NotificationDestination",
    "NotificationMessage",
    "RecurringMaintenancePeriod",
    "RunReport",
    "Snooze",
    "StateChange",
    "Tag",
    "TagGroup",
    "TagGroupTag",
    "Team",
    "UptimeDay",
    "UptimeHour",
    "User",
]

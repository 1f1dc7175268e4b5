"""ORM tables, one module per aggregate. Importing this package registers them all."""

from lookout.store.tables.identity import ApiToken, Membership, Team, User
from lookout.store.tables.monitor import Check, Monitor, MonitorTag, Tag

__all__ = ["ApiToken", "Check", "Membership", "Monitor", "MonitorTag", "Tag", "Team", "User"]

"""Tag groups, and maintenance windows: one-off periods and recurring weekly/daily/monthly windows.

One-off periods are stored as UTC instants. Recurring windows are wall-clock times in the
team's time zone (`teams.timezone`), expanded into instants when asked (`model/maintenance.py`),
so a window at 02:00 stays at 02:00 local time across a daylight-saving change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lookout.store.db import Base, UtcDateTime


class TagGroup(Base):
    __tablename__ = "tag_groups"
    __table_args__ = (Index("ix_tag_groups_team_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TagGroupTag(Base):
    __tablename__ = "tag_group_tags"

    tag_group_id: Mapped[int] = mapped_column(
        ForeignKey("tag_groups.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class MaintenancePeriod(Base):
    """A one-off window [starts_at, ends_at) in UTC."""

    __tablename__ = "maintenance_periods"
    __table_args__ = (Index("ix_maintenance_periods_monitor_ends", "monitor_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecurringMaintenancePeriod(Base):
    """A window repeated daily, on some weekdays (ISO 1 = Monday) or on a day of the month,
    from `start_time` to `end_time` ("HH:MM", team time zone; an end at or before the start
    ends the next day)."""

    __tablename__ = "recurring_maintenance_periods"
    __table_args__ = (Index("ix_recurring_maintenance_periods_monitor_id", "monitor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    recurrence_type: Mapped[str] = mapped_column(String(16))
    start_time: Mapped[str] = mapped_column(String(5))
    end_time: Mapped[str] = mapped_column(String(5))
    days_of_week: Mapped[list[int]] = mapped_column(JSON, default=list)
    day_of_month: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

"""Tag groups, maintenance windows

Tag groups gather a team's tags (notification destinations can address a group). One-off
maintenance periods are UTC instants; recurring windows are wall-clock times in the team's
time zone (`teams.timezone`, already there since 0001).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lookout.store.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tag_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("created_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.Column("updated_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_tag_groups_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_groups")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_tag_groups_team_id", "tag_groups", ["team_id"])
    op.create_table(
        "tag_group_tags",
        sa.Column("tag_group_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_group_id"],
            ["tag_groups.id"],
            name=op.f("fk_tag_group_tags_tag_group_id_tag_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_tag_group_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tag_group_id", "tag_id", name=op.f("pk_tag_group_tags")),
    )
    op.create_index(op.f("ix_tag_group_tags_tag_id"), "tag_group_tags", ["tag_id"])
    op.create_table(
        "maintenance_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("starts_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.Column("ends_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.Column("created_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.Column("updated_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_maintenance_periods_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_periods")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_maintenance_periods_monitor_ends", "maintenance_periods", ["monitor_id", "ends_at"])
    op.create_table(
        "recurring_maintenance_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("recurrence_type", sa.String(length=16), nullable=False),
        sa.Column("start_time", sa.String(length=5), nullable=False),
        sa.Column("end_time", sa.String(length=5), nullable=False),
        sa.Column("days_of_week", sa.JSON(), nullable=False),
        sa.Column("day_of_month", sa.Integer(), nullable=True),
        sa.Column("created_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.Column("updated_at", lookout.store.db.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_recurring_maintenance_periods_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_maintenance_periods")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_recurring_maintenance_periods_monitor_id", "recurring_maintenance_periods", ["monitor_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_recurring_maintenance_periods_monitor_id", table_name="recurring_maintenance_periods")
    op.drop_table("recurring_maintenance_periods")
    op.drop_index("ix_maintenance_periods_monitor_ends", table_name="maintenance_periods")
    op.drop_table("maintenance_periods")
    op.drop_index(op.f("ix_tag_group_tags_tag_id"), table_name="tag_group_tags")
    op.drop_table("tag_group_tags")
    op.drop_index("ix_tag_groups_team_id", table_name="tag_groups")
    op.drop_table("tag_groups")

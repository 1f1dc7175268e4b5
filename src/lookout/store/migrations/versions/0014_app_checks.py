"""Domain registration and application health results

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lookout.store.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_DT = lookout.store.db.UtcDateTime


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "domain_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=True),
        sa.Column("expires_at", _DT(), nullable=True),
        sa.Column("registered_at", _DT(), nullable=True),
        sa.Column("last_changed_at", _DT(), nullable=True),
        sa.Column("last_updated_in_rdap_db_at", _DT(), nullable=True),
        sa.Column("domain_statuses", sa.JSON(), nullable=False),
        sa.Column("registrar", sa.String(length=255), nullable=True),
        sa.Column("nameservers", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("not_supported_reason", sa.String(length=255), nullable=True),
        sa.Column("created_at", _DT(), nullable=False),
        sa.Column("updated_at", _DT(), nullable=False),
        _fk("domain_registrations", "check_id", "checks"),
        _fk("domain_registrations", "monitor_id", "monitors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_registrations")),
        sa.UniqueConstraint("check_id", name=op.f("uq_domain_registrations_check_id")),
    )
    op.create_index(
        op.f("ix_domain_registrations_monitor_id"), "domain_registrations", ["monitor_id"], unique=False
    )
    op.create_table(
        "app_health_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("short_summary", sa.String(length=255), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("detected_at", _DT(), nullable=False),
        sa.Column("updated_at", _DT(), nullable=False),
        _fk("app_health_checks", "check_id", "checks"),
        _fk("app_health_checks", "monitor_id", "monitors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_health_checks")),
        sa.UniqueConstraint("check_id", "name", name=op.f("uq_app_health_checks_check_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_app_health_checks_monitor_id"), "app_health_checks", ["monitor_id"], unique=False
    )
    op.create_table(
        "app_health_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("health_check_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("short_summary", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("detected_at", _DT(), nullable=False),
        sa.Column("updated_at", _DT(), nullable=False),
        _fk("app_health_results", "health_check_id", "app_health_checks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_health_results")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_app_health_results_check_id", "app_health_results", ["health_check_id", "id"], unique=False
    )
    op.create_table(
        "app_health_snoozes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("health_check_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", _DT(), nullable=False),
        sa.Column("ends_at", _DT(), nullable=False),
        sa.Column("snoozed_by", sa.String(length=255), nullable=True),
        sa.Column("unsnoozed_by", sa.String(length=255), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", _DT(), nullable=False),
        _fk("app_health_snoozes", "health_check_id", "app_health_checks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_health_snoozes")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_app_health_snoozes_check_ends", "app_health_snoozes", ["health_check_id", "ends_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_app_health_snoozes_check_ends", table_name="app_health_snoozes")
    op.drop_table("app_health_snoozes")
    op.drop_index("ix_app_health_results_check_id", table_name="app_health_results")
    op.drop_table("app_health_results")
    op.drop_index(op.f("ix_app_health_checks_monitor_id"), table_name="app_health_checks")
    op.drop_table("app_health_checks")
    op.drop_index(op.f("ix_domain_registrations_monitor_id"), table_name="domain_registrations")
    op.drop_table("domain_registrations")

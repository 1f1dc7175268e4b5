"""DNSPod domains, records, D-Monitors and failover

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lookout.store.db import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dns_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("display_name", sa.String(length=253), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("remark", sa.String(length=255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_dns_domains_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_dns_domains_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dns_domains")),
        sa.UniqueConstraint("name", name=op.f("uq_dns_domains_name")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_dns_domains_team_id"), "dns_domains", ["team_id"], unique=False)
    op.create_table(
        "dns_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("sub_domain", sa.String(length=253), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("line", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("mx", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("remark", sa.String(length=255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["dns_domains.id"],
            name=op.f("fk_dns_records_domain_id_dns_domains"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dns_records")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_dns_records_domain_name_type", "dns_records", ["domain_id", "sub_domain", "type"], unique=False
    )
    op.create_table(
        "d_monitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=253), nullable=False),
        sa.Column("now_ip", sa.String(length=253), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("monitor_type", sa.String(length=8), nullable=False),
        sa.Column("monitor_path", sa.String(length=1024), nullable=False),
        sa.Column("monitor_interval", sa.Integer(), nullable=False),
        sa.Column("points", sa.String(length=255), nullable=False),
        sa.Column("bak_ip", sa.String(length=1024), nullable=False),
        sa.Column("keep_ttl", sa.Boolean(), nullable=False),
        sa.Column("sms_notice", sa.String(length=16), nullable=False),
        sa.Column("email_notice", sa.String(length=16), nullable=False),
        sa.Column("less_notice", sa.Boolean(), nullable=False),
        sa.Column("callback_url", sa.String(length=1024), nullable=False),
        sa.Column("callback_key", sa.String(length=255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("switch_state", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["domain_id"],
            ["dns_domains.id"],
            name=op.f("fk_d_monitors_domain_id_dns_domains"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_d_monitors_monitor_id_monitors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["dns_records.id"],
            name=op.f("fk_d_monitors_record_id_dns_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_d_monitors_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_d_monitors")),
        sa.UniqueConstraint("record_id", name=op.f("uq_d_monitors_record_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_d_monitors_domain_id"), "d_monitors", ["domain_id"], unique=False)
    op.create_index(op.f("ix_d_monitors_team_id"), "d_monitors", ["team_id"], unique=False)
    op.create_table(
        "d_monitor_downs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("d_monitor_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("record_line", sa.String(length=32), nullable=False),
        sa.Column("ip", sa.String(length=253), nullable=False),
        sa.Column("warn_reason", sa.Text(), nullable=False),
        sa.Column("switch_log", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("recovered_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["d_monitor_id"],
            ["d_monitors.id"],
            name=op.f("fk_d_monitor_downs_d_monitor_id_d_monitors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_d_monitor_downs_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_d_monitor_downs")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_d_monitor_downs_d_monitor_id"), "d_monitor_downs", ["d_monitor_id"], unique=False
    )
    op.create_index("ix_d_monitor_downs_team_id_id", "d_monitor_downs", ["team_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("d_monitor_downs")
    op.drop_table("d_monitors")
    op.drop_table("dns_records")
    op.drop_table("dns_domains")

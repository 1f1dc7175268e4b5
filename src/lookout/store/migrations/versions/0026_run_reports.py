"""Full reports beside a check's last runs (Lighthouse)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lookout.store.db

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("started_at", lookout.store.db.EpochMillis(), nullable=False),
        sa.Column("report", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_id"], ["checks.id"], name=op.f("fk_run_reports_check_id_checks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_reports")),
    )
    op.create_index("ix_run_reports_check_started", "run_reports", ["check_id", "started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_run_reports_check_started", table_name="run_reports")
    op.drop_table("run_reports")

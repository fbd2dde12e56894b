"""initial schema: appeals and reference counters

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("received", "in_review", "forwarded", "resolved", "rejected")


def upgrade() -> None:
    op.create_table(
        "reference_counters",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="received"),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("submission_key", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("region", sa.String(32), nullable=True),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("respondent", sa.Text(), nullable=True),
        sa.Column("incident_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("attachments", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("reference", name="uq_appeals_reference"),
        sa.UniqueConstraint("submission_key", name="uq_appeals_submission_key"),
        sa.UniqueConstraint("year", "seq", name="uq_appeals_year_seq"),
        sa.CheckConstraint(
            "status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES)),
            name="ck_appeals_status",
        ),
        sa.CheckConstraint("seq > 0", name="ck_appeals_seq_positive"),
    )
    op.create_index("ix_appeals_conversation_id", "appeals", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_appeals_conversation_id", table_name="appeals")
    op.drop_table("appeals")
    op.drop_table("reference_counters")

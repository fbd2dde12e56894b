"""staff console: accounts, status history and notes, append-only audit log, outbox,
the appeal's channel and deliverability, indexes for listing and searching

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

* ``appeals.channel``: ``telegram`` when the appeal was filed on Telegram (private chat:
  chat id = the conversation id), NULL otherwise ("no channel").
* ``appeals.delivery``: NULL (nothing known) or ``blocked`` (Telegram answered 403: the
  citizen blocked the bot).
* ``audit_log`` is append-only: triggers refuse UPDATE and DELETE on both backends.
* PostgreSQL: a pg_trgm GIN index on ONE expression joining name, phone, respondent and
  description (:data:`SEARCH_TEXT`, built the same way by ``appeals/console_filters.py``)
  makes the console's ILIKE '%...%' search one index scan; if the extension cannot be
  created (no privilege) the migration goes on without it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: the console's searched text; must stay equal to console_filters.SEARCH_TEXT (a test checks
#: that PostgreSQL's plan for a search uses this index)
SEARCH_TEXT = " || E'\\n' || ".join(
    f"coalesce({c}, '')" for c in ("full_name", "phone", "respondent", "description")
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=True))
        batch.add_column(sa.Column("delivery", sa.String(16), nullable=True))

    op.create_index("ix_appeals_created_at_id", "appeals", ["created_at", "id"])
    op.create_index("ix_appeals_status_created", "appeals", ["status", "created_at"])
    op.create_index("ix_appeals_region_created", "appeals", ["region", "created_at"])
    op.create_index("ix_appeals_category_created", "appeals", ["category", "created_at"])
    op.create_index("ix_appeals_language_created", "appeals", ["language", "created_at"])
    op.create_index("ix_appeals_late_created", "appeals", ["late", "created_at"])

    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False, server_default="ky"),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("failed_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("username", name="uq_staff_accounts_username"),
        sa.CheckConstraint("role IN ('operator', 'admin')", name="ck_staff_accounts_role"),
    )

    op.create_table(
        "appeal_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("appeal_id", sa.Integer(), sa.ForeignKey("appeals.id"), nullable=False),
        sa.Column("old_status", sa.String(20), nullable=True),
        sa.Column("new_status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff_accounts.id"), nullable=True),
        sa.Column("actor", sa.String(64), nullable=True),  # who, without an account (e.g. cli:alice)
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_appeal_events_appeal", "appeal_events", ["appeal_id", "id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_reference", "audit_log", ["reference"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("appeal_id", sa.Integer(), sa.ForeignKey("appeals.id"), nullable=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("appeal_events.id"), nullable=True),
        sa.Column("dedupe_key", sa.String(64), nullable=True),
        sa.Column("chat_id", sa.String(32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'undeliverable', 'no_channel')", name="ck_outbox_state"
        ),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "next_attempt_at", "id"])
    op.create_index("ix_outbox_appeal", "outbox", ["appeal_id", "id"])

    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            """
            DO $$ BEGIN
              CREATE EXTENSION IF NOT EXISTS pg_trgm;
            EXCEPTION WHEN insufficient_privilege THEN
              RAISE NOTICE 'pg_trgm not available: search runs without trigram indexes';
            END $$
            """
        )
        op.execute(
            f"""
            DO $$ BEGIN
              IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                CREATE INDEX ix_appeals_search_trgm ON appeals USING gin (({SEARCH_TEXT}) gin_trgm_ops);
              END IF;
            END $$
            """
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_appeals_search_trgm")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("outbox")
    op.drop_table("audit_log")
    op.drop_table("appeal_events")
    op.drop_table("staff_accounts")
    for name in (
        "created_at_id",
        "status_created",
        "region_created",
        "category_created",
        "language_created",
        "late_created",
    ):
        op.drop_index(f"ix_appeals_{name}", table_name="appeals")
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("delivery")
        batch.drop_column("channel")

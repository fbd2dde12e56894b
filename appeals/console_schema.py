"""Table definitions of the staff console: accounts, status history, audit log, outbox.

The DDL lives in ``appeals/migrations/versions/0002_staff_console.py``; these are the
query-side definitions (SQLAlchemy Core) on :mod:`appeals.db`'s metadata, next to its
``appeals`` table (which has the ``channel`` and ``delivery`` columns of that migration).
"""

from __future__ import annotations

import sqlalchemy as sa

from appeals.db import UTCDateTime, appeals, metadata

__all__ = ["appeal_events", "appeals", "audit_log", "outbox", "staff_accounts"]

staff_accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("failed_count", sa.Integer, nullable=False),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("password_changed_at", UTCDateTime, nullable=False),
)

appeal_events = sa.Table(
    "appeal_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("appeal_id", sa.Integer, nullable=False),
    sa.Column("old_status", sa.String(20)),
    sa.Column("new_status", sa.String(20), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("staff_id", sa.Integer),
    sa.Column("actor", sa.String(64)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("staff_id", sa.Integer),
    sa.Column("username", sa.String(64)),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("reference", sa.String(20)),
    sa.Column("detail", sa.Text),
    sa.Column("ip", sa.String(64)),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("appeal_id", sa.Integer),
    sa.Column("event_id", sa.Integer),
    sa.Column("dedupe_key", sa.String(64)),
    sa.Column("chat_id", sa.String(32)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("last_error", sa.String(200)),
    sa.Column("telegram_message_id", sa.BigInteger),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
)

"""The outbox of Telegram messages: claiming with a lease, and recording the outcome.

A sender claims due rows by writing its id and a lease deadline into them:

* PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` picks rows no other sender is
  claiming at that moment, then the claim is written in the same transaction;
* SQLite: the transaction starts with ``BEGIN IMMEDIATE`` (the whole database is
  write-locked), so the select and the claiming update are atomic.

A claimed row is only claimable again once its lease has expired (the sender died).
The result is written right after Telegram answers, conditioned on the claim still being
ours (``claimed_by``), so two senders never both record, and a second sender only sends
again if the first died inside that small window or overran its lease.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from appeals.console_schema import appeals, outbox

MAX_BACKOFF_S = 600


def _now() -> datetime:
    return datetime.now(timezone.utc)


def claim(
    engine: Engine, sender: str, limit: int = 20, lease_s: float = 60.0, now: Optional[datetime] = None
) -> list[dict]:
    now = now or _now()
    due = (
        sa.select(outbox.c.id)
        .where(
            outbox.c.state == "pending",
            outbox.c.next_attempt_at <= now,
            sa.or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now),
        )
        .order_by(outbox.c.id)
        .limit(limit)
    )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list(conn.execute(due).scalars())
        if not ids:
            return []
        conn.execute(
            outbox.update()
            .where(outbox.c.id.in_(ids))
            .values(
                claimed_by=sender,
                lease_until=now + timedelta(seconds=lease_s),
                attempts=outbox.c.attempts + 1,
            )
        )
        rows = conn.execute(
            sa.select(outbox).where(outbox.c.id.in_(ids), outbox.c.claimed_by == sender).order_by(outbox.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def still_ours(engine: Engine, row_id: int, sender: str, now: Optional[datetime] = None) -> bool:
    """Is the lease still ours and unexpired (checked just before sending)?"""
    now = now or _now()
    with engine.begin() as conn:
        return (
            conn.execute(
                sa.select(outbox.c.id).where(
                    outbox.c.id == row_id,
                    outbox.c.claimed_by == sender,
                    outbox.c.state == "pending",
                    outbox.c.lease_until > now,
                )
            ).first()
            is not None
        )


def mark_sent(engine: Engine, row_id: int, sender: str, message_id: Optional[int]) -> bool:
    with engine.begin() as conn:
        return (
            conn.execute(
                outbox.update()
                .where(outbox.c.id == row_id, outbox.c.claimed_by == sender, outbox.c.state == "pending")
                .values(
                    state="sent",
                    sent_at=_now(),
                    telegram_message_id=message_id,
                    lease_until=None,
                    last_error=None,
                )
            ).rowcount
            == 1
        )


def backoff_seconds(attempts: int) -> float:
    base = min(MAX_BACKOFF_S, 2 ** min(attempts, 10))
    return base * (0.5 + random.random() / 2)


def mark_retry(
    engine: Engine, row_id: int, sender: str, error: str, delay_s: Optional[float] = None, attempts: int = 1
) -> None:
    delay = backoff_seconds(attempts) if delay_s is None else delay_s
    with engine.begin() as conn:
        conn.execute(
            outbox.update()
            .where(outbox.c.id == row_id, outbox.c.claimed_by == sender, outbox.c.state == "pending")
            .values(
                next_attempt_at=_now() + timedelta(seconds=delay),
                claimed_by=None,
                lease_until=None,
                last_error=error[:200],
            )
        )


def mark_undeliverable(engine: Engine, row_id: int, sender: str, error: str, blocked: bool) -> None:
    with engine.begin() as conn:
        row = conn.execute(sa.select(outbox.c.appeal_id, outbox.c.kind).where(outbox.c.id == row_id)).first()
        n = conn.execute(
            outbox.update()
            .where(outbox.c.id == row_id, outbox.c.claimed_by == sender, outbox.c.state == "pending")
            .values(state="undeliverable", lease_until=None, last_error=error[:200])
        ).rowcount
        if n and blocked and row is not None and row.kind == "citizen" and row.appeal_id:
            conn.execute(appeals.update().where(appeals.c.id == row.appeal_id).values(delivery="blocked"))


def enqueue_announcements(engine: Engine, chat_id: str, render, since: datetime, limit: int = 100) -> int:
    """Queue a staff-chat announcement (reference and category only) per new appeal."""
    now = _now()
    n = 0
    with engine.begin() as conn:
        announced = sa.select(outbox.c.id).where(
            outbox.c.dedupe_key == sa.literal("announce:") + sa.cast(appeals.c.id, sa.String)
        )
        rows = conn.execute(
            sa.select(appeals.c.id, appeals.c.reference, appeals.c.category)
            .where(appeals.c.created_at >= since, ~sa.exists(announced))
            .order_by(appeals.c.id)
            .limit(limit)
        ).all()
        for r in rows:
            conn.execute(
                outbox.insert().values(
                    kind="staff_chat",
                    appeal_id=r.id,
                    dedupe_key=f"announce:{r.id}",
                    chat_id=str(chat_id),
                    text=render(r.reference, r.category),
                    state="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            n += 1
    return n


def counts(engine: Engine) -> dict:
    with engine.begin() as conn:
        return {
            s: c for s, c in conn.execute(sa.select(outbox.c.state, sa.func.count()).group_by(outbox.c.state))
        }

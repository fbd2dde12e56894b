"""Status changes and notes, with their history, audit entry and citizen notification,
all written in ONE transaction (the transactional outbox).

:func:`change_status` is the only way a status changes: the console, ``python -m appeals
set-status`` and :meth:`appeals.store.AppealStore.set_status` all call it.

Two staff changing the same appeal at once are serialised on the appeal's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; the whole database with ``BEGIN IMMEDIATE`` on
SQLite): both changes land in the history, both notifications in the outbox, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from appeals import audit
from appeals.console_schema import appeal_events, appeals, outbox, staff_accounts
from appeals.store import AppealNotFound
from core.appeal import STATUSES
from core.labels import status_news

NOTE_MAX = 2000

#: renders the citizen's message: (language, reference, status, note) -> text
Renderer = Callable[[str, str, str, Optional[str]], str]


def telegram_chat_id(appeal) -> Optional[str]:
    """The private chat of a Telegram appeal (chat id = user id = conversation id)."""
    if appeal["channel"] == "telegram" and str(appeal["conversation_id"]).lstrip("-").isdigit():
        return str(appeal["conversation_id"])
    return None


def change_status(
    engine: Engine,
    reference: str,
    new_status: str,
    note: Optional[str] = None,
    staff: Optional[dict] = None,
    render: Renderer = status_news,
    ip: Optional[str] = None,
    now: Optional[datetime] = None,
    actor: Optional[str] = None,
) -> int:
    """Record a status change (or, with the same status, a note); returns the event id.

    ``staff`` is the console's signed-in account (``id``, ``username``); without it
    ``actor`` names who did it in the audit log (e.g. ``cli:alice``).  Returns 0, and
    writes nothing, when the status is unchanged and there is no note.  Raises
    ``ValueError`` (unknown status, note too long) and :class:`AppealNotFound`.
    """
    if new_status not in STATUSES:
        raise ValueError("status must be one of: {}".format(", ".join(STATUSES)))
    reference = str(reference or "").strip().upper()
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise ValueError("note too long")
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        q = sa.select(appeals).where(appeals.c.reference == reference)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        appeal = conn.execute(q).mappings().first()
        if appeal is None:
            raise AppealNotFound(reference)
        if appeal["status"] == new_status and note is None:
            return 0
        event_id = conn.execute(
            appeal_events.insert().values(
                appeal_id=appeal["id"],
                old_status=appeal["status"],
                new_status=new_status,
                note=note,
                staff_id=staff["id"] if staff else None,
                actor=None if staff else (actor or "")[:64] or None,
                created_at=now,
            )
        ).inserted_primary_key[0]
        conn.execute(
            appeals.update().where(appeals.c.id == appeal["id"]).values(status=new_status, updated_at=now)
        )
        chat = telegram_chat_id(appeal)
        if appeal["erased_at"] is not None:
            chat = None
        state = (
            "pending"
            if chat and appeal["delivery"] != "blocked"
            else ("undeliverable" if chat else "no_channel")
        )
        conn.execute(
            outbox.insert().values(
                kind="citizen",
                appeal_id=appeal["id"],
                event_id=event_id,
                chat_id=chat,
                text=render(appeal["language"], reference, new_status, note),
                state=state,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        audit.record(
            conn,
            "status_change" if appeal["status"] != new_status else "note",
            staff=staff,
            username=actor,
            reference=reference,
            detail="{} -> {}; note: {}".format(appeal["status"], new_status, "yes" if note else "no"),
            ip=ip,
        )
    return int(event_id)


def events_for(engine: Engine, appeal_id: int) -> list:
    """History of an appeal, oldest first, with who, when and the notification's state."""
    q = (
        sa.select(
            appeal_events,
            staff_accounts.c.username,
            outbox.c.state.label("delivery_state"),
            outbox.c.sent_at,
            outbox.c.last_error,
        )
        .select_from(
            appeal_events.outerjoin(
                staff_accounts, staff_accounts.c.id == appeal_events.c.staff_id
            ).outerjoin(outbox, outbox.c.event_id == appeal_events.c.id)
        )
        .where(appeal_events.c.appeal_id == appeal_id)
        .order_by(appeal_events.c.id)
    )
    with engine.begin() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]

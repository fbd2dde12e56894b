"""The append-only audit log: every staff action, reading personal data included.

Rows are only ever inserted (the database refuses UPDATE and DELETE on ``audit_log``,
see migration 0002).  ``detail`` never holds a note's or an appeal's text, only what
was done (e.g. ``status=in_review``, ``filters=...``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from appeals.console_schema import audit_log


def record(
    conn: Connection,
    action: str,
    staff: Optional[dict] = None,
    reference: Optional[str] = None,
    detail: Optional[str] = None,
    ip: Optional[str] = None,
    username: Optional[str] = None,
) -> None:
    conn.execute(
        audit_log.insert().values(
            at=datetime.now(timezone.utc),
            staff_id=staff["id"] if staff else None,
            username=(staff["username"] if staff else username),
            action=action[:40],
            reference=reference,
            detail=(detail or None) and detail[:2000],
            ip=(ip or None) and ip[:64],
        )
    )


def log(engine: Engine, action: str, **kwargs) -> None:
    with engine.begin() as conn:
        record(conn, action, **kwargs)


def read(
    engine: Engine,
    page: int = 1,
    per_page: int = 100,
    reference: Optional[str] = None,
    username: Optional[str] = None,
):
    """(rows newest first, total)."""
    q = sa.select(audit_log)
    c = sa.select(sa.func.count()).select_from(audit_log)
    if reference:
        q = q.where(audit_log.c.reference == reference)
        c = c.where(audit_log.c.reference == reference)
    if username:
        q = q.where(audit_log.c.username == username)
        c = c.where(audit_log.c.username == username)
    with engine.begin() as conn:
        total = conn.execute(c).scalar_one()
        rows = (
            conn.execute(
                q.order_by(audit_log.c.id.desc()).limit(per_page).offset((max(page, 1) - 1) * per_page)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows], total

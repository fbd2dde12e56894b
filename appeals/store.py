"""Storage of Ombudsman (Akyikatchy) appeals.

Guarantees
----------
* A reference ``AK-YYYY-NNNNNN`` is allocated from ``reference_counters`` in the
  same transaction that inserts the appeal: numbers are unique, sequential
  within the year of filing, and never skipped nor reused (a failed insert rolls
  the counter back with it).  Concurrent writers are serialised by
  ``SELECT ... FOR UPDATE`` on the counter row (PostgreSQL) or by
  ``BEGIN IMMEDIATE`` (SQLite).
* ``submit`` is idempotent on ``submission_key``.
* Nothing partial is ever stored; every database failure surfaces as
  :class:`StorageError` (one helper, :meth:`AppealStore._transaction`).
* The schema comes only from the Alembic migrations in ``appeals/migrations``;
  the store upgrades the database to head on first use.
* Log messages carry references and counts only, never personal data.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timezone
from typing import Any, NamedTuple, Optional

from sqlalchemy import exc, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from appeals.config import TOOL_TIMEOUTS, DbTimeouts
from appeals.db import StorageError, appeals, describe, make_engine, open_engine, reference_counters, upgrade
from core.appeal import (
    FIELDS,
    INITIAL_STATUS,
    PERSONAL_FIELDS,
    STATUSES,
    Attachment,
    filing_date,
    format_reference,
    is_late,
)
from core.language import LANGUAGES

logger = logging.getLogger(__name__)

__all__ = ["AppealNotFound", "AppealStore", "StorageError", "SubmitResult"]

MAX_SEQ = 999_999


class AppealNotFound(LookupError):
    """No appeal with that reference (staff operations)."""


class SubmitResult(NamedTuple):
    reference: str
    created: bool


class _Duplicate(Exception):
    """Internal: aborts (rolls back) a submit whose key is already stored."""

    def __init__(self, row):
        super().__init__("duplicate submission")
        self.row = row


def _now_utc(now: Optional[datetime]) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:  # naive = UTC
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("incident_date must be an ISO date (YYYY-MM-DD)")


def _clean_attachments(value: Any) -> list:
    """Every known key of each attachment (core.appeal.Attachment), unknown keys dropped."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, (list, tuple)):
        raise ValueError("attachments must be a list")
    return [Attachment.from_mapping(item).as_dict(drop_empty=True) for item in value]


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") if value is not None else None


def _appeal_row(conversation_id: str, submission_key: str, fields, language: str, created_at) -> dict:
    """The columns of a new appeal; raises ValueError for incomplete input."""
    if not conversation_id:
        raise ValueError("conversation_id is required")
    if not submission_key:
        raise ValueError("submission_key is required")
    if language not in LANGUAGES:
        raise ValueError("language must be one of {}".format(", ".join(LANGUAGES)))
    missing = [f for f in FIELDS if fields.get(f) is None or str(fields.get(f)).strip() == ""]
    if missing:
        raise ValueError("missing appeal fields: {}".format(", ".join(missing)))
    incident = _as_date(fields["incident_date"])
    late = fields.get("late")
    if late is None:
        late = is_late(incident, filing_date(created_at))
    row = {name: str(fields[name]).strip() for name in FIELDS if name != "incident_date"}
    row.update(
        status=INITIAL_STATUS,
        language=language,
        conversation_id=conversation_id,
        submission_key=submission_key,
        incident_date=incident,
        late=bool(late),
        attachments=json.dumps(_clean_attachments(fields.get("attachments")), ensure_ascii=False),
        created_at=created_at,
        updated_at=created_at,
    )
    return row


class AppealStore:
    """Appeals database access.  Thread-safe; one instance per process.

    ``timeouts`` bound every statement, lock wait and connection wait (the action server
    passes :func:`appeals.config.interactive_timeouts`); the schema migration on first use
    runs without the statement and lock limits, on an engine of its own.
    """

    def __init__(
        self, url: Optional[str] = None, *, auto_migrate: bool = True, timeouts: DbTimeouts = TOOL_TIMEOUTS
    ):
        self.engine = open_engine(url, timeouts)
        self._timeouts = timeouts
        self._ready = not auto_migrate
        self._ready_lock = threading.Lock()
        self._backend = self.engine.dialect.name

    # -- plumbing --------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> AppealStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def migrate(self) -> None:
        """Upgrade the schema to head (idempotent)."""
        if self._timeouts.statement_ms or self._timeouts.lock_ms:
            engine = make_engine(self.engine.url, TOOL_TIMEOUTS)
            try:
                upgrade(engine)
            finally:
                engine.dispose()
        else:
            upgrade(self.engine)
        self._ready = True

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                self.migrate()

    @contextlib.contextmanager
    def _transaction(self, doing: str) -> Iterator[Connection]:
        """One transaction; any database error becomes a StorageError saying what failed."""
        self._ensure_ready()
        try:
            with self.engine.begin() as conn:
                yield conn
        except exc.SQLAlchemyError as e:
            raise StorageError(describe(e, doing)) from e

    # -- submission ------------------------------------------------------

    def submit(
        self,
        conversation_id: str,
        submission_key: str,
        fields: Mapping[str, Any],
        language: str,
        now: Optional[datetime] = None,
        channel: Optional[str] = None,
    ) -> SubmitResult:
        """Store a confirmed appeal and return its reference.

        ``fields`` holds the form slots (``full_name``, ``phone``, ``region``,
        ``category``, ``respondent``, ``incident_date`` as ``date`` or ISO
        string, ``description``; optional ``late`` and ``attachments``).
        ``now`` (default: current time; naive = UTC) fixes ``created_at`` and
        the year of filing, which is taken in Bishkek time.  ``channel`` is the
        input channel the appeal came by (``telegram``: the citizen can be told of
        status changes there; None: "no channel").

        Idempotent: a second call with the same ``submission_key`` returns the
        first appeal's reference with ``created=False`` and stores nothing.
        Raises ``ValueError`` for incomplete input, :class:`StorageError` when
        the database fails (nothing is stored then).
        """
        conversation_id = str(conversation_id or "").strip()
        submission_key = str(submission_key or "").strip()
        created_at = _now_utc(now)
        row = _appeal_row(conversation_id, submission_key, fields, language, created_at)
        row["channel"] = str(channel)[:16] if channel else None
        year = filing_date(created_at).year
        doing = "storing an appeal"
        try:
            with self._transaction(doing) as conn:
                existing = self._find_by_key(conn, submission_key)
                if existing is None:
                    seq = self._allocate(conn, year)
                    # the counter lock is held now: a concurrent submit of the same key
                    # has either committed (visible to this new statement) or is queued.
                    existing = self._find_by_key(conn, submission_key)
                if existing is not None:
                    # raising rolls back the counter update: nothing of ours is kept
                    raise _Duplicate(existing)
                reference = format_reference(year, seq)
                self._insert_appeal(conn, dict(row, reference=reference, year=year, seq=seq))
        except _Duplicate as dup:
            return self._duplicate_result(dup.row, conversation_id)
        except StorageError as error:
            if not isinstance(error.__cause__, exc.IntegrityError):
                raise
            # lost a race on the unique submission_key (e.g. a retry arriving mid-transaction)
            with self._transaction(doing) as conn:
                existing = self._find_by_key(conn, submission_key)
            if existing is None:
                raise
            return self._duplicate_result(existing, conversation_id)
        logger.info("appeal %s stored", reference)
        return SubmitResult(reference, True)

    @staticmethod
    def _find_by_key(conn: Connection, submission_key: str):
        return conn.execute(
            select(appeals.c.reference, appeals.c.conversation_id).where(
                appeals.c.submission_key == submission_key
            )
        ).first()

    @staticmethod
    def _duplicate_result(row, conversation_id: str) -> SubmitResult:
        if row.conversation_id != conversation_id:
            # never hand another user's reference out
            logger.error("submission key collision between conversations")
            raise StorageError("submission key already used by another conversation")
        logger.info("duplicate submission of appeal %s ignored", row.reference)
        return SubmitResult(row.reference, False)

    @staticmethod
    def _insert_appeal(conn: Connection, row: dict) -> None:
        conn.execute(appeals.insert().values(**row))

    def _allocate(self, conn: Connection, year: int) -> int:
        """Next number of ``year``; the counter row stays locked until commit."""
        # sqlite: the whole database is already locked (BEGIN IMMEDIATE)
        insert = pg_insert if self._backend == "postgresql" else sqlite_insert
        conn.execute(
            insert(reference_counters)
            .values(year=year, last_seq=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        last = conn.execute(
            select(reference_counters.c.last_seq).where(reference_counters.c.year == year).with_for_update()
        ).scalar_one()
        seq = last + 1
        if seq > MAX_SEQ:
            raise StorageError(f"reference numbers for {year} are exhausted")
        conn.execute(update(reference_counters).where(reference_counters.c.year == year).values(last_seq=seq))
        return seq

    # -- user-facing reads and erasure -------------------------------------

    def status_for(self, conversation_id: str, reference: str) -> Optional[str]:
        """Status of ``reference`` if it was filed by ``conversation_id``.

        ``None`` both when the reference does not exist and when another
        conversation filed it (the user cannot tell the two apart).
        """
        reference = str(reference or "").strip().upper()
        if not reference:
            return None
        with self._transaction("reading an appeal status") as conn:
            return conn.execute(
                select(appeals.c.status).where(
                    appeals.c.reference == reference,
                    appeals.c.conversation_id == str(conversation_id),
                )
            ).scalar_one_or_none()

    def references_for(self, conversation_id: str) -> list:
        """References filed by ``conversation_id``, oldest first."""
        with self._transaction("listing appeals") as conn:
            query = (
                select(appeals.c.reference)
                .where(appeals.c.conversation_id == str(conversation_id))
                .order_by(appeals.c.id)
            )
            return list(conn.execute(query).scalars())

    def count_for(self, conversation_id: str) -> int:
        return len(self.references_for(conversation_id))

    def erase_personal_data(self, conversation_id: str, now: Optional[datetime] = None) -> int:
        """Erase the personal data of every appeal of ``conversation_id``.

        Clears ``full_name``, ``phone``, ``respondent``, ``description`` and
        ``attachments``; keeps reference, status, region, category,
        incident_date, late and created_at.  Returns how many appeals were
        erased now (already erased ones are not counted again).
        """
        when = _now_utc(now)
        with self._transaction("erasing personal data") as conn:
            count = conn.execute(
                update(appeals)
                .where(
                    appeals.c.conversation_id == str(conversation_id),
                    appeals.c.erased_at.is_(None),
                )
                .values(
                    **{name: None for name in PERSONAL_FIELDS},
                    attachments="[]",
                    erased_at=when,
                    updated_at=when,
                )
            ).rowcount
        logger.info("personal data erased from %d appeal(s)", count)
        return count

    # -- staff -----------------------------------------------------------

    def list_appeals(self) -> list:
        """Every appeal, oldest first, as JSON-ready dicts."""
        with self._transaction("listing appeals") as conn:
            rows = conn.execute(select(appeals).order_by(appeals.c.id)).mappings().all()
        return [self._to_dict(r) for r in rows]

    def get(self, reference: str) -> Optional[dict]:
        """One appeal by reference (staff use; no ownership check)."""
        query = select(appeals).where(appeals.c.reference == str(reference).strip().upper())
        with self._transaction("reading an appeal") as conn:
            row = conn.execute(query).mappings().first()
        return self._to_dict(row) if row is not None else None

    def set_status(
        self,
        reference: str,
        status: str,
        now: Optional[datetime] = None,
        note: Optional[str] = None,
        actor: str = "cli",
    ) -> None:
        """Staff: move an appeal to ``status`` (with an optional note to the citizen).

        The same function as the staff console's (:func:`appeals.history.change_status`):
        history, citizen notification (outbox) and audit entry in one transaction.
        Raises ``ValueError`` for an unknown status, :class:`AppealNotFound`
        for an unknown reference, :class:`StorageError` on database failure.
        """
        from appeals.history import change_status  # history imports this module

        if status not in STATUSES:
            raise ValueError("status must be one of: {}".format(", ".join(STATUSES)))
        reference = str(reference or "").strip().upper()
        self._ensure_ready()
        try:
            change_status(self.engine, reference, status, note, now=_now_utc(now), actor=actor)
        except exc.SQLAlchemyError as e:
            raise StorageError(describe(e, "changing an appeal status")) from e
        logger.info("appeal %s status set to %s", reference, status)

    @staticmethod
    def _to_dict(r) -> dict:
        try:
            attachments = json.loads(r["attachments"] or "[]")
        except ValueError:
            attachments = []
        out = {key: r[key] for key in ("id", "reference", "status", "language", "conversation_id")}
        out.update({name: r[name] for name in FIELDS})
        out.update(
            incident_date=r["incident_date"].isoformat() if r["incident_date"] else None,
            late=bool(r["late"]),
            attachments=attachments,
            created_at=_iso(r["created_at"]),
            updated_at=_iso(r["updated_at"]),
            erased_at=_iso(r["erased_at"]),
        )
        return out

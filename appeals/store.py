"""Storage of Ombudsman (Akyikatchy) appeals.

SQLAlchemy 1.4 with the 2.0-style API (``future=True``).  Supported backends:
SQLite (development, single host) and PostgreSQL (production).

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
  :class:`StorageError`.
* The schema comes only from the Alembic migrations in ``appeals/migrations``;
  the store upgrades the database to head on first use.
* Log messages carry references and counts only, never personal data.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Optional, Union

import sqlalchemy as sa
from sqlalchemy import event, exc, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from .config import FILING_TZ, database_url

log = logging.getLogger(__name__)

__all__ = [
    "AppealNotFound",
    "AppealStore",
    "STATUSES",
    "StorageError",
    "SubmitResult",
    "format_reference",
    "make_engine",
    "migrate",
]

STATUSES = ("received", "in_review", "forwarded", "resolved", "rejected")
LANGUAGES = ("ky", "ru")
REQUIRED_FIELDS = (
    "full_name",
    "phone",
    "region",
    "category",
    "respondent",
    "incident_date",
    "description",
)
PERSONAL_FIELDS = ("full_name", "phone", "description", "respondent")
ATTACHMENT_KEYS = ("file_id", "name", "mime_type", "size")

SQLITE_BUSY_TIMEOUT_S = 30
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StorageError(Exception):
    """The appeals database failed; the operation had no effect.

    The message is safe to log: it never contains personal data.
    """


class AppealNotFound(LookupError):
    """No appeal with that reference (staff operations)."""


class SubmitResult(NamedTuple):
    reference: str
    created: bool


def format_reference(year: int, seq: int) -> str:
    return "AK-%04d-%06d" % (year, seq)


# --------------------------------------------------------------------------
# table definitions used for queries (the DDL lives in the migrations)
# --------------------------------------------------------------------------


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zones: values are stored as naive UTC and get
    ``tzinfo=UTC`` back on load.  PostgreSQL stores ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


_metadata = sa.MetaData()

reference_counters = sa.Table(
    "reference_counters",
    _metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
)

appeals = sa.Table(
    "appeals",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(20), nullable=False, unique=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("submission_key", sa.String(255), nullable=False, unique=True),
    sa.Column("full_name", sa.String(200)),
    sa.Column("phone", sa.String(32)),
    sa.Column("region", sa.String(32)),
    sa.Column("category", sa.String(32)),
    sa.Column("respondent", sa.Text),
    sa.Column("incident_date", sa.Date),
    sa.Column("description", sa.Text),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("attachments", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("erased_at", UTCDateTime),
)


# --------------------------------------------------------------------------
# engine and migrations
# --------------------------------------------------------------------------


def make_engine(url: Union[str, sa.engine.URL]) -> Engine:
    """A future-style engine with the right transaction setup per backend.

    SQLite (pysqlite): the driver's own transaction handling is switched off
    (``isolation_level=None``) and every transaction starts with
    ``BEGIN IMMEDIATE`` (see "Serializable isolation / Savepoints /
    Transactional DDL" in the SQLAlchemy pysqlite docs), so writers are
    serialised by the database lock.  WAL journal and a busy timeout let
    threads and processes queue for that lock instead of failing.
    """
    url = make_url(url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        db = url.database or ""
        if db in ("", ":memory:") or db.startswith("file::memory:"):
            raise ValueError("an in-memory SQLite database cannot hold appeals")
        engine = sa.create_engine(
            url,
            future=True,
            poolclass=NullPool,
            connect_args={
                "timeout": SQLITE_BUSY_TIMEOUT_S,
                "check_same_thread": False,
            },
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, connection_record):
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_connection.cursor()
            try:
                cur.execute("PRAGMA busy_timeout = %d" % (SQLITE_BUSY_TIMEOUT_S * 1000))
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA foreign_keys = ON")
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if backend == "postgresql":
        return sa.create_engine(
            url,
            future=True,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=15,
            pool_timeout=60,
            connect_args={"connect_timeout": 10},
        )
    raise ValueError("unsupported database backend: %s" % backend)


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    return cfg


def _migrate_engine(engine: Engine) -> None:
    from alembic import command

    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def migrate(url: Optional[str] = None) -> str:
    """Upgrade the database at ``url`` (default: ``DATABASE_URL``) to head.

    Idempotent and safe to run from several processes at once.  Returns the
    revision the database is at.  Raises :class:`StorageError`.
    """
    try:
        engine = make_engine(url or database_url())
    except exc.ArgumentError as e:
        raise StorageError("invalid database URL") from e
    try:
        _migrate_with_errors_wrapped(engine)
        return current_revision(engine)
    finally:
        engine.dispose()


def _migrate_with_errors_wrapped(engine: Engine) -> None:
    from alembic.util import CommandError

    try:
        _migrate_engine(engine)
    except exc.SQLAlchemyError as e:
        raise StorageError(_describe(e, "migrating the database")) from e
    except CommandError as e:
        raise StorageError("database migration failed: %s" % e) from e


def current_revision(engine: Engine) -> Optional[str]:
    from alembic.migration import MigrationContext

    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except exc.SQLAlchemyError as e:
        raise StorageError(_describe(e, "reading the schema version")) from e


def _describe(error: exc.SQLAlchemyError, doing: str) -> str:
    """One-line, personal-data-free description of a database error.

    Only connection-level errors (``OperationalError``: server down, file not
    writable, lock timeout) quote the driver's message; other errors may echo
    bound values (e.g. a unique-violation DETAIL) and are named by class only.
    """
    orig = getattr(error, "orig", None)
    kind = type(orig).__name__ if orig is not None else type(error).__name__
    if isinstance(error, exc.OperationalError) and orig is not None:
        lines = [ln.strip() for ln in str(orig).strip().splitlines() if ln.strip()]
        if lines and not lines[0].startswith("DETAIL"):
            return "database unavailable while %s (%s: %s)" % (doing, kind, lines[0][:200])
        return "database unavailable while %s (%s)" % (doing, kind)
    return "database error while %s (%s)" % (doing, kind)


# --------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------


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
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, (list, tuple)):
        raise ValueError("attachments must be a list")
    out = []
    for item in value:
        if not isinstance(item, Mapping) or not item.get("file_id"):
            raise ValueError("each attachment needs a file_id")
        out.append({k: item.get(k) for k in ATTACHMENT_KEYS})
    return out


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat(timespec="seconds") if value is not None else None


class AppealStore:
    """Appeals database access.  Thread-safe; one instance per process."""

    def __init__(self, url: Optional[str] = None, *, auto_migrate: bool = True):
        try:
            self.engine = make_engine(url or database_url())
        except exc.ArgumentError as e:
            raise StorageError("invalid database URL") from e
        self._auto_migrate = auto_migrate
        self._ready = not auto_migrate
        self._ready_lock = threading.Lock()
        self._backend = self.engine.dialect.name

    # -- plumbing --------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "AppealStore":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def migrate(self) -> None:
        """Upgrade the schema to head (idempotent)."""
        _migrate_with_errors_wrapped(self.engine)
        self._ready = True

    def _ensure_ready(self) -> None:
        if self._ready:
            return
        with self._ready_lock:
            if not self._ready:
                self.migrate()

    # -- submission ------------------------------------------------------

    def submit(
        self,
        conversation_id: str,
        submission_key: str,
        fields: Mapping[str, Any],
        language: str,
        now: Optional[datetime] = None,
    ) -> SubmitResult:
        """Store a confirmed appeal and return its reference.

        ``fields`` holds the form slots (``full_name``, ``phone``, ``region``,
        ``category``, ``respondent``, ``incident_date`` as ``date`` or ISO
        string, ``description``; optional ``late`` and ``attachments``).
        ``now`` (default: current time; naive = UTC) fixes ``created_at`` and
        the year of filing, which is taken in Bishkek time.

        Idempotent: a second call with the same ``submission_key`` returns the
        first appeal's reference with ``created=False`` and stores nothing.
        Raises ``ValueError`` for incomplete input, :class:`StorageError` when
        the database fails (nothing is stored then).
        """
        conversation_id = str(conversation_id or "").strip()
        submission_key = str(submission_key or "").strip()
        if not conversation_id:
            raise ValueError("conversation_id is required")
        if not submission_key:
            raise ValueError("submission_key is required")
        if language not in LANGUAGES:
            raise ValueError("language must be one of %s" % ", ".join(LANGUAGES))
        missing = [
            f for f in REQUIRED_FIELDS if fields.get(f) is None or str(fields.get(f)).strip() == ""
        ]
        if missing:
            raise ValueError("missing appeal fields: %s" % ", ".join(missing))

        created_at = _now_utc(now)
        year = created_at.astimezone(FILING_TZ).year
        incident = _as_date(fields["incident_date"])
        late = fields.get("late")
        if late is None:
            filed = created_at.astimezone(FILING_TZ).date()
            try:
                year_ago = filed.replace(year=filed.year - 1)
            except ValueError:  # 29 February
                year_ago = filed.replace(year=filed.year - 1, day=28)
            late = incident < year_ago
        row = {
            "status": "received",
            "language": language,
            "conversation_id": conversation_id,
            "submission_key": submission_key,
            "full_name": str(fields["full_name"]).strip(),
            "phone": str(fields["phone"]).strip(),
            "region": str(fields["region"]).strip(),
            "category": str(fields["category"]).strip(),
            "respondent": str(fields["respondent"]).strip(),
            "incident_date": incident,
            "description": str(fields["description"]).strip(),
            "late": bool(late),
            "attachments": json.dumps(
                _clean_attachments(fields.get("attachments")), ensure_ascii=False
            ),
            "created_at": created_at,
            "updated_at": created_at,
        }

        self._ensure_ready()
        try:
            try:
                with self.engine.begin() as conn:
                    existing = self._find_by_key(conn, submission_key)
                    if existing is None:
                        seq = self._allocate(conn, year)
                        # the counter lock is held now: a concurrent submit of
                        # the same key has either committed (visible to this
                        # new statement) or is queued behind us.
                        existing = self._find_by_key(conn, submission_key)
                    if existing is not None:
                        # leaving the block commits nothing of ours: the
                        # counter update is discarded below by raising.
                        raise _Duplicate(existing)
                    reference = format_reference(year, seq)
                    self._insert_appeal(conn, dict(row, reference=reference, year=year, seq=seq))
            except _Duplicate as dup:
                return self._duplicate_result(dup.row, conversation_id)
            except exc.IntegrityError as e:
                # lost a race on the unique submission_key (e.g. two years'
                # counters, or a retry arriving mid-transaction)
                with self.engine.begin() as conn:
                    existing = self._find_by_key(conn, submission_key)
                if existing is None:
                    raise StorageError(_describe(e, "storing an appeal")) from e
                return self._duplicate_result(existing, conversation_id)
        except exc.SQLAlchemyError as e:
            raise StorageError(_describe(e, "storing an appeal")) from e
        log.info("appeal %s stored", reference)
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
            log.error("submission key collision between conversations")
            raise StorageError("submission key already used by another conversation")
        log.info("duplicate submission of appeal %s ignored", row.reference)
        return SubmitResult(row.reference, False)

    def _allocate(self, conn: Connection, year: int) -> int:
        """Next number of ``year``; the counter row stays locked until commit."""
        if self._backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(
                pg_insert(reference_counters)
                .values(year=year, last_seq=0)
                .on_conflict_do_nothing(index_elements=["year"])
            )
        else:  # sqlite: the whole database is already locked (BEGIN IMMEDIATE)
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            conn.execute(
                sqlite_insert(reference_counters)
                .values(year=year, last_seq=0)
                .on_conflict_do_nothing(index_elements=["year"])
            )
        last = conn.execute(
            select(reference_counters.c.last_seq)
            .where(reference_counters.c.year == year)
            .with_for_update()
        ).scalar_one()
        seq = last + 1
        if seq > 999_999:
            raise StorageError("reference numbers for %d are exhausted" % year)
        conn.execute(
            update(reference_counters)
            .where(reference_counters.c.year == year)
            .values(last_seq=seq)
        )
        return seq

    @staticmethod
    def _insert_appeal(conn: Connection, row: dict) -> None:
        conn.execute(appeals.insert().values(**row))

    # -- user-facing reads and erasure -------------------------------------

    def status_for(self, conversation_id: str, reference: str) -> Optional[str]:
        """Status of ``reference`` if it was filed by ``conversation_id``.

        ``None`` both when the reference does not exist and when another
        conversation filed it (the user cannot tell the two apart).
        """
        reference = str(reference or "").strip().upper()
        if not reference:
            return None
        self._ensure_ready()
        try:
            with self.engine.begin() as conn:
                return conn.execute(
                    select(appeals.c.status).where(
                        appeals.c.reference == reference,
                        appeals.c.conversation_id == str(conversation_id),
                    )
                ).scalar_one_or_none()
        except exc.SQLAlchemyError as e:
            raise StorageError(_describe(e, "reading an appeal status")) from e

    def references_for(self, conversation_id: str) -> list:
        """References filed by ``conversation_id``, oldest first."""
        self._ensure_ready()
        try:
            with self.engine.begin() as conn:
                return list(
                    conn.execute(
                        select(appeals.c.reference)
                        .where(appeals.c.conversation_id == str(conversation_id))
                        .order_by(appeals.c.id)
                    ).scalars()
                )
        except exc.SQLAlchemyError as e:
            raise StorageError(_describe(e, "listing appeals")) from e

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
        self._ensure_ready()
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    update(appeals)
                    .where(
                        appeals.c.conversation_id == str(conversation_id),
                        appeals.c.erased_at.is_(None),
                    )
                    .values(
                        full_name=None,
                        phone=None,
                        respondent=None,
                        description=None,
                        attachments="[]",
                        erased_at=when,
                        updated_at=when,
                    )
                )
                count = result.rowcount
        except exc.SQLAlchemyError as e:
            raise StorageError(_describe(e, "erasing personal data")) from e
        log.info("personal data erased from %d appeal(s)", count)
        return count

    # -- staff -----------------------------------------------------------

    def list_appeals(self) -> list:
        """Every appeal, oldest first, as JSON-ready dicts."""
        self._ensure_ready()
        try:
            with self.engine.begin() as conn:
                rows = conn.execute(select(appeals).order_by(appeals.c.id)).mappings().all()
        except exc.SQLAlchemyError as e:
            raise StorageError(_describe(e, "listing appeals")) from e
        return [self._to_dict(r) for r in rows]

    def get(self, reference: str) -> Optional[dict]:
        """One appeal by reference (staff use; no ownership check)."""
        self._ensure_ready()
        try:
            with self.engine.begin() as conn:
                row = (
                    conn.execute(
                        select(appeals).where(appeals.c.reference == str(reference).strip().upper())
                    )
                    .mappings()
                    .first()
                )
        except exc.SQLAlchemyError as e:
            raise StorageError(_describe(e, "reading an appeal")) from e
        return self._to_dict(row) if row is not None else None

    def set_status(self, reference: str, status: str, now: Optional[datetime] = None) -> None:
        """Staff: move an appeal to ``status``.

        Raises ``ValueError`` for an unknown status, :class:`AppealNotFound`
        for an unknown reference, :class:`StorageError` on database failure.
        """
        if status not in STATUSES:
            raise ValueError("status must be one of: %s" % ", ".join(STATUSES))
        reference = str(reference or "").strip().upper()
        when = _now_utc(now)
        self._ensure_ready()
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    update(appeals)
                    .where(appeals.c.reference == reference)
                    .values(status=status, updated_at=when)
                )
                found = result.rowcount
        except exc.SQLAlchemyError as e:
            raise StorageError(_describe(e, "changing an appeal status")) from e
        if not found:
            raise AppealNotFound(reference)
        log.info("appeal %s status set to %s", reference, status)

    @staticmethod
    def _to_dict(r) -> dict:
        try:
            attachments = json.loads(r["attachments"] or "[]")
        except ValueError:
            attachments = []
        return {
            "id": r["id"],
            "reference": r["reference"],
            "status": r["status"],
            "language": r["language"],
            "conversation_id": r["conversation_id"],
            "full_name": r["full_name"],
            "phone": r["phone"],
            "region": r["region"],
            "category": r["category"],
            "respondent": r["respondent"],
            "incident_date": r["incident_date"].isoformat() if r["incident_date"] else None,
            "description": r["description"],
            "late": bool(r["late"]),
            "attachments": attachments,
            "created_at": _iso(r["created_at"]),
            "updated_at": _iso(r["updated_at"]),
            "erased_at": _iso(r["erased_at"]),
        }


class _Duplicate(Exception):
    """Internal: aborts (rolls back) a submit whose key is already stored."""

    def __init__(self, row):
        super().__init__("duplicate submission")
        self.row = row

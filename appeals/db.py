"""The appeals database: engine setup per backend, table definitions, migrations, errors.

SQLAlchemy 1.4 with the 2.0-style API (``future=True``).  Supported backends: SQLite
(development, single host) and PostgreSQL (production).  The schema comes only from the
Alembic migrations in ``appeals/migrations``; the tables below describe it for queries.
"""

from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Optional, Union

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from appeals.config import TOOL_TIMEOUTS, DbTimeouts, database_url

SQLITE_BUSY_TIMEOUT_S = TOOL_TIMEOUTS.sqlite_busy_s
# TCP keepalives: a connection to a PostgreSQL that vanished (host down, network cut) is
# found dead within about idle + interval * count seconds instead of the kernel's 2 hours;
# tcp_user_timeout bounds how long sent data may stay unacknowledged.
PG_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 15000,
}
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class StorageError(Exception):
    """The appeals database failed; the operation had no effect.

    The message is safe to log: it never contains personal data.
    """


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


metadata = sa.MetaData()

reference_counters = sa.Table(
    "reference_counters",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
)

appeals = sa.Table(
    "appeals",
    metadata,
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
    sa.Column("address", sa.String(300)),  # migration 0002_address; NULL in older rows
    sa.Column("category", sa.String(32)),
    sa.Column("respondent", sa.Text),
    sa.Column("incident_date", sa.Date),
    sa.Column("description", sa.Text),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("attachments", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("erased_at", UTCDateTime),
    # how the citizen hears of status changes (migration 0002_staff_console)
    sa.Column("channel", sa.String(16)),  # "telegram", or NULL: no channel
    sa.Column("delivery", sa.String(16)),  # NULL, or "blocked": the citizen blocked the bot
)


# --------------------------------------------------------------------------
# engine
# --------------------------------------------------------------------------


def make_engine(url: Union[str, sa.engine.URL], timeouts: DbTimeouts = TOOL_TIMEOUTS) -> Engine:
    """A future-style engine with the right transaction setup per backend.

    SQLite (pysqlite): the driver's own transaction handling is switched off
    (``isolation_level=None``) and every transaction starts with
    ``BEGIN IMMEDIATE`` (see "Serializable isolation / Savepoints /
    Transactional DDL" in the SQLAlchemy pysqlite docs), so writers are
    serialised by the database lock.  WAL journal and a busy timeout let
    threads and processes queue for that lock instead of failing.

    PostgreSQL: connections are checked before use (``pool_pre_ping``), connecting and
    waiting for a pooled connection are bounded, TCP keepalives find dead peers, and
    ``timeouts`` may set the server-side ``statement_timeout`` and ``lock_timeout``
    (libpq ``options``), so a sick or locked database fails fast with an error instead
    of holding the caller.
    """
    url = make_url(url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, timeouts.sqlite_busy_s)
    if backend == "postgresql":
        connect_args: dict = {"connect_timeout": max(2, int(timeouts.connect_s)), **PG_KEEPALIVES}
        options = []
        if timeouts.statement_ms:
            options.append(f"-c statement_timeout={int(timeouts.statement_ms)}")
        if timeouts.lock_ms:
            options.append(f"-c lock_timeout={int(timeouts.lock_ms)}")
        if options:
            connect_args["options"] = " ".join(options)
        return sa.create_engine(
            url,
            future=True,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=15,
            pool_timeout=timeouts.pool_s,
            connect_args=connect_args,
        )
    raise ValueError(f"unsupported database backend: {backend}")


def _sqlite_engine(url: sa.engine.URL, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith("file::memory:"):
        raise ValueError("an in-memory SQLite database cannot hold appeals")
    engine = sa.create_engine(
        url,
        future=True,
        poolclass=NullPool,
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA foreign_keys = ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def open_engine(url: Optional[str] = None, timeouts: DbTimeouts = TOOL_TIMEOUTS) -> Engine:
    """:func:`make_engine` for ``url`` (default: ``DATABASE_URL``); StorageError if invalid."""
    try:
        return make_engine(url or database_url(), timeouts)
    except exc.ArgumentError as e:
        raise StorageError("invalid database URL") from e


def describe(error: exc.SQLAlchemyError, doing: str) -> str:
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
            return f"database unavailable while {doing} ({kind}: {lines[0][:200]})"
        return f"database unavailable while {doing} ({kind})"
    return f"database error while {doing} ({kind})"


# --------------------------------------------------------------------------
# migrations
# --------------------------------------------------------------------------


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("sqlalchemy.url", str(url).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Upgrade the schema of ``engine``'s database to head; raises StorageError."""
    from alembic import command
    from alembic.util import CommandError

    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except exc.SQLAlchemyError as e:
        raise StorageError(describe(e, "migrating the database")) from e
    except CommandError as e:
        raise StorageError(f"database migration failed: {e}") from e


def current_revision(engine: Engine) -> Optional[str]:
    from alembic.migration import MigrationContext

    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except exc.SQLAlchemyError as e:
        raise StorageError(describe(e, "reading the schema version")) from e


def migrate(url: Optional[str] = None) -> str:
    """Upgrade the database at ``url`` (default: ``DATABASE_URL``) to head.

    Idempotent and safe to run from several processes at once.  Returns the
    revision the database is at.  Raises :class:`StorageError`.
    """
    engine = open_engine(url)
    try:
        upgrade(engine)
        return current_revision(engine)
    finally:
        engine.dispose()

"""Configuration of the appeals storage (environment variables, safe defaults).

The database is chosen by ``DATABASE_URL`` (any SQLAlchemy URL; SQLite and PostgreSQL are
supported).  Without it a SQLite file ``appeals.db`` in the repository root is used.

Timeouts: tools (the staff CLI, migrations, the console) use :data:`TOOL_TIMEOUTS`, which
only bound connecting and waiting.  The action server answers citizens while they wait, so
it uses :func:`interactive_timeouts`: every statement, lock wait and pool wait is short,
and the whole storage call is bounded by :func:`storage_call_timeout` (the user is told to
try again rather than left waiting).

=================================  =======  ==============================================
variable                           default  what
=================================  =======  ==============================================
``AKY_STORAGE_TIMEOUT_S``          5        one storage call of an action, overall
``AKY_STORAGE_THREADS``            8        database threads of one action-server process
``AKY_DB_CONNECT_TIMEOUT_S``       3        connecting to PostgreSQL (libpq, whole seconds)
``AKY_DB_STATEMENT_TIMEOUT_MS``    4000     PostgreSQL ``statement_timeout``
``AKY_DB_LOCK_TIMEOUT_MS``         2000     PostgreSQL ``lock_timeout``
``AKY_DB_POOL_TIMEOUT_S``          3        waiting for a free pooled connection
``AKY_SQLITE_BUSY_TIMEOUT_S``      4        SQLite: waiting for the write lock
=================================  =======  ==============================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: repository root = parent of the ``appeals`` package
REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DB_PATH = REPO_ROOT / "appeals.db"


def database_url() -> str:
    """SQLAlchemy URL of the appeals database."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Heroku-style URLs still say "postgres://", which SQLAlchemy 1.4 rejects.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        return url
    return "sqlite:///" + str(DEFAULT_DB_PATH)


@dataclass(frozen=True)
class DbTimeouts:
    """How long the database may make a caller wait.  0 = no limit (statement, lock)."""

    connect_s: int = 10
    statement_ms: int = 0
    lock_ms: int = 0
    pool_s: float = 60.0
    sqlite_busy_s: float = 30.0


#: Staff CLI, migrations, console: bounded connecting and waiting, long statements allowed.
TOOL_TIMEOUTS = DbTimeouts()


def _number(name: str, default: float, minimum: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum:g}")
    return value


def interactive_timeouts() -> DbTimeouts:
    """Short limits for the action server (read from the environment)."""
    return DbTimeouts(
        connect_s=int(_number("AKY_DB_CONNECT_TIMEOUT_S", 3, 2)),  # libpq: whole seconds, >= 2
        statement_ms=int(_number("AKY_DB_STATEMENT_TIMEOUT_MS", 4000, 1)),
        lock_ms=int(_number("AKY_DB_LOCK_TIMEOUT_MS", 2000, 1)),
        pool_s=_number("AKY_DB_POOL_TIMEOUT_S", 3, 0.1),
        sqlite_busy_s=_number("AKY_SQLITE_BUSY_TIMEOUT_S", 4, 0.1),
    )


def storage_call_timeout() -> float:
    """Seconds one storage call of an action may take before the user is told to retry."""
    return _number("AKY_STORAGE_TIMEOUT_S", 5, 0.1)


def storage_threads() -> int:
    """Threads that run database work for one action-server process."""
    return int(_number("AKY_STORAGE_THREADS", 8, 1))

"""Configuration of the appeals storage.

The database is chosen by the environment variable ``DATABASE_URL`` (any
SQLAlchemy URL; SQLite and PostgreSQL are supported).  Without it a SQLite file
``appeals.db`` in the repository root is used.
"""

from __future__ import annotations

import os
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
